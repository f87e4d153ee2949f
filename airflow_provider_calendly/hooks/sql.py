"""Resolve a warehouse connection to its common-sql hook (the transfer and the webhook landing share it)."""

from __future__ import annotations

from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseHook

from airflow_provider_calendly.exceptions import CalendlyConfigError

__all__ = ["resolve_dbapi_hook"]


def resolve_dbapi_hook(sql_conn_id: str) -> DbApiHook:
    """Return the common-sql hook of a warehouse connection, or raise :class:`CalendlyConfigError` saying why not.

    A ``duckdb`` connection falls back to the provider's own
    :class:`~airflow_provider_calendly.hooks.duckdb.DuckDBHook` when no installed provider registers one.
    """
    try:
        conn = BaseHook.get_connection(sql_conn_id)
    except Exception as exc:
        raise CalendlyConfigError(f"SQL connection {sql_conn_id!r} could not be found: {exc}") from None
    try:
        hook = conn.get_hook()  # type: ignore[no-untyped-call]
    except Exception as exc:
        if conn.conn_type == "duckdb":
            from airflow_provider_calendly.hooks.duckdb import DuckDBHook

            hook = DuckDBHook(duckdb_conn_id=sql_conn_id)
        else:
            raise CalendlyConfigError(
                f"SQL connection {sql_conn_id!r} (conn_type {conn.conn_type!r}) has no usable hook: {exc}. "
                "Is the provider for this database installed?"
            ) from None
    if not isinstance(hook, DbApiHook):
        raise CalendlyConfigError(
            f"Connection {sql_conn_id!r} (conn_type {conn.conn_type!r}) is not a SQL database: its hook "
            f"{type(hook).__name__} is not a common-sql DbApiHook"
        )
    return hook
