"""Shared helpers of the transfer tests: warehouse connections and a table dump to compare syncs."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.tables import TABLES
from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook
from tests.harness.feed import dump_tables

WAREHOUSES = ("sqlite", "duckdb", "postgres")
DATA_TABLES = ("event_types", "scheduled_events", "event_memberships", "event_guests", "invitees", "invitee_answers")


@dataclass
class Warehouse:
    """A warehouse connection set in the environment, and the table prefix a test should use in it."""

    kind: str
    conn_id: str
    prefix: str
    prefixes: list[str] = field(default_factory=list)

    def writer(self, prefix: str | None = None) -> CalendlyTableWriter:
        return CalendlyTableWriter(resolve_dbapi_hook(self.conn_id), self.prefix if prefix is None else prefix)

    def land(self, **options: Any) -> dict[str, Any]:
        """Run the transfer operator into this warehouse (its defaults, unless ``options`` say otherwise)."""
        op = CalendlyToSqlOperator(task_id="land", sql_conn_id=self.conn_id, table_prefix=self.prefix, **options)
        return op.execute({})  # type: ignore[arg-type,no-any-return]

    def new_prefix(self) -> str:
        """Another prefix in the same warehouse (e.g. for a reference sync), dropped after the test."""
        prefix = unique_prefix()
        self.prefixes.append(prefix)
        return prefix


def warehouse_conn_uri(kind: str, conn_id: str, tmp_path: Path, postgres_uri: str | None = None) -> str:
    """The ``AIRFLOW_CONN_*`` value of a fresh warehouse of ``kind`` (a file in ``tmp_path``, or the Postgres server)."""
    if kind == "sqlite":
        return json.dumps({"conn_type": "sqlite", "host": str(tmp_path / f"{conn_id}.db")})
    if kind == "duckdb":
        return json.dumps({"conn_type": "duckdb", "host": str(tmp_path / f"{conn_id}.duckdb")})
    if kind == "postgres" and postgres_uri is not None:
        return postgres_uri
    raise ValueError(kind)  # pragma: no cover - test misuse


def unique_prefix() -> str:
    """A table prefix no other test (or earlier run against the same Postgres) uses."""
    return f"t{uuid.uuid4().hex[:10]}_"


def drop_tables(writer: CalendlyTableWriter) -> None:
    """Drop every table of ``writer``'s prefix (Postgres is shared between tests)."""
    for key in TABLES:
        writer.execute(f"DROP TABLE IF EXISTS {writer.table_name(key)}")
    writer.connection.commit()


def dump_table(writer: CalendlyTableWriter, key: str) -> list[tuple[Any, ...]]:
    """Every row of table ``key``, sorted by primary key, normalised across dialects, ``_synced_at`` left out.

    Two syncs "produce identical tables" when these dumps are equal.
    """
    return dump_tables(writer, (key,))[key]


def dump_all(writer: CalendlyTableWriter) -> dict[str, list[tuple[Any, ...]]]:
    """:func:`dump_table` of every meeting table."""
    return dump_tables(writer, DATA_TABLES)


def counts(writer: CalendlyTableWriter) -> dict[str, int]:
    return {key: writer.count(key) for key in DATA_TABLES}
