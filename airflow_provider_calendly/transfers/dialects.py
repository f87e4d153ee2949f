"""How each warehouse spells and binds: its SQLAlchemy dialect, and the values of a row as its driver takes them.

:func:`detect_dialect` reads the hook's ``dialect_name``; SQLite, PostgreSQL and DuckDB have upserts and a fast
path in :class:`~airflow_provider_calendly.transfers.sql_writer.CalendlyTableWriter`, any other common-sql
dialect takes the generic path (its SQLAlchemy dialect from the hook's URL, delete-then-insert upserts).
DuckDB has no SQLAlchemy dialect in the lock (``duckdb-engine`` 0.17's reflection fails on SQLAlchemy 2.1 and
DuckDB 2), so its statements are compiled by PostgreSQL's compiler under DuckDB's name and ``?`` parameters.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.transfers.tables import TABLES, ColumnType, Row, sqlalchemy_type

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

__all__ = [
    "DIALECTS",
    "SqlDialect",
    "as_datetime",
    "bind_timestamp",
    "columns_converter",
    "detect_dialect",
    "to_json",
    "validate_identifier",
]

#: The dialects the table layer knows: three with upserts and a fast path, and every other common-sql dialect.
DIALECTS: tuple[str, ...] = ("sqlite", "postgresql", "duckdb", "generic")

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


class _DuckDBCompiler(postgresql.base.PGDialect):
    """Compiles DuckDB's SQL: PostgreSQL's grammar and ``?`` parameters, named ``duckdb`` so no PostgreSQL-only
    type variant (``JSONB``) applies."""

    name = "duckdb"


@dataclass(frozen=True)
class SqlDialect:
    """The warehouse's dialect: its name, the SQLAlchemy dialect compiling its statements, and how it binds values.

    :param name: ``sqlite``, ``postgresql``, ``duckdb`` or ``generic``.
    :param compiler: SQLAlchemy dialect the statements are compiled with.
    :param upsert: ``INSERT … ON CONFLICT DO UPDATE``; else delete-then-insert.
    :param timestamps: How a timestamp is bound: ``aware`` datetime, ISO 8601 ``text`` (SQLite), ``naive`` UTC.
    """

    name: str
    compiler: sa.engine.Dialect
    upsert: bool = True
    timestamps: str = "aware"

    @property
    def placeholder(self) -> str:
        return {"qmark": "?", "numeric": ":1"}.get(self.compiler.paramstyle, "%s")

    @property
    def types(self) -> dict[ColumnType, str]:
        """The DDL spelling of each logical column type."""
        return {t: sqlalchemy_type(t).compile(dialect=self.compiler) for t in ColumnType}


def dialect_for(name: str, hook: DbApiHook) -> SqlDialect:
    if name == "sqlite":
        return SqlDialect("sqlite", sqlite.dialect(paramstyle="qmark"), timestamps="text")
    if name == "postgresql":
        return SqlDialect("postgresql", postgresql.psycopg.dialect(paramstyle="format"))  # type: ignore[no-untyped-call]
    if name == "duckdb":
        return SqlDialect("duckdb", _DuckDBCompiler(paramstyle="qmark"))  # type: ignore[no-untyped-call]
    compiler = sa.engine.make_url(hook.get_uri()).get_dialect()()
    return SqlDialect("generic", compiler, upsert=False, timestamps="naive")


def detect_dialect(hook: DbApiHook) -> SqlDialect:
    """The dialect of a common-sql hook, from its ``dialect_name`` (the hook's SQLAlchemy URL)."""
    name = str(hook.dialect_name or "").lower()
    return dialect_for(name if name in DIALECTS else "generic", hook)


def bind_timestamp(dialect: SqlDialect) -> Callable[[Any], Any]:
    """How the dialect binds a timestamp: ISO 8601 UTC text (SQLite), a naive UTC datetime (generic), else aware."""
    return {"text": _ts_text, "naive": _ts_naive}.get(dialect.timestamps, _ts_aware)


def columns_converter(key: str, dialect: SqlDialect) -> Callable[[Sequence[Row], Any], list[list[Any]]]:
    """``convert(rows, synced_at)``: the values of rows of table ``key``, column by column, bound as the dialect binds.

    The hot loop of a load, kept in C where it can be: one ``itemgetter`` per row, one transpose, then one
    comprehension per JSON or timestamp column; ``synced_at`` (bound already) fills ``_synced_at``.
    """
    spec = TABLES[key]
    names = [c.name for c in spec.columns if c.name != "_synced_at"]
    by_type = {ColumnType.JSON: to_json, ColumnType.TIMESTAMP: bind_timestamp(dialect)}
    touched = [(i, by_type[spec.column(n).type]) for i, n in enumerate(names) if spec.column(n).type in by_type]
    synced_at = spec.column_names.index("_synced_at") if "_synced_at" in spec.column_names else None
    pick = operator.itemgetter(*names)

    def convert(rows: Sequence[Row], stamp: Any) -> list[list[Any]]:
        try:
            picked = [pick(row) for row in rows] if len(names) > 1 else [(pick(row),) for row in rows]
        except KeyError:  # a row built by hand may leave columns out: they are NULL
            picked = [tuple(row.get(name) for name in names) for row in rows]
        columns = [list(column) for column in zip(*picked, strict=True)]
        for i, fn in touched:
            columns[i] = [None if v is None else fn(v) for v in columns[i]]
        if synced_at is not None:
            columns.insert(synced_at, [stamp] * len(rows))
        return columns

    return convert


def as_datetime(value: Any) -> datetime | None:
    """A timestamp read back from any driver (datetime, or ISO text from SQLite) as an aware UTC datetime."""
    return None if value is None else parse_utc(value)


def _ts_aware(value: Any) -> datetime | None:
    return value if type(value) is datetime and value.tzinfo is not None else as_datetime(value)


def _ts_text(value: Any) -> str | None:
    dt = value if type(value) is datetime and value.tzinfo is timezone.utc else as_datetime(value)
    return dt.isoformat(timespec="microseconds") if dt is not None else None


def _ts_naive(value: Any) -> datetime | None:
    dt = as_datetime(value)
    return dt.replace(tzinfo=None) if dt is not None else None


_encode_json = msgspec.json.Encoder().encode


def to_json(value: Any) -> str:
    """Compact JSON text: msgspec (~7x the standard library), which writes a ``NaN`` as ``null`` (valid JSON).

    Values msgspec cannot encode (e.g. integers beyond 64 bits) take the standard library's path.
    """
    try:
        return _encode_json(value).decode()
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
