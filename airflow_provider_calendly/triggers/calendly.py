"""Triggers that fire on Calendly webhook deliveries stored in the webhook inbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.webhooks.inbox import DEFAULT_INBOX_CONN_ID, Delivery, WebhookInbox

if TYPE_CHECKING:
    from airflow.sdk import Connection

__all__ = ["CalendlyWebhookTrigger", "parse_received_after"]


def parse_received_after(value: str | float | datetime | None) -> float | None:
    """Turn an ISO 8601 timestamp, datetime or Unix time into Unix seconds (naive times are UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CalendlyConfigError("received_after must be a timestamp, not a boolean")
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return parse_utc(value).timestamp()
    except ValueError:
        raise CalendlyConfigError(f"received_after is not an ISO 8601 timestamp: {value!r}") from None
    except TypeError:
        raise CalendlyConfigError(f"received_after must be a timestamp, got {type(value).__name__}") from None


class CalendlyWebhookTrigger(BaseEventTrigger):
    """Fire one event per Calendly webhook delivery in the inbox that matches the filters.

    Each event's payload is the delivery as a JSON dict: ``id`` (inbox order), ``delivery_id``, ``event``,
    ``created_at``, ``created_by``, ``received_at``, ``event_type``, ``organization`` and ``payload`` (the
    Calendly payload, e.g. the invitee with its ``scheduled_event``).

    Without ``consumer`` the trigger is stateless: every instance scans from the same starting point, so a
    deferred task (which takes the first event) resumes on the same delivery after a triggerer restart. With
    ``consumer`` (for ``AssetWatcher``) the position is kept in the inbox database and moved (compare-and-set)
    only *after* the triggerer has taken the event, so a restarted trigger continues after the last delivery it
    handed off: a kill can never skip a delivery (at least once). A kill between the hand-off and the move, or
    a second triggerer briefly running the same trigger during a fail-over, can hand a delivery out again, so
    the consuming task claims the deliveries of its ``triggering_asset_events`` with
    :meth:`~airflow_provider_calendly.webhooks.inbox.WebhookInbox.claim` and acts only on the ones it claimed:
    each delivery is acted on once.

    :param inbox_conn_id: Connection of the inbox database (default SQLite file if undefined).
    :param events: Event names to match (e.g. ``["invitee.created"]``); ``None`` matches every event.
    :param event_type: Only deliveries about this event type (URI or UUID).
    :param organization: Only deliveries the receiver tagged with this organization (URI or UUID).
    :param received_after: Only deliveries received at or after this time (ISO 8601).
    :param after_id: Only deliveries with an inbox id above this. For a new ``consumer``: where it starts
        (default: the current end of the inbox, i.e. deliveries stored from now on).
    :param consumer: Name under which to persist the position (one name per watcher).
    :param poll_interval: Seconds between inbox queries while nothing matches.
    :param batch_size: Deliveries read per query.
    """

    def __init__(
        self,
        *,
        inbox_conn_id: str = DEFAULT_INBOX_CONN_ID,
        events: Sequence[str] | None = None,
        event_type: str | None = None,
        organization: str | None = None,
        received_after: str | None = None,
        after_id: int | None = None,
        consumer: str | None = None,
        poll_interval: float = 1.0,
        batch_size: int = 100,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        if isinstance(events, str):
            events = [events]
        if poll_interval <= 0:
            raise CalendlyConfigError(f"poll_interval must be positive, got {poll_interval!r}")
        if not 1 <= batch_size <= 10_000:
            raise CalendlyConfigError(f"batch_size must be 1..10000, got {batch_size!r}")
        parse_received_after(received_after)  # fail at DAG parse time, not in the triggerer
        self.inbox_conn_id = inbox_conn_id
        self.events = list(events) if events is not None else None
        self.event_type = event_type
        self.organization = organization
        self.received_after = received_after
        self.after_id = after_id
        self.consumer = consumer
        self.poll_interval = poll_interval
        self.batch_size = batch_size

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "inbox_conn_id": self.inbox_conn_id,
                "events": self.events,
                "event_type": self.event_type,
                "organization": self.organization,
                "received_after": self.received_after,
                "after_id": self.after_id,
                "consumer": self.consumer,
                "poll_interval": self.poll_interval,
                "batch_size": self.batch_size,
            },
        )

    async def _open_inbox(self) -> WebhookInbox:
        from airflow.sdk import BaseHook

        conn: Connection | None
        try:
            conn = await BaseHook.aget_connection(self.inbox_conn_id)
        except Exception as exc:
            if self.inbox_conn_id != DEFAULT_INBOX_CONN_ID or type(exc).__name__ != "AirflowNotFoundException":
                raise
            conn = None
        inbox = await asyncio.to_thread(WebhookInbox.from_connection, conn)
        await asyncio.to_thread(inbox.create_tables)
        return inbox

    def _fetch(self, inbox: WebhookInbox, after_id: int) -> list[Delivery]:
        return inbox.fetch(
            after_id=after_id,
            events=self.events,
            event_type=self.event_type,
            organization=self.organization,
            received_after=parse_received_after(self.received_after),
            limit=self.batch_size,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        inbox = await self._open_inbox()
        consumer = self.consumer
        if consumer:
            position = await asyncio.to_thread(inbox.open_position, consumer, start=self.after_id)
            self.log.info("Watching the Calendly webhook inbox as %r from delivery #%d", consumer, position)
        else:
            position = self.after_id or 0
            self.log.info("Waiting for a Calendly webhook delivery (%s)", ", ".join(self.events or ["any event"]))
        while True:
            deliveries = await asyncio.to_thread(self._fetch, inbox, position)
            if not deliveries:
                await asyncio.sleep(self.poll_interval)
                continue
            for delivery in deliveries:
                self.log.info("Calendly %s delivery #%d matched", delivery.event, delivery.id)
                # Hand the event out first: the triggerer resumes this generator only once it has queued the
                # event, so the position moves after the hand-off. A kill in between replays the delivery
                # (at least once); consumers drop the replay with WebhookInbox.claim (see the class docs).
                yield TriggerEvent(delivery.as_event())  # type: ignore[no-untyped-call]
                if consumer:
                    moved = await asyncio.to_thread(inbox.advance_position, consumer, position, delivery.id)
                    if not moved:  # another instance moved it: continue from where it got to
                        position = await asyncio.to_thread(inbox.open_position, consumer)
                        self.log.info("Consumer %r was advanced elsewhere; resuming after #%d", consumer, position)
                        break
                position = delivery.id
