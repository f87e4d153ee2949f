"""CalendlyWebhookTrigger: serialization, run() against a real inbox, restarts without loss or repeats."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_calendly.models import WebhookEnvelope
from airflow_provider_calendly.triggers.calendly import CalendlyWebhookTrigger, parse_received_after
from airflow_provider_calendly.webhooks.inbox import NewDelivery, WebhookInbox
from tests.webhooks.conftest import SIGNING_KEY, envelope

KWARGS: dict[str, Any] = {
    "inbox_conn_id": "calendly_webhook_inbox",
    "events": ["invitee.created", "invitee.canceled"],
    "event_type": "https://api.calendly.com/event_types/ET1",
    "organization": "https://api.calendly.com/organizations/ORG1",
    "received_after": "2024-01-01T00:00:00+00:00",
    "after_id": 7,
    "consumer": "bookings",
    "poll_interval": 0.5,
    "batch_size": 10,
}


def _store(inbox: WebhookInbox, n: int, *, event: str = "invitee.created", start: int = 0) -> None:
    for i in range(start, start + n):
        doc = envelope(event=event)
        doc["payload"]["uri"] = f"https://api.calendly.com/scheduled_events/E/invitees/I{i}"
        env = WebhookEnvelope.model_validate(doc)
        inbox.store(NewDelivery.from_envelope(env, json.dumps(doc), received_at=time.time()))


def test_serialize_round_trips_and_mirrors_init() -> None:
    from airflow.sdk.module_loading import import_string

    trigger = CalendlyWebhookTrigger(**KWARGS)
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_calendly.triggers.calendly.CalendlyWebhookTrigger"
    assert kwargs == KWARGS
    rebuilt = import_string(classpath)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    json.dumps(kwargs)  # primitives only
    assert isinstance(trigger, BaseEventTrigger)
    defaults = CalendlyWebhookTrigger().serialize()[1]
    assert defaults["events"] is None and defaults["consumer"] is None


def test_trigger_never_holds_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_DEFAULT",
        json.dumps({"conn_type": "calendly", "password": "tok", "extra": {"webhook_signing_key": SIGNING_KEY}}),
    )
    trigger = CalendlyWebhookTrigger(events=["invitee.created"])
    assert SIGNING_KEY not in repr(trigger) and SIGNING_KEY not in json.dumps(trigger.serialize())


def test_arguments_are_validated_at_parse_time() -> None:
    with pytest.raises(ValueError, match="received_after"):
        CalendlyWebhookTrigger(received_after="last tuesday")
    with pytest.raises(ValueError, match="poll_interval"):
        CalendlyWebhookTrigger(poll_interval=0)
    assert CalendlyWebhookTrigger(events="invitee.created").events == ["invitee.created"]
    assert parse_received_after("2024-01-01T00:00:00Z") == 1704067200.0
    assert parse_received_after("2024-01-01T00:00:00") == 1704067200.0


async def _take(trigger: CalendlyWebhookTrigger, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    gen = trigger.run()
    events: list[dict[str, Any]] = []
    try:
        for _ in range(n):
            event = await asyncio.wait_for(anext(gen), timeout)
            assert isinstance(event, TriggerEvent)
            events.append(event.payload)
    finally:
        await gen.aclose()
    return events


async def _nothing_within(trigger: CalendlyWebhookTrigger, seconds: float) -> bool:
    gen = trigger.run()
    try:
        await asyncio.wait_for(anext(gen), seconds)
    except TimeoutError:
        return True
    finally:
        await gen.aclose()
    return False


def test_run_yields_matching_deliveries_with_their_payload(inbox_conn: str) -> None:
    inbox = WebhookInbox.from_conn_id(inbox_conn)
    _store(inbox, 1, event="invitee.canceled")
    _store(inbox, 1, event="invitee.created", start=1)
    trigger = CalendlyWebhookTrigger(inbox_conn_id=inbox_conn, events=["invitee.created"], poll_interval=0.01)
    (event,) = asyncio.run(_take(trigger, 1))
    assert event["event"] == "invitee.created"
    assert event["payload"]["uri"].endswith("/I1")
    assert event["payload"]["scheduled_event"]["event_type"].endswith("GBGBDCAADAEDCRZ2")
    json.dumps(event)
    other_type = CalendlyWebhookTrigger(inbox_conn_id=inbox_conn, event_type="NOPE", poll_interval=0.01)
    assert asyncio.run(_nothing_within(other_type, 0.2))


def test_run_waits_for_a_delivery_stored_later(inbox_conn: str) -> None:
    inbox = WebhookInbox.from_conn_id(inbox_conn)

    async def scenario() -> list[dict[str, Any]]:
        trigger = CalendlyWebhookTrigger(inbox_conn_id=inbox_conn, events=["invitee.created"], poll_interval=0.01)
        waiting = asyncio.ensure_future(_take(trigger, 1))
        await asyncio.sleep(0.05)  # let it poll an empty inbox first (not synchronisation: it must wait anyway)
        assert not waiting.done()
        await asyncio.to_thread(_store, inbox, 1)
        return await waiting

    (event,) = asyncio.run(scenario())
    assert event["payload"]["uri"].endswith("/I0")


def test_stateless_trigger_restart_resumes_on_the_same_delivery(inbox_conn: str) -> None:
    """A deferred task's trigger, restarted before its event was persisted, finds the same first delivery."""
    inbox = WebhookInbox.from_conn_id(inbox_conn)
    _store(inbox, 3)
    kwargs = CalendlyWebhookTrigger(inbox_conn_id=inbox_conn, poll_interval=0.01).serialize()[1]
    first = asyncio.run(_take(CalendlyWebhookTrigger(**kwargs), 1))
    again = asyncio.run(_take(CalendlyWebhookTrigger(**kwargs), 1))
    assert first == again


def test_consumer_restart_loses_nothing_and_claims_drop_the_replay(inbox_conn: str) -> None:
    """Closing the generator right after a yield is a kill before the triggerer resumed it: that delivery is
    handed out again by the next instance (never skipped), and the consumer's claim drops the replay."""
    inbox = WebhookInbox.from_conn_id(inbox_conn)
    _store(inbox, 5)
    kwargs = CalendlyWebhookTrigger(
        inbox_conn_id=inbox_conn, consumer="watcher", after_id=0, poll_interval=0.01
    ).serialize()[1]
    before = asyncio.run(_take(CalendlyWebhookTrigger(**kwargs), 2))  # killed after handing out #2
    assert inbox.get_position("watcher") == 1  # #2 was never taken by a resumed generator
    after = asyncio.run(_take(CalendlyWebhookTrigger(**kwargs), 4))  # a new instance from the serialized kwargs
    _store(inbox, 2, start=5)
    later = asyncio.run(_take(CalendlyWebhookTrigger(**kwargs), 3))
    events = before + after + later
    ids = [e["id"] for e in events]
    assert ids == [1, 2, 2, 3, 4, 5, 5, 6, 7]  # each kill replays exactly the one delivery in flight
    acted = [d for e in events for d in inbox.claim("watcher-task", [e["delivery_id"]])]
    assert len(acted) == 7 and len(set(acted)) == 7  # every delivery acted on once
    assert asyncio.run(_nothing_within(CalendlyWebhookTrigger(**kwargs), 0.1)) is False  # #7 is replayed too


def test_position_moves_once_the_triggerer_resumes_the_generator(inbox_conn: str) -> None:
    inbox = WebhookInbox.from_conn_id(inbox_conn)
    _store(inbox, 2)
    trigger = CalendlyWebhookTrigger(inbox_conn_id=inbox_conn, consumer="resumed", after_id=0, poll_interval=0.01)

    async def first_then_resume() -> int:
        gen = trigger.run()
        try:
            first = await asyncio.wait_for(anext(gen), 10)
            assert inbox.get_position("resumed") == 0  # not moved while the event is only yielded
            await asyncio.wait_for(anext(gen), 10)  # the triggerer queued #1 and asks for the next one
            return int(first.payload["id"])
        finally:
            await gen.aclose()

    assert asyncio.run(first_then_resume()) == 1
    assert inbox.get_position("resumed") == 1


def test_new_consumer_starts_at_the_end_of_the_inbox(inbox_conn: str) -> None:
    inbox = WebhookInbox.from_conn_id(inbox_conn)
    _store(inbox, 2)
    trigger = CalendlyWebhookTrigger(inbox_conn_id=inbox_conn, consumer="late", poll_interval=0.01)
    assert asyncio.run(_nothing_within(trigger, 0.1))  # registers at #2
    _store(inbox, 1, start=2)
    (event,) = asyncio.run(_take(CalendlyWebhookTrigger(**trigger.serialize()[1]), 1))
    assert event["id"] == 3


def test_two_instances_of_one_consumer_skip_nothing_and_claims_dedupe(inbox_conn: str) -> None:
    inbox = WebhookInbox.from_conn_id(inbox_conn)
    _store(inbox, 20)
    kwargs = CalendlyWebhookTrigger(
        inbox_conn_id=inbox_conn, consumer="ha", after_id=0, poll_interval=0.01, batch_size=3
    ).serialize()[1]

    async def both() -> list[int]:
        seen: list[int] = []

        async def drain(trigger: CalendlyWebhookTrigger) -> None:
            gen = trigger.run()
            try:
                while True:
                    event = await asyncio.wait_for(anext(gen), 0.5)
                    seen.append(event.payload["id"])
            except TimeoutError:
                pass
            finally:
                await gen.aclose()

        await asyncio.gather(drain(CalendlyWebhookTrigger(**kwargs)), drain(CalendlyWebhookTrigger(**kwargs)))
        return seen

    seen = asyncio.run(both())
    assert set(seen) == set(range(1, 21))  # nothing skipped; an overlap is possible during a fail-over
    delivery_ids = [d.delivery_id for d in inbox.fetch(after_id=0, limit=100) for _ in range(seen.count(d.id))]
    assert sorted(inbox.claim("ha-task", delivery_ids)) == sorted({d.delivery_id for d in inbox.fetch(limit=100)})


def test_usable_in_an_asset_watcher() -> None:
    from airflow.sdk import Asset, AssetWatcher

    trigger = CalendlyWebhookTrigger(events=["invitee.created"], consumer="bookings")
    asset = Asset("calendly://webhooks/bookings", watchers=[AssetWatcher(name="bookings", trigger=trigger)])
    assert asset.watchers[0].trigger is trigger
