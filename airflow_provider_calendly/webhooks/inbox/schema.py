"""The inbox's storage: its tables (created on first use) in the database of a URL, and their options.

Tables (``<prefix>`` defaults to ``calendly_webhook_``):

* ``<prefix>deliveries`` — one row per delivery: a monotonically increasing ``id`` (the order deliveries were
  stored in), ``delivery_id`` (unique), ``event``, ``created_at``, ``created_by``, ``payload_uri``,
  ``event_type`` (the scheduled event's event type URI, when the payload has one), ``organization`` (as
  tagged by the receiver), ``received_at`` (Unix seconds) and ``body`` (the envelope JSON as received);
* ``<prefix>consumers`` — the position (last ``id`` handed out) of each named consumer, so a restarted
  :class:`~airflow_provider_calendly.triggers.calendly.CalendlyWebhookTrigger` resumes where it stopped;
* ``<prefix>claims`` — which deliveries each consuming task has acted on
  (:meth:`~airflow_provider_calendly.webhooks.inbox.WebhookInbox.claim`), so a delivery replayed after a
  triggerer restart is acted on once;
* ``<prefix>receipts`` — per callback path (one per subscription) and UTC day, the deliveries the receiver
  stored, the duplicates, and the deliveries it refused (a bad signature, or not a webhook envelope), with the
  last time of each: the receiver's history, kept :data:`RECEIPT_DAYS` days (the deliveries themselves are
  kept for the retention).

Tables a newer release adds are created on first use, so an existing inbox upgrades itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.webhooks.inbox.database import engine_for

__all__ = ["DEFAULT_RETENTION", "DEFAULT_TABLE_PREFIX", "RECEIPT_DAYS", "TALLIES", "InboxStorage"]

log = logging.getLogger(__name__)

DEFAULT_RETENTION = 7 * 24 * 3600.0
DEFAULT_TABLE_PREFIX = "calendly_webhook_"
_CALENDLY_RETRY_WINDOW = 24 * 3600.0
#: Days of receipts kept: a month of deliveries per day, whatever the deliveries' retention.
RECEIPT_DAYS = 35
#: The tallies of one receipts row.
TALLIES = ("stored", "duplicate", "rejected_signature", "rejected_other")


class InboxStorage:
    """The inbox's engine, tables and options (the arguments are :class:`~.WebhookInbox`'s)."""

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
        self.engine = url if isinstance(url, Engine) else engine_for(url)
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
            *(sa.Column(name, sa.BigInteger(), nullable=False) for name in TALLIES),
            sa.Column("last_stored_at", sa.Float()),
            sa.Column("last_rejected_at", sa.Float()),
        )
        self._metadata = metadata

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.engine.url!r})"  # SQLAlchemy's URL repr masks the password

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def conflict_insert(self, table: sa.Table) -> Any | None:
        """``INSERT`` into ``table`` with ``ON CONFLICT`` clauses (SQLite's, PostgreSQL's), or ``None`` on a database
        without them: the caller then looks before it writes, inside its transaction."""
        if self.dialect == "sqlite":
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        return None

    def insert_if_absent(
        self, conn: sa.Connection, table: sa.Table, row: dict[str, Any], key: Sequence[str], returning: sa.Column[Any]
    ) -> Any | None:
        """Insert ``row`` unless a row of the same ``key`` exists: the new row's ``returning`` value (a column of
        ``row``, or the table's generated key), ``None`` if it existed. One statement where the database has
        ``ON CONFLICT DO NOTHING … RETURNING``."""
        insert = self.conflict_insert(table)
        if insert is not None:
            stmt = insert.values(**row).on_conflict_do_nothing(index_elements=list(key)).returning(returning)
            return conn.execute(stmt).scalar_one_or_none()
        if conn.execute(sa.select(returning).where(*(table.c[k] == row[k] for k in key))).first() is not None:
            return None
        result = conn.execute(sa.insert(table).values(**row))
        if returning.name in row:
            return row[returning.name]
        generated = result.inserted_primary_key
        return generated[0] if generated else None

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
