"""The organization's administration, availability, locations, communications and event type writes against our
schemas of Calendly's API description, in both directions: what the emulator serves conforms, what the hook
sends is what Calendly takes, and every conforming payload (nulls, floats, extra fields, a ``uri`` or none where
the reference does not say) lands through the transfer (that each parses: test_organization_contract.py)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator
from tests.contract.schemas import CANONICAL, page_violations, payloads, violations
from tests.contract.test_emulator_contract import _ok, _param_problems
from tests.contract.test_payloads import _count, _page


def test_the_emulator_serves_conforming_bodies(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    em = calendly_emulator
    base, org, me = em.base_url, em.data.organization["uri"], em.data.users[0]["uri"]
    org_path = org.removeprefix(CANONICAL)
    assert violations("Organization", _ok(session.get(f"{base}{org_path}"))["resource"]) == []
    invitations = _ok(session.get(f"{base}{org_path}/invitations", params={"count": 2}))
    assert page_violations("OrganizationInvitation", invitations) == [] and invitations["pagination"]["next_page_token"]
    created = _ok(session.post(f"{base}{org_path}/invitations", json={"email": "joiner@new.example"}), 201)["resource"]
    assert violations("OrganizationInvitation", created) == [] and created["status"] == "pending"
    assert violations("OrganizationInvitation", _ok(session.get(em.url_for(created["uri"])))["resource"]) == []
    _ok(session.delete(em.url_for(created["uri"])), 204)
    _ok(session.delete(em.url_for(created["uri"])), 404)  # revoked: gone

    now = em.now()
    window = {
        "user": me,
        "start_time": (now + timedelta(minutes=1)).isoformat(),
        "end_time": (now + timedelta(days=7)).isoformat(),
    }
    busy = _ok(session.get(f"{base}/user_busy_times", params=window))["collection"]
    assert busy and all(violations("UserBusyTime", b) == [] for b in busy)
    assert {b["type"] for b in busy} <= {"calendly", "external"}
    assert [b["start_time"] for b in busy] == sorted(b["start_time"] for b in busy)
    locations = _ok(session.get(f"{base}/locations", params={"user": me}))["collection"]
    assert locations and all(violations("MeetingLocation", loc) == [] for loc in locations)
    event_type = em.data.event_types[0]
    schedules = _ok(session.get(f"{base}/event_type_availability_schedules", params={"event_type": event_type["uri"]}))
    assert page_violations("EventTypeAvailabilitySchedule", schedules) == []
    rule = {"timezone": "Europe/Paris", "rules": [{"type": "date", "date": "2026-12-24", "intervals": []}]}
    patched = session.patch(
        f"{base}/event_type_availability_schedules",
        params={"event_type": event_type["uri"]},
        json={"availability_rule": rule},
    )
    assert violations("EventTypeAvailabilitySchedule", _ok(patched)["resource"]) == []
    limits = _ok(session.get(f"{base}/user_meeting_limits", params={"user": me}))["collection"]
    assert len(limits) == 1 and violations("UserMeetingLimits", limits[0]) == []
    assert limits[0] | {"user": None} == {
        "user": None,
        "daily_limit": None,
        "weekly_limit": None,
        "monthly_limit": None,
    }
    set_limits = session.patch(f"{base}/user_meeting_limits", params={"user": me}, json={"weekly_limit": 9999})
    assert violations("UserMeetingLimits", _ok(set_limits)["resource"]) == []
    for bad in ({}, {"daily_limit": 0}, {"daily_limit": 10000}, {"daily_limit": True}, {"daily_limit": 2.5}):
        assert session.patch(f"{base}/user_meeting_limits", params={"user": me}, json=bad).status_code == 400
    other = em.data.users[1]["uri"]
    assert session.get(f"{base}/user_meeting_limits", params={"user": other}).status_code == 403  # only one's own
    communications = _ok(session.get(f"{base}/outgoing_communications", params={"organization": org, "count": 5}))
    assert page_violations("OutgoingCommunication", communications) == [] and communications["collection"]
    assert all("uri" not in c for c in communications["collection"])  # as Calendly's reference shows them

    made = session.post(f"{base}/event_types", json={"owner": me, "name": "Made here", "duration": 20})
    made_type = _ok(made, 201)["resource"]
    assert violations("EventType", made_type) == [] and made_type["active"] is False
    changed = session.patch(em.url_for(made_type["uri"]), json={"duration": 25, "active": True})
    assert violations("EventType", _ok(changed)["resource"]) == []
    group_type = next(t for t in em.data.event_types if t["kind"] == "group")
    assert session.patch(em.url_for(group_type["uri"]), json={"duration": 25}).status_code == 400  # one-on-one only
    one_off = session.post(
        f"{base}/one_off_event_types",
        json={"name": "Coffee", "host": me, "duration": 15.0, "date_setting": {"type": "days_in_future", "days": 5}},
    )
    assert violations("EventType", _ok(one_off, 201)["resource"]) == []

    sample = session.get(
        f"{base}/sample_webhook_data", params={"event": "invitee.created", "organization": org, "scope": "organization"}
    )
    envelope = _ok(sample)
    assert violations("WebhookEnvelope", envelope) == [] and violations("Invitee", envelope["payload"]) == []
    group = em.organization.groups[0]["uri"]
    body = {"url": "https://hooks.example/g", "events": ["invitee.created"], "organization": org, "scope": "group"}
    subscription = _ok(session.post(f"{base}/webhook_subscriptions", json={**body, "group": group}), 201)["resource"]
    assert violations("WebhookSubscription", subscription) == [] and subscription["group"] == group


def test_event_data_deletion_is_enterprise_only_and_checks_its_range(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    em = calendly_emulator
    now = em.now()
    past = [e for e in em.data.scheduled_events.values() if e["start_time"] < (now - timedelta(days=30)).isoformat()]
    body = {"start_time": (now - timedelta(days=400)).isoformat(), "end_time": (now - timedelta(days=30)).isoformat()}
    assert session.post(f"{em.base_url}/data_compliance/deletion/events", json=body).status_code == 403
    em.data.organization["plan"] = "enterprise"
    for bad in (
        {**body, "end_time": (now + timedelta(days=1)).isoformat()},  # not in the past
        {**body, "start_time": (now - timedelta(days=800)).isoformat()},  # more than 24 months
        {"start_time": body["end_time"], "end_time": body["start_time"]},
    ):
        assert session.post(f"{em.base_url}/data_compliance/deletion/events", json=bad).status_code == 400
    assert past
    _ok(session.post(f"{em.base_url}/data_compliance/deletion/events", json=body), 202)
    assert not {e["uri"] for e in past} & {e["uri"] for e in em.data.scheduled_events.values()}


def test_every_hook_request_conforms(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    em = calendly_emulator
    hook = CalendlyHook(calendly_conn)
    now = em.now()
    hook.get_organization()
    hook.get_user(em.data.users[1]["uri"])
    list(hook.list_organization_invitations(status="pending", sort="created_at:desc", page_size=1))
    list(hook.list_organization_invitations(email="new.hire@acme.example"))
    list(hook.list_user_busy_times(start_time=now, end_time=now + timedelta(days=15), now=now))
    list(hook.list_user_locations(em.data.users[2]["uri"]))
    list(hook.list_outgoing_communications(min_created_at=now - timedelta(days=30), max_created_at=now, page_size=7))
    event_type = em.data.event_types[0]["uri"]
    list(hook.list_event_type_availability_schedules(event_type))
    hook.get_user_meeting_limits()
    hook.get_sample_webhook_data("event_type.updated", scope="group", group=em.organization.groups[0]["uri"])
    records = em.requests
    assert {r.status for r in records} == {200}
    assert [p for r in records for p in _param_problems(r.path, r.query)] == []
    assert sum(r.path == "/user_busy_times" for r in records) == 3  # 15 days: three calls of at most 7


# --- generated payloads land through the transfer ----------------------------------------------------------


@st.composite
def _organization(draw: st.DrawFn) -> dict[str, Any]:
    """Each resource's items, generated from the schemas (unique where Calendly's identity makes them unique)."""
    invitations = [
        draw(payloads("OrganizationInvitation", uri=f"{CANONICAL}/organizations/O1/invitations/{n}"))
        for n in range(draw(st.integers(0, 3)))
    ]
    communications = []
    for n in range(draw(st.integers(0, 3))):
        fixed: dict[str, Any] = {"body": f"message {n}"}
        if draw(st.booleans()):
            fixed["uri"] = f"{CANONICAL}/outgoing_communications/{n}"
        item = draw(payloads("OutgoingCommunication", **fixed))
        if "uri" not in fixed:
            item.pop("uri", None)
        communications.append(item)
    return {
        "organization": draw(payloads("Organization")),
        "invitations": invitations,
        "locations": draw(st.lists(payloads("MeetingLocation"), max_size=3)),
        "busy": draw(st.lists(payloads("UserBusyTime"), max_size=3)),
        "communications": communications,
    }


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(org=_organization())
def test_conforming_payloads_land_through_the_transfer(
    org: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / f"{uuid.uuid4().hex}.db"
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    with CalendlyEmulator(scheduled_events=0, users=1) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json())

        def organizations(rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
            return 200, _page(org["invitations"]) if rest[1:] else {"resource": org["organization"]}

        emulator.register_route("GET", "organizations", organizations)
        emulator.register_route("GET", "locations", lambda rest, query, body: (200, {"collection": org["locations"]}))
        emulator.register_route("GET", "user_busy_times", lambda rest, query, body: (200, {"collection": org["busy"]}))
        emulator.register_route(
            "GET", "outgoing_communications", lambda rest, query, body: (200, _page(org["communications"]))
        )
        resources = ("organization", "organization_invitations", "locations", "busy_times", "outgoing_communications")
        summary = CalendlyToSqlOperator(
            task_id="land", sql_conn_id="warehouse", resources=resources, mode="full"
        ).execute({})  # type: ignore[arg-type]
    assert summary["skipped"] == {}
    assert _count(db, "calendly_organizations") == 1
    assert _count(db, "calendly_organization_invitations") == len(org["invitations"])
    assert _count(db, "calendly_locations") == len(org["locations"])  # one member: one row per position
    assert _count(db, "calendly_user_busy_times") == len(
        {(b["type"], b["start_time"], b["end_time"]) for b in org["busy"]}
    )
    assert _count(db, "calendly_outgoing_communications") == len(org["communications"])
