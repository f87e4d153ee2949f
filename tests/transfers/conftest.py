"""Fixtures of the transfer tests: one real warehouse per parameter (SQLite, DuckDB, PostgreSQL, MariaDB; Snowflake's
and BigQuery's stand-ins where they are installed), and a writer to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from tests.transfers.helpers import (
    SERVER_WAREHOUSES,
    WAREHOUSES,
    Warehouse,
    drop_tables,
    unique_prefix,
    warehouse_conn_uri,
)


@pytest.fixture(
    params=[
        pytest.param(kind, marks=[pytest.mark.integration] if kind in SERVER_WAREHOUSES else []) for kind in WAREHOUSES
    ]
)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    """A warehouse connection ``calendly_warehouse`` with a prefix of its own; a server's tables are dropped after."""
    kind: str = request.param
    server_uri = request.getfixturevalue(f"{kind}_uri") if kind in SERVER_WAREHOUSES else None
    # BigQuery: a dataset of the test's own in the session's bqemulator (deleted with its tables after)
    dataset = request.getfixturevalue("bigquery_dataset") if kind == "bigquery" else None
    standins = ExitStack()
    if kind == "snowflake":
        import fakesnow

        standins.enter_context(fakesnow.patch())  # a fresh in-memory Snowflake for this test
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WAREHOUSE",
        warehouse_conn_uri(kind, "calendly_warehouse", tmp_path, server_uri, dataset),
    )
    wh = Warehouse(
        kind=kind,
        conn_id="calendly_warehouse",
        prefix=unique_prefix() if kind in SERVER_WAREHOUSES else "calendly_",
        dataset=dataset,
    )
    with standins:
        yield wh
    if kind in SERVER_WAREHOUSES:
        for prefix in [wh.prefix, *wh.prefixes]:
            writer = wh.writer(prefix)
            try:
                drop_tables(writer)
            finally:
                writer.close()


@pytest.fixture
def writer(warehouse: Warehouse) -> Iterator[CalendlyTableWriter]:
    """A table writer to ``warehouse`` (a module may define its own, e.g. one that creates the tables first)."""
    w = warehouse.writer()
    yield w
    w.close()
