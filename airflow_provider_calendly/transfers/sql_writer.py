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

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

import msgspec
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
    TableSpec,
    build_rows,
    children_in_parent_raw,
)
from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook

__all__ = ["CalendlyTableWriter", "SqlDialect", "SyncState", "UpsertCounts", "detect_dialect", "validate_identifier"]

# --- results and state ---------------------------------------------------------------------------------------


@dataclass
class UpsertCounts:
    """Rows written to one table: new (``inserted``), replacing a stored row whose content differed (``changed``)
    or was the same (``unchanged``), and rows removed (``deleted``: children a parent no longer has, rows swept).

    ``updated`` (``changed + unchanged``: every row that replaced a stored one) is what earlier releases reported.
    """

    rows: int = 0
    inserted: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def updated(self) -> int:
        return self.changed + self.unchanged

    def add(self, other: UpsertCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "updated": self.updated}

    @classmethod
    def compare(cls, new: Mapping[Any, Any], stored: Mapping[Any, Any]) -> UpsertCounts:
        """Count ``new`` rows' contents (by key) against the ``stored`` ones: new, changed, unchanged, and stored
        rows with no new row (``deleted``)."""
        changed = sum(1 for key, content in new.items() if key in stored and stored[key] != content)
        both = sum(1 for key in new if key in stored)
        return cls(
            rows=len(new),
            inserted=len(new) - both,
            changed=changed,
            unchanged=both - changed,
            deleted=len(stored) - both,
        )


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
        read = {ColumnType.TIMESTAMP: as_datetime, ColumnType.JSON: _same if self.dialect.json_decoded else _decoded}
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
                normal = _key_normal(spec)
                contents = {normal(k): _content(row) for k, row in latest.items()}
                # The stored rows of these keys (read by the key's first column: a composite key's other rows too).
                first = sorted({k[0] for k in contents})
                stored = {
                    k: c for k, c in self._stored_contents(key, spec.primary_key[0], first).items() if k in contents
                }
                # None of them stored yet (as this transaction reads it): a plain insert, and no children to replace,
                # since children are only ever written, and swept, with their parent.
                self._insert(key, list(latest.values()), upsert=bool(stored), existing=len(stored))
                counts[key] = UpsertCounts.compare(contents, stored)
                # A child row is usually an element of a list in its parent's raw: the children of a parent whose
                # content is unchanged are unchanged too, so only a changed parent's stored children are read back
                # (all stored parents' children, for a list the sync reads apart and keeps out of raw).
                changed = {k[0] for k, content in contents.items() if k in stored and stored[k] != content}
                for child in CHILD_TABLES.get(key, ()):
                    if child not in rows_by_table:
                        continue
                    reread = changed if children_in_parent_raw(child) else {k[0] for k in stored}
                    link = str(TABLES[child].parent_column)
                    child_key_of = _key_getter(TABLES[child].primary_key)
                    wanted = {child_key_of(r): r for r in rows_by_table.get(child, ())}
                    unique = {k: r for k, r in wanted.items() if (r[link],) in latest}
                    before = self._stored_contents(child, link, sorted(reread)) if reread else {}
                    if stored:
                        self._delete_where(child, link, [k[0] for k in stored])
                    self._insert(child, list(unique.values()), upsert=False)
                    same = {k for k in unique if (k[0],) in stored and k[0] not in reread}
                    counts[child] = UpsertCounts.compare(
                        {k: _content(r) for k, r in unique.items() if k not in same}, before
                    )
                    counts[child].add(UpsertCounts(rows=len(same), unchanged=len(same)))
        return counts

    def _stored_contents(self, key: str, column: str, values: Sequence[Any]) -> dict[tuple[Any, ...], Any]:
        """The content (:func:`_content`) of the stored rows of table ``key`` whose ``column`` is in ``values``,
        by primary key (:func:`_key_normal`): one read per write, of the rows the write replaces (none for new rows).

        A table without ``raw`` (bookkeeping) has no content to compare: each of its stored rows counts as changed.
        """
        spec = TABLES[key]
        width = len(spec.primary_key)
        has_raw, marked = "raw" in spec.column_names, "_deleted_at" in spec.column_names

        def build(t: sa.Table, cond: sa.ColumnElement[bool]) -> sa.ClauseElement:
            content = [t.c.raw] if has_raw else []
            flag = [t.c._deleted_at.is_(None)] if marked else []
            return sa.select(*(t.c[c] for c in spec.primary_key), *content, *flag).where(cond)

        rows = self._where_in(key, "content", column, values, build)
        normal = _key_normal(spec)
        if not has_raw:
            return {normal(r): _UNCOMPARABLE for r in rows}
        decode = _same if self.dialect.json_decoded else _decoded
        return {normal(r[:width]): (decode(r[width]), bool(r[width + 1]) if marked else True) for r in rows}

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
        self._delete_where(key, column, values)
        return self._rowcount if self.dialect.exact_rowcount else before

    def _delete_where(self, key: str, column: str, values: Sequence[Any]) -> None:
        self._where_in(key, "delete", column, values, lambda t, c: sa.delete(t).where(c))

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


def _as_is(value: Any) -> Any:
    return value


#: The stored content of a row that has none to compare: equal to nothing.
_UNCOMPARABLE = object()


def _key_normal(spec: TableSpec) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A primary key as one comparable tuple, as written or as any driver reads it back (timestamps, e.g. of a busy
    time's composite key, as UTC datetimes)."""
    is_ts = [spec.column(c).type is ColumnType.TIMESTAMP for c in spec.primary_key]
    if not any(is_ts):
        return tuple
    return lambda values: tuple(as_datetime(v) if ts else v for v, ts in zip(values, is_ts, strict=True))


def _content(row: Row) -> tuple[Any, bool]:
    """What a row's content is compared by: ``raw`` (the whole object as Calendly returned it: every other column
    but the keys and the sync's own ``_`` columns is taken from it) and whether it is live (``_deleted_at`` null:
    a row that comes back after a sweep marked it has changed)."""
    return row.get("raw"), True


def _decoded(value: Any) -> Any:
    """A stored JSON text as Python data (what is not JSON text is compared as it is)."""
    if not isinstance(value, (str, bytes)):
        return value
    try:
        return msgspec.json.decode(value)
    except msgspec.DecodeError:
        return value


def _same(value: Any) -> Any:
    return value


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
