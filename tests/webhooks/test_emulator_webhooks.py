"""The emulator's webhooks: subscriptions through the hook, signed deliveries over real HTTP, retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyNotFoundError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.testing.webhooks import ReceiverServer
from airflow_provider_calendly.webhooks.app import WebhookReceiver, create_app
from airflow_provider_calendly.webhooks.inbox import WebhookInbox
from tests.webhooks.conftest import SIGNING_KEY


@pytest.fixture
def receiver(inbox: WebhookInbox) -> Iterator[tuple[WebhookReceiver, str]]:
    state = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox=inbox)
    with ReceiverServer(create_app(prefix="/calendly", receiver=state)) as server:
        yield state, f"{server.url}/calendly/webhooks"
    state.close()


def test_subscriptions_through_the_hook(calendly_conn: str, calendly_emulator: CalendlyEmulator) -> None:
    hook = CalendlyHook(calendly_conn)
    sub = hook.create_webhook_subscription(
        "https://example.com/hook", ["invitee.created", "invitee_no_show.created"], signing_key="k"
    )
    assert sub.state == "active" and sub.scope == "organization"
    assert sub.organization == calendly_emulator.data.organization["uri"]
    assert [s.uri for s in hook.list_webhook_subscriptions()] == [sub.uri]
    assert hook.get_webhook_subscription(sub.uuid).events == ["invitee.created", "invitee_no_show.created"]
    with pytest.raises(CalendlyAPIError) as conflict:
        hook.create_webhook_subscription("https://example.com/hook", ["invitee.created"])
    assert conflict.value.status_code == 409
    user = calendly_emulator.data.users[0]["uri"]
    user_sub = hook.create_webhook_subscription(
        "https://example.com/hook", ["invitee.created"], scope="user", user=user
    )
    assert [s.uri for s in hook.list_webhook_subscriptions(scope="user", user=user)] == [user_sub.uri]
    hook.delete_webhook_subscription(sub.uri)
    with pytest.raises(CalendlyNotFoundError):
        hook.get_webhook_subscription(sub.uuid)
    assert "signing_key" not in json.dumps(user_sub.model_dump(mode="json"))


def test_booking_cancel_and_no_show_are_delivered_signed_and_stored(
    calendly_emulator: CalendlyEmulator, receiver: tuple[WebhookReceiver, str], inbox: WebhookInbox
) -> None:
    state, url = receiver
    webhooks = calendly_emulator.webhooks
    webhooks.retry_delays = (0.01, 0.02)
    webhooks.subscribe(url, ["invitee.created", "invitee.canceled", "invitee_no_show.created"], signing_key=SIGNING_KEY)
    webhooks.subscribe(url + "?organization=other", ["routing_form_submission.created"], signing_key="wrong-key")
    _event, invitee = calendly_emulator.book(invitee_email="ada@example.com")
    calendly_emulator.mark_no_show(invitee["uri"])
    calendly_emulator.cancel_invitee(invitee["uri"], reason="conflict")
    calendly_emulator.submit_routing_form()
    assert webhooks.wait_idle(timeout=20)
    stored = inbox.fetch()
    assert [d.event for d in stored] == ["invitee.created", "invitee_no_show.created", "invitee.canceled"]
    assert stored[0].payload["email"] == "ada@example.com"
    assert stored[0].payload["scheduled_event"]["uri"] == invitee["event"]
    assert stored[2].payload["cancellation"]["reason"] == "conflict"
    # the routing form delivery was signed with another key: refused (and retried until given up)
    assert state.stats["rejected_signature_mismatch"] == len(webhooks.retry_delays) + 1
    assert webhooks.delivered() == 3


def test_failed_deliveries_are_retried_and_stored_once(
    calendly_emulator: CalendlyEmulator, inbox: WebhookInbox
) -> None:
    calls: list[int] = []

    class FlakyReceiver(WebhookReceiver):
        async def handle(self, request: Any) -> Any:
            from fastapi.responses import JSONResponse

            calls.append(1)
            if len(calls) == 1:
                await request.body()
                return JSONResponse({"status": "unavailable"}, status_code=503)
            response = await super().handle(request)
            if len(calls) == 2:  # stored, but the answer is "lost": Calendly will retry
                return JSONResponse({"status": "timeout"}, status_code=504)
            return response

    state = FlakyReceiver(signing_keys=[SIGNING_KEY], inbox=inbox)
    with ReceiverServer(create_app(receiver=state)) as server:
        calendly_emulator.webhooks.retry_delays = (0.01, 0.01, 0.01)
        calendly_emulator.webhooks.subscribe(f"{server.url}/webhooks", ["invitee.created"], signing_key=SIGNING_KEY)
        calendly_emulator.book()
        assert calendly_emulator.webhooks.wait_idle(timeout=20)
    state.close()
    attempts = [a.status for a in calendly_emulator.webhooks.attempts]
    assert attempts == [503, 504, 200]
    assert inbox.count() == 1
    assert state.stats["duplicate"] == 1


def test_unreachable_subscriber_is_given_up_after_the_retries(calendly_emulator: CalendlyEmulator) -> None:
    webhooks = calendly_emulator.webhooks
    webhooks.retry_delays = (0.01, 0.01)
    webhooks.subscribe("http://127.0.0.1:9/nothing-listens-here", ["invitee.created"])
    calendly_emulator.book()
    assert webhooks.wait_idle(timeout=20)
    assert [a.status for a in webhooks.attempts] == [0, 0, 0]
    assert webhooks.delivered() == 0
