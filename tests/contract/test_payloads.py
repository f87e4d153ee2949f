"""Everything Calendly's API description allows parses and lands: payloads generated from our schemas (nulls,
``number`` fields as 30, 30.0 or 30.5, optional fields left out, unknown fields added) parse in the models,
and, served by the emulator, land in the warehouse through the transfer's public operator."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_calendly.models import EventType, Invitee, NoShow, ScheduledEvent, User, WebhookSubscription
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator
from tests.contract.schemas import CANONICAL, payloads

MODELS = {
    "User": User,
    "EventType": EventType,
    "ScheduledEvent": ScheduledEvent,
    "Invitee": Invitee,
    "NoShow": NoShow,
    "WebhookSubscription": WebhookSubscription,
}


@pytest.mark.parametrize("schema", sorted(MODELS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_conforming_payload_parses(schema: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(schema))
    model = MODELS[schema].model_validate(payload)
    assert {k for k in payload if k.startswith("x_")} <= set(model.model_extra or {})  # unknown fields kept
    dumped = model.model_dump(mode="json")
    for name in ("duration", "position"):
        if isinstance(payload.get(name), int | float):
            assert dumped[name] == payload[name]  # 30.0 reads as 30, 30.5 stays 30.5
    json.dumps(dumped)


def _event(draw: st.DrawFn) -> dict[str, Any]:
    return draw(payloads("ScheduledEvent", uri=f"{CANONICAL}/scheduled_events/{draw(st.uuids())}"))


@st.composite
def organizations(draw: st.DrawFn) -> dict[str, Any]:
    """Event types, scheduled events and their invitees, each generated from the schemas."""
    types = [
        draw(payloads("EventType", uri=f"{CANONICAL}/event_types/{draw(st.uuids())}"))
        for _ in range(draw(st.integers(0, 3)))
    ]
    events = [_event(draw) for _ in range(draw(st.integers(1, 3)))]
    invitees = {
        e["uri"]: [
            draw(payloads("Invitee", uri=f"{e['uri']}/invitees/{draw(st.uuids())}", event=e["uri"]))
            for _ in range(draw(st.integers(0, 2)))
        ]
        for e in events
    }
    for e in events:  # Calendly's counter counts every invitee it lists (canceled ones too): keep the state consistent
        counter = e.get("invitees_counter")
        if isinstance(counter, dict) and isinstance(counter.get("total"), int | float):
            counter["total"] = max(counter["total"], len(invitees[e["uri"]]))
    return {"event_types": types, "scheduled_events": events, "invitees": invitees}


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    pagination = {"count": len(items), "next_page": None, "previous_page": None}
    return {"collection": items, "pagination": {**pagination, "next_page_token": None, "previous_page_token": None}}


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(org=organizations())
def test_conforming_payloads_land_through_the_transfer(
    org: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "warehouse.db"
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    with CalendlyEmulator(scheduled_events=0) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json())
        by_uuid = {e["uri"].rsplit("/", 1)[-1]: org["invitees"][e["uri"]] for e in org["scheduled_events"]}

        def scheduled_events(rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
            if not rest:
                return 200, _page(org["scheduled_events"])
            return 200, _page(by_uuid[rest[0]])

        emulator.register_route("GET", "event_types", lambda rest, query, body: (200, _page(org["event_types"])))
        emulator.register_route("GET", "scheduled_events", scheduled_events)
        prefix = f"c{uuid.uuid4().hex[:8]}_"
        summary = CalendlyToSqlOperator(
            task_id="land",
            sql_conn_id="warehouse",
            table_prefix=prefix,
            organization=emulator.data.organization["uri"],
            # The generated payloads are of these resources (the routes above serve only them).
            resources=("event_types", "scheduled_events", "invitees"),
            mode="full",
        ).execute({})  # type: ignore[arg-type]
    json.dumps(summary)
    assert _count(db, f"{prefix}event_types") == len(org["event_types"])
    assert _count(db, f"{prefix}scheduled_events") == len(org["scheduled_events"])
    assert _count(db, f"{prefix}invitees") == sum(len(v) for v in org["invitees"].values())
    answers = sum(len(i["questions_and_answers"]) for v in org["invitees"].values() for i in v)
    assert _count(db, f"{prefix}invitee_answers") == answers
