"""``contact.*`` and ``meeting_recap.*`` from the emulator through the real receiver into the inbox, and out of it
through the trigger: signed, stored once, named by the resource they are about, subscribed with Calendly's scopes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.testing.receiver import ReceiverServer
from airflow_provider_calendly.triggers.calendly import CalendlyWebhookTrigger
from airflow_provider_calendly.webhooks.app import WebhookReceiver, create_app
from airflow_provider_calendly.webhooks.inbox import WebhookInbox
from tests.webhooks.conftest import SIGNING_KEY

CONTACT_EVENTS = ["contact.created", "contact.updated", "contact.deleted"]
RECAP_EVENTS = ["meeting_recap.created", "meeting_recap.updated", "meeting_recap.deleted"]


@pytest.fixture
def conn_inbox(inbox_conn: str) -> WebhookInbox:
    """The inbox behind the Airflow connection the trigger reads."""
    box = WebhookInbox.from_conn_id(inbox_conn)
    box.create_tables()
    return box


@pytest.fixture
def receiver_url(conn_inbox: WebhookInbox) -> Iterator[str]:
    state = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox=conn_inbox)
    with ReceiverServer(create_app(prefix="/calendly", receiver=state)) as server:
        yield f"{server.url}/calendly/webhooks"
    state.close()


def test_contact_and_recap_events_are_delivered_stored_and_triggered(
    calendly_emulator: CalendlyEmulator, receiver_url: str, conn_inbox: WebhookInbox, inbox_conn: str
) -> None:
    em, people = calendly_emulator, calendly_emulator.people
    em.webhooks.retry_delays = (0.01,)
    owner, other = em.data.users[0]["uri"], em.data.users[1]["uri"]
    em.webhooks.subscribe(receiver_url, CONTACT_EVENTS, signing_key=SIGNING_KEY)
    em.webhooks.subscribe(receiver_url, RECAP_EVENTS, scope="user", user=owner, signing_key=SIGNING_KEY)
    em.webhooks.subscribe(receiver_url + "?other", [*CONTACT_EVENTS, *RECAP_EVENTS], scope="user", user=other)
    contact = people.create_contact({"name": "Ada", "emails": [{"email": "ada@x.example", "is_primary": True}]})
    people.delete_contact(contact["uri"].rsplit("/", 1)[1])
    recap = people.new_recap()
    assert em.webhooks.wait_idle(timeout=10)
    stored = conn_inbox.fetch(after_id=0, limit=100)
    assert [(d.event, d.payload_uri) for d in stored] == [
        ("contact.created", contact["uri"]),
        ("contact.deleted", contact["uri"]),
        ("meeting_recap.created", recap["uri"]),
    ]  # the other user's subscription got nothing: these are the first user's
    assert {a.subscription for a in em.webhooks.attempts} == {
        s["uri"].rsplit("/", 1)[1] for s in em.webhooks.subscriptions.values() if s["user"] != other
    }

    async def first(events: list[str]) -> dict[str, Any]:
        gen = CalendlyWebhookTrigger(inbox_conn_id=inbox_conn, events=events, poll_interval=0.01).run()
        try:
            return (await asyncio.wait_for(anext(gen), 10)).payload  # type: ignore[no-any-return]
        finally:
            await gen.aclose()

    event = asyncio.run(first(["meeting_recap.created"]))
    assert event["payload_uri"] == recap["uri"] and event["payload"]["recap"]["summary_md"]
    assert asyncio.run(first(["contact.deleted"]))["payload"]["contact"] == {
        "uri": contact["uri"],
        "deleted_at": stored[1].payload["contact"]["deleted_at"],
    }


def test_recap_events_need_a_user_subscription(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    hook = CalendlyHook(calendly_conn)
    with pytest.raises(CalendlyAPIError) as refused:
        hook.create_webhook_subscription("https://example.com/hook", RECAP_EVENTS)
    assert refused.value.status_code == 400 and "scope user" in str(refused.value.details)
    user = calendly_emulator.data.users[0]["uri"]
    sub = hook.create_webhook_subscription("https://example.com/hook", RECAP_EVENTS, scope="user", user=user)
    assert sub.events == RECAP_EVENTS and sub.scope == "user"
