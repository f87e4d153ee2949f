"""The warehouses' local stand-ins behind their official hooks, as pytest fixtures (a plugin of tests/conftest.py, so
the transfer tests can use them too). They import a stand-in only when used: in the main venv they are defined
and unused; the Snowflake and BigQuery venvs (tests/test_warehouses.py) have fakesnow and bqemulator.

Snowflake: fakesnow, in-process, behind the official SnowflakeHook.

fakesnow replaces ``snowflake.connector.connect`` and ``snowflake.connector.pandas_tools.write_pandas`` with fakes
that run Snowflake's SQL, translated, on an in-memory DuckDB. ``SnowflakeHook.get_conn()`` imports ``connect`` when
called, so the hook runs unchanged; code that must reach the fake ``write_pandas`` looks it up when called too
(``from snowflake.connector.pandas_tools import write_pandas`` inside the function, not at module level). It works
in this process only: a task run by ``dag.test()`` runs here, a task in another process would reach the real
connector.

BigQuery: bqemulator, a local server of BigQuery's REST API on DuckDB, behind the official BigQueryHook.

``BigQueryHook.get_client()`` builds a ``google.cloud.bigquery.Client``, which sends its requests to
``BIGQUERY_EMULATOR_HOST`` when that variable is set; the connection uses anonymous credentials. The hook's
DB-API path (``get_conn``, ``get_records``, ``get_df``) builds a discovery client that ignores the variable and
would reach Google: code under test uses the client. bqemulator needs DuckDB's spatial extension at start-up, which
DuckDB would download; it is installed here from the duckdb-extension-spatial package into a private
``HOME/.duckdb/extensions`` (DuckDB's default extension directory), so nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import processes

SNOWFLAKE_CONN_ID = "calendly_snowflake"
DATABASE = "CALENDLY"
SCHEMA = "RAW"


def snowflake_connection() -> str:
    """The ``AIRFLOW_CONN_*`` value (JSON) of a ``snowflake`` connection to fakesnow's database and schema."""
    extra = {"account": "fakesnow", "database": DATABASE, "warehouse": "COMPUTE_WH", "role": "SYSADMIN"}
    return json.dumps(
        {"conn_type": "snowflake", "login": "calendly", "password": "not-a-secret", "schema": SCHEMA, "extra": extra}
    )


@pytest.fixture
def snowflake_conn_id(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An Airflow ``snowflake`` connection to a fresh fakesnow (its database and schema exist); its id."""
    import fakesnow

    monkeypatch.setenv(f"AIRFLOW_CONN_{SNOWFLAKE_CONN_ID.upper()}", snowflake_connection())
    with fakesnow.patch():
        yield SNOWFLAKE_CONN_ID


BIGQUERY_CONN_ID = "calendly_bigquery"
PROJECT = "calendly-test"
STARTUP_SECONDS = 120.0


def _install_spatial_extension(home: Path) -> None:
    import duckdb
    import duckdb_extensions

    with duckdb.connect(config={"extension_directory": str(home / ".duckdb" / "extensions")}) as con:
        duckdb_extensions.import_extension("spatial", con=con)


def _rest_port(proc: subprocess.Popen[str]) -> int:
    """Read the emulator's JSON log until it says where REST listens; keep draining it so it never blocks."""
    found: queue.Queue[int | None] = queue.Queue()
    last_lines: deque[str] = deque(maxlen=40)

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            last_lines.append(line)
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event") == "rest.listen":
                found.put(int(event["port"]))
        found.put(None)  # the emulator exited

    threading.Thread(target=drain, name="bqemulator log", daemon=True).start()
    try:
        port = found.get(timeout=STARTUP_SECONDS)
    except queue.Empty:
        port = None
    if port is None:
        raise RuntimeError("bqemulator did not start:\n" + "".join(last_lines))
    return port


@contextmanager
def bigquery_server(home: Path) -> Iterator[str]:
    """bqemulator on free loopback ports, in memory, its HOME (DuckDB's extensions) in ``home``; its REST base URL.

    Stopped with its whole process group on exit (the benchmarks use it too).
    """
    _install_spatial_extension(home)
    command = [sys.executable, "-m", "bqemulator", "start", "--rest-port", "0", "--grpc-port", "0", "--ephemeral"]
    proc = processes.spawn(
        [*command, "--project", PROJECT, "--log-format", "json", "--log-level", "info"],
        # Avro loads need DuckDB's avro extension, which has no package: leave it off rather than try to download it.
        env={**os.environ, "HOME": str(home), "BQEMU_ENABLE_FORMAT_EXTENSIONS": "false"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield f"http://127.0.0.1:{_rest_port(proc)}"
    finally:
        processes.stop(proc)


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """bqemulator for the session; its REST base URL."""
    with bigquery_server(tmp_path_factory.mktemp("bqemulator-home")) as url:
        yield url


def bigquery_connection(dataset: str | None = None) -> str:
    """The ``AIRFLOW_CONN_*`` value (JSON) of an anonymous ``google_cloud_platform`` connection to project
    ``calendly-test`` (its ``schema``: the transfer's default dataset)."""
    conn: dict[str, object] = {
        "conn_type": "google_cloud_platform",
        "extra": {"is_anonymous": True, "project": PROJECT},
    }
    if dataset is not None:
        conn["schema"] = dataset
    return json.dumps(conn)


@pytest.fixture
def bigquery_conn_id(bigquery_emulator: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An Airflow ``google_cloud_platform`` connection (anonymous, project ``calendly-test``) whose BigQuery client
    reaches the emulator; its id."""
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", bigquery_emulator)
    monkeypatch.setenv(f"AIRFLOW_CONN_{BIGQUERY_CONN_ID.upper()}", bigquery_connection())
    return BIGQUERY_CONN_ID


@pytest.fixture
def bigquery_dataset(bigquery_conn_id: str) -> Iterator[str]:
    """A dataset of this test's own in the emulator (tests share the emulator), deleted with its tables after."""
    from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

    client = BigQueryHook(gcp_conn_id=bigquery_conn_id, use_legacy_sql=False).get_client(project_id=PROJECT)
    dataset = f"calendly_{uuid.uuid4().hex[:10]}"
    client.create_dataset(dataset)
    try:
        yield dataset
    finally:
        client.delete_dataset(dataset, delete_contents=True, not_found_ok=True)
