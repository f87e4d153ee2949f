"""SQLite: the types of earlier releases, timestamps as ISO 8601 UTC text, ``INSERT … ON CONFLICT`` upserts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from airflow_provider_calendly.transfers.dialects.base import SqlDialect, as_datetime, to_json
from airflow_provider_calendly.transfers.tables import ColumnType, sqlalchemy_type

__all__ = ["SQLiteDialect"]


class SQLiteDialect(SqlDialect):
    """SQLite through the ``sqlite`` provider's hook; a prepared ``executemany`` is its bulk path.

    It keeps the spellings of earlier releases (``INTEGER``, ``REAL``, ``TIMESTAMP``, JSON as ``TEXT``: a declared
    ``JSON`` gets NUMERIC affinity there and would coerce numeric-looking text). Timestamps are ISO 8601 UTC
    text of one fixed shape, so they compare in time order.
    """

    name = "sqlite"
    conn_types = ("sqlite",)
    explicit_begin = True  # sqlite3 begins no transaction on DDL

    def make_compiler(self) -> sa.engine.Dialect:
        return sqlite.dialect(paramstyle="qmark")

    def column_type(self, column_type: ColumnType, *, key: bool) -> Any:
        spelled = {
            ColumnType.INTEGER: sa.INTEGER(),
            ColumnType.NUMBER: sa.REAL(),
            ColumnType.TIMESTAMP: sa.TIMESTAMP(),
            ColumnType.JSON: sa.Text(),
        }
        return spelled.get(column_type) or sqlalchemy_type(column_type)

    def bind_timestamp(self, value: Any) -> str | None:
        dt = value if type(value) is datetime and value.tzinfo is timezone.utc else as_datetime(value)
        return dt.isoformat(timespec="microseconds") if dt is not None else None

    def bind_column(self, column_type: ColumnType) -> Callable[[list[Any]], list[Any]] | None:
        if column_type is not ColumnType.TIMESTAMP:
            return super().bind_column(column_type)
        bind, utc = self.bind_timestamp, timezone.utc
        return lambda values: [
            None
            if v is None
            else v.isoformat(timespec="microseconds")
            if type(v) is datetime and v.tzinfo is utc
            else bind(v)
            for v in values
        ]

    def values_source(self, column: sa.ColumnElement[Any], values: Sequence[Any]) -> tuple[Any, Any]:
        # One JSON text parameter read by json_each: far cheaper for the driver than a list of strings.
        return sa.select(sa.func.json_each(sa.bindparam("values")).table_valued("value").c.value), to_json(list(values))

    def insert(self, table: sa.Table, select: sa.Select[Any] | None, upsert: bool) -> sa.ClauseElement:
        return on_conflict_insert(sqlite.insert(table), table, select, upsert)  # type: ignore[no-any-return]

    def lineage_namespace(self) -> str:
        return f"sqlite://{self.hook.get_connection(self.hook.get_conn_id()).host or ''}"


def on_conflict_insert(insert: Any, table: sa.Table, select: sa.Select[Any] | None, upsert: bool) -> Any:
    """``INSERT … [SELECT …] ON CONFLICT (primary key) DO UPDATE`` (SQLite's and PostgreSQL's, DuckDB's too)."""
    if select is not None:
        insert = insert.from_select(table.columns.keys(), select)
    if not upsert:
        return insert
    return insert.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={c.name: insert.excluded[c.name] for c in table.columns if not c.primary_key},
    )
