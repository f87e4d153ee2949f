"""The receiver app: verified deliveries are stored once; forged, stale and malformed ones are refused."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from airflow_provider_calendly.webhooks.app import WebhookReceiver, create_app
from airflow_provider_calendly.webhooks.inbox import WebhookInbox
from tests.webhooks.conftest import SIGNING_KEY, envelope, signed


@pytest.fixture
def receiver(inbox: WebhookInbox) -> Iterator[WebhookReceiver]:
    state = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox=inbox)
    yield state
    state.close()


@pytest.fixture
def client(receiver: WebhookReceiver) -> Iterator[TestClient]:
    with TestClient(create_app(prefix="/calendly", receiver=receiver)) as test_client:
        yield test_client


def _post(client: TestClient, body: bytes, headers: dict[str, str], query: str = "") -> Any:
    return client.post(f"/calendly/webhooks{query}", content=body, headers=headers)


def test_a_signed_delivery_is_stored_once(client: TestClient, receiver: WebhookReceiver, inbox: WebhookInbox) -> None:
    body, headers = signed(envelope())
    first = _post(client, body, headers)
    assert first.status_code == 200
    assert first.json()["status"] == "stored"
    again = _post(client, body, signed(body)[1])  # Calendly's retry: same body, fresh signature
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "delivery_id": first.json()["delivery_id"]}
    assert inbox.count() == 1
    stored = inbox.fetch()[0]
    assert stored.body == body.decode()
    assert stored.payload["email"] == "test@example.com"
    assert receiver.stats["stored"] == 1 and receiver.stats["duplicate"] == 1


def test_routing_form_and_future_event_names_are_accepted(client: TestClient, inbox: WebhookInbox) -> None:
    assert _post(client, *signed(envelope("webhook_routing_form_submission.json"))).status_code == 200
    no_show = envelope(event="invitee_no_show.created")
    assert _post(client, *signed(no_show)).status_code == 200
    assert [d.event for d in inbox.fetch()] == ["routing_form_submission.created", "invitee_no_show.created"]


def test_organization_tag_from_the_callback_url(client: TestClient, inbox: WebhookInbox) -> None:
    org = "https://api.calendly.com/organizations/ORG9"
    assert _post(client, *signed(envelope()), query=f"?organization={org}").status_code == 200
    assert inbox.fetch()[0].organization == org


@pytest.mark.parametrize(
    ("mutate", "counter"),
    [
        (lambda body, headers: (body, {k: v for k, v in headers.items() if "Signature" not in k}), "missing"),
        (lambda body, headers: (body, {**headers, "Calendly-Webhook-Signature": "nonsense"}), "malformed"),
        (lambda body, headers: (body, signed(body, key="attacker-key")[1]), "mismatch"),
        (lambda body, headers: (body.replace(b"John", b"Jane"), headers), "mismatch"),
        (lambda body, headers: (body, signed(body, timestamp=int(time.time()) - 181)[1]), "stale"),
        (lambda body, headers: (body, signed(body, timestamp=int(time.time()) + 600)[1]), "stale"),
    ],
    ids=["missing", "malformed-header", "forged", "tampered", "stale", "future"],
)
def test_bad_signatures_are_rejected_and_counted(
    client: TestClient,
    receiver: WebhookReceiver,
    inbox: WebhookInbox,
    caplog: pytest.LogCaptureFixture,
    mutate: Any,
    counter: str,
) -> None:
    body, headers = mutate(*signed(envelope()))
    with caplog.at_level(logging.INFO, logger="airflow_provider_calendly"):
        response = _post(client, body, headers)
    assert response.status_code == 401
    assert receiver.stats[f"rejected_signature_{counter}"] == 1
    assert inbox.count() == 0
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "test@example.com" not in logged  # the body is only ever logged at DEBUG
    assert SIGNING_KEY not in logged and SIGNING_KEY not in response.text


def test_every_delivery_is_tallied_by_callback_path(inbox: WebhookInbox) -> None:
    """Stored, duplicate, forged and malformed deliveries land in the inbox's receipts, per path and day."""
    state = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox=inbox)
    with TestClient(create_app(prefix="/calendly", receiver=state)) as client:
        body, headers = signed(envelope())
        assert client.post("/calendly/webhooks", content=body, headers=headers).status_code == 200
        assert client.post("/calendly/webhooks", content=body, headers=headers).status_code == 200  # a retry
        forged = signed(body, key="attacker-key")[1]
        assert client.post("/calendly/webhooks/v2", content=body, headers=forged).status_code == 401
        assert client.post("/calendly/webhooks/v2", content=b"[]", headers=signed(b"[]")[1]).status_code == 400
        canceled = signed(envelope(event="invitee.canceled"))
        assert client.post("/calendly/webhooks/v2", content=canceled[0], headers=canceled[1]).status_code == 200
    state.close()  # flushes the tallies of refused deliveries, which nothing waits for
    got = {r.path: (r.stored, r.duplicate, r.rejected_signature, r.rejected_other) for r in inbox.receipts_since(0)}
    assert got == {"/calendly/webhooks": (1, 1, 0, 0), "/calendly/webhooks/v2": (1, 0, 1, 1)}


def test_a_replayed_delivery_after_the_tolerance_is_rejected(inbox: WebhookInbox) -> None:
    now = [time.time()]
    state = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox=inbox, tolerance=60, clock=lambda: now[0])
    with TestClient(create_app(receiver=state)) as client:
        body, headers = signed(envelope(), timestamp=int(now[0]))
        assert client.post("/webhooks", content=body, headers=headers).status_code == 200
        now[0] += 61  # an attacker replays the captured request a minute later
        replay = client.post("/webhooks", content=body, headers=headers)
    state.close()
    assert replay.status_code == 401
    assert state.stats["rejected_signature_stale"] == 1
    assert inbox.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"event": "invitee.created"}).encode(),
        json.dumps(envelope(created_at="yesterday")).encode(),
        json.dumps(envelope(payload={"uri": 5})).encode(),
    ],
    ids=["not-json", "array", "no-payload", "bad-created-at", "bad-payload"],
)
def test_malformed_bodies_are_rejected_and_not_stored(
    client: TestClient, receiver: WebhookReceiver, inbox: WebhookInbox, body: bytes
) -> None:
    response = _post(client, *signed(body))
    assert response.status_code == 400
    assert receiver.stats["rejected_malformed"] == 1
    assert inbox.count() == 0


def test_oversized_bodies_are_refused(inbox: WebhookInbox) -> None:
    state = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox=inbox, max_body_bytes=100)
    with TestClient(create_app(receiver=state)) as client:
        response = client.post("/webhooks", content=b"x" * 101, headers=signed(b"x" * 101)[1])
    assert response.status_code == 413
    assert state.stats["rejected_too_large"] == 1


def test_without_a_signing_key_every_delivery_is_refused(inbox: WebhookInbox) -> None:
    state = WebhookReceiver(signing_keys=[], inbox=inbox)
    with TestClient(create_app(receiver=state)) as client:
        response = client.post("/webhooks", content=b"{}", headers=signed(b"{}")[1])
    assert response.status_code == 503
    assert inbox.count() == 0


def test_signing_key_and_inbox_come_from_connections(
    inbox_conn: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_DEFAULT",
        json.dumps({"conn_type": "calendly", "password": "tok-123", "extra": {"webhook_signing_key": SIGNING_KEY}}),
    )
    state = WebhookReceiver(inbox_conn_id=inbox_conn)
    assert SIGNING_KEY not in repr(state)
    with TestClient(create_app(receiver=state)) as client:
        assert client.post("/webhooks", content=b"{}", headers={}).status_code == 401
        assert (
            client.post("/webhooks", *[], content=signed(envelope())[0], headers=signed(envelope())[1]).status_code
            == 200
        )
        health = client.get("/webhooks/health").json()
    state.close()
    assert health["stats"]["stored"] == 1
    assert WebhookInbox.from_conn_id(inbox_conn).count() == 1
    assert SIGNING_KEY not in caplog.text and "tok-123" not in caplog.text


def test_inbox_failure_answers_503_so_calendly_retries(inbox: WebhookInbox) -> None:
    class BrokenInbox(WebhookInbox):
        def store_many(self, deliveries: Any) -> Any:
            raise RuntimeError("disk full")

    state = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox=BrokenInbox(inbox.engine))
    with TestClient(create_app(receiver=state)) as client:
        response = client.post("/webhooks", content=signed(envelope())[0], headers=signed(envelope())[1])
    state.close()
    assert response.status_code == 503
    assert state.stats["unavailable"] == 1


def test_plugin_mounts_the_receiver() -> None:
    from airflow_provider_calendly.webhooks.plugin import CalendlyWebhooksPlugin

    (app,) = CalendlyWebhooksPlugin.fastapi_apps
    assert app["url_prefix"] == "/calendly"
    paths = {route.path for route in app["app"].routes}
    assert "/webhooks" in paths and "/webhooks/health" in paths


def test_plugin_is_registered_and_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import entry_points

    from airflow_provider_calendly.webhooks.plugin import CalendlyWebhooksPlugin, mounted_apps

    (entry_point,) = [ep for ep in entry_points(group="airflow.plugins") if ep.name == "calendly_webhooks"]
    assert entry_point.load() is CalendlyWebhooksPlugin
    monkeypatch.setenv("AIRFLOW__CALENDLY_WEBHOOKS__ENABLED", "False")
    assert mounted_apps() == []


def test_cli_parser_defaults() -> None:
    from airflow_provider_calendly.webhooks.__main__ import build_parser

    args = build_parser().parse_args(["--port", "9000", "--inbox-conn-id", "pg_inbox"])
    assert (args.port, args.inbox_conn_id, args.prefix, args.tolerance) == (9000, "pg_inbox", "/calendly", 180.0)


def test_plugin_app_serves_deliveries_when_mounted_like_the_api_server_does(
    inbox_conn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi import FastAPI

    from airflow_provider_calendly.webhooks.plugin import URL_PREFIX, build_app

    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_DEFAULT",
        json.dumps({"conn_type": "calendly", "password": "tok", "extra": {"webhook_signing_key": SIGNING_KEY}}),
    )
    monkeypatch.setenv("AIRFLOW__CALENDLY_WEBHOOKS__TOLERANCE", "60")
    api_server = FastAPI()
    plugin_app = build_app()
    api_server.mount(URL_PREFIX, plugin_app)  # what Airflow's API server does with fastapi_apps
    body, headers = signed(envelope())
    with TestClient(api_server) as client:
        response = client.post("/calendly/webhooks", content=body, headers=headers)
    plugin_app.state.receiver.close()
    assert response.status_code == 200
    assert plugin_app.state.receiver.tolerance == 60
    assert WebhookInbox.from_conn_id(inbox_conn).count() == 1
