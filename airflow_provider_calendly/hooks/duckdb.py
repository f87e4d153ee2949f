"""DuckDBHook: a minimal common-sql ``DbApiHook`` for an embedded DuckDB warehouse file.

``apache-airflow-providers-duckdb`` (0.2.1) installs with Airflow 3.3 and its ``DuckDBHook`` serves
``get_conn``, ``insert_rows`` and an in-memory default; when it is installed,
:func:`~airflow_provider_calendly.transfers.warehouse.resolve_dbapi_hook` uses it (the transfer tests pass on it). It is not a dependency yet: its ``get_sqlalchemy_engine`` needs
``duckdb-engine``, which it does not require and whose reflection fails on SQLAlchemy 2.1 with DuckDB 2
(``pg_catalog.pg_collation`` is missing), and its connection extra differs from this hook's (top-level
``memory_limit`` / ``settings``, no default limit for a file, unknown keys not refused), so switching would
change existing connections' meaning. This hook is the small part the Calendly transfer needs: a DB-API
connection to a DuckDB file, so :class:`~airflow_provider_calendly.transfers.calendly_to_sql.CalendlyToSqlOperator`
can land data in DuckDB like in any other warehouse. The ``duckdb`` package is an optional dependency
(``pip install airflow-provider-calendly[duckdb]``) imported only when a connection is opened.

Connection: conn_type ``duckdb``, **host** (or **schema**) = path of the database file; empty means an
in-memory database (which vanishes when the connection closes). The **extra** may hold DuckDB configuration
options (https://duckdb.org/docs/stable/configuration/overview), passed to ``duckdb.connect(config=…)``::

    {"config": {"memory_limit": "256MB", "threads": 2}}

Unless the extra says otherwise, a database *file* is opened with :data:`DEFAULT_FILE_CONFIG`: DuckDB's own
``memory_limit`` is 80 % of the machine's RAM, and its buffer pool keeps every block it has read or written cached
up to that limit, so a long sync's RSS grew with the size of the database (1.2 GB after a million invitees). A
loader writing 500-invitee chunks needs little working memory, and DuckDB 2 keeps primary-key indexes in its buffer
pool too, evicted to the file like data: 80 MiB holds a 100,000-invitee sync under 300 MB of RSS. What a
transaction wrote stays in memory until a checkpoint moves it to the file; with every resource's tables in one file
and several prefixes, a commit that checkpointed 16 MB (DuckDB's ``checkpoint_threshold``) ran out of 64 MiB, so
files checkpoint every 4 MiB of WAL (and 64 MiB was too little once the 2026 resources' tables joined them).
Beyond the limit DuckDB evicts clean blocks to the file (and spills to ``<file>.tmp`` if a query needs more), so
the limit bounds memory, not data. DuckDB 1.x keeps the indexes outside its buffer pool, where 80 MiB runs out
(the change capture tests fail on 1.5 with "failed to pin block"): there the default leaves ``memory_limit`` to
DuckDB; set it in the extra to bound it. In-memory databases keep DuckDB's
defaults: their data lives in that memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from airflow.providers.common.sql.hooks.sql import DbApiHook

from airflow_provider_calendly.exceptions import CalendlyConfigError

if TYPE_CHECKING:
    import duckdb

__all__ = ["DEFAULT_FILE_CONFIG", "DEFAULT_FILE_MEMORY_LIMIT", "DuckDBHook"]

#: ``memory_limit`` of a database file when the connection's extra sets none, on DuckDB 2 and later (see the module
#: docstring).
DEFAULT_FILE_MEMORY_LIMIT = "80MiB"


def _evicts_indexes() -> bool:
    """Whether the installed DuckDB keeps primary-key indexes in its buffer pool (2.0 and later), so a bounded
    ``memory_limit`` bounds the whole load; 1.x keeps them outside, where a tight limit runs out (tested on 1.5)."""
    try:
        return int(version("duckdb").split(".")[0]) >= 2
    except (PackageNotFoundError, ValueError):
        return True


#: The options a database file is opened with unless the connection's extra sets them (see the module docstring).
DEFAULT_FILE_CONFIG: dict[str, str] = {
    **({"memory_limit": DEFAULT_FILE_MEMORY_LIMIT} if _evicts_indexes() else {}),
    "checkpoint_threshold": "4MiB",
}

_CONFIG_VALUE_TYPES = (str, int, float, bool)

ConfigValue = str | bool | int | float | list[str]


class DuckDBHook(DbApiHook):
    """Interact with a DuckDB database file through the DB-API.

    :param duckdb_conn_id: The ``duckdb`` connection whose host (or schema) is the database file path, and
        whose extra may set DuckDB options as ``{"config": {"memory_limit": "256MB", "threads": 2}}``.
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

    @property
    def config(self) -> dict[str, ConfigValue]:
        """DuckDB options for ``duckdb.connect``: the extra's ``config``, over the default ``memory_limit``.

        :raises CalendlyConfigError: The extra's ``config`` is not an object of option names to scalars.
        """
        conn_id = self.get_conn_id()
        extra = self.get_connection(conn_id).extra_dejson
        unknown = sorted(set(extra) - {"config"})
        if unknown:
            raise CalendlyConfigError(
                f"DuckDB connection {conn_id!r}: unknown extra key(s) {unknown}; DuckDB options go under "
                '"config", e.g. {"config": {"memory_limit": "256MB", "threads": 2}}'
            )
        given = extra.get("config", {})
        if not isinstance(given, Mapping):
            raise CalendlyConfigError(
                f"DuckDB connection {conn_id!r}: extra 'config' must be an object of DuckDB options, "
                f"got {type(given).__name__}"
            )
        for name, value in given.items():
            if not (
                isinstance(value, _CONFIG_VALUE_TYPES)
                or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            ):
                raise CalendlyConfigError(
                    f"DuckDB connection {conn_id!r}: option {name!r} must be a string, number, boolean or "
                    f"list of strings, got {type(value).__name__}"
                )
        config: dict[str, ConfigValue] = {}
        if self.database_path != ":memory:":
            config.update(DEFAULT_FILE_CONFIG)
        config.update(given)
        return config

    def get_conn(self) -> duckdb.DuckDBPyConnection:
        """Open a new DuckDB connection to the configured file, with the connection's DuckDB options.

        :raises CalendlyConfigError: DuckDB refused an option (unknown name or unusable value).
        """
        import duckdb

        config = self.config
        try:
            return duckdb.connect(self.database_path, config=config)
        except (duckdb.InvalidInputException, duckdb.ParserException, duckdb.ConversionException) as exc:
            raise CalendlyConfigError(
                f"DuckDB connection {self.get_conn_id()!r}: DuckDB refused the config {config}: {exc}"
            ) from exc

    def get_uri(self) -> str:
        """Return a ``duckdb:///path`` URI (the form ``duckdb-engine`` understands)."""
        return f"duckdb:///{self.database_path}"

    @property
    def dialect_name(self) -> str:
        return "duckdb"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Show the database path, and the extra for DuckDB options."""
        return {
            "hidden_fields": ["login", "password", "port", "schema"],
            "relabeling": {"host": "Database file path"},
            "placeholders": {
                "host": "/data/warehouse.duckdb",
                "extra": '{"config": {"memory_limit": "256MB", "threads": 2}}',
            },
        }
