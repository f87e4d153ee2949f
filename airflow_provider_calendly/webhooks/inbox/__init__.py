"""The durable webhook inbox: every accepted delivery, stored once, in a SQL database.

The receiver writes each verified delivery here *before* answering Calendly, so a delivery that got a 2xx is
never lost. Calendly retries a delivery it thinks failed (timeouts, 5xx), and a receiver may see the same
delivery twice: the inbox derives an id for each (:func:`delivery_id`) and stores each event once.

The database is reached through an Airflow connection (SQLite or PostgreSQL; any other SQLAlchemy URL via the
connection's URI). Without a connection named ``calendly_webhook_inbox`` the inbox is the SQLite file
``$AIRFLOW_HOME/calendly_webhook_inbox.db``. Rows older than the retention (default 7 days) are purged.
Tables a newer release adds are created on first use, so an existing inbox upgrades itself.

:class:`WebhookInbox` composes its parts:

* :mod:`~.records`: the delivery id, the delivery about to be stored and as read back, receipts;
* :mod:`~.database`: the connection's URL, the default SQLite file, one engine per URL per process;
* :mod:`~.schema`: the tables (what each holds), created on first use, and the inbox's options;
* :mod:`~.store`: storing deliveries once each with their receipts, and purging;
* :mod:`~.reading`: deliveries after a position, receipts, backlogs;
* :mod:`~.consumers`: consumer positions and claims (each delivery acted on once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.webhooks.inbox.consumers import ConsumerPositions
from airflow_provider_calendly.webhooks.inbox.database import (
    DEFAULT_INBOX_CONN_ID,
    default_inbox_path,
    inbox_url_for_connection,
    lookup_connection,
)
from airflow_provider_calendly.webhooks.inbox.records import (
    Delivery,
    NewDelivery,
    Receipts,
    Rejection,
    StoreResult,
    delivery_id,
)
from airflow_provider_calendly.webhooks.inbox.schema import DEFAULT_RETENTION, DEFAULT_TABLE_PREFIX, RECEIPT_DAYS
from airflow_provider_calendly.webhooks.inbox.store import DeliveryStore

if TYPE_CHECKING:
    from airflow.sdk import Connection

__all__ = [
    "DEFAULT_INBOX_CONN_ID",
    "DEFAULT_RETENTION",
    "DEFAULT_TABLE_PREFIX",
    "RECEIPT_DAYS",
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


class WebhookInbox(DeliveryStore, ConsumerPositions):
    """Store and read webhook deliveries in a SQL database.

    :param url: SQLAlchemy URL (or an :class:`~sqlalchemy.engine.Engine`) of the inbox database.
    :param table_prefix: Prefix of the inbox's table names.
    :param retention: Seconds to keep deliveries; older ones are purged (at most every 10 minutes on write).
    :param clock: Wall clock in Unix seconds (injectable for tests).
    """

    @classmethod
    def from_connection(cls, conn: Connection | None, **kwargs: Any) -> WebhookInbox:
        """Open the inbox of an Airflow connection (``None``: the default SQLite file)."""
        return cls(inbox_url_for_connection(conn), **kwargs)

    @classmethod
    def from_conn_id(cls, conn_id: str = DEFAULT_INBOX_CONN_ID, **kwargs: Any) -> WebhookInbox:
        """Open the inbox of connection ``conn_id``; the default id falls back to the default SQLite file."""
        return cls.from_connection(lookup_connection(conn_id), **kwargs)
