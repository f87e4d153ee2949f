"""Schema evolution: compare the registry's tables with the warehouse's and apply what is additive.

On every run :meth:`SchemaEvolution.apply` (through ``CalendlyTableWriter.ensure_tables``) reflects the tables
(``sqlalchemy.inspect``; DuckDB, which has no SQLAlchemy dialect in the lock, through
``information_schema``), then in one transaction creates missing tables, adds missing (nullable) columns
and indexes, and sets column comments where the dialect has them; the writer records the registry's
fingerprint in ``schema_versions`` in the same transaction. A column of another type is refused with
:class:`~airflow_provider_calendly.exceptions.CalendlySchemaError` before anything changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING

import sqlalchemy as sa

from airflow_provider_calendly.exceptions import CalendlySchemaError
from airflow_provider_calendly.transfers.tables import BOOKKEEPING_TABLES, TABLES, Row, schema_fingerprint

if TYPE_CHECKING:
    from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

__all__ = ["SchemaEvolution", "compile_ddl"]

log = logging.getLogger(__name__)


def compile_ddl(element: sa.schema.ExecutableDDLElement, dialect: sa.engine.Dialect) -> str:
    """One line of compiled DDL (SQLAlchemy lays out ``CREATE TABLE`` over several lines)."""
    return str(element.compile(dialect=dialect)).strip().replace("\n\t", " ").replace("\n", " ")


class SchemaEvolution:
    """The schema half of a :class:`~.sql_writer.CalendlyTableWriter`: reflection, the additive plan, applying it.

    :param writer: The connection to the warehouse's tables (the writer itself).
    """

    def __init__(self, writer: WarehouseConnection) -> None:
        self.writer = writer

    def reflect_columns(self, key: str) -> dict[str, str] | None:
        """Column name → type (as the warehouse spells it) of table ``key``, or ``None`` if it does not exist."""
        return {name: found for name, (found, _) in (self._reflect(key) or {}).items()} or None

    def _reflect(self, key: str) -> dict[str, tuple[str, str]] | None:
        """Column name → (found type, expected type, both as the warehouse spells them), or ``None`` if missing."""
        writer = self.writer
        table = writer.tables[key]
        if writer.dialect.name == "duckdb":  # no SQLAlchemy dialect: its catalog, and DuckDB's spelling of our types
            columns = sa.table("columns", sa.column("column_name"), sa.column("data_type"), schema="information_schema")
            where_schema = sa.func.coalesce(writer.schema, sa.func.current_schema())
            rows = writer.execute(
                sa.select(columns.c.column_name, columns.c.data_type).where(
                    sa.column("table_name") == table.name, sa.column("table_schema") == where_schema
                )
            )
            if not rows:
                return None
            wanted = writer.execute(sa.select(*(sa.func.typeof(sa.cast(sa.null(), c.type)) for c in table.columns)))
            expected = dict(zip(table.columns.keys(), wanted[0], strict=True))
            return {str(name): (str(found), expected.get(str(name), "")) for name, found in rows}
        inspector = sa.inspect(self._engine)
        if not inspector.has_table(table.name, schema=writer.schema):
            return None
        dialect = self._engine.dialect
        return {
            c["name"]: (
                c["type"].compile(dialect=dialect),
                table.c[c["name"]].type.compile(dialect=dialect) if c["name"] in table.c else "",
            )
            for c in inspector.get_columns(table.name, schema=writer.schema)
        }

    @cached_property
    def _engine(self) -> sa.Engine:
        """An engine over the writer's own connection, for reflection inside the writer's transaction."""
        url = sa.engine.make_url(self.writer.hook.get_uri())
        return sa.create_engine(
            url, creator=lambda: self.writer.connection, poolclass=sa.pool.StaticPool, pool_reset_on_return=None
        )

    def plan(self, keys: Iterable[str]) -> list[str]:
        """The additive DDL that brings tables ``keys`` up to the registry, after reflecting them.

        :raises CalendlySchemaError: if an existing column has a type other than the registry's.
        """
        writer = self.writer
        compiler = writer.dialect.compiler
        preparer = compiler.identifier_preparer
        statements: list[str] = []
        for key in keys:
            table = writer.tables[key]
            found = self._reflect(key)
            if found is None:
                statements.append(compile_ddl(sa.schema.CreateTable(table, if_not_exists=True), compiler))
            else:
                lowered = {name.lower(): types for name, types in found.items()}
                for column in table.columns:
                    have, want = lowered.get(column.name, ("", ""))
                    if have and have != want:
                        raise CalendlySchemaError(writer.table_name(key), column.name, have, want or str(column.type))
                statements.extend(
                    f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {preparer.format_column(c)} "
                    f"{c.type.compile(dialect=compiler)}"
                    for c in table.columns
                    if c.name not in lowered
                )
            statements.extend(
                compile_ddl(sa.schema.CreateIndex(i, if_not_exists=True), compiler) for i in table.indexes
            )
        return statements

    def apply(self, keys: Iterable[str] | None = None) -> tuple[list[str], Row | None]:
        """Bring the given tables (default: all) and the bookkeeping tables up to the registry, atomically.

        Applies only additive changes (missing tables, nullable columns, indexes) in one transaction and, when
        the registry's fingerprint is not recorded yet or anything changed, sets the column comments where the
        dialect has them.

        :return: The schema-changing statements applied (empty when the warehouse was up to date), and the
            ``schema_versions`` row to record in the same transaction (``None``: recorded already).
        :raises CalendlySchemaError: if a column exists with another type; nothing is changed then.
        """
        writer = self.writer
        wanted = list(dict.fromkeys([*(keys if keys is not None else TABLES), *BOOKKEEPING_TABLES]))
        fingerprint = schema_fingerprint()
        versions = writer.tables["schema_versions"]
        with writer.transaction():
            statements = self.plan(wanted)
            changes = [s for s in statements if not s.startswith("CREATE INDEX")]
            for sql in statements:
                writer.execute(sql)
            if not changes and writer.execute(
                sa.select(versions.c.fingerprint).where(versions.c.fingerprint == fingerprint)
            ):
                return changes, None
            if writer.dialect.name in ("postgresql", "duckdb"):
                for key in wanted:
                    for column in (c for c in writer.tables[key].columns if c.comment):
                        writer.execute(compile_ddl(sa.schema.SetColumnComment(column), writer.dialect.compiler))
            if changes:
                log.info("Schema of %s brought up to %s: %s", writer.table_prefix, fingerprint, "; ".join(changes))
        version = {"fingerprint": fingerprint, "package_version": _package_version(), "changes": changes}
        return changes, {**version, "applied_at": datetime.now(timezone.utc)}


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("airflow-provider-calendly")
    except PackageNotFoundError:  # running from a source tree
        return "unknown"
