"""PostgreSQL: ``JSONB``, ``TIMESTAMPTZ``, and binary ``COPY`` (psycopg 3) as the bulk path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from airflow_provider_calendly.transfers.dialects.base import SqlDialect, compile_ddl, to_json
from airflow_provider_calendly.transfers.dialects.sqlite import on_conflict_insert
from airflow_provider_calendly.transfers.tables import TABLES, ColumnType, sqlalchemy_table, sqlalchemy_type

if TYPE_CHECKING:
    from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

__all__ = ["PostgresDialect"]


class PostgresDialect(SqlDialect):
    """PostgreSQL through the official ``PostgresHook``.

    The bulk path, through psycopg 3 (the ``postgres`` extra's driver), is binary ``COPY`` (the driver formats
    every value): new rows straight into their table, rows of which some exist into a temporary staging table
    (``ON COMMIT DROP``, created once per transaction, emptied on reuse) merged by one ``INSERT … SELECT … ON
    CONFLICT``. Another driver takes the prepared ``executemany``.
    """

    name = "postgresql"
    conn_types = ("postgres",)
    comment_statements = True
    exact_rowcount = True
    json_decoded = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._copies: dict[str, tuple[str, list[str]]] = {}
        self._staged: set[str] = set()  # staging tables of the current transaction

    def make_compiler(self) -> sa.engine.Dialect:
        return postgresql.psycopg.dialect(paramstyle="format")  # type: ignore[no-untyped-call,no-any-return]

    def column_type(self, column_type: ColumnType, *, key: bool) -> Any:
        return postgresql.JSONB() if column_type is ColumnType.JSON else sqlalchemy_type(column_type)

    def transaction_ended(self) -> None:
        self._staged.clear()

    def values_source(self, column: sa.ColumnElement[Any], values: Sequence[Any]) -> tuple[Any, Any]:
        elements = sa.func.jsonb_array_elements_text(sa.cast(sa.bindparam("values"), postgresql.JSONB))
        return sa.select(sa.cast(elements, column.type)), to_json(list(values))

    def insert(self, table: sa.Table, select: sa.Select[Any] | None, upsert: bool) -> sa.ClauseElement:
        return on_conflict_insert(postgresql.insert(table), table, select, upsert)  # type: ignore[no-any-return]

    def fast_path(self, writer: WarehouseConnection) -> bool:
        return type(writer.connection).__module__.partition(".")[0] == "psycopg"

    def load(
        self, writer: WarehouseConnection, key: str, columns: list[list[Any]], *, upsert: bool, existing: int | None
    ) -> None:
        if writer.fast_path and (existing is not None or not upsert):
            self._copy(writer, key, columns, merge=upsert and bool(existing))
        else:
            self.executemany(writer, key, columns, upsert=upsert)

    def _copy(self, writer: WarehouseConnection, key: str, columns: list[list[Any]], *, merge: bool) -> None:
        """``COPY`` rows into their table, or (``merge``) into a staging table merged by one upsert."""
        from psycopg.types.json import set_json_dumps

        table = writer.tables[key]
        with writer.cursor() as cursor:
            if merge:
                table = sqlalchemy_table(
                    TABLES[key],
                    sa.MetaData(),
                    f"_calendly_stage_{key}",
                    type_of=self.column_type,
                    indexes=False,
                    prefixes=["TEMPORARY"],
                    postgresql_on_commit="DROP",
                )
                if table.name in self._staged:
                    cursor.execute(f"TRUNCATE {table.name}")
                else:
                    cursor.execute(compile_ddl(sa.schema.CreateTable(table), self.compiler))
                    self._staged.add(table.name)
            set_json_dumps(_json_already_text, context=cursor)  # JSON values are text already
            statement, types = self._copy_statement(table)
            with cursor.copy(statement) as copy:
                copy.set_types(types)
                for row in zip(*columns, strict=True):
                    copy.write_row(row)
            if merge:
                staged = table
                cursor.execute(writer.cached_sql(key, "merge", lambda t: self.insert(t, sa.select(staged), True)))

    def _copy_statement(self, table: sa.Table) -> tuple[str, list[str]]:
        """``COPY … FROM STDIN`` of ``table`` and its columns' type names (compiled once: compiling is slow)."""
        cached = self._copies.get(table.name)
        if cached is None:
            preparer = self.compiler.identifier_preparer
            names = ", ".join(preparer.format_column(c) for c in table.columns)
            cached = self._copies[table.name] = (
                f"COPY {preparer.format_table(table)} ({names}) FROM STDIN (FORMAT BINARY)",
                [c.type.compile(dialect=self.compiler).lower() for c in table.columns],
            )
        return cached

    def lineage_namespace(self) -> str:
        conn = self.hook.get_connection(self.hook.get_conn_id())
        return f"postgres://{conn.host or 'localhost'}:{conn.port or 5432}"

    def lineage_name(self, table: str, schema: str | None) -> str:
        conn = self.hook.get_connection(self.hook.get_conn_id())
        return f"{conn.schema or 'postgres'}.{schema or 'public'}.{table}"


def _json_already_text(value: str) -> str:
    return value
