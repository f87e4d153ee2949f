"""The docs run: every ``python`` code block in ``README.md`` and ``docs/*.md`` is executed.

Conventions for writers:

- A fenced block tagged ```` ```python ```` runs. Blocks of one file run in order, in one namespace, in a fresh
  interpreter whose working directory is an empty temporary directory, as if a reader pasted them one after
  the other into ``python``.
- ```` ```python no-run ```` is shown but not run (fragments, things that need a real Calendly account).
- ```` ```python file=dags/my_dag.py ```` is not run: its text is written to that path in the working
  directory, so later blocks can load it (for example as a DAG file or a test module).
- ```` ```bash run ```` runs with ``bash -e`` at that point, in the same directory and environment (other
  ``bash`` blocks are only shown: installs, servers that never exit).
- The reader has their own ``AIRFLOW_HOME`` (a migrated SQLite DB) and ``./dags`` as DAG folder.
- Before the first block, ``calendly_default`` points at a Calendly emulator (seed 42), as if the reader had
  set up the connection; a guide that starts its own emulator overrides it. A file containing
  ``<!-- doc-test: needs postgres -->`` also gets ``postgres_default`` pointing at the local PostgreSQL.

Any ``example_dags/….py`` or ``docs/….md`` path a document mentions must exist.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, service_unavailable

DOCS = [*sorted((REPO_ROOT / "docs").glob("*.md")), REPO_ROOT / "README.md"]
FENCE = re.compile(r"^(?P<indent>[ ]{0,3})```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
REFERENCE = re.compile(r"(?<![\w/.-])((?:example_dags|docs)/[\w./-]+\.(?:py|md))\b")

RUNNER = r"""
import json, os, sys, traceback

blocks = json.load(open(sys.argv[1]))
namespace = {"__name__": "__main__"}
# A reader runs shell examples with their virtualenv active: put this interpreter's bin first on PATH.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
emulator = None
try:
    from airflow_provider_calendly.testing import CalendlyEmulator

    emulator = CalendlyEmulator(seed=42, token="docs-test-token", scheduled_events=60)
    emulator.start()
    os.environ["AIRFLOW_CONN_CALENDLY_DEFAULT"] = json.dumps(
        {"conn_type": "calendly", "host": emulator.base_url, "password": emulator.token}
    )
    for block in blocks:
        if block["file"]:
            os.makedirs(os.path.dirname(block["file"]) or ".", exist_ok=True)
            with open(block["file"], "w") as fh:
                fh.write(block["code"])
            continue
        label = f"{block['doc']}, block at line {block['line'] + 1}"
        print(f"--- running {label}", flush=True)
        if block["shell"]:
            import subprocess

            result = subprocess.run(["bash", "-ec", block["code"]], env=os.environ.copy())
            if result.returncode != 0:
                sys.exit(f"{label}: shell block exited with {result.returncode}")
            continue
        # Pad with blank lines so tracebacks show the line number inside the Markdown file.
        code = compile("\n" * block["line"] + block["code"], block["doc"], "exec")
        exec(code, namespace)
finally:
    if emulator is not None:
        emulator.stop()
"""


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

    @property
    def shell(self) -> bool:
        return self.language in {"bash", "sh", "console"}

    @property
    def runs(self) -> bool:
        if self.shell:
            return "run" in self.options
        return self.language == "python" and "no-run" not in self.options


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
    text = (
        "# t\n\n```python\nx = 1\n```\n\n```python no-run\nboom()\n```\n\n```python file=dags/d.py\ny = 2\n```\n"
        "\n```bash\nmake demo\n```\n\n```bash run\npytest -q\n```\n"
    )
    blocks = blocks_in(text, "sample.md")
    assert [(b.line, b.runs, b.file, b.shell, b.code) for b in blocks] == [
        (3, True, None, False, "x = 1\n"),
        (7, False, None, False, "boom()\n"),
        (11, True, "dags/d.py", False, "y = 2\n"),
        (15, False, None, True, "make demo\n"),
        (19, True, None, True, "pytest -q\n"),
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


def _scratch_database(server_uri: str, request: pytest.FixtureRequest) -> str:
    """Create an empty PostgreSQL database for one guide (dropped afterwards); return its URI."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2

    name = f"calendly_docs_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(server_uri, connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    request.addfinalizer(drop)
    return urlunsplit(urlsplit(server_uri)._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def reader_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a reader following a guide: their own AIRFLOW_HOME with a migrated metadata DB."""
    home = tmp_path_factory.mktemp("docs-airflow-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW__", "AIRFLOW_HOME"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
    )
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    return env


@pytest.mark.parametrize("doc", [d for d in DOCS if any(b.runs for b in blocks_of(d))], ids=_doc_id)
@pytest.mark.timeout(300)
def test_python_blocks_run(
    doc: Path, reader_env: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    blocks = [b for b in blocks_of(doc) if b.runs]
    work = tmp_path / "work"
    (work / "dags").mkdir(parents=True)
    # The reader's DAG folder is ./dags: ``dag.test()`` only runs DAGs found in the configured DAG folder.
    env = {**reader_env, "AIRFLOW__CORE__DAGS_FOLDER": str(work / "dags")}
    text = doc.read_text()
    if "<!-- doc-test: needs postgres -->" in text:
        env["AIRFLOW_CONN_POSTGRES_DEFAULT"] = _scratch_database(request.getfixturevalue("postgres_uri"), request)
    if "<!-- doc-test: needs redis -->" in text:
        env["CALENDLY_REDIS_URL"] = request.getfixturevalue("redis_url")
    blocks_file = tmp_path / "blocks.json"
    blocks_file.write_text(
        json.dumps([{"doc": b.doc, "line": b.line, "code": b.code, "file": b.file, "shell": b.shell} for b in blocks])
    )
    runner = tmp_path / "run_doc_blocks.py"
    runner.write_text(RUNNER)
    try:
        proc = subprocess.run(
            [sys.executable, str(runner), str(blocks_file)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{_doc_id(doc)}: code blocks did not finish within 240 s")
    if proc.returncode != 0 and "psycopg2.OperationalError" in proc.stderr:
        service_unavailable(f"{_doc_id(doc)} needs PostgreSQL")
    assert proc.returncode == 0, f"{_doc_id(doc)} code blocks failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"


# --- the README matches the code --------------------------------------------------------------------------------

README = REPO_ROOT / "README.md"
COMPONENT_MODULES = (
    "airflow_provider_calendly.operators.calendly",
    "airflow_provider_calendly.operators.webhooks",
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
    from airflow_provider_calendly.transfers.tables import BOOKKEEPING_TABLES, TABLES, render_readme

    text = README.read_text()
    assert render_readme(text) == text, (
        "README schema table is stale: python -m airflow_provider_calendly.transfers.tables"
    )
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
