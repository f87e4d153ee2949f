"""The organization endpoints against our schemas of Calendly's API description, in both directions."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.models import (
    ActivityLogEntry,
    AvailabilitySchedule,
    CalendlyModel,
    EventTypeAvailabilitySchedule,
    EventTypeMembership,
    Group,
    GroupRelationship,
    MeetingLocation,
    Organization,
    OrganizationInvitation,
    OrganizationMembership,
    OutgoingCommunication,
    RoutingForm,
    RoutingFormSubmission,
    UserBusyTime,
    UserMeetingLimits,
    WebhookEnvelope,
)
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from tests.contract.schemas import page_violations, payloads
from tests.contract.test_emulator_contract import _param_problems

#: Schema name → model.
MODELS: dict[str, type[CalendlyModel]] = {
    "OrganizationMembership": OrganizationMembership,
    "Group": Group,
    "GroupRelationship": GroupRelationship,
    "RoutingForm": RoutingForm,
    "RoutingFormSubmission": RoutingFormSubmission,
    "ActivityLogEntry": ActivityLogEntry,
    "AvailabilitySchedule": AvailabilitySchedule,
    "EventTypeMembership": EventTypeMembership,
    "Organization": Organization,
    "OrganizationInvitation": OrganizationInvitation,
    "UserBusyTime": UserBusyTime,
    "MeetingLocation": MeetingLocation,
    "OutgoingCommunication": OutgoingCommunication,
    "EventTypeAvailabilitySchedule": EventTypeAvailabilitySchedule,
    "UserMeetingLimits": UserMeetingLimits,
    "WebhookEnvelope": WebhookEnvelope,
}


def test_the_emulator_serves_conforming_bodies(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    em = calendly_emulator
    base, org = em.base_url, em.data.organization["uri"]

    def page(path: str, **params: Any) -> Any:
        response = session.get(f"{base}{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    listings = {
        "OrganizationMembership": page("/organization_memberships", organization=org),
        "Group": page("/groups", organization=org),
        "GroupRelationship": page("/group_relationships", organization=org),
        "RoutingForm": page("/routing_forms", organization=org),
        "ActivityLogEntry": page("/activity_log_entries", organization=org),
    }
    for schema, body in listings.items():
        assert body["collection"] and page_violations(schema, body) == [], schema
    for form in listings["RoutingForm"]["collection"]:
        subs = page("/routing_form_submissions", form=form["uri"])
        assert page_violations("RoutingFormSubmission", subs) == []
    for user in em.data.users:
        body = page("/user_availability_schedules", user=user["uri"])
        body["pagination"] = {"count": len(body["collection"]), "next_page": None, "previous_page": None}
        body["pagination"] |= {"next_page_token": None, "previous_page_token": None}
        assert page_violations("AvailabilitySchedule", body) == []
    for event_type in em.data.event_types:
        assert (
            page_violations("EventTypeMembership", page("/event_type_memberships", event_type=event_type["uri"])) == []
        )


def test_every_hook_request_conforms(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    hook = CalendlyHook(calendly_conn)
    forms = list(hook.list_routing_forms(sort="created_at:desc", page_size=1))
    for form in forms:
        list(hook.list_routing_form_submissions(form.uri, sort="created_at:desc", page_size=50))
    members = list(hook.list_organization_memberships(email=calendly_emulator.data.users[0]["email"]))
    list(hook.list_organization_memberships(user=members[0].user.uri))
    list(hook.list_groups(page_size=2))
    list(hook.list_group_relationships(owner=members[0].uri))
    list(hook.list_activity_log_entries(min_occurred_at="2025-01-01", namespace="User", sort="occurred_at:asc"))
    list(hook.list_user_availability_schedules(members[0].user.uri))
    list(hook.list_event_type_memberships(calendly_emulator.data.event_types[0]["uri"]))
    records = calendly_emulator.requests
    assert {r.status for r in records} == {200}
    assert [p for r in records for p in _param_problems(r.path, r.query)] == []


@pytest.mark.parametrize("schema", sorted(MODELS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_conforming_payload_parses(schema: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(schema))
    model = MODELS[schema].model_validate(payload)
    assert {k for k in payload if k.startswith("x_")} <= set(model.model_extra or {})
    dumped = model.model_dump(mode="json")
    json.dumps(dumped)
    assert MODELS[schema].model_validate(dumped).model_dump(mode="json") == dumped
