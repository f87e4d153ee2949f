"""What every warehouse dialect has: the :class:`SqlDialect` interface and its portable defaults.

A dialect object is chosen once per writer from the warehouse's hook (:func:`~.detect_dialect`) and holds
everything that differs between warehouses: the SQLAlchemy dialect compiling the statements, the column types,
how a value binds, how a transaction begins, how the tables are reflected, and the bulk path that writes a chunk
of rows (:meth:`SqlDialect.load`). The table layer (:mod:`~airflow_provider_calendly.transfers.sql_writer`,
:mod:`~airflow_provider_calendly.transfers.schema`) is the same on every warehouse and asks the dialect.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import msgspec
import sqlalchemy as sa

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.transfers.tables import TABLES, ColumnType, Row, sqlalchemy_type

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

__all__ = [
    "SchemaChange",
    "SqlDialect",
    "as_datetime",
    "columns_converter",
    "compile_ddl",
    "to_json",
    "validate_identifier",
]

#: Values bound in one ``IN (…)`` list where a dialect has no array or JSON-list parameter.
IN_BATCH = 500

_IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def validate_identifier(value: Any, *, what: str, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a safe SQL identifier (letters, digits, ``_``; no leading digit), else refuse it."""
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


def compile_ddl(element: sa.schema.ExecutableDDLElement, dialect: sa.engine.Dialect) -> str:
    """One line of compiled DDL (SQLAlchemy lays out ``CREATE TABLE`` over several lines)."""
    return str(element.compile(dialect=dialect)).strip().replace("\n\t", " ").replace("\n", " ")


@dataclass(frozen=True)
class SchemaChange:
    """One additive change of a schema upgrade: its DDL (logged, and recorded in ``schema_versions``) and what it
    changes, so a dialect that changes a schema through an API rather than DDL knows what to do."""

    kind: Literal["create_table", "add_column", "create_index"]
    sql: str
    table: sa.Table
    column: sa.Column[Any] | None = None


class SqlDialect:
    """One warehouse's way of writing the Calendly tables (subclassed once per warehouse).

    :param hook: The warehouse's common-sql hook (read for its connection's details, never for I/O here).
    """

    #: The dialect's name (``postgresql``, ``mysql``, …), as the README's warehouse table names it.
    name: ClassVar[str]
    #: The ``conn_type`` of the Airflow connections (so of the official hooks) this dialect is chosen for.
    conn_types: ClassVar[tuple[str, ...]] = ()
    #: The driver does not begin a transaction by itself (not even on DDL): the writer sends ``BEGIN``.
    explicit_begin: ClassVar[bool] = False
    #: A transaction's statements land together or not at all (``False``: each lands by itself, and the writes are
    #: idempotent instead, so a retry of a failed chunk lands it once: BigQuery).
    transactional: ClassVar[bool] = True
    #: Column comments are set by ``COMMENT ON COLUMN`` after ``CREATE TABLE`` (elsewhere inline, or absent).
    comment_statements: ClassVar[bool] = False
    #: A ``DELETE``'s rowcount is exact, so rows are not counted before they are deleted.
    exact_rowcount: ClassVar[bool] = False
    #: The driver returns JSON columns decoded (a JSON string as a ``str``), not as JSON text.
    json_decoded: ClassVar[bool] = False

    def __init__(self, hook: DbApiHook) -> None:
        self.hook = hook
        self.compiler = self.make_compiler()

    def make_compiler(self) -> sa.engine.Dialect:
        """The SQLAlchemy dialect the warehouse's statements are compiled with."""
        raise NotImplementedError

    @classmethod
    def own_hook(cls, conn_id: str) -> DbApiHook | None:
        """The common-sql hook of connection ``conn_id`` where its ``conn_type``'s registered hook is not one
        (default: ``None``, the registered hook is)."""
        return None

    def default_schema(self) -> str | None:
        """The schema of the tables when the writer is given none (default: ``None``, the connection's own)."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # -- names and types --

    @property
    def placeholder(self) -> str:
        """The positional parameter marker of SQL text (``?`` or ``%s``)."""
        return {"qmark": "?", "numeric": ":1"}.get(self.compiler.paramstyle, "%s")

    def column_type(self, column_type: ColumnType, *, key: bool) -> Any:
        """The SQLAlchemy type of a logical column type here (``key``: the column is in a key or an index)."""
        return sqlalchemy_type(column_type)

    @property
    def table_options(self) -> dict[str, Any]:
        """Dialect keyword arguments of every ``sa.Table`` (e.g. MySQL's character set)."""
        return {}

    @property
    def types(self) -> dict[ColumnType, str]:
        """The DDL spelling of each logical column type (of a column outside keys and indexes)."""
        return {t: self.column_type(t, key=False).compile(dialect=self.compiler) for t in ColumnType}

    def reflected_type(self, spelled: str) -> str:
        """A column type as reflection compares it (both what the catalog reports and what the registry wants,
        where the catalog spells a type otherwise)."""
        return spelled

    # -- binding values --

    def bind_timestamp(self, value: Any) -> Any:
        """A timestamp as the driver takes it (default: an aware UTC datetime)."""
        return value if type(value) is datetime and value.tzinfo is not None else as_datetime(value)

    def bind_column(self, column_type: ColumnType) -> Callable[[list[Any]], list[Any]] | None:
        """How a whole column of values binds (``None``: as they are): one comprehension per column, the hot loop
        of a load."""
        if column_type is ColumnType.JSON:
            return _json_column
        if column_type is ColumnType.TIMESTAMP:
            bind = self.bind_timestamp
            return lambda values: [None if v is None else bind(v) for v in values]
        return None

    # -- the connection --

    def connect(self) -> Any:
        """A new DB-API connection to the warehouse (default: the hook's ``get_conn()``)."""
        return self.hook.get_conn()

    def prepare(self, writer: WarehouseConnection) -> None:
        """Set up the writer's newly opened DB-API connection, ``writer.connection`` (default: nothing)."""

    def cursor(self, connection: Any) -> Any:
        """A cursor of ``connection`` (closed after each statement unless it is the connection itself)."""
        return connection.cursor()

    def transaction_ended(self) -> None:
        """Forget what lived only as long as the transaction (default: nothing)."""

    # -- reading --

    def values_source(self, column: sa.ColumnElement[Any], values: Sequence[Any]) -> tuple[Any, Any] | None:
        """A one-parameter source of ``values`` for ``column IN (…)``: ``(select, parameter)``, or ``None``
        to bind the values in lists of :data:`IN_BATCH`."""
        return None

    def reflect(self, writer: WarehouseConnection, table: sa.Table) -> dict[str, tuple[str, str]] | None:
        """Column name → (found type, expected type) of ``table``, both as the warehouse spells them, or
        ``None`` when it does not exist (default: SQLAlchemy's inspector over the writer's connection)."""
        engine = sa.create_engine(
            self.hook.get_uri(),
            creator=lambda: writer.connection,
            poolclass=sa.pool.StaticPool,
            pool_reset_on_return=None,
        )
        inspector = sa.inspect(engine)
        if not inspector.has_table(table.name, schema=writer.schema):
            return None
        dialect = engine.dialect
        return {
            c["name"]: (
                self.reflected_type(c["type"].compile(dialect=dialect)),
                self.reflected_type(table.c[c["name"]].type.compile(dialect=dialect)) if c["name"] in table.c else "",
            )
            for c in inspector.get_columns(table.name, schema=writer.schema)
        }

    def index_statements(self, writer: WarehouseConnection, table: sa.Table, exists: bool) -> list[str]:
        """``CREATE INDEX`` of the indexes of ``table`` it lacks (``exists``: the table exists already)."""
        return [compile_ddl(sa.schema.CreateIndex(i, if_not_exists=True), self.compiler) for i in table.indexes]

    # -- schema changes (planned by :mod:`~airflow_provider_calendly.transfers.schema`) --

    def create_table(self, writer: WarehouseConnection, table: sa.Table) -> SchemaChange:
        """The change creating ``table`` (default: ``CREATE TABLE IF NOT EXISTS``)."""
        sql = compile_ddl(sa.schema.CreateTable(table, if_not_exists=True), self.compiler)
        return SchemaChange("create_table", sql, table)

    def add_column(self, writer: WarehouseConnection, table: sa.Table, column: sa.Column[Any]) -> SchemaChange:
        """The change adding the (nullable) ``column`` to ``table`` (default: ``ALTER TABLE … ADD COLUMN``)."""
        preparer = self.compiler.identifier_preparer
        sql = (
            f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {preparer.format_column(column)} "
            f"{column.type.compile(dialect=self.compiler)}"
        )
        return SchemaChange("add_column", sql, table, column)

    def apply_change(self, writer: WarehouseConnection, change: SchemaChange) -> None:
        """Apply one planned change (default: run its DDL)."""
        writer.execute(change.sql, fetch=False)

    # -- writing --

    def fast_path(self, writer: WarehouseConnection) -> bool:
        """Whether :meth:`load` takes the warehouse's bulk path (else the prepared ``executemany``)."""
        return False

    def insert(self, table: sa.Table, select: sa.Select[Any] | None, upsert: bool) -> sa.ClauseElement:
        """``INSERT`` into ``table`` (of ``select``'s rows, else of one row of parameters), ``upsert``: replacing
        the row of the same primary key."""
        raise NotImplementedError

    def load(
        self,
        writer: WarehouseConnection,
        key: str,
        columns: list[list[Any]],
        *,
        upsert: bool,
        existing: int | None,
    ) -> None:
        """Write one chunk of rows (bound values, column by column) to table ``key``.

        :param upsert: Rows of the same primary key may exist and are replaced.
        :param existing: How many of the rows exist already (``None``: not known).
        """
        self.executemany(writer, key, columns, upsert=upsert)

    def executemany(self, writer: WarehouseConnection, key: str, columns: list[list[Any]], *, upsert: bool) -> None:
        """The portable path: one prepared statement, the rows as its ``executemany`` parameters."""
        values: list[Any] = list(zip(*columns, strict=True))
        if not self.compiler.positional:
            names = TABLES[key].column_names
            values = [dict(zip(names, v, strict=True)) for v in values]
        sql = writer.cached_sql(key, f"insert-{upsert}", lambda t: self.insert(t, None, upsert))
        with writer.cursor() as cursor:
            cursor.executemany(sql, values)

    # -- lineage --

    def lineage_namespace(self) -> str:
        """The OpenLineage namespace of the warehouse (``scheme://authority``)."""
        raise NotImplementedError

    def lineage_name(self, table: str, schema: str | None) -> str:
        """The OpenLineage name of one of the tables (default: ``schema.table``, or ``table``)."""
        return f"{schema}.{table}" if schema else table


def columns_converter(key: str, dialect: SqlDialect) -> Callable[[Sequence[Row], Any], list[list[Any]]]:
    """``convert(rows, synced_at)``: the values of rows of table ``key``, column by column, bound as the dialect binds.

    The hot loop of a load, kept in C where it can be: one ``itemgetter`` per row, one transpose, then the
    dialect's :meth:`~SqlDialect.bind_column` per JSON or timestamp column; ``synced_at`` (bound already) fills
    ``_synced_at``.
    """
    spec = TABLES[key]
    names = [c.name for c in spec.columns if c.name != "_synced_at"]
    binders = {t: dialect.bind_column(t) for t in ColumnType}
    touched = [(i, bind) for i, n in enumerate(names) if (bind := binders[spec.column(n).type]) is not None]
    synced_at = spec.column_names.index("_synced_at") if "_synced_at" in spec.column_names else None
    pick = operator.itemgetter(*names)

    def convert(rows: Sequence[Row], stamp: Any) -> list[list[Any]]:
        try:
            picked = [pick(row) for row in rows] if len(names) > 1 else [(pick(row),) for row in rows]
        except KeyError:  # a row built by hand may leave columns out: they are NULL
            picked = [tuple(row.get(name) for name in names) for row in rows]
        columns = [list(column) for column in zip(*picked, strict=True)]
        for i, bind in touched:
            columns[i] = bind(columns[i])
        if synced_at is not None:
            columns.insert(synced_at, [stamp] * len(rows))
        return columns

    return convert


def as_datetime(value: Any) -> datetime | None:
    """A timestamp read back from any driver (datetime, or ISO text from SQLite) as an aware UTC datetime."""
    return None if value is None else parse_utc(value)


def naive_utc(value: Any) -> datetime | None:
    """A timestamp as a naive UTC datetime (for columns without a zone: MySQL's ``DATETIME``)."""
    dt = value if type(value) is datetime and value.tzinfo is timezone.utc else as_datetime(value)
    return dt.replace(tzinfo=None) if dt is not None else None


_encode_json = msgspec.json.Encoder().encode


def _json_column(values: list[Any]) -> list[str | None]:
    """A column of JSON values as compact JSON text (msgspec in one comprehension; :func:`to_json` if it refuses one)."""
    try:
        return [None if v is None else _encode_json(v).decode() for v in values]
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return [None if v is None else to_json(v) for v in values]


def to_json(value: Any) -> str:
    """Compact JSON text: msgspec (~7x the standard library), which writes a ``NaN`` as ``null`` (valid JSON).

    Values msgspec cannot encode (e.g. integers beyond 64 bits) take the standard library's path.
    """
    try:
        return _encode_json(value).decode()
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
