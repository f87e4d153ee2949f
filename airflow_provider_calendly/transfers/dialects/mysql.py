"""MySQL and MariaDB: bounded binary-collated keys, ``JSON``, ``DATETIME(6)`` in UTC, and multi-row
``INSERT … ON DUPLICATE KEY UPDATE`` as the bulk path."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from airflow_provider_calendly.transfers.dialects.base import SqlDialect, compile_ddl, naive_utc
from airflow_provider_calendly.transfers.tables import TABLES, ColumnType

if TYPE_CHECKING:
    from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

__all__ = ["KEY_LENGTH", "MySqlDialect"]

#: InnoDB's widest index key, in bytes; utf8mb4 takes up to 4 bytes a character.
_MAX_KEY_BYTES = 3072
_CHARACTER_BYTES = 4
#: Bytes of the other column types a key can hold (``BIGINT``, ``DATETIME(6)``, ``DOUBLE``, ``BOOL``).
_FIXED_BYTES = {ColumnType.INTEGER: 8, ColumnType.TIMESTAMP: 8, ColumnType.NUMBER: 8, ColumnType.BOOLEAN: 1}


def _key_length() -> int:
    """Characters of a text column in a key or an index: the most that lets every registry table's key fit.

    One width for all keys keeps a column's type the same in every table it appears in. The widest keys today
    are ``sync_state``'s (two text columns) and ``user_busy_times``' (two text columns and two timestamps);
    Calendly's URIs are about 100 characters.
    """
    widths = []
    for spec in TABLES.values():
        types = [spec.column(name).type for name in spec.primary_key]
        texts = sum(t is ColumnType.TEXT for t in types)
        fixed = sum(_FIXED_BYTES.get(t, 0) for t in types)
        if texts:
            widths.append((_MAX_KEY_BYTES - fixed) // (texts * _CHARACTER_BYTES))
    return min(widths)


KEY_LENGTH = _key_length()

#: MariaDB's catalog spells ``BOOL`` as ``TINYINT(1)`` and ``JSON`` as ``LONGTEXT`` (binary-collated, with a
#: ``json_valid`` check).
_REFLECTED = {"TINYINT(1)": "BOOL", "TINYINT": "BOOL", "LONGTEXT": "JSON", "LONGTEXT COLLATE utf8mb4_bin": "JSON"}


class MySqlDialect(SqlDialect):
    """MySQL and MariaDB through the official ``MySqlHook`` (the ``mysql`` extra).

    Keys and indexed link columns are ``VARCHAR(382)`` (:data:`KEY_LENGTH`) with a binary collation (URIs differ in case, and compare
    as PostgreSQL compares them), other text ``MEDIUMTEXT``; JSON is ``JSON`` (MariaDB: ``LONGTEXT`` checked by
    ``json_valid``), queried with ``JSON_EXTRACT``/``->>``; timestamps are ``DATETIME(6)`` holding UTC. Upserts
    are ``INSERT … ON DUPLICATE KEY UPDATE``, sent as multi-row statements: the driver's ``executemany`` packs
    the rows of a chunk into few ``INSERT … VALUES (…), (…), …`` statements. DDL commits by itself on MySQL:
    a schema change is applied statement by statement (each additive, so a re-run completes it).
    """

    name = "mysql"
    conn_types = ("mysql",)
    exact_rowcount = True

    def make_compiler(self) -> sa.engine.Dialect:
        return mysql.mysqldb.dialect(paramstyle="format")  # type: ignore[no-untyped-call,no-any-return]

    def column_type(self, column_type: ColumnType, *, key: bool) -> Any:
        if key and column_type is ColumnType.TEXT:
            return mysql.VARCHAR(KEY_LENGTH, collation="utf8mb4_bin")  # the collation names utf8mb4
        return {
            ColumnType.TEXT: mysql.MEDIUMTEXT(),
            ColumnType.INTEGER: mysql.BIGINT(),
            ColumnType.NUMBER: mysql.DOUBLE(),
            ColumnType.BOOLEAN: mysql.BOOLEAN(),
            ColumnType.TIMESTAMP: mysql.DATETIME(fsp=6),
            ColumnType.JSON: mysql.JSON(),
        }[column_type]

    @property
    def table_options(self) -> dict[str, Any]:
        return {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4"}

    def reflected_type(self, spelled: str) -> str:
        # The catalog names a column's character set, or leaves it to the table's (the collation says it either
        # way), and MariaDB adds integers' display width.
        spelled = re.sub(r"CHARACTER SET \w+ ", "", spelled)
        return _REFLECTED.get(spelled, re.sub(r"^(BIGINT|INTEGER)\(\d+\)", r"\1", spelled))

    def bind_timestamp(self, value: Any) -> Any:
        return naive_utc(value)

    def prepare(self, writer: WarehouseConnection) -> None:
        self.hook.set_autocommit(writer.connection, False)
        writer.execute("SET time_zone = '+00:00'")  # NOW() and friends in UTC, like the stored values

    def index_statements(self, writer: WarehouseConnection, table: sa.Table, exists: bool) -> list[str]:
        # MySQL has no CREATE INDEX IF NOT EXISTS (MariaDB has): create only the missing ones.
        have: set[str] = set()
        if exists:
            preparer = self.compiler.identifier_preparer
            have = {str(r[2]) for r in writer.execute(f"SHOW INDEX FROM {preparer.format_table(table)}")}
        return [compile_ddl(sa.schema.CreateIndex(i), self.compiler) for i in table.indexes if i.name not in have]

    def insert(self, table: sa.Table, select: sa.Select[Any] | None, upsert: bool) -> sa.ClauseElement:
        insert = mysql.insert(table)
        if select is not None:
            insert = insert.from_select(table.columns.keys(), select)  # type: ignore[assignment]
        if not upsert:
            return insert
        return insert.on_duplicate_key_update(
            {c.name: insert.inserted[c.name] for c in table.columns if not c.primary_key}
        )

    def fast_path(self, writer: WarehouseConnection) -> bool:
        return True

    def load(
        self, writer: WarehouseConnection, key: str, columns: list[list[Any]], *, upsert: bool, existing: int | None
    ) -> None:
        if writer.fast_path:
            self.executemany(writer, key, columns, upsert=upsert)
            return
        # The naive path (benchmarks and tests compare against it): one statement per row.
        sql = writer.cached_sql(key, f"insert-{upsert}", lambda t: self.insert(t, None, upsert))
        with writer.cursor() as cursor:
            for row in zip(*columns, strict=True):
                cursor.execute(sql, row)

    def lineage_namespace(self) -> str:
        conn = self.hook.get_connection(self.hook.get_conn_id())
        return f"mysql://{conn.host or 'localhost'}:{conn.port or 3306}"

    def lineage_name(self, table: str, schema: str | None) -> str:
        database = (
            schema or getattr(self.hook, "schema", None) or self.hook.get_connection(self.hook.get_conn_id()).schema
        )
        return f"{database}.{table}" if database else table
