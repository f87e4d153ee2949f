"""The emulator's people, routing forms, activity log and availability behave like Calendly (plain HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_calendly.models import (
    ActivityLogEntry,
    AvailabilitySchedule,
    EventTypeMembership,
    Group,
    GroupRelationship,
    OrganizationMembership,
    Page,
    RoutingForm,
    RoutingFormSubmission,
)
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.testing.organization import GATES


@pytest.fixture
def session(calendly_emulator: CalendlyEmulator) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {calendly_emulator.token}"
        yield s


def _all(s: requests.Session, emulator: CalendlyEmulator, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        response = s.get(f"{emulator.base_url}{path}", params={**params, **({"page_token": token} if token else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["collection"]
        token = (body.get("pagination") or {}).get("next_page_token")
        if not token:
            return items


def _org(emulator: CalendlyEmulator) -> str:
    return str(emulator.data.organization["uri"])


def test_every_listing_parses_as_its_model(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    em, org = calendly_emulator, _org(calendly_emulator)
    memberships = _all(session, em, "/organization_memberships", organization=org, count=2)
    Page[OrganizationMembership].model_validate({"collection": memberships})
    Page[Group].model_validate({"collection": _all(session, em, "/groups", organization=org)})
    Page[GroupRelationship].model_validate({"collection": _all(session, em, "/group_relationships", organization=org)})
    forms = _all(session, em, "/routing_forms", organization=org)
    Page[RoutingForm].model_validate({"collection": forms})
    for form in forms:
        subs = _all(session, em, "/routing_form_submissions", form=form["uri"], count=7)
        Page[RoutingFormSubmission].model_validate({"collection": subs})
    Page[ActivityLogEntry].model_validate({"collection": _all(session, em, "/activity_log_entries", organization=org)})
    for m in memberships:
        schedules = _all(session, em, "/user_availability_schedules", user=m["user"]["uri"])
        assert schedules and Page[AvailabilitySchedule].model_validate({"collection": schedules})
    for event_type in em.data.event_types:
        hosts = _all(session, em, "/event_type_memberships", event_type=event_type["uri"])
        assert hosts and Page[EventTypeMembership].model_validate({"collection": hosts})


def test_data_is_consistent_with_the_organization(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    em, org = calendly_emulator, _org(calendly_emulator)
    members = _all(session, em, "/organization_memberships", organization=org)
    member_users = {m["user"]["uri"] for m in members}
    assert member_users == {u["uri"] for u in em.data.users}
    assert sorted(m["role"] for m in members).count("owner") == 1
    # every event type is hosted by members, its owner first among them
    for event_type in em.data.event_types:
        hosts = _all(session, em, "/event_type_memberships", event_type=event_type["uri"])
        assert {h["member"]["uri"] for h in hosts} <= member_users
        assert event_type["profile"]["owner"] in {h["member"]["uri"] for h in hosts}
        assert all(h["event_type"]["uri"] == event_type["uri"] for h in hosts)
    # groups count their member relationships; everyone is a member of exactly one group
    groups = {g["uri"]: g for g in _all(session, em, "/groups", organization=org)}
    relations = _all(session, em, "/group_relationships", organization=org)
    for uri, group in groups.items():
        assert group["member_count"] == sum(1 for r in relations if r["group"] == uri and r["role"] == "member")
    member_of = [r["owner"]["user"]["uri"] for r in relations if r["role"] == "member"]
    assert sorted(member_of) == sorted(member_users)
    # submissions answer their form's questions; submitters are real invitees pointing back at them
    invitees = {i["uri"]: i for invs in em.data.invitees.values() for i in invs}
    linked = 0
    for form in _all(session, em, "/routing_forms", organization=org):
        questions = {q["uuid"]: q for q in form["questions"]}
        for sub in _all(session, em, "/routing_form_submissions", form=form["uri"]):
            assert sub["routing_form"] == form["uri"]
            for qa in sub["questions_and_answers"]:
                question = questions[qa["question_uuid"]]
                assert qa["question"] == question["name"]
                if question["answer_choices"]:
                    assert qa["answer"] in question["answer_choices"]
            if sub["submitter"] is not None:
                invitee = invitees[sub["submitter"]]
                assert sub["submitter_type"] == "Invitee"
                assert invitee["routing_form_submission"] == sub["uri"]
                assert {qa["question"]: qa["answer"] for qa in sub["questions_and_answers"]}["Email"] == invitee[
                    "email"
                ]
                event = em.data.scheduled_events[invitee["event"].rsplit("/", 1)[-1]]
                assert sub["result"] == {"type": "event_type", "value": event["event_type"]}
                linked += 1
    assert linked > 0


def test_listings_need_their_parameters(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    base = calendly_emulator.base_url
    for path in ("/groups", "/routing_forms", "/activity_log_entries", "/organization_memberships"):
        assert session.get(f"{base}{path}").status_code == 400
    assert session.get(f"{base}/routing_form_submissions").status_code == 400
    assert session.get(f"{base}/event_type_memberships").status_code == 400
    assert session.get(f"{base}/user_availability_schedules").status_code == 400
    other_org = f"{base}/organizations/someone-else"
    assert session.get(f"{base}/groups", params={"organization": other_org}).status_code == 403
    assert (
        session.get(f"{base}/routing_form_submissions", params={"form": f"{base}/routing_forms/x"}).status_code == 404
    )


def test_activity_log_filters_and_sorts_by_occurred_at(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    em, org = calendly_emulator, _org(calendly_emulator)
    entries = _all(session, em, "/activity_log_entries", organization=org)
    times = [e["occurred_at"] for e in entries]
    assert times == sorted(times, reverse=True)
    cut = sorted(times)[len(times) // 2]
    later = _all(session, em, "/activity_log_entries", organization=org, min_occurred_at=cut, sort="occurred_at:asc")
    assert [e["occurred_at"] for e in later] == sorted(t for t in times if t >= cut)


@pytest.mark.parametrize("resource", sorted(GATES))
@pytest.mark.parametrize("status", [403, 404])
def test_plan_gating_per_resource(
    calendly_emulator: CalendlyEmulator, session: requests.Session, resource: str, status: int
) -> None:
    em = calendly_emulator
    em.organization.gate(resource, status)
    for collection in GATES[resource]:
        path = collection.format(organization=_org(em).rsplit("/", 1)[-1])
        response = session.get(f"{em.base_url}/{path}", params={"organization": _org(em)})
        assert response.status_code == status
        assert response.json()["title"] == ("Permission Denied" if status == 403 else "Resource Not Found")
    # other resources are untouched
    other = next(name for name in ("groups", "routing_forms") if name != resource)
    assert session.get(f"{em.base_url}/{GATES[other][0]}", params={"organization": _org(em)}).status_code == 200
    em.organization.ungate(resource)
    assert session.get(f"{em.base_url}/groups", params={"organization": _org(em)}).status_code == 200


def test_removing_a_member_removes_its_relationships_and_hosting(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    em, org = calendly_emulator, _org(calendly_emulator)
    members = _all(session, em, "/organization_memberships", organization=org)
    owner = next(m for m in members if m["role"] == "owner")
    leaver = next(m for m in members if m["role"] == "user")
    assert (
        session.delete(f"{em.base_url}/organization_memberships/{owner['uri'].rsplit('/', 1)[-1]}").status_code == 403
    )
    assert (
        session.delete(f"{em.base_url}/organization_memberships/{leaver['uri'].rsplit('/', 1)[-1]}").status_code == 204
    )
    left = _all(session, em, "/organization_memberships", organization=org)
    assert leaver["uri"] not in {m["uri"] for m in left}
    relations = _all(session, em, "/group_relationships", organization=org)
    assert all(r["owner"]["uri"] != leaver["uri"] for r in relations)
    for event_type in em.data.event_types:
        hosts = _all(session, em, "/event_type_memberships", event_type=event_type["uri"])
        assert all(h["member"]["uri"] != leaver["user"]["uri"] for h in hosts)
    schedules = session.get(f"{em.base_url}/user_availability_schedules", params={"user": leaver["user"]["uri"]})
    assert schedules.status_code == 403
    log = _all(session, em, "/activity_log_entries", organization=org, namespace="User", action="Removed")
    assert [e["details"]["email"] for e in log] == [leaver["user"]["email"]]


def test_deleting_a_form_and_a_data_compliance_deletion(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    em, org = calendly_emulator, _org(calendly_emulator)
    forms = _all(session, em, "/routing_forms", organization=org)
    subs = _all(session, em, "/routing_form_submissions", form=forms[0]["uri"])
    target = next(s for s in subs if s["submitter"])
    email = {qa["question"]: qa["answer"] for qa in target["questions_and_answers"]}["Email"]
    before = em.count_invitees()
    em.data.organization["plan"] = "enterprise"  # Calendly serves data-compliance deletions to Enterprise only
    response = session.post(f"{em.base_url}/data_compliance/deletion/invitees", json={"emails": [email]})
    assert response.status_code == 202
    assert em.count_invitees() == before - 1
    event_uuid = target["submitter"].split("/scheduled_events/")[1].split("/")[0]
    invitee_uuid = target["submitter"].rsplit("/", 1)[-1]
    invitee_url = f"{em.base_url}/scheduled_events/{event_uuid}/invitees/{invitee_uuid}"
    assert session.get(invitee_url).status_code == 404
    assert target["uri"] not in {s["uri"] for s in _all(session, em, "/routing_form_submissions", form=forms[0]["uri"])}
    if event_uuid not in em.data.scheduled_events:
        assert session.get(f"{em.base_url}/scheduled_events/{event_uuid}").status_code == 404
    em.organization.delete_routing_form(forms[1]["uri"])
    assert [f["uri"] for f in _all(session, em, "/routing_forms", organization=org)] == [forms[0]["uri"]]
    assert session.get(f"{em.base_url}/routing_form_submissions", params={"form": forms[1]["uri"]}).status_code == 404


def test_a_new_submission_is_served_and_delivered(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    em = calendly_emulator
    seen: list[tuple[str, dict[str, Any]]] = []
    em.add_listener(lambda event, payload: seen.append((event, payload)))
    invitee = next(i for invs in em.data.invitees.values() for i in invs)
    submission = em.submit_routing_form(invitee_uri=invitee["uri"])
    assert seen == [("routing_form_submission.created", submission)]
    served = _all(session, em, "/routing_form_submissions", form=submission["routing_form"], sort="created_at:desc")
    assert served[0] == submission
    assert invitee["routing_form_submission"] == submission["uri"]


def test_gates_can_be_set_over_http(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    em = calendly_emulator
    admin = f"{em.base_url}/_emulator/gates"
    assert requests.post(admin, json={"resource": "groups", "status": 404}).json() == {"groups": 404}
    assert session.get(f"{em.base_url}/groups", params={"organization": _org(em)}).status_code == 404
    assert requests.post(admin, json={"resource": "nope", "status": 403}).status_code == 400
    assert requests.post(admin, json={"resource": "groups", "status": None}).json() == {}
    assert session.get(f"{em.base_url}/groups", params={"organization": _org(em)}).status_code == 200


def test_a_simulator_can_record_activity(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    em = calendly_emulator
    em.organization.record_activity("EventType", "Updated", {"name": "Intro call 1"})
    newest = _all(session, em, "/activity_log_entries", organization=_org(em))[0]
    assert (newest["fully_qualified_name"], newest["details"]) == ("EventType.Updated", {"name": "Intro call 1"})
