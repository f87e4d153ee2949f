"""The AssetWatcher path through Airflow's own machinery: DAG sync registers the watcher's trigger, the
trigger (rebuilt from its DB row) fires on a real delivery, ``Trigger.submit_event`` turns the event into an
asset event that queues the DAG, and the DAG's task lands the delivery it finds in the asset event's extra."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.testing.webhooks import ReceiverServer
from airflow_provider_calendly.triggers.calendly import CalendlyWebhookTrigger
from airflow_provider_calendly.webhooks.app import WebhookReceiver, create_app
from airflow_provider_calendly.webhooks.inbox import WebhookInbox
from tests.conftest import EXAMPLE_DAGS
from tests.webhooks.conftest import SIGNING_KEY

DAG_FILE = EXAMPLE_DAGS / "calendly_booking_asset.py"


def _bag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAG_FILE))
    assert bag.import_errors == {}
    return bag


def test_example_dags_are_scheduled_on_watched_assets() -> None:
    bag = _bag()
    assert set(bag.dags) == {"calendly_booking_asset", "calendly_routing_form_asset"}
    condition = bag.dags["calendly_booking_asset"].timetable.asset_condition
    asset = next(iter(getattr(condition, "objects", [condition])))
    (watcher,) = asset.watchers
    assert isinstance(watcher.trigger, CalendlyWebhookTrigger)
    assert watcher.trigger.consumer == "calendly_booking_asset"
    assert watcher.trigger.events == ["invitee.created", "invitee.canceled"]


async def _first_event(trigger: Any) -> Any:
    gen = trigger.run()
    try:
        return await asyncio.wait_for(anext(gen), 10)
    finally:
        await gen.aclose()


def test_booking_becomes_an_asset_event_that_the_dag_lands(
    airflow_db: Path, calendly_emulator: CalendlyEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import sync_bag_to_db
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.models.dag import DagModel
    from airflow.models.trigger import Trigger
    from airflow.sdk.module_loading import import_string
    from airflow.triggers.base import TriggerEvent
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select

    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WEBHOOK_INBOX", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "inbox.db")})
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "wh.db")})
    )

    # 1. The DAG processor's sync registers the watcher's trigger (for an active, unpaused DAG).
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    bag = _bag()
    sync_bag_to_db(bag, "dags-folder", None)
    with create_session() as session:
        session.execute(delete(AssetDagRunQueue))
        for dag_model in session.scalars(select(DagModel).where(DagModel.dag_id.in_(list(bag.dags)))):
            dag_model.is_paused = False
    sync_bag_to_db(bag, "dags-folder", None)
    with create_session() as session:
        asset = session.scalars(select(AssetModel).where(AssetModel.uri == "calendly://webhooks/invitee")).one()
        (trigger_row,) = asset.triggers
        trigger_id, classpath, kwargs = trigger_row.id, trigger_row.classpath, trigger_row.kwargs
    assert classpath == "airflow_provider_calendly.triggers.calendly.CalendlyWebhookTrigger"
    assert SIGNING_KEY not in json.dumps(kwargs, default=str)

    # 2. The triggerer rebuilds the trigger from its row; it registers its consumer at the end of the inbox.
    trigger = import_string(classpath)(**kwargs)
    inbox = WebhookInbox.from_conn_id("calendly_webhook_inbox")
    assert inbox.open_position(trigger.consumer) == 0

    # 3. A booking in the emulator is delivered, signed, over HTTP to the receiver and stored.
    receiver = WebhookReceiver(signing_keys=[SIGNING_KEY], inbox_conn_id="calendly_webhook_inbox")
    with ReceiverServer(create_app(receiver=receiver)) as server:
        calendly_emulator.webhooks.subscribe(f"{server.url}/webhooks", ["invitee.created"], signing_key=SIGNING_KEY)
        _event, invitee = calendly_emulator.book(invitee_email="asset@example.com")
        assert calendly_emulator.webhooks.wait_idle(timeout=20)
    receiver.close()

    # 4. The trigger fires; Airflow turns the event into an asset event and queues the DAG.
    event = asyncio.run(_first_event(trigger))
    assert isinstance(event, TriggerEvent)
    Trigger.submit_event(trigger_id, event)
    with create_session() as session:
        asset_event = session.scalars(select(AssetEvent).where(AssetEvent.asset_id == asset.id)).one()
        extra = asset_event.extra
        queued = {q.target_dag_id for q in session.scalars(select(AssetDagRunQueue))}
    assert extra["from_trigger"] is True
    assert extra["payload"]["payload"]["email"] == "asset@example.com"
    assert queued == {"calendly_booking_asset"}

    # 5. The DAG's task reads the delivery from triggering_asset_events and lands it.
    task = bag.dags["calendly_booking_asset"].get_task("land_deliveries")
    fake_event = type("Event", (), {"extra": extra})()
    (landed,) = task.python_callable(triggering_asset_events={"calendly_invitee_events": [fake_event]})
    assert landed["written"] is True and landed["uri"] == invitee["uri"]
    with sqlite3.connect(tmp_path / "wh.db") as db:
        assert db.execute("SELECT email FROM calendly_invitees").fetchall() == [("asset@example.com",)]

    # 6. A triggerer killed before it resumed the trigger: the new instance hands the delivery out again, and
    # the consuming task's claim drops the replay (acted on once).
    restarted = import_string(classpath)(**kwargs)
    assert inbox.get_position(restarted.consumer) == 0
    replay = asyncio.run(_first_event(restarted))
    assert replay.payload["delivery_id"] == event.payload["delivery_id"]
    assert inbox.claim("calendly_booking_asset", [event.payload["delivery_id"]]) == [event.payload["delivery_id"]]
    assert inbox.claim("calendly_booking_asset", [replay.payload["delivery_id"]]) == []
