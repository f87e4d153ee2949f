"""The docs agree with the code: Python blocks compile, mentioned files exist, the README's tables match.

The blocks themselves are run, literally and in order, from a pip-installed wheel, by ``tests/newcomer/``
(its docstring has the conventions for writers). ``file=`` in a block's info string names the file a reader
saves the block as. Any ``example_dags/….py`` or ``docs/….md`` path a document mentions must exist.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

DOCS = [*sorted((REPO_ROOT / "docs").glob("*.md")), REPO_ROOT / "README.md"]
FENCE = re.compile(r"^(?P<indent>[ ]{0,3})```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
REFERENCE = re.compile(r"(?<![\w/.-])((?:example_dags|docs)/[\w./-]+\.(?:py|md))\b")


@dataclass(frozen=True)
class Block:
    doc: str
    line: int  # line of the first code line in the Markdown file, 0-based
    info: str
    code: str

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def options(self) -> set[str]:
        return set(self.info.split()[1:])

    @property
    def file(self) -> str | None:
        for option in self.options:
            if option.startswith("file="):
                return option.removeprefix("file=")
        return None


def blocks_in(text: str, doc: str) -> list[Block]:
    """Return the fenced code blocks of a Markdown text, with the line each one's code starts on."""
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start("body"))
        body = "\n".join(row[len(match["indent"]) :] for row in match["body"].splitlines())
        found.append(Block(doc, line, match["info"].strip(), body + "\n"))
    return found


def blocks_of(path: Path) -> list[Block]:
    return blocks_in(path.read_text(), _doc_id(path))


def _doc_id(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def test_fence_parser_sees_tags_and_lines() -> None:
    text = "# t\n\n```python\nx = 1\n```\n\n```python file=dags/d.py\ny = 2\n```\n\n```bash\nmake demo\n```\n"
    blocks = blocks_in(text, "sample.md")
    assert [(b.line, b.language, b.file, b.code) for b in blocks] == [
        (3, "python", None, "x = 1\n"),
        (7, "python", "dags/d.py", "y = 2\n"),
        (11, "bash", None, "make demo\n"),
    ]


@pytest.mark.parametrize("doc", DOCS, ids=_doc_id)
def test_references_exist(doc: Path) -> None:
    missing = sorted({ref for ref in REFERENCE.findall(doc.read_text()) if not (REPO_ROOT / ref).exists()})
    assert not missing, f"{_doc_id(doc)} mentions files that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=_doc_id)
def test_python_blocks_compile(doc: Path) -> None:
    for block in blocks_of(doc):
        if block.language == "python":
            compile("\n" * block.line + block.code, block.doc, "exec")


# --- the README matches the code --------------------------------------------------------------------------------

README = REPO_ROOT / "README.md"
COMPONENT_MODULES = (
    "airflow_provider_calendly.operators.calendly",
    "airflow_provider_calendly.operators.webhooks",
    "airflow_provider_calendly.operators.organization",
    "airflow_provider_calendly.operators.event_types",
    "airflow_provider_calendly.operators.availability",
    "airflow_provider_calendly.sensors.calendly",
    "airflow_provider_calendly.transfers.calendly_to_sql",
    "airflow_provider_calendly.triggers.calendly",
)


def _components() -> dict[str, type]:
    """Every public operator, sensor and trigger class the provider defines, by name."""
    import importlib
    import inspect

    from airflow.sdk import BaseOperator
    from airflow.triggers.base import BaseTrigger

    found = {}
    for module_name in COMPONENT_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and obj.__module__ == module_name
                and not name.startswith("_")
                and issubclass(obj, (BaseOperator, BaseTrigger))
            ):
                found[name] = obj
    return found


def _own_parameters(cls: type) -> dict[str, object]:
    """Keyword arguments of ``cls`` and its provider base classes (not Airflow's), with their defaults."""
    import inspect

    params: dict[str, object] = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("airflow_provider_calendly"):
            break
        if "__init__" not in vars(klass):
            continue
        for name, param in inspect.signature(klass.__init__).parameters.items():
            if name != "self" and param.kind is not param.VAR_KEYWORD:
                params.setdefault(name, param.default)
    return params


def _readme_row(name: str) -> str:
    rows = [line for line in README.read_text().splitlines() if line.startswith(f"| `{name}` ")]
    assert len(rows) == 1, f"README.md must have exactly one table row for {name}, found {len(rows)}"
    return rows[0]


def test_readme_table_lists_every_component_with_its_arguments() -> None:
    import inspect

    components = _components()
    assert {"CalendlyToSqlOperator", "CalendlyWebhookSensor", "CalendlyWebhookTrigger"} <= set(components)
    for name, cls in components.items():
        row = _readme_row(name)
        module = cls.__module__.removeprefix("airflow_provider_calendly.")
        assert f"(`{module}`)" in row, f"{name}: the README row must name its module {module}"
        for param, default in _own_parameters(cls).items():
            if param == "calendly_conn_id":
                assert default == "calendly_default", name
                continue
            if default is inspect.Parameter.empty:
                expected = f"`{param}`"
            elif isinstance(default, str):
                expected = f"`{param}={json.dumps(default)}`"
            elif default is None or isinstance(default, (bool, int, float)):
                expected = f"`{param}={default!r}`"
            else:
                expected = f"`{param}="
            assert expected in row, f"README row of {name} must show {expected}"
            after = row[row.index("`", row.index(expected) + 1) + 1 :]
            templated = param in getattr(cls, "template_fields", ())
            marking = "mark it with ✎" if templated else "it is not templated: no ✎"
            assert after.startswith(" ✎") == templated, f"README row of {name}, {param}: {marking}"


def test_readme_says_which_components_take_a_calendly_connection() -> None:
    text = README.read_text()
    assert 'take `calendly_conn_id` (default `"calendly_default"`)' in text
    for name, cls in _components().items():
        if "calendly_conn_id" not in _own_parameters(cls):
            assert name in {"CalendlyWebhookSensor", "CalendlyWebhookTrigger"}, f"{name} takes no calendly_conn_id"


def test_readme_schema_matches_the_tables_the_transfer_writes() -> None:
    from airflow_provider_calendly.transfers.tables import BOOKKEEPING_TABLES, TABLES
    from scripts.readme_schema import render_readme

    text = README.read_text()
    assert render_readme(text) == text, "README schema table is stale: python scripts/readme_schema.py"
    for key, spec in TABLES.items():
        row = _readme_row(f"calendly_{key}")
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1] == ", ".join(f"`{c}`" for c in spec.primary_key), f"primary key of {key}"
        shown = re.findall(r"`(\w+)`", cells[3])
        expected = [c for c in spec.column_names if c not in spec.primary_key and c not in ("raw", "_synced_at")]
        assert shown == expected, f"README columns of calendly_{key} differ from tables.TABLES"
        has_raw = {"raw", "_synced_at"} <= set(spec.column_names)
        assert has_raw == (key not in BOOKKEEPING_TABLES), f"README says which tables have raw/_synced_at ({key})"
    assert " and ".join(f"`{k}`" for k in BOOKKEEPING_TABLES) + " also has `raw`" in " ".join(text.split())


def test_readme_connection_form_matches_get_provider_info() -> None:
    from airflow_provider_calendly.get_provider_info import get_provider_info

    (connection_type,) = get_provider_info()["connection-types"]
    behaviour = connection_type["ui-field-behaviour"]
    rows = [line.strip() for line in README.read_text().splitlines()]
    for field, label in behaviour["relabeling"].items():
        assert any(r.startswith(f"| {label} | `{field}` |") for r in rows), f"README form table must show {label}"
    for key, field in connection_type["conn-fields"].items():
        lines = [r for r in rows if r.startswith(f"| {field['label']} |")]
        assert len(lines) == 1 and f"extra `{key}`" in lines[0], f"README form table must show {key}"
        if "default" in field["schema"]:
            assert f"default {field['schema']['default']}" in lines[0], f"README must give the default of {key}"
