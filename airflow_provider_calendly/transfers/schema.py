"""Schema evolution: compare the registry's tables with the warehouse's and apply what is additive.

On every run :meth:`SchemaEvolution.apply` (through ``CalendlyTableWriter.ensure_tables``) reflects the tables
(as the warehouse's dialect does it: ``sqlalchemy.inspect``, or the catalog), then in one transaction creates
missing tables, adds missing (nullable) columns and indexes, and sets column comments where the dialect has them;
the writer records the registry's fingerprint in ``schema_versions`` in the same transaction (where DDL commits
by itself, as on MySQL, each statement lands alone: every one is additive, so a re-run completes an interrupted
upgrade). A column of another type is refused with
:class:`~airflow_provider_calendly.exceptions.CalendlySchemaError` before anything changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import sqlalchemy as sa

from airflow_provider_calendly.exceptions import CalendlySchemaError
from airflow_provider_calendly.transfers.dialects import SchemaChange, compile_ddl
from airflow_provider_calendly.transfers.tables import BOOKKEEPING_TABLES, TABLES, Row, schema_fingerprint

if TYPE_CHECKING:
    from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

__all__ = ["SchemaEvolution", "compile_ddl"]

log = logging.getLogger(__name__)


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
        return self.writer.dialect.reflect(self.writer, self.writer.tables[key])

    def plan(self, keys: Iterable[str]) -> list[str]:
        """The additive DDL that brings tables ``keys`` up to the registry, after reflecting them (see :meth:`changes`).

        :raises CalendlySchemaError: if an existing column has a type other than the registry's.
        """
        return [change.sql for change in self.changes(keys)]

    def changes(self, keys: Iterable[str]) -> list[SchemaChange]:
        """The additive changes that bring tables ``keys`` up to the registry, after reflecting them.

        :raises CalendlySchemaError: if an existing column has a type other than the registry's.
        """
        writer = self.writer
        dialect = writer.dialect
        changes: list[SchemaChange] = []
        for key in keys:
            table = writer.tables[key]
            found = self._reflect(key)
            if found is None:
                changes.append(dialect.create_table(writer, table))
            else:
                lowered = {name.lower(): types for name, types in found.items()}
                for column in table.columns:
                    have, want = lowered.get(column.name, ("", ""))
                    if have and have != want:
                        raise CalendlySchemaError(writer.table_name(key), column.name, have, want or str(column.type))
                changes.extend(dialect.add_column(writer, table, c) for c in table.columns if c.name not in lowered)
            changes.extend(
                SchemaChange("create_index", sql, table)
                for sql in dialect.index_statements(writer, table, found is not None)
            )
        return changes

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
            planned = self.changes(wanted)
            changes = [c.sql for c in planned if c.kind != "create_index"]
            for change in planned:
                writer.dialect.apply_change(writer, change)
            if not changes and writer.execute(
                sa.select(versions.c.fingerprint).where(versions.c.fingerprint == fingerprint)
            ):
                return changes, None
            if writer.dialect.comment_statements:
                for key in wanted:
                    for column in (c for c in writer.tables[key].columns if c.comment):
                        comment = compile_ddl(sa.schema.SetColumnComment(column), writer.dialect.compiler)
                        writer.execute(comment, fetch=False)
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
