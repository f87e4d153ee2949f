"""Hostile webhook deliveries: every one refused with the right status, counted, none stored; duplicates stored once."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from airflow_provider_calendly.webhooks.app import DEFAULT_MAX_BODY_BYTES, WebhookReceiver, create_app
from airflow_provider_calendly.webhooks.inbox import WebhookInbox
from airflow_provider_calendly.webhooks.signature import sign
from tests.reliability.conftest import SIGNING_KEY

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOW = float(int(time.time()))  # near the inbox's own clock, which purges by real time


def _envelope(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "webhook_invitee_created.json").read_text())
    data.update(changes)
    return data


def _headers(
    body: bytes, *, key: str = SIGNING_KEY, at: float = NOW, content_type: str = "application/json"
) -> dict[str, str]:
    return {"Content-Type": content_type, "Calendly-Webhook-Signature": sign(key, body, timestamp=int(at))}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def inbox(tmp_path: Path) -> WebhookInbox:
    box = WebhookInbox(f"sqlite:///{tmp_path / 'inbox.db'}")
    box.create_tables()
    return box


@pytest.fixture
def receiver(inbox: WebhookInbox, clock: Clock) -> Iterator[WebhookReceiver]:
    state = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox=inbox, clock=clock)
    yield state
    state.close()


@pytest.fixture
def client(receiver: WebhookReceiver) -> Iterator[TestClient]:
    with TestClient(create_app(receiver=receiver)) as test_client:
        yield test_client


GOOD = json.dumps(_envelope()).encode()
HOSTILE: dict[str, tuple[Callable[[], tuple[Any, dict[str, str]]], int, str]] = {
    "forged": (lambda: (GOOD, _headers(GOOD, key="attacker-key")), 401, "rejected_signature_mismatch"),
    "tampered": (lambda: (GOOD.replace(b"John", b"Eve"), _headers(GOOD)), 401, "rejected_signature_mismatch"),
    "stale": (lambda: (GOOD, _headers(GOOD, at=NOW - 181)), 401, "rejected_signature_stale"),
    "from-the-future": (lambda: (GOOD, _headers(GOOD, at=NOW + 181)), 401, "rejected_signature_stale"),
    "missing-signature": (lambda: (GOOD, {"Content-Type": "application/json"}), 401, "rejected_signature_missing"),
    "empty-signature": (
        lambda: (GOOD, {"Content-Type": "application/json", "Calendly-Webhook-Signature": ""}),
        401,
        "rejected_signature_missing",
    ),
    "garbage-signature": (
        lambda: (GOOD, {"Content-Type": "application/json", "Calendly-Webhook-Signature": "t=abc,v1=zz"}),
        401,
        "rejected_signature_malformed",
    ),
    "v0-only-signature": (
        lambda: (GOOD, {"Content-Type": "application/json", "Calendly-Webhook-Signature": f"t={int(NOW)},v0=abc"}),
        401,
        "rejected_signature_malformed",
    ),
    "oversized": (
        lambda: (b" " * (DEFAULT_MAX_BODY_BYTES + 1), _headers(b" " * (DEFAULT_MAX_BODY_BYTES + 1))),
        413,
        "rejected_too_large",
    ),
    "oversized-chunked": (
        lambda: (iter([b" " * 600_000, b" " * 600_000]), _headers(b"")),
        413,
        "rejected_too_large",
    ),
    "invalid-json": (lambda: (b"{nope", _headers(b"{nope")), 400, "rejected_malformed"),
    "json-array": (lambda: (b"[]", _headers(b"[]")), 400, "rejected_malformed"),
    "schema-invalid-payload": (
        lambda: ((body := json.dumps(_envelope(payload={"uri": 5})).encode()), _headers(body)),
        400,
        "rejected_malformed",
    ),
    "schema-invalid-no-event": (
        lambda: ((body := json.dumps({"created_at": "2024-01-01T00:00:00Z", "payload": {}}).encode()), _headers(body)),
        400,
        "rejected_malformed",
    ),
    "schema-invalid-created-at": (
        lambda: ((body := json.dumps(_envelope(created_at="last tuesday")).encode()), _headers(body)),
        400,
        "rejected_malformed",
    ),
}


@pytest.mark.parametrize(("make", "status", "counter"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_delivery_is_refused_counted_and_not_stored(
    make: Callable[[], tuple[Any, dict[str, str]]],
    status: int,
    counter: str,
    client: TestClient,
    receiver: WebhookReceiver,
    inbox: WebhookInbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    body, headers = make()
    with caplog.at_level(logging.DEBUG):
        response = client.post("/webhooks", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert receiver.stats[counter] == 1
    assert receiver.stats["stored"] == 0
    assert inbox.count() == 0
    assert SIGNING_KEY not in caplog.text and SIGNING_KEY not in response.text


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_wrong_content_type_is_refused(
    content_type: str, client: TestClient, receiver: WebhookReceiver, inbox: WebhookInbox
) -> None:
    response = client.post("/webhooks", content=GOOD, headers=_headers(GOOD, content_type=content_type))
    assert response.status_code == 415
    assert inbox.count() == 0
    assert receiver.stats["stored"] == 0
    assert receiver.stats["rejected_content_type"] == 1


def test_replays_are_stored_once_then_refused_once_stale(
    client: TestClient, receiver: WebhookReceiver, inbox: WebhookInbox, clock: Clock
) -> None:
    headers = _headers(GOOD)
    assert client.post("/webhooks", content=GOOD, headers=headers).json()["status"] == "stored"
    clock.now += 30  # a replay within the tolerance: identical delivery, so a duplicate
    assert client.post("/webhooks", content=GOOD, headers=headers).json()["status"] == "duplicate"
    clock.now += 200  # later: the captured signature has expired
    assert client.post("/webhooks", content=GOOD, headers=headers).status_code == 401
    assert inbox.count() == 1
    assert receiver.stats["stored"] == 1 and receiver.stats["duplicate"] == 1
    assert receiver.stats["rejected_signature_stale"] == 1


def test_a_burst_of_duplicates_is_stored_once(
    client: TestClient, receiver: WebhookReceiver, inbox: WebhookInbox
) -> None:
    def deliver(_n: int) -> str:
        return str(client.post("/webhooks", content=GOOD, headers=_headers(GOOD)).json()["status"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(deliver, range(40)))
    assert statuses.count("stored") == 1
    assert statuses.count("duplicate") == 39
    assert inbox.count() == 1
    assert receiver.stats["stored"] == 1 and receiver.stats["duplicate"] == 39


def test_the_signing_key_never_shows(receiver: WebhookReceiver, client: TestClient) -> None:
    assert SIGNING_KEY not in repr(receiver)
    health = client.get("/webhooks/health")
    assert SIGNING_KEY not in health.text
    assert time.time()  # the receiver's clock is injected; no real waiting happened
