"""Land Calendly objects in SQL tables: the registry's tables, brought up to date and upserted, on any warehouse.

:class:`CalendlyTableWriter` is the one place that writes the warehouse tables. The transfer operator uses it
(bulk, chunked sync), and so can anyone else, e.g. to upsert one invitee from a webhook payload::

    with CalendlyTableWriter(PostgresHook("warehouse"), "calendly_") as writer:
        writer.ensure_tables()
        writer.upsert_invitees([payload], scheduled_event_uri=payload["scheduled_event"]["uri"])

Everything about a table comes from :mod:`~airflow_provider_calendly.transfers.tables` as SQLAlchemy Core
``Table`` objects; SQLAlchemy compiles the DDL and the statements for the warehouse's dialect, and the
writer runs them on the DB-API connection of the warehouse's own common-sql hook (one connection per writer,
so every write joins the caller's :meth:`~CalendlyTableWriter.transaction`; the connection half is
:class:`~airflow_provider_calendly.transfers.warehouse.WarehouseConnection`).

- **Schema**: :meth:`~CalendlyTableWriter.ensure_tables` applies only additive changes — new tables, new
  nullable columns, indexes — in one transaction, and refuses a column of another type (see
  :mod:`~airflow_provider_calendly.transfers.schema`).
- **Upserts** by primary key, each warehouse's own way (``INSERT … ON CONFLICT … DO UPDATE``, ``INSERT … ON
  DUPLICATE KEY UPDATE``, ``MERGE``). The children of every written parent are replaced, so writing the same
  objects twice never duplicates a row.
- **One bulk path per warehouse**, behind one interface (:meth:`SqlDialect.load
  <airflow_provider_calendly.transfers.dialects.base.SqlDialect.load>`: a chunk of rows and the table): see
  each module of :mod:`~airflow_provider_calendly.transfers.dialects`.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from airflow_provider_calendly.models import EventType, Invitee, ScheduledEvent
from airflow_provider_calendly.transfers.dialects import (
    IN_BATCH,
    SqlDialect,
    as_datetime,
    columns_converter,
    detect_dialect,
    validate_identifier,
)
from airflow_provider_calendly.transfers.reconcile import StoredEvent
from airflow_provider_calendly.transfers.schema import SchemaEvolution
from airflow_provider_calendly.transfers.tables import (
    CHILD_TABLES,
    TABLES,
    ColumnType,
    Row,
    RowsByTable,
    build_rows,
)
from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

__all__ = ["CalendlyTableWriter", "SqlDialect", "SyncState", "UpsertCounts", "detect_dialect", "validate_identifier"]

# --- results and state ---------------------------------------------------------------------------------------


@dataclass
class UpsertCounts:
    """Rows written to one table: how many were new, replaced an existing row, or (children) were dropped."""

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


# --- the writer ----------------------------------------------------------------------------------------------


class CalendlyTableWriter(WarehouseConnection):
    """Create the Calendly tables in a warehouse and upsert Calendly objects into them.

    One writer holds one DB-API connection (opened on first use; :meth:`close` it, or use the writer as a
    context manager). Every write is atomic: inside :meth:`transaction` it joins it, else it commits alone.

    :param synced_at: Value of ``_synced_at`` for rows written; default: the start of each write's transaction.

    ``dbapi_hook``, ``table_prefix``, ``schema`` and ``dialect`` are those of
    :class:`~airflow_provider_calendly.transfers.warehouse.WarehouseConnection` (the tables are created in
    ``schema``).

    ``read_as_of`` is the ``_as_of`` of the rows written without one (rows read from the API): a Calendly time
    before those reads were made. Webhook change capture sets it when a pass starts; ``None`` leaves it null.
    """

    def __init__(
        self,
        dbapi_hook: DbApiHook,
        table_prefix: str = "calendly_",
        *,
        synced_at: datetime | None = None,
        schema: str | None = None,
        dialect: str | None = None,
    ) -> None:
        super().__init__(dbapi_hook, table_prefix, schema=schema, dialect=dialect)
        self.synced_at = synced_at
        self.read_as_of: datetime | None = None
        self._converters = {key: columns_converter(key, self.dialect) for key in TABLES}
        self._tx_synced_at: datetime | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one atomic commit: all of them land, or (on any exception) none does.

        The rows of one transaction share one ``_synced_at`` (the writer's ``synced_at``, else its start).
        """
        if self.in_transaction:
            with super().transaction():
                yield
            return
        self._tx_synced_at = self.synced_at or datetime.now(timezone.utc)
        with super().transaction():
            yield

    # -- schema (see :mod:`~airflow_provider_calendly.transfers.schema`) --

    def reflect_columns(self, key: str) -> dict[str, str] | None:
        """Column name → type (as the warehouse spells it) of table ``key``, or ``None`` if it does not exist."""
        return self.schema_evolution.reflect_columns(key)

    def ensure_tables(self, keys: Iterable[str] | None = None) -> list[str]:
        """Bring the given tables (default: all) and the bookkeeping tables up to the registry, atomically.

        Records the registry's fingerprint in ``schema_versions`` in the same transaction when it changed.

        :return: The schema-changing statements applied (empty when the warehouse was up to date).
        :raises CalendlySchemaError: if a column exists with another type; nothing is changed then.
        """
        with self.transaction():
            changes, version = self.schema_evolution.apply(keys)
            if version is not None:
                self.upsert_bookkeeping("schema_versions", [version])
        return changes

    @cached_property
    def schema_evolution(self) -> SchemaEvolution:
        return SchemaEvolution(self)

    # -- reading --

    def count(self, key: str) -> int:
        """Return the number of rows in table ``key``."""
        return int(self.execute(sa.select(sa.func.count()).select_from(self.tables[key]))[0][0])

    def stored(self, key: str, uris: Sequence[str], *columns: str) -> dict[str, tuple[Any, ...]]:
        """Return ``columns`` of the stored rows of table ``key`` among ``uris``, by uri (timestamps as UTC
        datetimes, JSON decoded: some warehouses return it as text)."""
        table = self.tables[key]
        read = {ColumnType.TIMESTAMP: as_datetime, ColumnType.JSON: _decoded}
        convert = [read.get(TABLES[key].column(c).type, _as_is) for c in columns]
        query = sa.select(table.c.uri, *(table.c[c] for c in columns))
        return {
            uri: tuple(f(v) for v, f in zip(values, convert, strict=True))
            for uri, *values in self._where_in(
                key, f"stored-{columns}", "uri", uris, lambda _t, cond: query.where(cond)
            )
        }

    def stored_events(self, uris: Sequence[str]) -> dict[str, StoredEvent]:
        """Return what is stored of the given scheduled events (by URI), for reconcile to compare against."""
        stored = self.stored("scheduled_events", uris, "updated_at", "status", "invitees_total", "invitees_active")
        return {
            uri: StoredEvent(updated_at=at, status=status, invitees_total=_int(total), invitees_active=_int(active))
            for uri, (at, status, total, active) in stored.items()
        }

    def get_sync_state(self, table_name: str, scope: str) -> SyncState | None:
        """Return the sync state of one table and scope, or ``None`` before its first sync."""
        table = self.tables["sync_state"]
        rows = self.execute(sa.select(table).where(table.c.table_name == table_name, table.c.scope == scope))
        if not rows:
            return None
        spec, values = TABLES["sync_state"], dict(zip(table.columns.keys(), rows[0], strict=True))
        return SyncState(
            **{  # type: ignore[arg-type]
                f.name: as_datetime(values[f.name])
                if spec.column(f.name).type is ColumnType.TIMESTAMP
                else values[f.name]
                for f in fields(SyncState)
            }
        )

    # -- writing --

    def put_sync_state(self, state: SyncState) -> None:
        """Insert or replace one ``sync_state`` row (atomically with the surrounding transaction, if any)."""
        self.upsert_bookkeeping("sync_state", [{**state.__dict__, "updated_at": datetime.now(timezone.utc)}])

    def upsert_bookkeeping(self, key: str, rows: Sequence[Row]) -> None:
        """Insert or replace rows of a bookkeeping table (no children, no counts), atomically."""
        with self.transaction():
            self._insert(key, rows, upsert=True)

    def write_rows(self, rows_by_table: Mapping[str, Sequence[Row]]) -> dict[str, UpsertCounts]:
        """Upsert already-flattened rows (parents by primary key; children replaced per parent), atomically.

        The child rows of every parent present in ``rows_by_table`` replace that parent's previous children,
        for each child table present in ``rows_by_table``; a child table absent from it is left as it is (its
        parents were built without reading it, e.g. recaps landed from webhooks keep their transcripts). A
        parent (or a child key) listed twice keeps its last version.

        :param rows_by_table: Rows per table key, as built by :func:`~.tables.build_rows`.
        """
        counts: dict[str, UpsertCounts] = {}
        with self.transaction():
            for key, rows in rows_by_table.items():
                spec = TABLES[key]
                if spec.parent_column is not None or not rows:
                    continue
                key_of = _key_getter(spec.primary_key)
                latest = {key_of(row): row for row in rows}
                if self.read_as_of is not None and "_as_of" in spec.column_names:
                    for row in latest.values():
                        if row.get("_as_of") is None:
                            row["_as_of"] = self.read_as_of
                existing = self._count_stored(key, list(latest))
                # None of them stored yet (this transaction counted): a plain insert, and no children to replace,
                # since children are only ever written, and swept, with their parent.
                self._insert(key, list(latest.values()), upsert=bool(existing), existing=existing)
                n = len(latest)
                counts[key] = UpsertCounts(rows=n, inserted=n - existing, updated=existing)
                parents = [k[0] for k in latest]
                for child in CHILD_TABLES.get(key, ()):
                    if child not in rows_by_table:
                        continue
                    link = str(TABLES[child].parent_column)
                    child_key_of = _key_getter(TABLES[child].primary_key)
                    wanted = {child_key_of(r): r for r in rows_by_table.get(child, ())}
                    unique = [r for r in wanted.values() if (r[link],) in latest]
                    before = self.delete_rows(child, link, parents) if existing else 0
                    self._insert(child, unique, upsert=False)
                    m = len(unique)
                    counts[child] = UpsertCounts(
                        rows=m, inserted=max(0, m - before), updated=min(m, before), deleted=max(0, before - m)
                    )
        return counts

    def upsert_event_types(self, items: Iterable[EventType | Mapping[str, Any]]) -> dict[str, UpsertCounts]:
        """Upsert event types into ``<prefix>event_types``."""
        return self._upsert_models("event_types", EventType, items)

    def upsert_scheduled_events(self, events: Iterable[ScheduledEvent | Mapping[str, Any]]) -> dict[str, UpsertCounts]:
        """Upsert scheduled events, replacing their ``event_memberships`` and ``event_guests`` rows."""
        return self._upsert_models("scheduled_events", ScheduledEvent, events)

    def upsert_invitees(
        self, invitees: Iterable[Invitee | Mapping[str, Any]], *, scheduled_event_uri: str | None = None
    ) -> dict[str, UpsertCounts]:
        """Upsert invitees (API objects or webhook ``invitee.*`` payloads), replacing their answers.

        :param scheduled_event_uri: Scheduled event of invitees that do not name it in ``event`` (webhook
            payloads carry it as ``scheduled_event``, which is also understood).
        """
        return self._upsert_models("invitees", Invitee, invitees, scheduled_event_uri=scheduled_event_uri)

    def _upsert_models(
        self, key: str, model: type[Any], items: Iterable[Any], **context: Any
    ) -> dict[str, UpsertCounts]:
        merged: RowsByTable = {k: [] for k in (key, *CHILD_TABLES.get(key, ()))}
        for item in items:
            for table, rows in build_rows(
                key, item if isinstance(item, model) else model.model_validate(item), **context
            ).items():
                merged[table].extend(rows)
        return self.write_rows(merged)

    def _where_in(
        self,
        key: str,
        name: str,
        column: str,
        values: Sequence[Any],
        build: Callable[[sa.Table, sa.ColumnElement[bool]], sa.ClauseElement],
        **bound: Any,
    ) -> list[tuple[Any, ...]]:
        """Run ``build(table, column IN values)``: one cached statement with one parameter where the dialect has
        a source of values (a JSON list or an array), else one statement per batch of ``IN_BATCH`` values.

        :param bound: Values of the statement's other named parameters (``sa.bindparam(name)``).
        """
        table = self.tables[key]
        col = table.c[column]
        source = self.dialect.values_source(col, values)
        if source is None:
            rows: list[tuple[Any, ...]] = []
            affected = 0
            for start in range(0, len(values), IN_BATCH):
                rows += self.execute(build(table, col.in_(values[start : start + IN_BATCH])), bound=bound)
                affected += self._rowcount
            self._rowcount = affected
            return rows
        select, param = source
        return self.execute_cached(
            key, f"{name}-{column}", lambda t: build(t, col.in_(select)), {"values": param, **bound}
        )

    def _count_stored(self, key: str, keys: Sequence[tuple[Any, ...]]) -> int:
        """How many of ``keys`` (primary-key tuples of table ``key``) are stored."""
        spec = TABLES[key]
        first = spec.primary_key[0]
        if len(spec.primary_key) == 1:
            return self._count_where(key, first, [k[0] for k in keys])
        # A composite key (a busy time: user, type, start, end): its rows of the first column's values, compared
        # in Python (timestamps read back from any driver as UTC datetimes).
        is_ts = [spec.column(c).type is ColumnType.TIMESTAMP for c in spec.primary_key]

        def normal(values: Sequence[Any]) -> tuple[Any, ...]:
            return tuple(as_datetime(v) if ts else v for v, ts in zip(values, is_ts, strict=True))

        stored = self._where_in(
            key,
            "keys",
            first,
            sorted({k[0] for k in keys}),
            lambda t, cond: sa.select(*(t.c[c] for c in spec.primary_key)).where(cond),
        )
        found = {normal(row) for row in stored}
        return sum(1 for k in keys if normal(k) in found)

    def _count_where(self, key: str, column: str, values: Sequence[Any]) -> int:
        rows = self._where_in(
            key, "count", column, values, lambda t, c: sa.select(sa.func.count()).select_from(t).where(c)
        )
        return sum(int(r[0]) for r in rows)

    def delete_rows(self, key: str, column: str, values: Sequence[Any]) -> int:
        """Delete the rows of table ``key`` whose ``column`` is in ``values``; return how many there were."""
        if not self.dialect.exact_rowcount:  # there a count is cheaper than a DELETE that finds nothing
            before = self._count_where(key, column, values)
            if not before:
                return 0
        self._where_in(key, "delete", column, values, lambda t, c: sa.delete(t).where(c))
        return self._rowcount if self.dialect.exact_rowcount else before

    def mark_deleted(self, key: str, uris: Sequence[str], at: datetime) -> None:
        """Set ``_deleted_at`` to ``at`` on the rows of table ``key`` among ``uris``."""
        self._where_in(
            key,
            "mark-deleted",
            "uri",
            uris,
            # set by name when run (not ``required`` at compile time: batches are compiled with their IN lists)
            lambda t, c: sa.update(t).where(c).values(_deleted_at=sa.bindparam("deleted_at", required=False)),
            deleted_at=self.dialect.bind_timestamp(at),
        )

    def _insert(self, key: str, rows: Sequence[Row], *, upsert: bool, existing: int | None = None) -> None:
        """Write ``rows`` to table ``key`` (``upsert``: replacing rows of the same key) on the dialect's bulk path.

        :param existing: How many of the rows exist already (known to :meth:`write_rows`), ``None``: unknown.
        """
        if not rows:
            return
        stamp = self.dialect.bind_timestamp(self._tx_synced_at or self.synced_at or datetime.now(timezone.utc))
        self.dialect.load(self, key, self._converters[key](rows, stamp), upsert=upsert, existing=existing)


def _key_getter(columns: Sequence[str]) -> Callable[[Row], tuple[Any, ...]]:
    """A row's primary key as a tuple (``itemgetter``: the per-row cost of de-duplicating a chunk)."""
    get = operator.itemgetter(*columns)
    return (lambda row: (get(row),)) if len(columns) == 1 else get  # type: ignore[return-value]


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _as_is(value: Any) -> Any:
    return value


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
