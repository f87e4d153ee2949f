"""Reach the warehouse: its common-sql hook, and one DB-API connection to the Calendly tables in it.

:func:`resolve_dbapi_hook` turns a connection id into the warehouse's own common-sql hook.
:class:`WarehouseConnection` holds one DB-API connection of that hook and the registry's tables named for a
prefix and schema: atomic :meth:`~WarehouseConnection.transaction` blocks, and statements compiled by
SQLAlchemy for the warehouse's dialect. The table writer (:mod:`.sql_writer`, rows) and the schema evolution
(:mod:`.schema`, DDL) both work through it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import BaseHook

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.hooks.duckdb import DuckDBHook
from airflow_provider_calendly.transfers.dialects import detect_dialect, dialect_for, own_hook, validate_identifier
from airflow_provider_calendly.transfers.tables import TABLES, sqlalchemy_metadata

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["WarehouseConnection", "resolve_dbapi_hook"]

log = logging.getLogger(__name__)


def resolve_dbapi_hook(sql_conn_id: str) -> DbApiHook:
    """Return the common-sql hook of a warehouse connection, or raise :class:`CalendlyConfigError` saying why not.

    A ``duckdb`` connection falls back to the provider's own
    :class:`~airflow_provider_calendly.hooks.duckdb.DuckDBHook` when no installed provider registers one; a
    ``google_cloud_platform`` connection gets the Google provider's ``BigQueryHook`` (see
    :func:`~airflow_provider_calendly.transfers.dialects.own_hook`).
    """
    try:
        conn = BaseHook.get_connection(sql_conn_id)
    except Exception as exc:
        raise CalendlyConfigError(f"SQL connection {sql_conn_id!r} could not be found: {exc}") from None
    try:
        hook = own_hook(conn.conn_type or "", sql_conn_id) or conn.get_hook()  # type: ignore[no-untyped-call]
    except Exception as exc:
        if conn.conn_type != "duckdb":
            raise CalendlyConfigError(
                f"SQL connection {sql_conn_id!r} (conn_type {conn.conn_type!r}) has no usable hook: {exc}. "
                "Is the provider for this database installed?"
            ) from None
        hook = DuckDBHook(duckdb_conn_id=sql_conn_id)
    if not isinstance(hook, DbApiHook):
        raise CalendlyConfigError(
            f"Connection {sql_conn_id!r} (conn_type {conn.conn_type!r}) is not a SQL database: its hook "
            f"{type(hook).__name__} is not a common-sql DbApiHook"
        )
    return hook


class WarehouseConnection:
    """One DB-API connection to a warehouse's Calendly tables (opened on first use; :meth:`close` it, or use it
    as a context manager). Every statement inside :meth:`transaction` joins it.

    :param dbapi_hook: The common-sql ``DbApiHook`` of a supported warehouse (see
        :data:`~airflow_provider_calendly.transfers.dialects.DIALECTS`).
    :param table_prefix: Prefix of every table name; a safe SQL identifier (may be empty).
    :param schema: Schema (namespace) of the tables; default: the connection's default (BigQuery: the dataset
        named by the connection's ``schema``).
    :param dialect: Force a dialect (a name of ``DIALECTS``); default: detected from the hook.
    :raises CalendlyConfigError: if the warehouse is not a supported one (before any connection is opened).
    """

    def __init__(
        self,
        dbapi_hook: DbApiHook,
        table_prefix: str = "calendly_",
        *,
        schema: str | None = None,
        dialect: str | None = None,
    ) -> None:
        self.hook = dbapi_hook
        self.table_prefix = validate_identifier(table_prefix, what="table_prefix", allow_empty=True)
        self.dialect = detect_dialect(dbapi_hook) if dialect is None else dialect_for(dialect, dbapi_hook)
        schema = schema if schema is not None else self.dialect.default_schema()
        self.schema = validate_identifier(schema, what="schema") if schema is not None else None
        self.metadata = sqlalchemy_metadata(
            self.table_prefix, self.schema, type_of=self.dialect.column_type, **self.dialect.table_options
        )
        self.tables: dict[str, sa.Table] = {key: self.metadata.tables[self._qualified(key)] for key in TABLES}
        self._compiled: dict[tuple[str, str], sa.engine.Compiled] = {}
        self._conn: Any = None
        self._depth = self._rowcount = 0

    def _qualified(self, key: str) -> str:
        return f"{self.schema}.{self.table_prefix}{key}" if self.schema else f"{self.table_prefix}{key}"

    def table_name(self, key: str) -> str:
        """Return the (schema-qualified) name of table ``key`` (e.g. ``invitees`` → ``calendly_invitees``)."""
        if key not in TABLES:
            raise CalendlyConfigError(f"unknown table {key!r}; known: {sorted(TABLES)}")
        return self._qualified(key)

    def index_name(self, key: str, column: str) -> str:
        return f"{self.table_prefix}{key}__{column}_idx"

    @property
    def connection(self) -> Any:
        """The DB-API connection of the hook, opened on first use."""
        if self._conn is None:
            self._conn = self.dialect.connect()
            self.dialect.prepare(self)
        return self._conn

    @cached_property
    def fast_path(self) -> bool:
        """Whether writes take the warehouse's bulk path (else its portable ``executemany``)."""
        return self.dialect.fast_path(self)

    def close(self) -> None:
        """Roll back anything uncommitted and close the connection."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.rollback()
            except Exception:  # nothing to roll back, or the driver refuses outside a transaction
                log.debug("rollback before close failed", exc_info=True)
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group statements into one atomic commit: all of them land, or (on any exception) none does.

        Where the warehouse has no such transactions (the dialect's ``transactional`` is false: BigQuery) each
        statement lands by itself, and the writes are idempotent: redoing the block lands the same rows.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        conn = self.connection
        if self.dialect.explicit_begin:
            conn.execute("BEGIN")
        self._depth = 1
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            self._depth = 0
            self.dialect.transaction_ended()

    def execute(
        self,
        sql: str | sa.ClauseElement,
        params: Sequence[Any] | None = None,
        *,
        bound: Mapping[str, Any] | None = None,
        fetch: bool = True,
    ) -> list[tuple[Any, ...]]:
        """Run one statement (SQL text, or a SQLAlchemy statement compiled here) and return its rows, if any.

        :param params: The parameters of SQL text.
        :param bound: Values of a SQLAlchemy statement's named parameters (``sa.bindparam(name)``) set by name.
        :param fetch: Read the rows (``False`` for DDL, whose result some drivers cannot even describe).
        """
        if not isinstance(sql, str):
            compiled = sql.compile(dialect=self.dialect.compiler, compile_kwargs={"render_postcompile": True})
            sql, params = str(compiled), _positional(compiled, {**compiled.params, **(bound or {})})
        with self.cursor() as cursor:
            cursor.execute(sql, params) if params else cursor.execute(sql)
            self._rowcount = max(0, cursor.rowcount)
            return [] if not fetch or cursor.description is None else [tuple(r) for r in cursor.fetchall()]

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor of the connection, closed after use (the dialect's: DuckDB's is the connection itself)."""
        cursor = self.dialect.cursor(self.connection)
        try:
            yield cursor
        finally:
            if cursor is not self._conn:
                cursor.close()

    def _statement(self, key: str, kind: str, build: Callable[[sa.Table], sa.ClauseElement]) -> sa.engine.Compiled:
        """The compiled statement ``kind`` of table ``key`` (cached: its shape never changes, compiling is slow)."""
        compiled = self._compiled.get((key, kind))
        if compiled is None:
            compiled = self._compiled[key, kind] = build(self.tables[key]).compile(dialect=self.dialect.compiler)
        return compiled

    def cached_sql(self, key: str, kind: str, build: Callable[[sa.Table], sa.ClauseElement]) -> str:
        """The SQL text of :meth:`_statement`."""
        return self._statement(key, kind, build).string

    def execute_cached(
        self, key: str, kind: str, build: Callable[[sa.Table], sa.ClauseElement], values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """Run the cached statement ``kind`` of table ``key`` (see :meth:`_statement`) with its parameters by name."""
        compiled = self._statement(key, kind, build)
        return self.execute(compiled.string, _positional(compiled, values))


def _positional(compiled: sa.engine.Compiled, values: Mapping[str, Any]) -> Any:
    """The parameters of ``compiled`` from ``values`` by name, in order for a positional paramstyle."""
    positions = getattr(compiled, "positiontup", None)
    return [values[name] for name in positions] if positions is not None else values
