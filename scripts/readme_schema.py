"""Regenerate the README's schema table from the table registry: ``python scripts/readme_schema.py [README.md]``.

The table between the README's ``<!-- schema-table: … -->`` and ``<!-- /schema-table -->`` markers is derived
from :data:`airflow_provider_calendly.transfers.tables.TABLES`; ``tests/docs`` fails when it is stale. This is
a maintainer's tool, not part of the shipped package.
"""

from __future__ import annotations

import sys
from pathlib import Path

from airflow_provider_calendly.transfers.tables import TABLES

README_MARKERS = ("<!-- schema-table:", "<!-- /schema-table -->")


def readme_schema_table(prefix: str = "calendly_") -> str:
    """The README's Markdown table of the warehouse tables, and what each of their columns means."""
    lines = ["| table | primary key | one row per | other columns |", "|---|---|---|---|"]
    for spec in TABLES.values():
        others = [c for c in spec.column_names if c not in spec.primary_key and c not in ("raw", "_synced_at")]
        lines.append(
            f"| `{prefix}{spec.key}` | {', '.join(f'`{c}`' for c in spec.primary_key)} | {spec.one_row_per} | "
            f"{', '.join(f'`{c}`' for c in others)} |"
        )
    lines += ["", "What every column means (the column comments the warehouse gets too):", ""]
    for spec in TABLES.values():
        meanings = "".join(f"<br><code>{c.name}</code>: {c.description}" for c in spec.columns)
        lines.append(
            f"- <details><summary><code>{prefix}{spec.key}</code>: {spec.description}</summary>{meanings}</details>"
        )
    return "\n".join(lines)


def render_readme(text: str) -> str:
    """``text`` (the README) with the generated schema table between its markers replaced by the current one."""
    start, end = README_MARKERS
    head, sep, rest = text.partition(start)
    if not sep:
        raise ValueError("README has no schema-table marker")
    marker_line, _, rest = rest.partition("\n")
    _, sep, tail = rest.partition(end)
    if not sep:
        raise ValueError("README's schema table has no end marker")
    return f"{head}{start}{marker_line}\n{readme_schema_table()}\n{end}{tail}"


def main(argv: list[str]) -> None:
    readme = Path(argv[0] if argv else "README.md")
    readme.write_text(render_readme(readme.read_text()))


if __name__ == "__main__":
    main(sys.argv[1:])
