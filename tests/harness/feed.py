"""A webhook feed for incremental-sync tests and benchmarks: emulator → signed POST → receiver → inbox.

:class:`WebhookFeed` serves the real receiver (:func:`~airflow_provider_calendly.webhooks.app.create_app`) on
loopback, subscribes the emulator's organization to every event change capture applies (and its first user to
the recap events, which Calendly delivers to user subscriptions only), and stores into a SQLite inbox reachable
as an Airflow connection. It can break the feed the ways Calendly's can break:
:meth:`disable` (the subscription turns ``disabled``, deliveries stop) and :meth:`resubscribe` (a new
subscription, as an operator would create), and it can replay stored deliveries as duplicates or late
arrivals (:meth:`replay`). :func:`dump_tables` is the comparison of two syncs' tables (``_synced_at`` and
``_as_of`` left out).
"""

from __future__ import annotations

import json
import random
import socket
from dataclasses import fields
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.transfers.change_capture import FEED_EVENTS, RECAP_EVENTS
from airflow_provider_calendly.transfers.config import DEFAULT_RESOURCES, tables_for_resources
from airflow_provider_calendly.transfers.tables import TABLES, ColumnType
from airflow_provider_calendly.uris import uuid_from_uri
from airflow_provider_calendly.webhooks.inbox import NewDelivery, WebhookInbox

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.emulator import CalendlyEmulator
    from airflow_provider_calendly.testing.receiver import ReceiverServer
    from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter

__all__ = ["SIGNING_KEY", "WebhookFeed", "dump_tables"]

SIGNING_KEY = "feed-signing-key"


class WebhookFeed:
    """The receiver and inbox of one emulator's organization subscription.

    :param emulator: A started emulator.
    :param inbox_path: SQLite file of the inbox.
    """

    def __init__(self, emulator: CalendlyEmulator, inbox_path: Path) -> None:
        self.emulator = emulator
        self.inbox_path = inbox_path
        self.inbox = WebhookInbox(f"sqlite:///{inbox_path}")
        self.server: ReceiverServer | None = None
        self.subscription: dict[str, Any] | None = None
        self.recap_subscription: dict[str, Any] | None = None
        self._dead: socket.socket | None = None

    def connection_json(self) -> str:
        """The inbox as an Airflow connection (for ``AIRFLOW_CONN_<ID>``)."""
        return json.dumps({"conn_type": "sqlite", "host": str(self.inbox_path)})

    def start(self) -> WebhookFeed:
        from airflow_provider_calendly.testing.receiver import ReceiverServer
        from airflow_provider_calendly.webhooks.app import WebhookReceiver, create_app

        receiver = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox=self.inbox)
        self._receiver = receiver
        self.server = ReceiverServer(create_app(prefix="/calendly", receiver=receiver)).start()
        self.emulator.webhooks.retry_delays = (0.05, 0.1)
        self.resubscribe()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        self._receiver.close()

    def __enter__(self) -> WebhookFeed:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def resubscribe(self) -> dict[str, Any]:
        """Delete the current subscription (if any) and create a new one, active from the emulator's now."""
        assert self.server is not None
        webhooks = self.emulator.webhooks
        url = f"{self.server.url}/calendly/webhooks"
        if self.subscription is not None:
            webhooks.unsubscribe(self.subscription["uri"])
        events = [e for e in FEED_EVENTS if e not in RECAP_EVENTS]
        self.subscription = webhooks.subscribe(url, events, signing_key=SIGNING_KEY)
        if self.recap_subscription is None:
            user = self.emulator.data.users[0]["uri"]
            self.recap_subscription = webhooks.subscribe(
                url, list(RECAP_EVENTS), scope="user", user=user, signing_key=SIGNING_KEY
            )
        return self.subscription

    def disable(self) -> None:
        """Turn the subscription ``disabled`` (as Calendly does after a day of failing deliveries)."""
        assert self.subscription is not None
        self.emulator.webhooks.disable(self.subscription["uri"])

    def break_delivery(self) -> None:
        """Point the subscription at a port that refuses connections: deliveries fail, are retried, dropped."""
        assert self.subscription is not None
        self._dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._dead.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        sub = self.emulator.webhooks.subscriptions[uuid_from_uri(self.subscription["uri"])]
        sub["callback_url"] = f"http://127.0.0.1:{self._dead.getsockname()[1]}/calendly/webhooks"

    def restore_delivery(self) -> None:
        """Point the subscription back at the receiver (its ``retry_started_at`` clears on the next success)."""
        assert self.subscription is not None and self.server is not None
        sub = self.emulator.webhooks.subscriptions[uuid_from_uri(self.subscription["uri"])]
        sub["callback_url"] = f"{self.server.url}/calendly/webhooks"
        if self._dead is not None:
            self._dead.close()
            self._dead = None

    def wait(self, timeout: float = 60.0) -> None:
        """Block until every delivery the emulator queued was delivered (or given up on)."""
        if not self.emulator.webhooks.wait_idle(timeout=timeout):
            raise TimeoutError("webhook deliveries still pending")

    def replay(self, rng: random.Random, count: int) -> int:
        """Store ``count`` already stored deliveries again, in random order: duplicates and late arrivals.

        Each copy gets a fresh ``delivery_id`` (as a retry that outlived the inbox's dedup would), so the
        consumer sees it again after newer deliveries and API reads: applying it must change nothing.
        """
        stored = self.inbox.fetch(after_id=0, limit=100_000)
        if not stored:
            return 0
        picked = [stored[rng.randrange(len(stored))] for _ in range(count)]
        rng.shuffle(picked)
        copies = [
            NewDelivery(
                **{f.name: getattr(d, f.name) for f in fields(NewDelivery)}
                | {"delivery_id": f"replay-{rng.getrandbits(64):016x}-{d.delivery_id[:16]}"}
            )
            for d in picked
        ]
        return sum(1 for r in self.inbox.store_many(copies) if r.stored)


#: The tables a default sync writes (the opt-in resources' are not created by it).
DATA_TABLES: tuple[str, ...] = tables_for_resources(DEFAULT_RESOURCES)


def _normalise(value: Any, column_type: ColumnType, *, json_decoded: bool) -> Any:
    if value is None:
        return None
    if column_type is ColumnType.JSON:
        # PostgreSQL's JSONB and BigQuery's JSON come back decoded (a JSON string value is a str); the others return
        # JSON text.
        return json.loads(value) if isinstance(value, str) and not json_decoded else value
    if column_type is ColumnType.TIMESTAMP:
        return parse_utc(value).isoformat()
    if column_type is ColumnType.BOOLEAN:
        return bool(value)
    if isinstance(value, Decimal):
        return int(value)
    return value


#: Columns that say when and how a row was written, not what Calendly holds: two syncs' tables may differ there.
WRITE_BOOKKEEPING = ("_synced_at", "_as_of")


def dump_tables(writer: CalendlyTableWriter, keys: tuple[str, ...] = DATA_TABLES) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of each data table, sorted by primary key, normalised across dialects, without
    :data:`WRITE_BOOKKEEPING`."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    decoded = writer.dialect.json_decoded
    for key in keys:
        spec = TABLES[key]
        columns = [c for c in spec.columns if c.name not in WRITE_BOOKKEEPING]
        rows = writer.execute(
            f"SELECT {', '.join(c.name for c in columns)} FROM {writer.table_name(key)} "
            f"ORDER BY {', '.join(spec.primary_key)}"
        )
        dump[key] = [
            tuple(_normalise(v, c.type, json_decoded=decoded) for v, c in zip(row, columns, strict=True))
            for row in rows
        ]
    return dump
