"""Fixtures of the dbt tests: the dbt venv, and each scenario landed by the sync and built by ``dbt build``.

dbt runs from ``.venv/dbt`` (``make dbt-venv``; ``make test`` builds it first): its pins conflict with Airflow's
lock, as they would for nobody who installs the ``[dbt]`` extra, so the suite keeps it apart. One ``dbt build``
per warehouse and seed, shared by every test of that scenario. Tests that run dbt are ``integration`` tests: dbt
is a program of its own, outside the venv under test (the compat run leaves them out).
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import BaseHook

from airflow_provider_calendly.dbt.runner import run_dbt
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook
from tests.conftest import REPO_ROOT, service_unavailable
from tests.dbt.scenario import PREFIX, Landed, busy_time_rows, land

DBT_EXECUTABLE = REPO_ROOT / ".venv" / "dbt" / "bin" / "dbt"
CONN_ID = "calendly_warehouse"
MARTS = ("calendly__meetings", "calendly__no_show_rates", "calendly__routing_funnel", "calendly__host_activity")
#: Each mart's grain: the columns that key its rows.
GRAINS = {
    "calendly__meetings": ("scheduled_event_uri",),
    "calendly__no_show_rates": ("host_user_uri", "event_type_uri", "week_start"),
    "calendly__routing_funnel": ("routing_form_uri", "utm_source"),
    "calendly__host_activity": ("host_user_uri", "activity_date"),
}
SEEDS = (7, 21, 42)
#: The seed whose warehouse also gets a busy-times table (the others show the mart without one).
BUSY_SEED = SEEDS[0]


def dbt_executable() -> str:
    """The dbt of ``.venv/dbt`` (``CALENDLY_TEST_DBT`` overrides); skip, or fail under CI, without it."""
    path = Path(os.environ.get("CALENDLY_TEST_DBT", DBT_EXECUTABLE))
    if not path.exists():
        service_unavailable(f"dbt not found at {path}: `make dbt-venv` installs it (`make test` does)")
    return str(path)


@dataclass
class Built:
    """A scenario landed in a warehouse and built by dbt: the truth, the marts' rows by grain, dbt's summary."""

    kind: str
    seed: int
    landed: Landed
    busy_times: list[dict[str, Any]] | None
    marts: dict[str, dict[tuple[Any, ...], dict[str, Any]]]
    raw_deleted: int
    summary: dict[str, Any]


def _postgres_uri() -> str:
    uri = os.environ.get("CALENDLY_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        psycopg.connect(uri, connect_timeout=3).close()
    except Exception as exc:
        service_unavailable(f"PostgreSQL not reachable at {uri}: {exc}")
    return uri


def _execute(sql: str, rows: list[tuple[Any, ...]] | None = None) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the warehouse connection (``executemany`` over ``rows`` when given) and return its rows."""
    hook = resolve_dbapi_hook(CONN_ID)
    with closing(hook.get_conn()) as conn:
        cursor = conn.cursor()
        if rows is not None:
            cursor.executemany(sql, rows)
        else:
            cursor.execute(sql)
        result = [tuple(r) for r in cursor.fetchall()] if rows is None and cursor.description else []
        conn.commit()
        return result


def _read_mart(name: str, schema: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    hook = resolve_dbapi_hook(CONN_ID)
    with closing(hook.get_conn()) as conn:
        cursor = conn.cursor()
        cursor.execute(f"SELECT * FROM {schema}.{name}")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    grain = GRAINS[name]
    return {tuple(row.pop(c) for c in grain): row for row in rows}


def _land_busy_times(rows: list[dict[str, Any]], schema: str | None) -> None:
    """Land busy-time rows through the sync's own table writer: the table, its key and types are the sync's (a row
    given twice lands once, by its key)."""
    writer = CalendlyTableWriter(resolve_dbapi_hook(CONN_ID), PREFIX, schema=schema)
    try:
        writer.ensure_tables(["user_busy_times"])
        writer.write_rows({"user_busy_times": rows})
    finally:
        writer.close()


@pytest.fixture(
    scope="module",
    params=[pytest.param((kind, seed), id=f"{kind}-seed{seed}") for kind in ("duckdb", "postgres") for seed in SEEDS],
)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """Land one seed's scenario in DuckDB or PostgreSQL with the real sync, then ``dbt build`` the project on it."""
    kind, seed = request.param
    dbt = dbt_executable()
    work = tmp_path_factory.mktemp(f"dbt-{kind}-{seed}")
    with pytest.MonkeyPatch.context() as monkeypatch:
        if kind == "duckdb":
            conn_value = json.dumps({"conn_type": "duckdb", "host": str(work / "warehouse.duckdb")})
            schema, sync_schema = "main", None
        else:
            conn_value = _postgres_uri()
            schema = sync_schema = f"calendly_dbt_{uuid.uuid4().hex[:10]}"
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", conn_value)
        try:
            if sync_schema is not None:
                _execute(f"CREATE SCHEMA {sync_schema}")
            landed = land(seed, CONN_ID, monkeypatch, schema=sync_schema)
            busy = busy_time_rows(landed, random.Random(seed)) if seed == BUSY_SEED else None
            if busy is not None:
                _land_busy_times(busy, sync_schema)
            summary = run_dbt(
                BaseHook.get_connection(CONN_ID),
                schema=schema,
                dbt_vars={"calendly_schema": schema, "calendly_as_of": landed.as_of_var},
                dbt_executable=dbt,
                work_dir=work / "dbt",
            )
            (raw_deleted,) = _execute(
                f"SELECT (SELECT COUNT(*) FROM {schema}.{PREFIX}invitees WHERE _deleted_at IS NOT NULL)"
                f" + (SELECT COUNT(*) FROM {schema}.{PREFIX}routing_forms WHERE _deleted_at IS NOT NULL)"
            )[0]
            marts = {name: _read_mart(name, schema) for name in MARTS}
            yield Built(kind, seed, landed, busy, marts, int(raw_deleted), summary)
        finally:
            if sync_schema is not None:
                _execute(f"DROP SCHEMA IF EXISTS {sync_schema} CASCADE")
