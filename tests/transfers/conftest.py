"""Fixtures of the transfer tests: one real warehouse per parameter (SQLite, DuckDB, PostgreSQL), and a writer to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from tests.transfers.helpers import WAREHOUSES, Warehouse, drop_tables, unique_prefix, warehouse_conn_uri


@pytest.fixture(
    params=[pytest.param(kind, marks=[pytest.mark.integration] if kind == "postgres" else []) for kind in WAREHOUSES]
)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    """A warehouse connection ``calendly_warehouse`` with a prefix of its own; Postgres tables are dropped after."""
    kind: str = request.param
    postgres_uri = request.getfixturevalue("postgres_uri") if kind == "postgres" else None
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WAREHOUSE", warehouse_conn_uri(kind, "calendly_warehouse", tmp_path, postgres_uri)
    )
    wh = Warehouse(
        kind=kind, conn_id="calendly_warehouse", prefix=unique_prefix() if kind == "postgres" else "calendly_"
    )
    yield wh
    if kind == "postgres":
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
