"""Subscription health: the emulator disables a failing subscription, the operator replaces it and reports the gap."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_calendly.exceptions import CalendlyWebhookUnhealthyError
from airflow_provider_calendly.operators.webhooks import (
    VERDICT_XCOM_KEY,
    CalendlyCheckWebhookSubscriptionOperator,
    CalendlyEnsureWebhookSubscriptionOperator,
    callback_version,
)
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.testing.webhooks import ReceiverServer
from airflow_provider_calendly.webhooks.app import WebhookReceiver, create_app
from airflow_provider_calendly.webhooks.inbox import WebhookInbox
from tests.harness.task_instance import RecordingTaskInstance

KEY = "health-test-signing-key"


@pytest.fixture
def signed_conn(calendly_emulator: CalendlyEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", calendly_emulator.connection_json(webhook_signing_key=KEY))
    return "calendly_default"


@pytest.fixture
def closed_url() -> str:
    """A loopback URL nobody listens on (deliveries to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/calendly/webhooks"


@pytest.fixture
def receiver(inbox: WebhookInbox) -> Iterator[tuple[WebhookReceiver, str]]:
    state = WebhookReceiver(signing_keys=[KEY], inbox=inbox)
    with ReceiverServer(create_app(prefix="/calendly", receiver=state)) as server:
        yield state, server.url
    state.close()


def _run(operator: Any) -> Any:
    return operator.execute(context={})


def test_callback_versions() -> None:
    base = "https://a.example/calendly/webhooks"
    assert callback_version(base, base) == 1
    assert callback_version(base, base + "/") == 1
    assert callback_version(base, base + "/v3") == 3
    assert callback_version(base, base + "/health") is None
    assert callback_version(base, "https://a.example/other") is None


def test_disabled_subscription_is_replaced_and_the_gap_reported(
    calendly_emulator: CalendlyEmulator, signed_conn: str, closed_url: str
) -> None:
    hooks = calendly_emulator.webhooks
    hooks.retry_delays = (0.01, 0.01, 0.01)
    hooks.disable_after_failures = 3
    first = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=closed_url))
    calendly_emulator.book()
    assert hooks.wait_idle(timeout=10)
    sub = hooks.subscriptions[first["uri"].rsplit("/", 1)[-1]]
    assert sub["state"] == "disabled"
    assert sub["retry_started_at"] is not None
    with pytest.raises(CalendlyWebhookUnhealthyError, match="disabled"):
        _run(CalendlyCheckWebhookSubscriptionOperator(task_id="t", url=closed_url))

    calendly_emulator.reset_stats()
    replaced = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=closed_url))
    json.dumps(replaced)
    assert replaced["callback_url"] == closed_url + "/v2"
    assert replaced["replaced"] == first["uri"]
    assert replaced["feed_gap"]["gap_start"].startswith(sub["retry_started_at"][:19])
    assert replaced["feed_gap"]["gap_end"] >= replaced["feed_gap"]["gap_start"]
    methods = [r.method for r in calendly_emulator.requests if r.path.startswith("/webhook_subscriptions")]
    assert methods == ["GET", "POST", "DELETE"]  # create the new one first, then delete the old: never none
    assert [s["callback_url"] for s in hooks.subscriptions.values()] == [closed_url + "/v2"]
    healthy = _run(CalendlyCheckWebhookSubscriptionOperator(task_id="t", url=closed_url))
    assert healthy["state"] == "active"
    again = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=closed_url))
    assert again["uri"] == replaced["uri"]  # up to date: nothing replaced twice


def test_check_fails_when_retrying_too_long_or_missing(
    calendly_emulator: CalendlyEmulator, signed_conn: str, closed_url: str
) -> None:
    with pytest.raises(CalendlyWebhookUnhealthyError, match="no webhook subscription"):
        _run(CalendlyCheckWebhookSubscriptionOperator(task_id="t", url=closed_url))
    first = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=closed_url))
    sub = calendly_emulator.webhooks.subscriptions[first["uri"].rsplit("/", 1)[-1]]
    sub["retry_started_at"] = "2020-01-01T00:00:00.000000Z"
    with pytest.raises(CalendlyWebhookUnhealthyError, match="retrying"):
        _run(CalendlyCheckWebhookSubscriptionOperator(task_id="t", url=closed_url, max_retrying=3600))


def test_the_check_records_its_verdict_healthy_or_not(
    calendly_emulator: CalendlyEmulator, signed_conn: str, closed_url: str
) -> None:
    missing = RecordingTaskInstance()
    with pytest.raises(CalendlyWebhookUnhealthyError, match="no webhook subscription") as failure:
        CalendlyCheckWebhookSubscriptionOperator(task_id="t", url=closed_url).execute({"ti": missing})
    assert missing.pushed == [(VERDICT_XCOM_KEY, {"url": closed_url, "healthy": False, "reason": str(failure.value)})]
    created = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=closed_url))
    found = RecordingTaskInstance()
    CalendlyCheckWebhookSubscriptionOperator(task_id="t", url=closed_url).execute({"ti": found})
    verdict = found.last(VERDICT_XCOM_KEY)
    assert (verdict["healthy"], verdict["reason"]) == (True, None)
    assert verdict["subscription"] == {
        key: created[key] for key in ("uri", "callback_url", "state", "events", "retry_started_at")
    }


def test_receiver_takes_versioned_paths_and_reports_last_delivery(
    calendly_emulator: CalendlyEmulator, receiver: tuple[WebhookReceiver, str]
) -> None:
    _state, base = receiver
    calendly_emulator.webhooks.subscribe(f"{base}/calendly/webhooks/v2", ["invitee.created"], signing_key=KEY)
    calendly_emulator.book()
    assert calendly_emulator.webhooks.wait_idle(timeout=10)
    assert calendly_emulator.webhooks.delivered("invitee.created") == 1
    health = requests.get(f"{base}/calendly/webhooks/health", timeout=5).json()
    assert list(health["last_delivery"]) == ["/calendly/webhooks/v2"]
    assert health["last_delivery"]["/calendly/webhooks/v2"].endswith("Z")
    gone = requests.post(f"{base}/calendly/webhooks/v2/unknown", data=b"{}", timeout=5)
    assert gone.status_code != 410  # never the status that makes Calendly delete the subscription
