"""DuckDBHook: a minimal common-sql ``DbApiHook`` for an embedded DuckDB warehouse file.

Airflow has no official DuckDB provider, and the community ``airflow-provider-duckdb`` (0.2.0, 2023) is
unmaintained and pulls in ``duckdb-engine``. This hook is the small part the Calendly transfer needs: a DB-API
connection to a DuckDB file, so :class:`~airflow_provider_calendly.transfers.calendly_to_sql.CalendlyToSqlOperator`
can land data in DuckDB like in any other warehouse. The ``duckdb`` package is an optional dependency
(``pip install airflow-provider-calendly[duckdb]``) imported only when a connection is opened.

Connection: conn_type ``duckdb``, **host** (or **schema**) = path of the database file; empty means an
in-memory database (which vanishes when the connection closes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.sql.hooks.sql import DbApiHook

if TYPE_CHECKING:
    import duckdb

__all__ = ["DuckDBHook"]


class DuckDBHook(DbApiHook):
    """Interact with a DuckDB database file through the DB-API.

    :param duckdb_conn_id: The ``duckdb`` connection whose host (or schema) is the database file path.
    """

    conn_name_attr = "duckdb_conn_id"
    default_conn_name = "duckdb_default"
    conn_type = "duckdb"
    hook_name = "DuckDB"
    supports_autocommit = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._placeholder = "?"

    @property
    def database_path(self) -> str:
        """The database file path from the connection (``:memory:`` when none is set)."""
        conn = self.get_connection(self.get_conn_id())
        return (conn.host or conn.schema or "").strip() or ":memory:"

    def get_conn(self) -> duckdb.DuckDBPyConnection:
        """Open a new DuckDB connection to the configured file."""
        import duckdb

        return duckdb.connect(self.database_path)

    def get_uri(self) -> str:
        """Return a ``duckdb:///path`` URI (the form ``duckdb-engine`` understands)."""
        return f"duckdb:///{self.database_path}"

    @property
    def dialect_name(self) -> str:
        return "duckdb"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Show only the database path in the connection form."""
        return {
            "hidden_fields": ["login", "password", "port", "schema", "extra"],
            "relabeling": {"host": "Database file path"},
            "placeholders": {"host": "/data/warehouse.duckdb"},
        }
