"""The durable webhook inbox: every accepted delivery, stored once, in a SQL database.

The receiver writes each verified delivery here *before* answering Calendly, so a delivery that got a 2xx is
never lost. Calendly retries a delivery it thinks failed (timeouts, 5xx), and a receiver may see the same
delivery twice; Calendly sends no delivery id, so the inbox derives one (:func:`delivery_id`): the SHA-256 of
the event name, the payload's ``uri`` and the envelope's ``created_at``. Retries carry the same three, so each
event is stored once; a later, different event about the same object (a cancellation after the booking, a
second no-show after an undo) differs in name or ``created_at`` and is stored as new.

Tables (``<prefix>`` defaults to ``calendly_webhook_``):

* ``<prefix>deliveries`` — one row per delivery: a monotonically increasing ``id`` (the order deliveries were
  stored in), ``delivery_id`` (unique), ``event``, ``created_at``, ``created_by``, ``payload_uri``,
  ``event_type`` (the scheduled event's event type URI, when the payload has one), ``organization`` (as
  tagged by the receiver), ``received_at`` (Unix seconds) and ``body`` (the envelope JSON as received);
* ``<prefix>consumers`` — the position (last ``id`` handed out) of each named consumer, so a restarted
  :class:`~airflow_provider_calendly.triggers.calendly.CalendlyWebhookTrigger` resumes where it stopped;
* ``<prefix>claims`` — which deliveries each consuming task has acted on (:meth:`WebhookInbox.claim`), so
  a delivery replayed after a triggerer restart is acted on once;
* ``<prefix>receipts`` — per callback path (one per subscription) and UTC day, the deliveries the receiver
  stored, the duplicates, and the deliveries it refused (a bad signature, or not a webhook envelope), with the
  last time of each: the receiver's history, kept :data:`RECEIPT_DAYS` days (the deliveries themselves are
  kept for the retention).

The database is reached through an Airflow connection (SQLite or PostgreSQL; any other SQLAlchemy URL via the
connection's URI). Without a connection named ``calendly_webhook_inbox`` the inbox is the SQLite file
``$AIRFLOW_HOME/calendly_webhook_inbox.db``. Rows older than the retention (default 7 days) are purged.
Tables a newer release adds are created on first use, so an existing inbox upgrades itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.models import WebhookEnvelope, webhook_resource_uri

if TYPE_CHECKING:
    from airflow.sdk import Connection

__all__ = [
    "DEFAULT_INBOX_CONN_ID",
    "DEFAULT_RETENTION",
    "Delivery",
    "NewDelivery",
    "Receipts",
    "Rejection",
    "StoreResult",
    "WebhookInbox",
    "default_inbox_path",
    "delivery_id",
    "inbox_url_for_connection",
]

log = logging.getLogger(__name__)

DEFAULT_INBOX_CONN_ID = "calendly_webhook_inbox"
DEFAULT_RETENTION = 7 * 24 * 3600.0
DEFAULT_TABLE_PREFIX = "calendly_webhook_"
_PURGE_EVERY = 600.0
_CALENDLY_RETRY_WINDOW = 24 * 3600.0
#: Days of receipts kept: a month of deliveries per day, whatever the deliveries' retention.
RECEIPT_DAYS = 35
#: The tallies of one receipts row.
_TALLIES = ("stored", "duplicate", "rejected_signature", "rejected_other")


def delivery_id(event: str, payload: Mapping[str, Any], created_at: datetime) -> str:
    """Return the stable id of a delivery: SHA-256 of event name, payload ``uri`` and envelope ``created_at``.

    The payload's ``uri`` is its resource's (a contact's or a recap's is nested: ``contact.uri``,
    ``recap.uri``); a payload without one (an event type Calendly adds later may lack one) is identified by
    its canonical JSON instead.
    """
    uri = webhook_resource_uri(dict(payload))
    if not uri:
        uri = (
            "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        )
    stamp = created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return hashlib.sha256(f"{event}\n{uri}\n{stamp}".encode()).hexdigest()


@dataclass(frozen=True)
class _DeliveryColumns:
    """The columns of a stored delivery, shared by one about to be stored and one read back."""

    delivery_id: str
    event: str
    created_at: str
    created_by: str | None
    payload_uri: str | None
    event_type: str | None
    organization: str | None
    received_at: float
    body: str


@dataclass(frozen=True)
class NewDelivery(_DeliveryColumns):
    """A verified, parsed delivery about to be stored."""

    @classmethod
    def from_envelope(
        cls, envelope: WebhookEnvelope, body: bytes | str, *, received_at: float, organization: str | None = None
    ) -> NewDelivery:
        """Build the row for a parsed envelope and its raw body."""
        payload = envelope.payload
        scheduled_event = payload.get("scheduled_event")
        event_type = scheduled_event.get("event_type") if isinstance(scheduled_event, dict) else None
        uri = webhook_resource_uri(payload)
        return cls(
            delivery_id=delivery_id(envelope.event, payload, envelope.created_at),
            event=envelope.event,
            created_at=envelope.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            created_by=envelope.created_by,
            payload_uri=uri,
            event_type=event_type if isinstance(event_type, str) else None,
            organization=organization,
            received_at=received_at,
            body=body.decode() if isinstance(body, bytes) else body,
        )


@dataclass(frozen=True)
class StoreResult:
    """Outcome of storing one delivery: its inbox ``id`` (``None`` for a duplicate) and whether it was new."""

    delivery_id: str
    stored: bool
    id: int | None = None


@dataclass(frozen=True)
class Rejection:
    """A delivery the receiver refused (never stored), tallied in the receipts of its callback path.

    :param path: The callback path it was posted to.
    :param reason: ``signature`` (missing, malformed, stale or wrong) or ``other`` (not a webhook envelope).
    :param at: When it was refused (Unix seconds).
    """

    path: str
    reason: str
    at: float


@dataclass(frozen=True)
class Receipts:
    """What the receiver did with the deliveries to one callback path on one UTC day (``YYYY-MM-DD``)."""

    path: str
    day: str
    stored: int
    duplicate: int
    rejected_signature: int
    rejected_other: int
    last_stored_at: float | None
    last_rejected_at: float | None


@dataclass(frozen=True)
class Delivery(_DeliveryColumns):
    """A stored delivery, as read back from the inbox: the columns and its inbox ``id``."""

    id: int

    @property
    def payload(self) -> dict[str, Any]:
        envelope = json.loads(self.body)
        payload = envelope.get("payload") if isinstance(envelope, dict) else None
        return payload if isinstance(payload, dict) else {}

    def as_event(self) -> dict[str, Any]:
        """Return the delivery as a JSON-safe dict (what triggers yield and the sensor returns)."""
        return {
            "id": self.id,
            "delivery_id": self.delivery_id,
            "event": self.event,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "payload_uri": self.payload_uri,
            "event_type": self.event_type,
            "organization": self.organization,
            "received_at": datetime.fromtimestamp(self.received_at, timezone.utc).isoformat(),
            "payload": self.payload,
        }


# --- engines ------------------------------------------------------------------------------------------------


def default_inbox_path() -> Path:
    """The SQLite file used when no inbox connection is defined: ``$AIRFLOW_HOME/calendly_webhook_inbox.db``."""
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return Path(home) / "calendly_webhook_inbox.db"


def inbox_url_for_connection(conn: Connection | None) -> str | URL:
    """Return the SQLAlchemy URL of an inbox connection (``None``: the default SQLite file)."""
    if conn is None:
        return f"sqlite:///{default_inbox_path()}"
    conn_type = (conn.conn_type or "").lower()
    if conn_type == "sqlite":
        if not conn.host:
            raise CalendlyConfigError(f"SQLite connection {conn.conn_id!r} needs the database file path as host")
        return "sqlite://" if conn.host == ":memory:" else f"sqlite:///{conn.host}"
    if conn_type in {"postgres", "postgresql"}:
        return URL.create(
            "postgresql+psycopg",
            username=conn.login or None,
            password=conn.password or None,
            host=conn.host or None,
            port=conn.port or None,
            database=conn.schema or None,
        )
    extra = conn.extra_dejson if conn.extra else {}
    if isinstance(extra, dict) and isinstance(extra.get("sqlalchemy_url"), str):
        return str(extra["sqlalchemy_url"])
    return conn.get_uri()


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _engine_for(url: str | URL) -> Engine:
    """One engine per database URL per process (triggers, sensor pokes and the receiver share it)."""
    parsed = make_url(url)
    key = parsed.render_as_string(hide_password=False)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _create_engine(parsed)
            _ENGINES[key] = engine
        return engine


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, future=True)
    database = url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, future=True)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers (triggers) never block the writer (receiver)
        cursor.execute("PRAGMA synchronous=FULL")  # every commit is fsynced: a 2xx means stored
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


# --- the inbox ----------------------------------------------------------------------------------------------


class WebhookInbox:
    """Store and read webhook deliveries in a SQL database.

    :param url: SQLAlchemy URL (or an :class:`~sqlalchemy.engine.Engine`) of the inbox database.
    :param table_prefix: Prefix of the inbox's table names.
    :param retention: Seconds to keep deliveries; older ones are purged (at most every 10 minutes on write).
    :param clock: Wall clock in Unix seconds (injectable for tests).
    """

    def __init__(
        self,
        url: str | URL | Engine,
        *,
        table_prefix: str = DEFAULT_TABLE_PREFIX,
        retention: float = DEFAULT_RETENTION,
        clock: Any = time.time,
    ) -> None:
        if not table_prefix.replace("_", "").isalnum():
            raise CalendlyConfigError(f"table_prefix must be letters, digits and '_', got {table_prefix!r}")
        if retention <= 0:
            raise CalendlyConfigError(f"retention must be positive, got {retention!r}")
        if retention < _CALENDLY_RETRY_WINDOW:
            log.warning(
                "Webhook inbox retention (%.0f s) is shorter than Calendly's 24 h retry window: a retry arriving "
                "after its first delivery was purged would be stored again",
                retention,
            )
        self.engine = url if isinstance(url, Engine) else _engine_for(url)
        self.retention = float(retention)
        self._clock = clock
        self._last_purge = 0.0
        self._created = False
        self._create_lock = threading.Lock()
        metadata = sa.MetaData()
        self.deliveries = sa.Table(
            f"{table_prefix}deliveries",
            metadata,
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
            sa.Column("delivery_id", sa.String(64), nullable=False, unique=True),
            sa.Column("event", sa.String(128), nullable=False),
            sa.Column("created_at", sa.String(32), nullable=False),
            sa.Column("created_by", sa.String(512)),
            sa.Column("payload_uri", sa.String(512)),
            sa.Column("event_type", sa.String(512)),
            sa.Column("organization", sa.String(512)),
            sa.Column("received_at", sa.Float(), nullable=False, index=True),
            sa.Column("body", sa.Text(), nullable=False),
            sqlite_autoincrement=True,  # never reuse the id of a purged row: consumer positions stay valid
        )
        self.consumers = sa.Table(
            f"{table_prefix}consumers",
            metadata,
            sa.Column("consumer", sa.String(255), primary_key=True),
            sa.Column("last_id", sa.BigInteger(), nullable=False),
            sa.Column("updated_at", sa.Float(), nullable=False),
        )
        self.claims = sa.Table(
            f"{table_prefix}claims",
            metadata,
            sa.Column("consumer", sa.String(255), primary_key=True),
            sa.Column("delivery_id", sa.String(64), primary_key=True),
            sa.Column("claimed_at", sa.Float(), nullable=False, index=True),
        )
        self.receipts = sa.Table(
            f"{table_prefix}receipts",
            metadata,
            sa.Column("path", sa.String(512), primary_key=True),
            sa.Column("day", sa.String(10), primary_key=True),
            *(sa.Column(name, sa.BigInteger(), nullable=False) for name in _TALLIES),
            sa.Column("last_stored_at", sa.Float()),
            sa.Column("last_rejected_at", sa.Float()),
        )
        self._metadata = metadata

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.engine.url!r})"  # SQLAlchemy's URL repr masks the password

    @classmethod
    def from_connection(cls, conn: Connection | None, **kwargs: Any) -> WebhookInbox:
        """Open the inbox of an Airflow connection (``None``: the default SQLite file)."""
        return cls(inbox_url_for_connection(conn), **kwargs)

    @classmethod
    def from_conn_id(cls, conn_id: str = DEFAULT_INBOX_CONN_ID, **kwargs: Any) -> WebhookInbox:
        """Open the inbox of connection ``conn_id``; the default id falls back to the default SQLite file."""
        return cls.from_connection(_lookup_connection(conn_id), **kwargs)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def create_tables(self) -> None:
        """Create the inbox tables if they do not exist (idempotent; called on first use)."""
        if self._created:
            return
        with self._create_lock:
            if not self._created:
                try:
                    self._metadata.create_all(self.engine, checkfirst=True)
                except sa.exc.DBAPIError:
                    # Another process (or inbox object) created a table between the check and the CREATE, e.g.
                    # two API servers or a trigger and a receiver on first use: check again (a real error recurs).
                    self._metadata.create_all(self.engine, checkfirst=True)
                self._created = True

    # -- writing --

    def store(self, delivery: NewDelivery) -> StoreResult:
        """Store one delivery (committed on return); a duplicate ``delivery_id`` is not stored again."""
        return self.store_many([delivery])[0]

    def store_many(
        self,
        deliveries: Sequence[NewDelivery],
        *,
        paths: Sequence[str] | None = None,
        rejected: Sequence[Rejection] = (),
    ) -> list[StoreResult]:
        """Store deliveries in one transaction (group commit): all committed, or none on error.

        :param paths: The callback path each delivery was posted to: its receipt (stored or duplicate) is tallied
            in ``<prefix>receipts``, in the same transaction.
        :param rejected: Deliveries the receiver refused, tallied there too.
        """
        self.create_tables()
        results: list[StoreResult] = []
        table = self.deliveries
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # One writer at a time, so ids commit in increasing order and a reader that saw id N never
                # later finds a smaller id appearing behind its position.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": table.name})
            seen: set[str] = set()
            for item in deliveries:
                if item.delivery_id in seen:
                    results.append(StoreResult(item.delivery_id, stored=False))
                    continue
                seen.add(item.delivery_id)
                row = {
                    "delivery_id": item.delivery_id,
                    "event": item.event,
                    "created_at": item.created_at,
                    "created_by": _clip(item.created_by),
                    "payload_uri": _clip(item.payload_uri),
                    "event_type": _clip(item.event_type),
                    "organization": _clip(item.organization),
                    "received_at": item.received_at,
                    "body": item.body,
                }
                new_id = self._insert_ignore(conn, row)
                results.append(StoreResult(item.delivery_id, stored=new_id is not None, id=new_id))
            receipts: list[tuple[str, float, str]] = [(r.path, r.at, f"rejected_{r.reason}") for r in rejected]
            for path, item, result in zip(paths or (), deliveries, results, strict=False):
                receipts.append((path, item.received_at, "stored" if result.stored else "duplicate"))
            self._tally(conn, receipts)
        self._maybe_purge()
        return results

    def _tally(self, conn: sa.Connection, receipts: Iterable[tuple[str, float, str]]) -> None:
        """Add receipts (callback path, time, tally name) to their path's and day's row."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for path, at, name in receipts:
            key = (_clip(path) or "", _day(at))
            row = rows.setdefault(
                key,
                {
                    "path": key[0],
                    "day": key[1],
                    **dict.fromkeys(_TALLIES, 0),
                    "last_stored_at": None,
                    "last_rejected_at": None,
                },
            )
            row[name] += 1
            last = "last_rejected_at" if name.startswith("rejected_") else "last_stored_at"
            row[last] = max(at, row[last] or at)
        if not rows:
            return
        t = self.receipts
        if self.dialect in {"sqlite", "postgresql"}:
            from sqlalchemy.dialects import postgresql, sqlite

            insert = (sqlite.insert if self.dialect == "sqlite" else postgresql.insert)(t).values(list(rows.values()))
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[t.c.path, t.c.day],
                    set_={
                        **{name: t.c[name] + insert.excluded[name] for name in _TALLIES},
                        **{
                            last: sa.func.coalesce(insert.excluded[last], t.c[last])
                            for last in ("last_stored_at", "last_rejected_at")
                        },
                    },
                )
            )
            return
        for row in rows.values():
            where = (t.c.path == row["path"]) & (t.c.day == row["day"])
            if conn.execute(sa.select(t.c.path).where(where)).first() is None:
                conn.execute(sa.insert(t).values(**row))
                continue
            conn.execute(
                sa.update(t)
                .where(where)
                .values(
                    **{name: t.c[name] + row[name] for name in _TALLIES},
                    **{last: sa.func.coalesce(row[last], t.c[last]) for last in ("last_stored_at", "last_rejected_at")},
                )
            )

    def _insert_ignore(self, conn: sa.Connection, row: dict[str, Any]) -> int | None:
        table = self.deliveries
        if self.dialect in {"sqlite", "postgresql"}:
            from sqlalchemy.dialects import postgresql, sqlite

            upsert = sqlite.insert(table) if self.dialect == "sqlite" else postgresql.insert(table)
            stmt = upsert.values(**row).on_conflict_do_nothing(index_elements=["delivery_id"]).returning(table.c.id)
            value = conn.execute(stmt).scalar_one_or_none()
            return int(value) if value is not None else None
        exists = conn.execute(sa.select(table.c.id).where(table.c.delivery_id == row["delivery_id"])).first()
        if exists is not None:
            return None
        result = conn.execute(sa.insert(table).values(**row))
        key = result.inserted_primary_key
        return int(key[0]) if key else None

    def _maybe_purge(self) -> None:
        now = self._clock()
        if now - self._last_purge >= _PURGE_EVERY:
            self._last_purge = now
            try:
                self.purge(now=now)
            except Exception:  # purging is housekeeping: never fail a delivery over it
                log.warning("Purging old Calendly webhook deliveries failed", exc_info=True)

    def purge(self, *, now: float | None = None) -> int:
        """Delete deliveries (and claims) older than the retention; return how many deliveries were deleted."""
        self.create_tables()
        cutoff = (self._clock() if now is None else now) - self.retention
        with self.engine.begin() as conn:
            deleted = conn.execute(sa.delete(self.deliveries).where(self.deliveries.c.received_at < cutoff)).rowcount
            conn.execute(sa.delete(self.claims).where(self.claims.c.claimed_at < cutoff))
            first_day = _day((self._clock() if now is None else now) - RECEIPT_DAYS * 86400.0)
            conn.execute(sa.delete(self.receipts).where(self.receipts.c.day < first_day))
        if deleted:
            log.info("Purged %d Calendly webhook deliveries older than %.0f s", deleted, self.retention)
        return int(deleted or 0)

    # -- reading --

    def fetch(
        self,
        *,
        after_id: int = 0,
        events: Iterable[str] | None = None,
        event_type: str | None = None,
        organization: str | None = None,
        received_after: float | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """Return up to ``limit`` deliveries with ``id > after_id`` matching the filters, oldest first.

        :param events: Event names to match (any of them); ``None`` matches all.
        :param event_type: Event type URI (or UUID) to match.
        :param organization: Organization URI (or UUID) the receiver tagged the delivery with.
        :param received_after: Only deliveries received at or after this Unix time.
        """
        self.create_tables()
        t = self.deliveries
        query = sa.select(t).where(t.c.id > after_id)
        event_list = list(events) if events is not None else None
        if event_list is not None:
            query = query.where(t.c.event.in_(event_list))
        if event_type:
            query = query.where(_uri_match(t.c.event_type, event_type))
        if organization:
            query = query.where(_uri_match(t.c.organization, organization))
        if received_after is not None:
            query = query.where(t.c.received_at >= received_after)
        query = query.order_by(t.c.id).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [Delivery(**{key: row[key] for key in _DELIVERY_FIELDS}) for row in rows]

    def get(self, delivery_id_: str) -> Delivery | None:
        """Return the delivery with this ``delivery_id``, if stored."""
        self.create_tables()
        t = self.deliveries
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.delivery_id == delivery_id_)).mappings().first()
        return Delivery(**{key: row[key] for key in _DELIVERY_FIELDS}) if row else None

    def count(self) -> int:
        """Return the number of stored deliveries."""
        self.create_tables()
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(self.deliveries)).scalar_one())

    def last_id(self) -> int:
        """Return the largest delivery id stored so far (0 when empty)."""
        self.create_tables()
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(self.deliveries.c.id), 0))).scalar_one())

    def receipts_since(self, since: float) -> list[Receipts]:
        """Every callback path's receipts from the UTC day of ``since`` on, by path and day."""
        self.create_tables()
        t = self.receipts
        query = sa.select(t).where(t.c.day >= _day(since)).order_by(t.c.path, t.c.day)
        with self.engine.connect() as conn:
            return [Receipts(**dict(row)) for row in conn.execute(query).mappings()]

    def count_after(self, position: int) -> int:
        """How many stored deliveries have an id above ``position``: a consumer at ``position`` has yet to read them."""
        self.create_tables()
        t = self.deliveries
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(t.c.id > position)).scalar_one())

    def consumers_backlog(self) -> dict[str, tuple[int, int, float]]:
        """Each named consumer's position, the deliveries stored after it (its backlog) and when it last moved."""
        self.create_tables()
        c, d = self.consumers, self.deliveries
        pending = sa.select(sa.func.count()).where(d.c.id > c.c.last_id).scalar_subquery()
        query = sa.select(c.c.consumer, c.c.last_id, pending, c.c.updated_at).order_by(c.c.consumer)
        with self.engine.connect() as conn:
            return {name: (int(last), int(n), float(at)) for name, last, n, at in conn.execute(query)}

    # -- consumer positions --

    def get_position(self, consumer: str) -> int | None:
        """Return the last id handed out to ``consumer`` (``None`` if it never ran)."""
        self.create_tables()
        c = self.consumers
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(c.c.last_id).where(c.c.consumer == consumer)).scalar_one_or_none()
        return int(value) if value is not None else None

    def open_position(self, consumer: str, *, start: int | None = None) -> int:
        """Return ``consumer``'s position, registering it at ``start`` (default: the current end) if new."""
        existing = self.get_position(consumer)
        if existing is not None:
            return existing
        initial = self.last_id() if start is None else int(start)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.insert(self.consumers).values(consumer=consumer, last_id=initial, updated_at=self._clock())
                )
        except sa.exc.IntegrityError:  # registered concurrently: use theirs
            pass
        position = self.get_position(consumer)
        return initial if position is None else position

    def advance_position(self, consumer: str, expected: int, new: int) -> bool:
        """Move ``consumer`` from ``expected`` to ``new`` atomically; ``False`` if someone else moved it."""
        c = self.consumers
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(c)
                .where(c.c.consumer == consumer, c.c.last_id == expected)
                .values(last_id=new, updated_at=self._clock())
            )
        return bool(result.rowcount == 1)

    # -- consumer claims: act on each delivery once, whatever a trigger replays --

    def claim(self, consumer: str, delivery_ids: Iterable[str]) -> list[str]:
        """Claim deliveries for ``consumer``; return those claimed now (not by an earlier call), in input order.

        One transaction: concurrent claimers of the same delivery cannot both get it. A consuming task calls
        this with the ``delivery_id`` of each triggering event and acts only on what it gets back, so a
        delivery a restarted trigger replays is acted on once.
        """
        self.create_tables()
        wanted = list(dict.fromkeys(delivery_ids))
        if not wanted:
            return []
        table = self.claims
        now = self._clock()
        claimed: list[str] = []
        with self.engine.begin() as conn:
            for item in wanted:
                row = {"consumer": consumer, "delivery_id": item, "claimed_at": now}
                if self.dialect in {"sqlite", "postgresql"}:
                    from sqlalchemy.dialects import postgresql, sqlite

                    upsert = sqlite.insert(table) if self.dialect == "sqlite" else postgresql.insert(table)
                    stmt = upsert.values(**row).on_conflict_do_nothing().returning(table.c.delivery_id)
                    if conn.execute(stmt).scalar_one_or_none() is not None:
                        claimed.append(item)
                    continue
                exists = conn.execute(
                    sa.select(table.c.delivery_id).where(table.c.consumer == consumer, table.c.delivery_id == item)
                ).first()
                if exists is None:
                    conn.execute(sa.insert(table).values(**row))
                    claimed.append(item)
        return claimed


_DELIVERY_FIELDS = tuple(f.name for f in fields(Delivery))


def _day(at: float) -> str:
    """The UTC day (``YYYY-MM-DD``) of a Unix time."""
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d")


def _clip(value: str | None, limit: int = 512) -> str | None:
    return value[:limit] if value is not None else None


def _uri_match(column: Any, value: str) -> Any:
    """Match a full URI exactly, or a bare UUID as the URI's last segment."""
    if "/" in value:
        return column == value.rstrip("/")
    return column.like(f"%/{value}")


def _lookup_connection(conn_id: str) -> Connection | None:
    """Fetch an Airflow connection; ``None`` when the default inbox connection is not defined."""
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:
        if conn_id == DEFAULT_INBOX_CONN_ID and _is_not_found(exc):
            return None
        raise


def _is_not_found(exc: BaseException) -> bool:
    return type(exc).__name__ in {"AirflowNotFoundException", "ConnectionNotFound"} or "isn't defined" in str(exc)
