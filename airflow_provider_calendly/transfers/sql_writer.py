"""Land Calendly objects in SQL tables: the documented schema, per-dialect DDL and idempotent upserts.

:class:`CalendlyTableWriter` is the one place that knows the warehouse tables. It is used by
:class:`~airflow_provider_calendly.transfers.calendly_to_sql.CalendlyToSqlOperator` (bulk, chunked sync) and
can be reused on its own, e.g. to upsert a single invitee from a webhook payload::

    writer = CalendlyTableWriter(PostgresHook("warehouse"), "calendly_")
    writer.ensure_tables()
    writer.upsert_invitees([payload], scheduled_event_uri=payload["scheduled_event"]["uri"])
    writer.close()

The tables, their columns (type, meaning, source) and indexes are declared once, in
:mod:`~airflow_provider_calendly.transfers.tables`; this module turns them into each dialect's DDL, brings an
existing warehouse up to them (:meth:`CalendlyTableWriter.ensure_tables`: additive changes only) and writes
rows. Timestamps are ``TIMESTAMPTZ`` on PostgreSQL and DuckDB (ISO 8601 UTC text on SQLite), booleans
``BOOLEAN`` (0/1 on SQLite), nested objects ``JSONB`` on PostgreSQL, ``JSON`` on DuckDB and JSON text elsewhere.

Writes are upserts by primary key (``INSERT … ON CONFLICT … DO UPDATE`` on SQLite ≥ 3.24, PostgreSQL and
DuckDB; delete-then-insert inside the same transaction on any other DB-API dialect), and the child rows of
every written parent are replaced, so writing the same objects twice never duplicates a row. Each
:meth:`~CalendlyTableWriter.write_rows` call is one transaction.

How rows travel depends on the warehouse: PostgreSQL through psycopg 3 gets binary ``COPY`` (``cursor.copy``;
the driver formats every value) — all-new parent rows and child rows straight into their table, parent rows of
which some exist into a temporary staging table (``ON COMMIT DROP``) merged with one
``INSERT … SELECT … ON CONFLICT (pk) DO UPDATE``; DuckDB gets one array parameter per column
(``INSERT … SELECT unnest(?)``); SQLite (and PostgreSQL through another driver) a prepared ``executemany``; any
other dialect multi-row ``INSERT … VALUES`` statements, the path every DB-API driver shares.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

import msgspec

from airflow_provider_calendly.exceptions import CalendlyConfigError, CalendlySchemaError
from airflow_provider_calendly.models import EventType, Invitee, ScheduledEvent
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.transfers.reconcile import StoredEvent
from airflow_provider_calendly.transfers.tables import (
    BOOKKEEPING_TABLES,
    CHILD_TABLES,
    RESOURCE_TABLES,
    TABLES,
    Column,
    ColumnType,
    Row,
    RowsByTable,
    TableSpec,
    event_type_row,
    invitee_rows,
    scheduled_event_rows,
    schema_fingerprint,
)

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

__all__ = [
    "CHILD_TABLES",
    "RESOURCE_TABLES",
    "TABLES",
    "CalendlyTableWriter",
    "Column",
    "ColumnType",
    "SqlDialect",
    "SyncState",
    "TableSpec",
    "UpsertCounts",
    "detect_dialect",
    "validate_identifier",
]

log = logging.getLogger(__name__)

_IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def validate_identifier(value: Any, *, what: str, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a safe, unquoted SQL identifier (letters, digits, ``_``; no leading digit).

    Table names are built from it and never quoted, so anything else is refused rather than escaped.
    """
    if not isinstance(value, str):
        raise CalendlyConfigError(f"{what} must be a string, got {type(value).__name__}")
    if value == "" and allow_empty:
        return value
    if not value or len(value) > 48 or not set(value) <= _IDENTIFIER_CHARS or value[0].isdigit():
        raise CalendlyConfigError(
            f"{what} {value!r} is not a safe SQL identifier: use 1-48 letters, digits or underscores, "
            "not starting with a digit"
        )
    return value


# --- dialects ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqlDialect:
    """How one warehouse spells types, parameters, upserts and transactions.

    :param name: ``sqlite``, ``postgresql``, ``duckdb`` or ``generic``.
    :param placeholder: DB-API parameter marker (``?`` or ``%s``).
    :param types: DDL type of each logical column type.
    :param key_type: DDL type of text primary-key columns (some engines cannot index unbounded text).
    :param on_conflict: Upsert with ``INSERT … ON CONFLICT (pk) DO UPDATE``; else delete-then-insert.
    :param json_cast: SQL type to ``CAST`` JSON parameters to (``JSONB`` on PostgreSQL), or ``None``.
    :param timestamps_as_text: Bind timestamps as ISO 8601 UTC text (SQLite has no timestamp type).
    :param naive_utc_timestamps: Bind timestamps as naive UTC datetimes (generic ``TIMESTAMP`` columns).
    :param booleans_as_int: Bind booleans as 0/1.
    :param max_params: Parameters allowed in one statement.
    :param max_rows: Rows in one ``INSERT … VALUES`` statement.
    :param bulk: How a batch of rows is sent: ``values`` (multi-row ``INSERT … VALUES``, any driver),
        ``executemany`` (one prepared single-row statement; SQLite in-process, psycopg 3's pipeline),
        ``unnest`` (one array parameter per column: ``INSERT … SELECT unnest(?::T[]), …``; DuckDB, whose
        binder is slow with thousands of scalar parameters) or ``copy`` (PostgreSQL's ``COPY … FROM STDIN``
        through psycopg 3; upserts of existing rows merged from a temporary staging table).
    :param begin: Statement that opens a transaction explicitly, if the driver does not do it implicitly.
    """

    name: str
    placeholder: str
    types: Mapping[ColumnType, str]
    key_type: str
    on_conflict: bool
    json_cast: str | None = None
    timestamps_as_text: bool = False
    naive_utc_timestamps: bool = False
    booleans_as_int: bool = False
    max_params: int = 2000
    max_rows: int = 500
    begin: str | None = None
    bulk: str = "values"


def _sqlite_max_params() -> int:
    # SQLITE_MAX_VARIABLE_NUMBER is 32766 since 3.32.0 and 999 before.
    return 32000 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


T, I, N, B, TS, J = (  # noqa: E741
    ColumnType.TEXT,
    ColumnType.INTEGER,
    ColumnType.NUMBER,
    ColumnType.BOOLEAN,
    ColumnType.TIMESTAMP,
    ColumnType.JSON,
)

_BASE_TYPES = {T: "TEXT", I: "BIGINT", N: "DOUBLE PRECISION", B: "BOOLEAN", TS: "TIMESTAMP", J: "TEXT"}

DIALECTS: dict[str, SqlDialect] = {
    "sqlite": SqlDialect(
        name="sqlite",
        placeholder="?",
        # JSON stays TEXT: a declared "JSON" type would get NUMERIC affinity and coerce numeric-looking text.
        types={T: "TEXT", I: "INTEGER", N: "REAL", B: "BOOLEAN", TS: "TIMESTAMP", J: "TEXT"},
        key_type="TEXT",
        on_conflict=sqlite3.sqlite_version_info >= (3, 24, 0),
        timestamps_as_text=True,
        booleans_as_int=True,
        max_params=_sqlite_max_params(),
        max_rows=500,
        begin="BEGIN",
        bulk="executemany",
    ),
    "postgresql": SqlDialect(
        name="postgresql",
        placeholder="%s",
        types={T: "TEXT", I: "BIGINT", N: "DOUBLE PRECISION", B: "BOOLEAN", TS: "TIMESTAMPTZ", J: "JSONB"},
        key_type="TEXT",
        on_conflict=True,
        json_cast="JSONB",
        max_params=60000,
        max_rows=1000,
        bulk="copy",
    ),
    "duckdb": SqlDialect(
        name="duckdb",
        placeholder="?",
        types={T: "VARCHAR", I: "BIGINT", N: "DOUBLE", B: "BOOLEAN", TS: "TIMESTAMPTZ", J: "JSON"},
        key_type="VARCHAR",
        on_conflict=True,
        max_params=30000,
        max_rows=5000,
        begin="BEGIN TRANSACTION",
        bulk="unnest",
    ),
}


def _generic_dialect(placeholder: str) -> SqlDialect:
    return SqlDialect(
        name="generic",
        placeholder=placeholder,
        types=_BASE_TYPES,
        key_type="VARCHAR(512)",
        on_conflict=False,
        naive_utc_timestamps=True,
        max_params=2000,
        max_rows=500,
    )


def detect_dialect(hook: DbApiHook) -> SqlDialect:
    """Pick the dialect from the hook's connection type, falling back to common-sql's ``dialect_name``."""
    names: list[str] = [str(getattr(type(hook), "conn_type", "") or "").lower(), type(hook).__name__.lower()]
    try:
        names.append(str(hook.dialect_name or "").lower())
    except Exception:  # dialect_name may need the connection or SQLAlchemy; the class is enough then
        log.debug("could not read dialect_name of %s", type(hook).__name__, exc_info=True)
    for candidate in names:
        if "sqlite" in candidate:
            return DIALECTS["sqlite"]
        if "duckdb" in candidate:
            return DIALECTS["duckdb"]
        if "postgres" in candidate:
            return DIALECTS["postgresql"]
    placeholder = getattr(hook, "placeholder", "%s") or "%s"
    return _generic_dialect(placeholder)


# --- results and state ---------------------------------------------------------------------------------------


@dataclass
class UpsertCounts:
    """Rows written to one table: how many were new, how many replaced an existing row, how many were dropped.

    ``deleted`` counts child rows that no longer exist on their parent (e.g. a removed guest).
    """

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.rows += other.rows
        self.inserted += other.inserted
        self.updated += other.updated
        self.deleted += other.deleted

    def as_dict(self) -> dict[str, int]:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated, "deleted": self.deleted}


@dataclass
class SyncState:
    """The ``sync_state`` row of one table and scope."""

    table_name: str
    scope: str
    watermark: datetime | None = None
    pass_started_at: datetime | None = None
    pass_mode: str | None = None
    resume_from: datetime | None = None
    last_success_at: datetime | None = None
    updated_at: datetime | None = field(default=None)


def _as_datetime(value: Any) -> datetime | None:
    """Read a timestamp back from any driver (datetime, or ISO text from SQLite) as an aware UTC datetime."""
    return None if value is None else parse_utc(value)


# --- the writer ----------------------------------------------------------------------------------------------


class CalendlyTableWriter:
    """Create the Calendly tables in a warehouse and upsert Calendly objects into them.

    One writer holds one DB-API connection (opened on first use; :meth:`close` it, or use the writer as a
    context manager). Every ``upsert_*`` call is atomic: inside :meth:`transaction` it joins that
    transaction, otherwise it commits on its own.

    :param dbapi_hook: Any common-sql ``DbApiHook`` (SQLite, PostgreSQL, DuckDB, or another dialect).
    :param table_prefix: Prefix of every table name; a safe SQL identifier (may be empty).
    :param schema: Schema (namespace) to create the tables in; default: the connection's default.
    :param dialect: Force a dialect (``sqlite``, ``postgresql``, ``duckdb``, ``generic``); default: detected.
    :param synced_at: Value of ``_synced_at`` for rows written; default: the time of each write.
    """

    def __init__(
        self,
        dbapi_hook: DbApiHook,
        table_prefix: str = "calendly_",
        *,
        schema: str | None = None,
        dialect: str | None = None,
        synced_at: datetime | None = None,
    ) -> None:
        self.hook = dbapi_hook
        self.table_prefix = validate_identifier(table_prefix, what="table_prefix", allow_empty=True)
        self.schema = validate_identifier(schema, what="schema") if schema is not None else None
        if dialect is None:
            self.dialect = detect_dialect(dbapi_hook)
        elif dialect in DIALECTS:
            self.dialect = DIALECTS[dialect]
        elif dialect == "generic":
            self.dialect = _generic_dialect(getattr(dbapi_hook, "placeholder", "%s") or "%s")
        else:
            raise CalendlyConfigError(f"unknown dialect {dialect!r}; use one of {[*DIALECTS, 'generic']}")
        self.synced_at = synced_at
        self._conn: Any = None
        self._depth = 0
        self._tx_synced_at: datetime | None = None
        self._sql_cache: dict[tuple[str, str, int], str] = {}
        self._converters = {key: self._row_converter(spec) for key, spec in TABLES.items()}
        self._copy_converters = {key: _copy_converter(spec) for key, spec in TABLES.items()}
        self._copy_types = {key: [_COPY_BINARY_TYPES[c.type] for c in spec.columns] for key, spec in TABLES.items()}
        #: Staging tables created in the current transaction (``ON COMMIT DROP``: gone when it ends).
        self._staged: set[str] = set()

    # -- names and lifecycle --

    def table_name(self, key: str) -> str:
        """Return the (schema-qualified) name of table ``key`` (e.g. ``invitees`` → ``calendly_invitees``)."""
        if key not in TABLES:
            raise CalendlyConfigError(f"unknown table {key!r}; known: {sorted(TABLES)}")
        name = f"{self.table_prefix}{key}"
        return f"{self.schema}.{name}" if self.schema else name

    @property
    def connection(self) -> Any:
        """The DB-API connection, opened on first use."""
        if self._conn is None:
            self._conn = self.hook.get_conn()
            if self.dialect.name == "generic" and getattr(self.hook, "supports_autocommit", False):
                self.hook.set_autocommit(self._conn, False)
        return self._conn

    def close(self) -> None:
        """Roll back anything uncommitted and close the connection."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.rollback()
        except Exception:  # nothing to roll back, or the driver refuses outside a transaction
            log.debug("rollback before close failed", exc_info=True)
        conn.close()

    def __enter__(self) -> CalendlyTableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one atomic commit: all of them land, or (on any exception) none does."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        conn = self.connection
        if self.dialect.begin:
            self.execute(self.dialect.begin)
        self._depth = 1
        self._tx_synced_at = self.synced_at or datetime.now(timezone.utc)
        try:
            yield
        except BaseException:
            self._depth = 0
            self._staged.clear()
            conn.rollback()
            raise
        self._depth = 0
        self._staged.clear()
        conn.commit()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement on the writer's connection and return its rows (if it has any)."""
        cursor = self._cursor()
        try:
            if params:
                cursor.execute(sql, params)
            else:
                cursor.execute(sql)
            if cursor.description is None:
                return []
            return [tuple(r) for r in cursor.fetchall()]
        finally:
            self._release(cursor)

    def _cursor(self) -> Any:
        # A DuckDB "cursor" is a second connection with its own transaction: use the connection itself.
        return self.connection if self.dialect.name == "duckdb" else self.connection.cursor()

    def _release(self, cursor: Any) -> None:
        if cursor is not self._conn:
            cursor.close()

    # -- DDL --

    def create_table_sql(self, key: str) -> str:
        """Return this dialect's ``CREATE TABLE IF NOT EXISTS`` statement for table ``key``."""
        spec = TABLES[key]
        cols = [f"{col.name} {self.column_ddl_type(spec, col)}" for col in spec.columns]
        cols.append(f"PRIMARY KEY ({', '.join(spec.primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.table_name(key)} ({', '.join(cols)})"

    def column_ddl_type(self, spec: TableSpec, col: Column) -> str:
        """This dialect's DDL type of one column (text primary-key columns take the dialect's key type)."""
        if col.name in spec.primary_key and col.type is T:
            return self.dialect.key_type
        return self.dialect.types[col.type]

    def index_name(self, key: str, column: str) -> str:
        return f"{self.table_prefix}{key}__{column}_idx"

    def _reflect_columns(self, key: str) -> dict[str, str] | None:
        """Column name → declared type of table ``key`` as the warehouse has it, or ``None`` if it is missing."""
        name = f"{self.table_prefix}{key}"
        ph = self.dialect.placeholder
        if self.dialect.name == "sqlite":
            schema = f"{self.schema}." if self.schema else ""
            rows = self.execute(f"PRAGMA {schema}table_info({name})")
            return {r[1]: str(r[2]) for r in rows} or None
        if self.dialect.name in ("postgresql", "duckdb"):
            where_schema = f"table_schema = {ph}" if self.schema else "table_schema = current_schema()"
            params = [name, *([self.schema] if self.schema else [])]
            rows = self.execute(
                f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = {ph} "
                f"AND {where_schema}",
                params,
            )
            return {r[0]: str(r[1]) for r in rows} or None
        cursor = self._cursor()
        try:  # any other DB-API dialect: column names only, from an empty result
            cursor.execute(f"SELECT * FROM {self.table_name(key)} WHERE 1 = 0")
        except Exception:
            self.connection.rollback()
            return None
        finally:
            self._release(cursor)
        return {d[0].lower(): "" for d in cursor.description}

    def plan_schema(self, keys: Iterable[str]) -> list[str]:
        """The additive statements that bring tables ``keys`` up to the registry, after reflecting them.

        :raises CalendlySchemaError: if an existing column has a type other than the registry's.
        """
        statements: list[str] = []
        for key in keys:
            spec = TABLES[key]
            found = self._reflect_columns(key)
            if found is None:
                statements.append(self.create_table_sql(key))
                missing = list(spec.columns)
            else:
                lowered = {k.lower(): v for k, v in found.items()}
                missing = [c for c in spec.columns if c.name not in lowered]
                for col in spec.columns:
                    have = lowered.get(col.name)
                    want = self.column_ddl_type(spec, col)
                    if have and _canonical_type(have) != _canonical_type(want):
                        raise CalendlySchemaError(self.table_name(key), col.name, have, want)
                statements.extend(
                    f"ALTER TABLE {self.table_name(key)} ADD COLUMN {c.name} {self.column_ddl_type(spec, c)}"
                    for c in missing
                )
            statements.extend(
                f"CREATE INDEX IF NOT EXISTS {self.index_name(key, c.name)} ON {self.table_name(key)} ({c.name})"
                for c in spec.columns
                if c.index
            )
        return statements

    def _comment_sql(self, keys: Iterable[str]) -> list[str]:
        if self.dialect.name not in ("postgresql", "duckdb"):
            return []
        return [
            f"COMMENT ON COLUMN {self.table_name(key)}.{c.name} IS '{c.description.replace(chr(39), chr(39) * 2)}'"
            for key in keys
            for c in TABLES[key].columns
            if c.description
        ]

    def ensure_tables(self, keys: Iterable[str] | None = None) -> list[str]:
        """Bring the given tables (default: all) and the bookkeeping tables up to the registry, atomically.

        Reflects each table and applies only additive changes — missing tables, missing (nullable) columns,
        missing indexes — in one transaction, then records the registry's fingerprint in ``schema_versions``
        (and, where the dialect has them, refreshes the column comments) when it changed.

        :return: The schema-changing statements applied (empty when the warehouse was up to date).
        :raises CalendlySchemaError: if a column exists with another type; nothing is changed then.
        """
        wanted = list(dict.fromkeys([*(keys if keys is not None else TABLES), *BOOKKEEPING_TABLES]))
        fingerprint = schema_fingerprint()
        with self.transaction():
            statements = self.plan_schema(wanted)
            changes = [s for s in statements if not s.startswith("CREATE INDEX IF NOT EXISTS")]
            for sql in statements:
                self.execute(sql)
            ph = self.dialect.placeholder
            recorded = self.execute(
                f"SELECT 1 FROM {self.table_name('schema_versions')} WHERE fingerprint = {ph}", [fingerprint]
            )
            if changes or not recorded:
                for sql in self._comment_sql(wanted):
                    self.execute(sql)
                if changes:
                    log.info("Schema of %s brought up to %s: %s", self.table_prefix, fingerprint, "; ".join(changes))
                if not recorded:
                    self._insert_rows(
                        "schema_versions",
                        [
                            {
                                "fingerprint": fingerprint,
                                "package_version": _package_version(),
                                "changes": changes,
                                "applied_at": datetime.now(timezone.utc),
                            }
                        ],
                        upsert=False,
                    )
        return changes

    def count(self, key: str) -> int:
        """Return the number of rows in table ``key``."""
        return int(self.execute(f"SELECT COUNT(*) FROM {self.table_name(key)}")[0][0])

    # -- values --

    def _row_converter(self, spec: TableSpec) -> Callable[[Row, datetime], list[Any]]:
        """Values of one row in column order, in the types this dialect binds (the SQLite/DuckDB hot loop).

        One list comprehension per row; only the columns whose type needs converting are touched after it.
        """
        d = self.dialect
        converters: list[tuple[int, Callable[[Any], Any]]] = []
        for i, col in enumerate(spec.columns):
            if col.type is J:
                converters.append((i, _json_text))
            elif col.type is TS:
                if d.timestamps_as_text:
                    converters.append((i, _ts_text))
                elif d.naive_utc_timestamps:
                    converters.append((i, _ts_naive))
                else:
                    converters.append((i, _ts_aware))
            elif col.type is B and d.booleans_as_int:
                converters.append((i, _bool_int))
        names = spec.column_names
        synced_at_index = names.index("_synced_at") if "_synced_at" in names else None
        to_convert = tuple((i, fn) for i, fn in converters if i != synced_at_index)
        synced_fn = next((fn for i, fn in converters if i == synced_at_index), _identity)

        def convert(row: Row, synced_at: datetime) -> list[Any]:
            get = row.get
            values = [get(name) for name in names]
            for i, fn in to_convert:
                value = values[i]
                if value is not None:
                    values[i] = fn(value)
            if synced_at_index is not None:
                values[synced_at_index] = synced_fn(synced_at)
            return values

        return convert

    def _placeholder(self, col: Column) -> str:
        ph = self.dialect.placeholder
        if col.type is J and self.dialect.json_cast:
            return f"CAST({ph} AS {self.dialect.json_cast})"
        return ph

    def _insert_sql(self, key: str, nrows: int, *, upsert: bool) -> str:
        cache_key = (key, "upsert" if upsert else "insert", nrows)
        sql = self._sql_cache.get(cache_key)
        if sql is None:
            spec = TABLES[key]
            row = "(" + ", ".join(self._placeholder(c) for c in spec.columns) + ")"
            sql = (
                f"INSERT INTO {self.table_name(key)} ({', '.join(spec.column_names)}) VALUES {', '.join([row] * nrows)}"
            )
            if upsert:
                sql += self._on_conflict_clause(spec)
            # Only the single-row and full-batch statements recur; caching every partial batch's size would
            # keep up to max_rows statements of up to max_params placeholders each, for the writer's lifetime.
            if nrows in (1, self._batch_size(len(spec.columns))):
                self._sql_cache[cache_key] = sql
        return sql

    @staticmethod
    def _on_conflict_clause(spec: TableSpec) -> str:
        updates = ", ".join(f"{c} = excluded.{c}" for c in spec.column_names if c not in spec.primary_key)
        return f" ON CONFLICT ({', '.join(spec.primary_key)}) DO UPDATE SET {updates}"

    def _batch_size(self, width: int) -> int:
        return max(1, min(self.dialect.max_rows, self.dialect.max_params // max(1, width)))

    def _batches(self, items: Sequence[Any], width: int) -> Iterator[Sequence[Any]]:
        size = self._batch_size(width)
        for start in range(0, len(items), size):
            yield items[start : start + size]

    def _where_in(self, column: str, values: Sequence[str]) -> Iterator[tuple[str, list[Any]]]:
        """``column IN (…)`` conditions covering ``values``, with their parameters, batch by batch.

        PostgreSQL and DuckDB take the whole list as one array parameter (short SQL, cheap to parse);
        other dialects get one placeholder per value.
        """
        ph = self.dialect.placeholder
        if self.dialect.name == "postgresql":
            yield f"{column} = ANY({ph})", [list(values)]
        elif self.dialect.name == "duckdb":
            yield f"{column} IN (SELECT unnest({ph}::VARCHAR[]))", [list(values)]
        else:
            for batch in self._batches(values, 1):
                yield f"{column} IN ({', '.join([ph] * len(batch))})", list(batch)

    def _existing_keys(self, key: str, uris: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for condition, params in self._where_in("uri", uris):
            found.update(
                r[0] for r in self.execute(f"SELECT uri FROM {self.table_name(key)} WHERE {condition}", params)
            )
        return found

    def stored_events(self, uris: Sequence[str]) -> dict[str, StoredEvent]:
        """Return what is stored of the given scheduled events (by URI), for reconcile to compare against."""
        found: dict[str, StoredEvent] = {}
        table = self.table_name("scheduled_events")
        for condition, params in self._where_in("uri", uris):
            sql = f"SELECT uri, updated_at, status, invitees_total, invitees_active FROM {table} WHERE {condition}"
            for uri, updated_at, status, total, active in self.execute(sql, params):
                found[uri] = StoredEvent(
                    updated_at=_as_datetime(updated_at),
                    status=status,
                    invitees_total=None if total is None else int(total),
                    invitees_active=None if active is None else int(active),
                )
        return found

    def _count_children(self, key: str, parents: Sequence[str]) -> int:
        total = 0
        for condition, params in self._where_in(str(TABLES[key].parent_column), parents):
            total += int(self.execute(f"SELECT COUNT(*) FROM {self.table_name(key)} WHERE {condition}", params)[0][0])
        return total

    def _delete_where_in(self, key: str, column: str, values: Sequence[str]) -> None:
        for condition, params in self._where_in(column, values):
            self.execute(f"DELETE FROM {self.table_name(key)} WHERE {condition}", params)

    @cached_property
    def _bulk(self) -> str:
        """The bulk strategy for this connection: ``COPY`` through psycopg 3, else the dialect's.

        A PostgreSQL connection of another driver (psycopg2) takes the prepared ``executemany`` path.
        """
        if self.dialect.bulk == "copy":
            module = type(self.connection).__module__.partition(".")[0]
            return "copy" if module == "psycopg" else "executemany"
        return self.dialect.bulk

    def _unnest_sql(self, key: str, *, upsert: bool) -> str:
        cache_key = (key, "unnest-upsert" if upsert else "unnest", 0)
        sql = self._sql_cache.get(cache_key)
        if sql is None:
            spec = TABLES[key]
            ph = self.dialect.placeholder
            selects = ", ".join(
                f"unnest({ph}::{self.dialect.key_type if c.name in spec.primary_key and c.type is T else self.dialect.types[c.type]}[])"
                for c in spec.columns
            )
            sql = f"INSERT INTO {self.table_name(key)} ({', '.join(spec.column_names)}) SELECT {selects}"
            if upsert:
                sql += self._on_conflict_clause(spec)
            self._sql_cache[cache_key] = sql
        return sql

    def _write_rows_copy(self, rows_by_table: Mapping[str, Sequence[Row]]) -> dict[str, UpsertCounts]:
        """:meth:`write_rows` on PostgreSQL: ``COPY`` and one merge statement per table, no per-row SQL.

        Per parent table: count which of the (de-duplicated) rows exist already; if none does, ``COPY`` them
        straight into the table, else into a temporary staging table (``LIKE`` the target, ``ON COMMIT DROP``)
        merged with one ``INSERT … SELECT … ON CONFLICT (pk) DO UPDATE``; then delete the children of those parents and
        ``COPY`` their new children straight into the child table. All in the caller's transaction, so a
        failure anywhere leaves nothing of the chunk behind (the staging table included).
        """
        counts: dict[str, UpsertCounts] = {}
        synced_at = self._tx_synced_at or self.synced_at or datetime.now(timezone.utc)
        cursor = self.connection.cursor()
        try:
            for key, rows in rows_by_table.items():
                spec = TABLES[key]
                if spec.parent_column is not None or not rows:
                    continue
                latest = {row["uri"]: row for row in rows}
                target = self.table_name(key)
                columns = ", ".join(spec.column_names)
                uris = list(latest)
                cursor.execute(f"SELECT COUNT(*) FROM {target} WHERE uri = ANY(%s)", [uris])
                existing = int(cursor.fetchone()[0])
                if existing:
                    stage = self._staging_table(cursor, key)
                    self._copy(cursor, key, stage, latest.values(), synced_at)
                    cursor.execute(
                        f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {stage}"
                        f"{self._on_conflict_clause(spec)}"
                    )
                else:  # all new (a first load): COPY straight into the table, no staging and no merge
                    self._copy(cursor, key, target, latest.values(), synced_at)
                n = len(latest)
                counts[key] = UpsertCounts(rows=n, inserted=n - existing, updated=existing)
                for child in CHILD_TABLES.get(key, ()):
                    child_spec = TABLES[child]
                    link = str(child_spec.parent_column)
                    # Keep one row per primary key (the last), as a parent listed twice keeps its last version.
                    unique = {
                        tuple(r[c] for c in child_spec.primary_key): r
                        for r in rows_by_table.get(child, ())
                        if r[link] in latest
                    }
                    cursor.execute(f"DELETE FROM {self.table_name(child)} WHERE {link} = ANY(%s)", [uris])
                    before = max(0, cursor.rowcount)
                    if unique:
                        self._copy(cursor, child, self.table_name(child), unique.values(), synced_at)
                    m = len(unique)
                    counts[child] = UpsertCounts(
                        rows=m, inserted=max(0, m - before), updated=min(m, before), deleted=max(0, before - m)
                    )
        finally:
            cursor.close()
        return counts

    def _staging_table(self, cursor: Any, key: str) -> str:
        """An empty temporary copy of table ``key`` for this transaction (created once, emptied on reuse)."""
        stage = f"_calendly_stage_{key}"
        if stage in self._staged:
            cursor.execute(f"TRUNCATE {stage}")
        else:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {stage} (LIKE {self.table_name(key)} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            self._staged.add(stage)
        return stage

    def _copy(self, cursor: Any, key: str, table: str, rows: Iterable[Row], synced_at: datetime) -> None:
        """``COPY`` rows of table ``key`` into ``table`` (the table itself or its staging table)."""
        spec = TABLES[key]
        convert = self._copy_converters[key]
        # A generator: rows are converted while the server already parses the ones sent before.
        values = (convert(row, synced_at) for row in rows)
        _copy_into(cursor, table, ", ".join(spec.column_names), self._copy_types[key], values)

    def _insert_rows(self, key: str, rows: Sequence[Row], *, upsert: bool) -> None:
        if not rows:
            return
        spec = TABLES[key]
        convert = self._converters[key]
        synced_at = self._tx_synced_at or self.synced_at or datetime.now(timezone.utc)
        width = len(spec.columns)
        bulk = self._bulk
        cursor = self._cursor()
        try:
            if bulk in ("executemany", "copy"):  # copy: a single-row write outside write_rows (sync state)
                cursor.executemany(self._insert_sql(key, 1, upsert=upsert), [convert(r, synced_at) for r in rows])
            elif bulk == "unnest":
                sql = self._unnest_sql(key, upsert=upsert)
                for batch in self._batches(rows, 1):
                    columns = zip(*(convert(r, synced_at) for r in batch), strict=True)
                    cursor.execute(sql, [list(column) for column in columns])
            else:
                for batch in self._batches(rows, width):
                    params: list[Any] = []
                    for row in batch:
                        params.extend(convert(row, synced_at))
                    cursor.execute(self._insert_sql(key, len(batch), upsert=upsert), params)
        finally:
            self._release(cursor)

    # -- writing --

    def write_rows(self, rows_by_table: Mapping[str, Sequence[Row]]) -> dict[str, UpsertCounts]:
        """Upsert already-flattened rows (parents by primary key; children replaced per parent), atomically.

        Parent tables (``event_types``, ``scheduled_events``, ``invitees``) are upserted; the child rows of
        every parent present in ``rows_by_table`` replace that parent's previous children. A parent listed
        twice keeps its last version.

        :param rows_by_table: Rows per table key, as built by :func:`scheduled_event_rows` and friends.
        """
        if self._bulk == "copy":
            with self.transaction():
                return self._write_rows_copy(rows_by_table)
        counts: dict[str, UpsertCounts] = {}
        with self.transaction():
            for key, rows in rows_by_table.items():
                spec = TABLES[key]
                if spec.parent_column is not None or not rows:
                    continue
                latest = {row["uri"]: row for row in rows}
                uris = list(latest)
                existing = self._existing_keys(key, uris)
                if not self.dialect.on_conflict and existing:
                    self._delete_where_in(key, "uri", sorted(existing))
                self._insert_rows(key, list(latest.values()), upsert=self.dialect.on_conflict)
                counts[key] = UpsertCounts(rows=len(uris), inserted=len(uris) - len(existing), updated=len(existing))
                for child in CHILD_TABLES.get(key, ()):
                    link = str(TABLES[child].parent_column)
                    child_rows = [r for r in rows_by_table.get(child, ()) if r[link] in latest]
                    counts[child] = self._replace_children(child, uris, child_rows)
        return counts

    def _replace_children(self, key: str, parents: Sequence[str], rows: Sequence[Row]) -> UpsertCounts:
        spec = TABLES[key]
        # Keep one row per primary key (the last), as a parent listed twice keeps its last version.
        unique = {tuple(row[c] for c in spec.primary_key): row for row in rows}
        before = self._count_children(key, parents)
        if before:
            self._delete_where_in(key, str(spec.parent_column), parents)
        self._insert_rows(key, list(unique.values()), upsert=False)
        n = len(unique)
        return UpsertCounts(rows=n, inserted=max(0, n - before), updated=min(n, before), deleted=max(0, before - n))

    def upsert_event_types(self, items: Iterable[EventType | Mapping[str, Any]]) -> dict[str, UpsertCounts]:
        """Upsert event types into ``<prefix>event_types``."""
        rows = [event_type_row(_as_model(EventType, item)) for item in items]
        return self.write_rows({"event_types": rows})

    def upsert_scheduled_events(self, events: Iterable[ScheduledEvent | Mapping[str, Any]]) -> dict[str, UpsertCounts]:
        """Upsert scheduled events, replacing their ``event_memberships`` and ``event_guests`` rows."""
        merged: RowsByTable = {"scheduled_events": [], "event_memberships": [], "event_guests": []}
        for event in events:
            _merge(merged, scheduled_event_rows(_as_model(ScheduledEvent, event)))
        return self.write_rows(merged)

    def upsert_invitees(
        self,
        invitees: Iterable[Invitee | Mapping[str, Any]],
        *,
        scheduled_event_uri: str | None = None,
    ) -> dict[str, UpsertCounts]:
        """Upsert invitees (API objects or webhook ``invitee.*`` payloads), replacing their answers.

        :param invitees: Invitees as models or dicts.
        :param scheduled_event_uri: Scheduled event of invitees that do not name it in ``event`` (webhook
            payloads carry it as ``scheduled_event``, which is also understood).
        """
        merged: RowsByTable = {"invitees": [], "invitee_answers": []}
        for invitee in invitees:
            _merge(merged, invitee_rows(_as_model(Invitee, invitee), scheduled_event_uri=scheduled_event_uri))
        return self.write_rows(merged)

    # -- sync state --

    def get_sync_state(self, table_name: str, scope: str) -> SyncState | None:
        """Return the sync state of one table and scope, or ``None`` before its first sync."""
        ph = self.dialect.placeholder
        cols = TABLES["sync_state"].column_names
        rows = self.execute(
            f"SELECT {', '.join(cols)} FROM {self.table_name('sync_state')} WHERE table_name = {ph} AND scope = {ph}",
            [table_name, scope],
        )
        if not rows:
            return None
        values = dict(zip(cols, rows[0], strict=True))
        return SyncState(
            table_name=values["table_name"],
            scope=values["scope"],
            watermark=_as_datetime(values["watermark"]),
            pass_started_at=_as_datetime(values["pass_started_at"]),
            pass_mode=values["pass_mode"],
            resume_from=_as_datetime(values["resume_from"]),
            last_success_at=_as_datetime(values["last_success_at"]),
            updated_at=_as_datetime(values["updated_at"]),
        )

    def put_sync_state(self, state: SyncState) -> None:
        """Insert or replace one ``sync_state`` row (atomically with the surrounding transaction, if any)."""
        row: Row = {
            "table_name": state.table_name,
            "scope": state.scope,
            "watermark": state.watermark,
            "pass_started_at": state.pass_started_at,
            "pass_mode": state.pass_mode,
            "resume_from": state.resume_from,
            "last_success_at": state.last_success_at,
            "updated_at": datetime.now(timezone.utc),
        }
        ph = self.dialect.placeholder
        with self.transaction():
            if not self.dialect.on_conflict:
                self.execute(
                    f"DELETE FROM {self.table_name('sync_state')} WHERE table_name = {ph} AND scope = {ph}",
                    [state.table_name, state.scope],
                )
            self._insert_rows("sync_state", [row], upsert=self.dialect.on_conflict)


#: Spellings of the same type across dialects and reflection (information_schema, PRAGMA table_info).
_TYPE_ALIASES = {
    "varchar": "text",
    "character varying": "text",
    "varchar(512)": "text",
    "string": "text",
    "int8": "integer",
    "bigint": "integer",
    "int": "integer",
    "int4": "integer",
    "bool": "boolean",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "double": "double",
    "double precision": "double",
    "float8": "double",
    "real": "double",
}


def _canonical_type(name: str) -> str:
    lowered = " ".join(name.lower().split())
    return _TYPE_ALIASES.get(lowered, lowered)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("airflow-provider-calendly")
    except PackageNotFoundError:  # running from a source tree
        return "unknown"


def _merge(into: RowsByTable, rows: Mapping[str, list[Row]]) -> None:
    for key, items in rows.items():
        into.setdefault(key, []).extend(items)


def _as_model(model: type[Any], item: Any) -> Any:
    return item if isinstance(item, model) else model.model_validate(item)


def _identity(value: Any) -> Any:
    return value


def _copy_converter(spec: TableSpec) -> Callable[[Row, datetime], list[Any]]:
    """Values of one row in column order for ``COPY`` (PostgreSQL): JSON as text, timestamps as aware datetimes.

    The hot loop of a PostgreSQL load: one list comprehension per row, then only the JSON and timestamp
    columns are touched; booleans, integers and text go to the driver as they are.
    """
    names = spec.column_names
    json_at = tuple(i for i, c in enumerate(spec.columns) if c.type is J)
    ts_at = tuple(i for i, c in enumerate(spec.columns) if c.type is TS and c.name != "_synced_at")
    synced_at_index = names.index("_synced_at") if "_synced_at" in names else None
    to_json = _to_json

    def convert(row: Row, synced_at: datetime) -> list[Any]:
        get = row.get
        values = [get(name) for name in names]
        for i in json_at:
            value = values[i]
            if value is not None:
                values[i] = to_json(value)
        for i in ts_at:
            value = values[i]
            if value is not None and not (type(value) is datetime and value.tzinfo is not None):
                values[i] = _as_datetime(value)
        if synced_at_index is not None:
            values[synced_at_index] = synced_at
        return values

    return convert


#: PostgreSQL type of each logical column type, for psycopg 3's binary ``COPY`` (``Copy.set_types``).
_COPY_BINARY_TYPES = {T: "text", I: "int8", N: "float8", B: "bool", TS: "timestamptz", J: "jsonb"}


def _json_already_text(value: str) -> str:
    return value


def _copy_into(cursor: Any, table: str, columns: str, types: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``COPY table (columns) FROM STDIN`` the given rows in binary format through psycopg 3's ``cursor.copy``.

    Formatted by the driver (in C): the server parses no timestamps and no escapes. JSON values arrive as
    text already, so the ``jsonb`` dumper is told not to encode them again.
    """
    from psycopg.types.json import set_json_dumps

    set_json_dumps(_json_already_text, context=cursor)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(types)
        write_row = copy.write_row
        for values in rows:
            write_row(values)


def _json_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


_msgspec_encode = msgspec.json.Encoder().encode


def _to_json(value: Any) -> str:
    """Compact JSON text, the same as :func:`_json_dumps` but ~7x faster (msgspec).

    Values msgspec cannot encode take the standard library's path. (Calendly's JSON holds no ``NaN``; msgspec
    would write one as ``null``, which is valid JSON where the standard library's ``NaN`` is not.)
    """
    try:
        return _msgspec_encode(value).decode()
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return _json_dumps(value)


def _json_text(value: Any) -> str | None:
    return None if value is None else _to_json(value)


def _ts_aware(value: Any) -> datetime | None:
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value  # the driver converts aware datetimes itself
    return _as_datetime(value)


def _ts_text(value: Any) -> str | None:
    if value is None:
        return None
    dt = value if isinstance(value, datetime) and value.tzinfo is timezone.utc else _as_datetime(value)
    return dt.isoformat(timespec="microseconds") if dt is not None else None


def _ts_naive(value: Any) -> datetime | None:
    dt = _as_datetime(value)
    return dt.replace(tzinfo=None) if dt is not None else None


def _bool_int(value: Any) -> int | None:
    return None if value is None else int(bool(value))
