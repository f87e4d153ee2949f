"""Snowflake: ``VARIANT``, ``TIMESTAMP_TZ``, and a staged batch (``write_pandas``) merged by ``MERGE`` as the bulk path.

Needs the ``snowflake`` extra (the official provider, whose ``snowflake-sqlalchemy`` compiles the statements and
whose connector's ``write_pandas`` stages the rows); imported only when a Snowflake connection is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from airflow_provider_calendly.transfers.dialects.base import SqlDialect, compile_ddl, to_json
from airflow_provider_calendly.transfers.tables import TABLES, ColumnType, sqlalchemy_table, sqlalchemy_type

if TYPE_CHECKING:
    from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

__all__ = ["SnowflakeDialect"]

#: How Snowflake's ``information_schema.columns.data_type`` names the types this dialect declares.
_CATALOG = {
    ColumnType.TEXT: "TEXT",
    ColumnType.INTEGER: "NUMBER",
    ColumnType.NUMBER: "FLOAT",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.TIMESTAMP: "TIMESTAMP_TZ",
    ColumnType.JSON: "VARIANT",
}
#: The pandas dtype each column is staged as (nullable integers and booleans stay typed).
_STAGED_DTYPES = {ColumnType.INTEGER: "Int64", ColumnType.BOOLEAN: "boolean", ColumnType.NUMBER: "Float64"}


class SnowflakeDialect(SqlDialect):
    """Snowflake through the official ``SnowflakeHook`` (the ``snowflake`` extra).

    JSON is ``VARIANT`` (``raw:uri::string``, ``LATERAL FLATTEN``), timestamps ``TIMESTAMP_TZ`` in UTC. Names are
    created unquoted, so Snowflake stores them upper-case and ``SELECT * FROM calendly_invitees`` finds them
    unquoted. A chunk of rows is staged by the connector's ``write_pandas`` (a ``PUT`` of Parquet then ``COPY
    INTO``) into a temporary table of the session, JSON as text, then moved by one ``MERGE`` (upserts) or ``INSERT …
    SELECT`` that parses the JSON (``PARSE_JSON``). The staging tables are made when the connection opens: DDL
    commits by itself on Snowflake, so none may run inside a chunk's transaction. Primary keys are informational
    there; the ``MERGE`` keeps them unique. Snowflake has no indexes: link columns get none.
    """

    name = "snowflake"
    conn_types = ("snowflake",)
    comment_statements = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stages: dict[str, sa.Table] = {}

    def make_compiler(self) -> sa.engine.Dialect:
        from snowflake.sqlalchemy.snowdialect import SnowflakeDialect as Compiler

        return Compiler(paramstyle="format")  # type: ignore[no-any-return]

    def column_type(self, column_type: ColumnType, *, key: bool) -> Any:
        from snowflake.sqlalchemy import TIMESTAMP_TZ, VARIANT

        if column_type is ColumnType.JSON:
            return VARIANT()
        return TIMESTAMP_TZ() if column_type is ColumnType.TIMESTAMP else sqlalchemy_type(column_type)

    def prepare(self, writer: WarehouseConnection) -> None:
        self.hook.set_autocommit(writer.connection, False)
        # The staging tables of the session, before any transaction (their DDL would commit it).
        for key in TABLES:
            writer.execute(
                compile_ddl(sa.schema.CreateTable(self._stage(writer, key), if_not_exists=True), self.compiler),
                fetch=False,
            )

    def _stage(self, writer: WarehouseConnection, key: str) -> sa.Table:
        """The temporary staging table of table ``key``: its columns, JSON as text, no key."""
        stage = self._stages.get(key)
        if stage is None:
            stage = self._stages[key] = self._stage_table(writer, key)
        return stage

    def _stage_table(self, writer: WarehouseConnection, key: str) -> sa.Table:
        return sqlalchemy_table(  # type: ignore[no-any-return]
            TABLES[key],
            sa.MetaData(schema=writer.schema),
            f"{writer.tables[key].name}__stage",
            type_of=lambda t, key: sa.Text() if t is ColumnType.JSON else self.column_type(t, key=False),
            indexes=False,
            prefixes=["TEMPORARY"],
        )

    def reflect(self, writer: WarehouseConnection, table: sa.Table) -> dict[str, tuple[str, str]] | None:
        schema = "%s" if writer.schema else "CURRENT_SCHEMA()"
        rows = writer.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_name = %s AND table_schema = {schema}",
            [table.name.upper(), *([writer.schema.upper()] if writer.schema else [])],
        )
        if not rows:
            return None
        spec = TABLES[next(k for k, t in writer.tables.items() if t is table)]
        expected = {c.name: _CATALOG[c.type] for c in spec.columns}
        return {str(name).lower(): (str(found), expected.get(str(name).lower(), "")) for name, found in rows}

    def values_source(self, column: sa.ColumnElement[Any], values: Sequence[Any]) -> tuple[Any, Any]:
        # One JSON array parameter, flattened: a statement of constant size, however many values.
        flattened = sa.text("TABLE(FLATTEN(INPUT => PARSE_JSON(:values)))").bindparams(sa.bindparam("values"))
        return sa.select(sa.cast(sa.literal_column("value"), column.type)).select_from(flattened), to_json(list(values))

    def index_statements(self, writer: WarehouseConnection, table: sa.Table, exists: bool) -> list[str]:
        return []  # Snowflake has no indexes (its micro-partitions prune by value ranges)

    def fast_path(self, writer: WarehouseConnection) -> bool:
        return True

    def load(
        self, writer: WarehouseConnection, key: str, columns: list[list[Any]], *, upsert: bool, existing: int | None
    ) -> None:
        stage = self._stage(writer, key)
        writer.execute(f"DELETE FROM {self.compiler.identifier_preparer.format_table(stage)}", fetch=False)
        self.stage_rows(writer, key, columns)
        writer.execute(
            writer.cached_sql(key, f"move-{upsert}", lambda t: sa.text(self._move(t, stage, upsert))), fetch=False
        )

    def stage_rows(
        self, writer: WarehouseConnection, key: str, columns: list[list[Any]], *, into: str | None = None
    ) -> None:
        """The connector's bulk load (``write_pandas``: Parquet, ``PUT``, ``COPY INTO``) of rows into the staging
        table of ``key`` (or the table named ``into``)."""
        import pandas as pd
        from snowflake.connector.pandas_tools import write_pandas  # looked up when called (a test may patch it)

        spec = TABLES[key]
        frame = pd.DataFrame(
            {
                c.name.upper(): pd.Series(
                    values,
                    dtype=_STAGED_DTYPES.get(
                        c.type, "datetime64[us, UTC]" if c.type is ColumnType.TIMESTAMP else "object"
                    ),
                )
                for c, values in zip(spec.columns, columns, strict=True)
            }
        )
        write_pandas(
            writer.connection,
            frame,
            (into or self._stage(writer, key).name).upper(),
            schema=writer.schema.upper() if writer.schema else None,
            quote_identifiers=False,
            use_logical_type=True,
        )

    def _move(self, table: sa.Table, stage: sa.Table, upsert: bool) -> str:
        """``MERGE`` (``upsert``) or ``INSERT … SELECT`` of the staged rows into ``table``, JSON parsed."""
        preparer = self.compiler.identifier_preparer
        names = [preparer.format_column(c) for c in table.columns]
        parsed = ", ".join(
            f"PARSE_JSON({n}) AS {n}" if isinstance(c.type, _variant()) else n
            for n, c in zip(names, table.columns, strict=True)
        )
        source = f"SELECT {parsed} FROM {preparer.format_table(stage)}"
        target = preparer.format_table(table)
        if not upsert:
            return f"INSERT INTO {target} ({', '.join(names)}) {source}"
        keys = [preparer.format_column(c) for c in table.primary_key.columns]
        on = " AND ".join(f"t.{k} = s.{k}" for k in keys)
        update = ", ".join(f"{n} = s.{n}" for n in names if n not in keys)
        return (
            f"MERGE INTO {target} t USING ({source}) s ON {on} WHEN MATCHED THEN UPDATE SET {update} "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) VALUES ({', '.join(f's.{n}' for n in names)})"
        )

    def insert(self, table: sa.Table, select: sa.Select[Any] | None, upsert: bool) -> sa.ClauseElement:
        raise NotImplementedError("Snowflake writes through its staged batch (load)")

    def lineage_namespace(self) -> str:
        extra = self.hook.get_connection(self.hook.get_conn_id()).extra_dejson
        return f"snowflake://{str(extra.get('account', '')).lower()}"

    def lineage_name(self, table: str, schema: str | None) -> str:
        conn = self.hook.get_connection(self.hook.get_conn_id())
        database = conn.extra_dejson.get("database", "")
        return ".".join(part.upper() for part in (database, schema or conn.schema or "", table) if part)


def _variant() -> type:
    from snowflake.sqlalchemy import VARIANT

    return VARIANT  # type: ignore[no-any-return]
