"""CalendlyWebhookSensor: poke and deferrable modes, and the whole path end to end in ``dag.test()``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_calendly.models import WebhookEnvelope
from airflow_provider_calendly.sensors.calendly import CalendlyWebhookSensor
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.testing.webhooks import ReceiverServer
from airflow_provider_calendly.triggers.calendly import CalendlyWebhookTrigger
from airflow_provider_calendly.webhooks.app import WebhookReceiver, create_app
from airflow_provider_calendly.webhooks.inbox import NewDelivery, WebhookInbox
from tests.webhooks.conftest import SIGNING_KEY, envelope


def _context(start: datetime) -> Any:
    return {"dag_run": SimpleNamespace(start_date=start)}


def _store(inbox: WebhookInbox, event: str = "invitee.created", *, at: float | None = None) -> None:
    doc = envelope(event=event)
    env = WebhookEnvelope.model_validate(doc)
    inbox.store(NewDelivery.from_envelope(env, json.dumps(doc), received_at=time.time() if at is None else at))


def test_poke_mode_returns_the_first_matching_delivery(inbox_conn: str) -> None:
    inbox = WebhookInbox.from_conn_id(inbox_conn)
    started = datetime.now(timezone.utc)
    _store(inbox, at=started.timestamp() - 60)  # before the run: ignored
    sensor = CalendlyWebhookSensor(
        task_id="wait", events=["invitee.canceled"], inbox_conn_id=inbox_conn, deferrable=False
    )
    assert sensor.poke(_context(started)).is_done is False
    _store(inbox, "invitee.canceled")
    delivery = sensor.execute(_context(started))
    assert delivery["event"] == "invitee.canceled"
    assert delivery["payload"]["email"] == "test@example.com"
    json.dumps(delivery)


def test_received_after_overrides_the_run_start(inbox_conn: str) -> None:
    inbox = WebhookInbox.from_conn_id(inbox_conn)
    an_hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    _store(inbox, at=an_hour_ago.timestamp() + 10)
    sensor = CalendlyWebhookSensor(
        task_id="wait", received_after=an_hour_ago.isoformat(), inbox_conn_id=inbox_conn, deferrable=False
    )
    assert sensor.poke(_context(datetime.now(timezone.utc))).is_done


def test_deferrable_mode_defers_to_the_trigger(inbox_conn: str) -> None:
    from airflow.sdk.exceptions import TaskDeferred

    started = datetime(2024, 5, 1, tzinfo=timezone.utc)
    sensor = CalendlyWebhookSensor(
        task_id="wait", events="invitee.created", inbox_conn_id=inbox_conn, timeout=600, poke_interval=3
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(_context(started))
    trigger = deferred.value.trigger
    assert isinstance(trigger, CalendlyWebhookTrigger)
    assert trigger.serialize()[1] == {
        "inbox_conn_id": inbox_conn,
        "events": ["invitee.created"],
        "event_type": None,
        "organization": None,
        "received_after": "2024-05-01T00:00:00+00:00",
        "after_id": None,
        "consumer": None,
        "poll_interval": 3.0,
        "batch_size": 100,
    }
    assert deferred.value.timeout == timedelta(seconds=600)
    assert sensor.execute_complete({}, {"event": "invitee.created", "id": 1}) == {"event": "invitee.created", "id": 1}


# --- end to end ---------------------------------------------------------------------------------------------


@pytest.fixture
def webhook_stack(
    calendly_emulator: CalendlyEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """Emulator + receiver on real loopback HTTP, with the Airflow connections a deployment would have."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_DEFAULT", calendly_emulator.connection_json(webhook_signing_key=SIGNING_KEY)
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WEBHOOK_INBOX", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "inbox.db")})
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "warehouse.db")})
    )
    calendly_emulator.webhooks.retry_delays = (0.05, 0.1, 0.2)
    receiver = WebhookReceiver(calendly_conn_id="calendly_default", inbox_conn_id="calendly_webhook_inbox")
    with ReceiverServer(create_app(prefix="/calendly", receiver=receiver)) as server:
        yield {
            "emulator": calendly_emulator,
            "receiver": receiver,
            "callback": f"{server.url}/calendly/webhooks",
            "warehouse": tmp_path / "warehouse.db",
        }
    receiver.close()


def _xcom(dag_run: Any, dag_id: str, task_id: str) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_id, task_ids=task_id, key="return_value")
        rows = session.scalars(query).all()
    return XComModel.deserialize_value(rows[0])


def test_booking_to_sensor_end_to_end_in_dag_test(
    airflow_db: Path, webhook_stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Subscribe → the sensor defers → a booking in the emulator → signed POST → receiver → inbox → the trigger
    fires → the sensor succeeds and the example DAG lands the invitee; then a cancellation updates it and a
    routing form submission is stored, each in its own ``dag.test()`` run of the example DAG."""
    import sqlite3

    from airflow.dag_processing.dagbag import DagBag

    from airflow_provider_calendly.operators.webhooks import CalendlyEnsureWebhookSubscriptionOperator
    from tests.conftest import EXAMPLE_DAGS

    emulator: CalendlyEmulator = webhook_stack["emulator"]
    subscribe = CalendlyEnsureWebhookSubscriptionOperator(task_id="subscribe", url=webhook_stack["callback"])
    subscription = subscribe.execute({})  # type: ignore[arg-type]
    assert subscribe.execute({}) == subscription  # type: ignore[arg-type]  # idempotent
    assert SIGNING_KEY not in json.dumps(subscription)

    # Each Calendly action happens once the sensor has deferred and its trigger is running (inline in dag.test),
    # so the trigger really waits for the delivery.
    actions: list[Any] = []
    original = CalendlyWebhookTrigger._open_inbox

    async def open_inbox_then_act(self: CalendlyWebhookTrigger) -> WebhookInbox:
        inbox = await original(self)
        actions.pop(0)()
        return inbox

    monkeypatch.setattr(CalendlyWebhookTrigger, "_open_inbox", open_inbox_then_act)
    bag = DagBag(str(EXAMPLE_DAGS / "calendly_webhook_sensor.py"))
    assert bag.import_errors == {}
    dag = bag.get_dag("calendly_webhook_sensor")
    dag.get_task("wait_for_calendly_event").poke_interval = 0.05  # poll the inbox fast in the test
    booked: dict[str, Any] = {}

    def book() -> None:
        booked.update(emulator.book(invitee_email="e2e@example.com")[1])

    actions.append(book)
    run = dag.test()
    assert str(run.state) == "success"
    delivery = _xcom(run, "calendly_webhook_sensor", "wait_for_calendly_event")
    assert delivery["event"] == "invitee.created"
    assert delivery["payload"]["email"] == "e2e@example.com"
    assert _xcom(run, "calendly_webhook_sensor", "land")["written"] is True

    actions.append(lambda: emulator.cancel_invitee(booked["uri"], reason="double booked"))
    assert str(dag.test().state) == "success"
    actions.append(lambda: emulator.submit_routing_form(answers={"Industry": "Aviation"}))
    assert str(dag.test().state) == "success"

    with sqlite3.connect(webhook_stack["warehouse"]) as db:
        invitees = db.execute("SELECT email, status FROM calendly_invitees").fetchall()
        submissions = db.execute("SELECT raw FROM calendly_routing_form_submissions").fetchall()
    assert invitees == [("e2e@example.com", "canceled")]
    assert json.loads(submissions[0][0])["questions_and_answers"][0]["answer"] == "Aviation"
    assert webhook_stack["receiver"].stats["stored"] == 3
    assert len(emulator.webhooks.subscriptions) == 1
    assert actions == []  # the trigger ran (the sensor deferred) in each of the three runs
