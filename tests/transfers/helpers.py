"""Shared helpers of the transfer tests: warehouse connections and a table dump to compare syncs."""

from __future__ import annotations

import importlib.util
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
from tests.warehouses.standins import bigquery_connection, snowflake_connection

#: Warehouses reached through a local stand-in, parametrized where the stand-in is installed: the venvs of their
#: official providers (tests/test_warehouses.py runs the transfer tests there with ``-k <warehouse>``).
STANDIN_WAREHOUSES = tuple(
    kind
    for kind, module in {"snowflake": "fakesnow", "bigquery": "bqemulator"}.items()
    if importlib.util.find_spec(module) is not None
)
WAREHOUSES = ("sqlite", "duckdb", "postgres", "mysql", *STANDIN_WAREHOUSES)
#: Warehouses on a shared server: each test uses a table prefix of its own and drops its tables after.
SERVER_WAREHOUSES = ("postgres", "mysql")
DATA_TABLES = ("event_types", "scheduled_events", "event_memberships", "event_guests", "invitees", "invitee_answers")


@dataclass
class Warehouse:
    """A warehouse connection set in the environment, and the table prefix a test should use in it."""

    kind: str
    conn_id: str
    prefix: str
    prefixes: list[str] = field(default_factory=list)
    #: BigQuery: the test's dataset (the connection's default).
    dataset: str | None = None

    @property
    def dialect(self) -> str:
        """The name of the transfer's dialect for this warehouse (the fixture's kinds are the connection types)."""
        return {"postgres": "postgresql"}.get(self.kind, self.kind)

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


def warehouse_conn_uri(
    kind: str, conn_id: str, tmp_path: Path, server_uri: str | None = None, dataset: str | None = None
) -> str:
    """The ``AIRFLOW_CONN_*`` value of a fresh warehouse of ``kind`` (a file in ``tmp_path``, a server's URI, or a
    BigQuery ``dataset`` of the test's own)."""
    if kind == "sqlite":
        return json.dumps({"conn_type": "sqlite", "host": str(tmp_path / f"{conn_id}.db")})
    if kind == "duckdb":
        return json.dumps({"conn_type": "duckdb", "host": str(tmp_path / f"{conn_id}.duckdb")})
    if kind in SERVER_WAREHOUSES and server_uri is not None:
        return server_uri
    if kind == "snowflake":  # fakesnow (patched in by the warehouse fixture): a fresh in-memory database
        return snowflake_connection()
    if kind == "bigquery" and dataset is not None:  # bqemulator (started by the warehouse fixture)
        return bigquery_connection(dataset)
    raise ValueError(kind)  # pragma: no cover - test misuse


def unique_prefix() -> str:
    """A table prefix no other test (or earlier run against the same server) uses."""
    return f"t{uuid.uuid4().hex[:10]}_"


def drop_tables(writer: CalendlyTableWriter) -> None:
    """Drop every table of ``writer``'s prefix (a server is shared between tests)."""
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


def untested_warehouse_hook(name: str) -> Any:
    """A common-sql hook of a warehouse no dialect is tested on (``conn_type`` and dialect ``name``); it opens no
    connection."""
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    class UntestedHook(DbApiHook):
        conn_name_attr = f"{name}_conn_id"
        conn_type = name

        @property
        def dialect_name(self) -> str:
            return name

        def get_conn(self) -> Any:
            raise AssertionError("no connection may be opened")

    return UntestedHook()
