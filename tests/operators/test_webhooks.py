"""Webhook subscription operators against the emulator over real HTTP: idempotent ensure, tolerant delete."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.operators.webhooks import (
    DEFAULT_WEBHOOK_EVENTS,
    CalendlyDeleteWebhookSubscriptionOperator,
    CalendlyEnsureWebhookSubscriptionOperator,
)
from airflow_provider_calendly.testing import CalendlyEmulator

URL = "https://airflow.example.com/calendly/webhooks"
KEY = "op-test-signing-key"


@pytest.fixture
def signed_conn(calendly_emulator: CalendlyEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", calendly_emulator.connection_json(webhook_signing_key=KEY))
    return "calendly_default"


def _run(operator: Any) -> Any:
    return operator.execute(context={})


def _calls(emulator: CalendlyEmulator, method: str) -> int:
    return sum(1 for r in emulator.requests if r.method == method and r.path.startswith("/webhook_subscriptions"))


def test_ensure_creates_once_then_returns_the_existing_subscription(
    calendly_emulator: CalendlyEmulator, signed_conn: str
) -> None:
    created = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL))
    assert created["callback_url"] == URL and created["events"] == list(DEFAULT_WEBHOOK_EVENTS)
    again = _run(
        CalendlyEnsureWebhookSubscriptionOperator(
            task_id="t", url=URL + "/", events=list(reversed(DEFAULT_WEBHOOK_EVENTS))
        )
    )
    assert again["uri"] == created["uri"]
    assert _calls(calendly_emulator, "POST") == 1 and _calls(calendly_emulator, "DELETE") == 0
    (sub_uuid,) = calendly_emulator.webhooks.subscriptions
    assert calendly_emulator.webhooks._keys[sub_uuid] == KEY  # signed with the connection's key
    assert KEY not in json.dumps(created)


def test_ensure_replaces_a_subscription_whose_events_differ(
    calendly_emulator: CalendlyEmulator, signed_conn: str
) -> None:
    first = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL, events=["invitee.created"]))
    newer = ["invitee.created", "invitee_no_show.created"]  # an event name added after the seed: no code change
    second = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL, events=newer))
    assert second["uri"] != first["uri"] and second["events"] == newer
    assert [s["uri"] for s in calendly_emulator.webhooks.subscriptions.values()] == [second["uri"]]
    forced = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL, events=newer, recreate=True))
    assert forced["uri"] != second["uri"]


def test_ensure_keeps_subscriptions_of_other_urls_and_scopes(
    calendly_emulator: CalendlyEmulator, signed_conn: str
) -> None:
    user = calendly_emulator.data.users[0]["uri"]
    other = calendly_emulator.webhooks.subscribe("https://elsewhere.example.com/hook", ["invitee.created"])
    mine = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL, scope="user", user=user))
    assert mine["scope"] == "user" and mine["user"] == user
    org_level = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL))
    assert org_level["scope"] == "organization"
    assert len(calendly_emulator.webhooks.subscriptions) == 3
    assert other["uri"] in {s["uri"] for s in calendly_emulator.webhooks.subscriptions.values()}


def test_ensure_recovers_from_a_concurrent_create(
    calendly_emulator: CalendlyEmulator, signed_conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator = CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL, events=["invitee.created"])
    real_find = operator.hook.find_webhook_subscriptions
    seen: list[int] = []

    def racing_find(url: str, **where: Any) -> Any:
        if not seen:  # another run creates it between our listing and our POST
            seen.append(1)
            calendly_emulator.webhooks.subscribe(URL, ["invitee.created"], signing_key=KEY)
            return []
        return real_find(url, **where)

    monkeypatch.setattr(operator.hook, "find_webhook_subscriptions", racing_find)
    result = _run(operator)
    assert result["callback_url"] == URL
    assert len(calendly_emulator.webhooks.subscriptions) == 1


def test_ensure_needs_a_signing_key_unless_told_otherwise(
    calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    with pytest.raises(CalendlyConfigError, match="webhook_signing_key"):
        _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL))
    unsigned = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL, sign=False))
    assert calendly_emulator.webhooks._keys[unsigned["uri"].rsplit("/", 1)[-1]] is None


def test_ensure_validates_arguments(signed_conn: str) -> None:
    with pytest.raises(CalendlyConfigError):
        _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL, scope="user"))
    with pytest.raises(CalendlyConfigError):
        _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url="ftp://x", events=["invitee.created"]))
    with pytest.raises(CalendlyConfigError):
        _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL, events=["Not An Event"]))


def test_delete_by_uri_and_by_url_is_idempotent(calendly_emulator: CalendlyEmulator, signed_conn: str) -> None:
    created = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL))
    assert _run(CalendlyDeleteWebhookSubscriptionOperator(task_id="d", subscription=created["uri"])) == {
        "deleted": [created["uri"]]
    }
    assert _run(CalendlyDeleteWebhookSubscriptionOperator(task_id="d", subscription=created["uri"])) == {"deleted": []}
    again = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL))
    assert _run(CalendlyDeleteWebhookSubscriptionOperator(task_id="d", url=URL)) == {"deleted": [again["uri"]]}
    assert _run(CalendlyDeleteWebhookSubscriptionOperator(task_id="d", url=URL)) == {"deleted": []}
    assert calendly_emulator.webhooks.subscriptions == {}
    with pytest.raises(CalendlyConfigError):
        CalendlyDeleteWebhookSubscriptionOperator(task_id="d")


def test_ensure_after_a_replacement_whose_answer_was_lost_keeps_the_replacement(
    calendly_emulator: CalendlyEmulator, signed_conn: str
) -> None:
    hooks = calendly_emulator.webhooks
    disabled = hooks.subscribe(URL, list(DEFAULT_WEBHOOK_EVENTS), signing_key=KEY)
    hooks.subscriptions[disabled["uri"].rsplit("/", 1)[-1]].update(
        state="disabled", retry_started_at="2020-01-01T00:00:00.000000Z"
    )
    replacement = hooks.subscribe(URL + "/v2", list(DEFAULT_WEBHOOK_EVENTS), signing_key=KEY)  # created, answer lost
    result = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL))
    assert result["uri"] == replacement["uri"]
    assert [s["uri"] for s in hooks.subscriptions.values()] == [replacement["uri"]]
    assert _calls(calendly_emulator, "POST") == 0 and _calls(calendly_emulator, "DELETE") == 1
