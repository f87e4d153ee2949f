"""DuckDB: PostgreSQL's grammar under DuckDB's name, and one array parameter per column as the bulk path.

DuckDB has no SQLAlchemy dialect in the lock (``duckdb-engine`` 0.17's reflection fails on SQLAlchemy 2.1 and
DuckDB 2), so its statements are compiled by PostgreSQL's compiler under DuckDB's name and ``?`` parameters,
and its tables are reflected from ``information_schema``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from airflow_provider_calendly.transfers.dialects.base import SqlDialect
from airflow_provider_calendly.transfers.dialects.sqlite import on_conflict_insert

if TYPE_CHECKING:
    from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

__all__ = ["DuckDBDialect"]


class _DuckDBCompiler(postgresql.base.PGDialect):
    """Compiles DuckDB's SQL: PostgreSQL's grammar and ``?`` parameters, named ``duckdb`` so no PostgreSQL-only
    type variant (``JSONB``) applies."""

    name = "duckdb"


class DuckDBDialect(SqlDialect):
    """DuckDB through :class:`~airflow_provider_calendly.hooks.duckdb.DuckDBHook` (or the DuckDB provider's hook).

    The bulk path binds one array per column (``INSERT … SELECT unnest(?), …``): DuckDB's ``executemany`` runs
    one statement per row (~1,000 rows/s).
    """

    name = "duckdb"
    conn_types = ("duckdb",)
    explicit_begin = True  # the driver begins no transaction on DDL
    comment_statements = True

    def make_compiler(self) -> sa.engine.Dialect:
        return _DuckDBCompiler(paramstyle="qmark")  # type: ignore[no-untyped-call]

    def cursor(self, connection: Any) -> Any:
        # A DuckDB "cursor" is a second connection with its own transaction: use the connection itself.
        return connection

    def values_source(self, column: sa.ColumnElement[Any], values: Sequence[Any]) -> tuple[Any, Any]:
        return sa.select(sa.func.unnest(sa.cast(sa.bindparam("values"), postgresql.ARRAY(column.type)))), list(values)

    def reflect(self, writer: WarehouseConnection, table: sa.Table) -> dict[str, tuple[str, str]] | None:
        columns = sa.table("columns", sa.column("column_name"), sa.column("data_type"), schema="information_schema")
        where_schema = sa.func.coalesce(writer.schema, sa.func.current_schema())
        rows = writer.execute(
            sa.select(columns.c.column_name, columns.c.data_type).where(
                sa.column("table_name") == table.name, sa.column("table_schema") == where_schema
            )
        )
        if not rows:
            return None
        # DuckDB's own spelling of the registry's types
        wanted = writer.execute(sa.select(*(sa.func.typeof(sa.cast(sa.null(), c.type)) for c in table.columns)))
        expected = dict(zip(table.columns.keys(), wanted[0], strict=True))
        return {str(name): (str(found), expected.get(str(name), "")) for name, found in rows}

    def insert(self, table: sa.Table, select: sa.Select[Any] | None, upsert: bool) -> sa.ClauseElement:
        return on_conflict_insert(postgresql.insert(table), table, select, upsert)  # type: ignore[no-any-return]

    def fast_path(self, writer: WarehouseConnection) -> bool:
        return True

    def load(
        self, writer: WarehouseConnection, key: str, columns: list[list[Any]], *, upsert: bool, existing: int | None
    ) -> None:
        if not writer.fast_path:
            self.executemany(writer, key, columns, upsert=upsert)
            return
        sql = writer.cached_sql(key, f"unnest-{upsert}", lambda t: self.insert(t, _unnest_select(t), upsert))
        with writer.cursor() as cursor:
            cursor.execute(sql, columns)

    def lineage_namespace(self) -> str:
        return f"duckdb://{getattr(self.hook, 'database_path', '')}"


def _unnest_select(table: sa.Table) -> sa.Select[Any]:
    return sa.select(*(sa.func.unnest(sa.cast(sa.bindparam(c.name), postgresql.ARRAY(c.type))) for c in table.columns))
