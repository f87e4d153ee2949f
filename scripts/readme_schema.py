"""Regenerate the README's generated tables: ``python scripts/readme_schema.py [README.md]``.

* the schema table, between ``<!-- schema-table: … -->`` and ``<!-- /schema-table -->``, is derived from
  :data:`airflow_provider_calendly.transfers.tables.TABLES`;
* the scope table, between ``<!-- scope-table: … -->`` and ``<!-- /scope-table -->``, from
  :mod:`airflow_provider_calendly.scopes`.

``tests/docs`` fails when either is stale. This is a maintainer's tool, not part of the shipped package.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from airflow_provider_calendly.scopes import (
    ENDPOINT_SCOPES,
    FEED_ENDPOINTS,
    OPERATOR_ENDPOINTS,
    OPT_IN_RESOURCES,
    RESOURCE_ENDPOINTS,
    operator_scopes,
    resource_scopes,
    scopes_of,
    sync_scopes,
)
from airflow_provider_calendly.transfers.tables import TABLES

README_MARKERS = ("<!-- schema-table:", "<!-- /schema-table -->")
SCOPE_MARKERS = ("<!-- scope-table:", "<!-- /scope-table -->")


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


def readme_scope_table() -> str:
    """The README's Markdown table of the scopes: the endpoints each covers, the sync resources and the operators
    that need it, and what a default sync needs."""

    def codes(names: list[str]) -> str:
        return ", ".join(f"`{n}`" for n in names)

    lines = ["| scope | endpoints (and the paths under them) | sync resources | operators |", "|---|---|---|---|"]
    for scope in sorted(set(ENDPOINT_SCOPES.values())):
        endpoints = [f"{m} /{c}" for (m, c), s in ENDPOINT_SCOPES.items() if s == scope]
        resources = codes([r for r in RESOURCE_ENDPOINTS if scope in resource_scopes(r)])
        if scope in sync_scopes([]):
            resources = "every sync"
        elif scope in scopes_of(FEED_ENDPOINTS):
            resources = "a sync with a webhook feed (`webhook_inbox_conn_id`)"
        operators = [o for o in OPERATOR_ENDPOINTS if scope in operator_scopes(o)]
        lines.append(f"| `{scope}` | {codes(endpoints)} | {resources} | {codes(operators)} |")
    defaults = [r for r in RESOURCE_ENDPOINTS if r not in OPT_IN_RESOURCES]
    needed = sync_scopes(defaults)
    extra = [
        f"`{r}` adds {codes([s for s in resource_scopes(r) if s not in needed]) or 'nothing'}" for r in OPT_IN_RESOURCES
    ]
    lines += [
        "",
        f"A default sync needs {codes(list(needed))}; {'; '.join(extra)}.",
    ]
    return "\n".join(lines)


SECTIONS: dict[tuple[str, str], Callable[[], str]] = {
    README_MARKERS: readme_schema_table,
    SCOPE_MARKERS: readme_scope_table,
}


def _replace(text: str, markers: tuple[str, str], table: str) -> str:
    start, end = markers
    head, sep, rest = text.partition(start)
    if not sep:
        raise ValueError(f"README has no {start} marker")
    marker_line, _, rest = rest.partition("\n")
    _, sep, tail = rest.partition(end)
    if not sep:
        raise ValueError(f"README's {start} table has no end marker")
    return f"{head}{start}{marker_line}\n{table}\n{end}{tail}"


def render_readme(text: str) -> str:
    """``text`` (the README) with each generated table between its markers replaced by the current one."""
    for markers, table in SECTIONS.items():
        text = _replace(text, markers, table())
    return text


def main(argv: list[str]) -> None:
    readme = Path(argv[0] if argv else "README.md")
    readme.write_text(render_readme(readme.read_text()))


if __name__ == "__main__":
    main(sys.argv[1:])
