"""How each warehouse spells, binds and loads: one dialect object per warehouse, chosen once from its hook.

:func:`detect_dialect` picks the dialect of a common-sql hook by its connection type (the official providers'
``conn_type``), else by its SQLAlchemy dialect name; a warehouse no dialect here is tested on is refused with a
:class:`~airflow_provider_calendly.exceptions.CalendlyConfigError` naming it and the supported ones, before
anything is read or written. Each module holds one warehouse (:mod:`.sqlite`, :mod:`.postgresql`,
:mod:`.duckdb`, :mod:`.mysql`, :mod:`.snowflake`, :mod:`.bigquery`); :mod:`.base` holds the interface and what they
share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.transfers.dialects.base import (
    IN_BATCH,
    SchemaChange,
    SqlDialect,
    as_datetime,
    columns_converter,
    compile_ddl,
    to_json,
    validate_identifier,
)
from airflow_provider_calendly.transfers.dialects.bigquery import BigQueryDialect
from airflow_provider_calendly.transfers.dialects.duckdb import DuckDBDialect
from airflow_provider_calendly.transfers.dialects.mysql import MySqlDialect
from airflow_provider_calendly.transfers.dialects.postgresql import PostgresDialect
from airflow_provider_calendly.transfers.dialects.snowflake import SnowflakeDialect
from airflow_provider_calendly.transfers.dialects.sqlite import SQLiteDialect

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

__all__ = [
    "DIALECTS",
    "IN_BATCH",
    "SchemaChange",
    "SqlDialect",
    "as_datetime",
    "columns_converter",
    "compile_ddl",
    "detect_dialect",
    "dialect_for",
    "own_hook",
    "to_json",
    "validate_identifier",
]

#: Every warehouse the table layer is tested on, by dialect name.
DIALECTS: dict[str, type[SqlDialect]] = {
    d.name: d for d in (SQLiteDialect, PostgresDialect, DuckDBDialect, MySqlDialect, SnowflakeDialect, BigQueryDialect)
}

#: SQLAlchemy's names of the same warehouses, where they differ from the dialect's.
_ALIASES = {"postgres": "postgresql", "mariadb": "mysql"}


def dialect_for(name: str, hook: DbApiHook) -> SqlDialect:
    """The dialect ``name`` (one of :data:`DIALECTS`) for ``hook``.

    :raises CalendlyConfigError: if no dialect of that name is supported.
    """
    name = _ALIASES.get(name, name)
    if name not in DIALECTS:
        raise CalendlyConfigError(
            f"the Calendly transfer does not support the {name!r} dialect: it is tested on "
            f"{', '.join(DIALECTS)} only (see the README's warehouse table)"
        )
    return DIALECTS[name](hook)


def own_hook(conn_type: str, conn_id: str) -> DbApiHook | None:
    """The common-sql hook a dialect makes for connection ``conn_id`` of ``conn_type`` (``None``: the hook Airflow
    registers for that ``conn_type`` is the one; e.g. a ``google_cloud_platform`` connection registers the generic
    Google hook, and BigQuery's SQL hook is ``BigQueryHook``)."""
    for dialect in DIALECTS.values():
        if conn_type in dialect.conn_types:
            return dialect.own_hook(conn_id)
    return None


def detect_dialect(hook: DbApiHook) -> SqlDialect:
    """The dialect of a common-sql hook: by its connection type, else by its SQLAlchemy dialect name.

    :raises CalendlyConfigError: if the warehouse is not one the transfer is tested on.
    """
    conn_type = str(getattr(hook, "conn_type", "") or "")
    for dialect in DIALECTS.values():
        if conn_type in dialect.conn_types:
            return dialect(hook)
    try:
        name = str(hook.dialect_name or "").lower()
    except Exception:  # a hook without a SQLAlchemy URL
        name = ""
    name = _ALIASES.get(name, name)
    if name in DIALECTS:
        return DIALECTS[name](hook)
    raise CalendlyConfigError(
        f"the warehouse of {type(hook).__name__} (conn_type {conn_type!r}, dialect {name or 'unknown'!r}) is not "
        f"one the Calendly transfer is tested on; supported: {', '.join(DIALECTS)} (see the README's "
        "warehouse table)"
    )
