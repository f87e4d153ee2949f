"""Hook methods for people, routing forms, activity log, availability and event type hosts, over real HTTP."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyAuthError, CalendlyConfigError, CalendlyNotFoundError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import CalendlyEmulator


@pytest.fixture
def hook(calendly_conn: str) -> CalendlyHook:
    return CalendlyHook(calendly_conn)


def _requests(emulator: CalendlyEmulator, path: str) -> list[dict[str, str]]:
    return [r.query for r in emulator.requests if r.path == path]


def test_memberships_default_to_the_token_owners_organization(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator
) -> None:
    memberships = list(hook.list_organization_memberships(page_size=2))
    assert [m.user.uri for m in memberships] == [u["uri"] for u in calendly_emulator.data.users]
    org = calendly_emulator.data.organization["uri"]
    assert all(
        q["organization"] == org and q["count"] == "2"
        for q in _requests(calendly_emulator, "/organization_memberships")
    )
    assert len(_requests(calendly_emulator, "/organization_memberships")) == 2  # 3 members, 2 a page
    one = list(hook.list_organization_memberships(user=memberships[1].user.uri))
    assert [m.uri for m in one] == [memberships[1].uri]
    assert "organization" not in _requests(calendly_emulator, "/organization_memberships")[-1]


def test_groups_and_relationships(hook: CalendlyHook, calendly_emulator: CalendlyEmulator) -> None:
    groups = list(hook.list_groups())
    assert groups and all(g.organization == calendly_emulator.data.organization["uri"] for g in groups)
    relations = list(hook.list_group_relationships(group=groups[0].uri))
    assert relations and {r.group_uri for r in relations} == {groups[0].uri}
    assert all(r.owner is not None and r.owner.user is not None for r in relations)
    owner = relations[0].owner
    assert owner is not None and owner.uri is not None
    mine = list(hook.list_group_relationships(owner=owner.uri))
    assert {r.role for r in mine} <= {"member", "admin"}
    assert sum(1 for r in mine if r.role == "member") == 1


def test_routing_forms_and_submissions_newest_first_stop_early(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator
) -> None:
    form = next(f for f in hook.list_routing_forms() if f.status == "published")
    assert [q.name for q in form.questions] == ["Name", "Email", "Company size", "What do you need?"]
    assert hook.get_routing_form(form.uri) == form
    every = list(hook.list_routing_form_submissions(form.uri, sort="created_at:desc"))
    assert [s.created_at for s in every] == sorted((s.created_at for s in every), reverse=True)
    calendly_emulator.reset_stats()
    newest = list(
        itertools.islice(hook.list_routing_form_submissions(form.uri, sort="created_at:desc", page_size=5), 3)
    )
    assert newest == every[:3]
    assert calendly_emulator.count(path_prefix="/routing_form_submissions") == 1  # stopping early costs no call
    assert hook.get_routing_form_submission(every[0].uri) == every[0]


def test_activity_log_time_window(hook: CalendlyHook) -> None:
    entries = list(hook.list_activity_log_entries(sort="occurred_at:asc"))
    assert entries and [e.occurred_at for e in entries] == sorted(e.occurred_at for e in entries)
    middle = entries[len(entries) // 2].occurred_at
    assert middle is not None
    later = list(hook.list_activity_log_entries(min_occurred_at=middle, sort="occurred_at:asc"))
    assert later == [e for e in entries if e.occurred_at is not None and e.occurred_at >= middle]


def test_availability_schedules_and_event_type_hosts(hook: CalendlyHook, calendly_emulator: CalendlyEmulator) -> None:
    mine = list(hook.list_user_availability_schedules())
    assert mine and all(s.user == hook.get_current_user().uri for s in mine)
    assert sum(1 for s in mine if s.default) == 1
    assert {r.wday for r in mine[0].rules if r.type == "wday"} >= {"monday", "friday"}
    for event_type in calendly_emulator.data.event_types:
        hosts = list(hook.list_event_type_memberships(event_type["uri"]))
        assert event_type["profile"]["owner"] in {h.member.uri for h in hosts if h.member}


@pytest.mark.parametrize(
    ("resource", "call"),
    [
        ("activity_log", lambda h: list(h.list_activity_log_entries())),
        ("routing_forms", lambda h: list(h.list_routing_forms())),
        ("groups", lambda h: list(h.list_groups())),
    ],
)
@pytest.mark.parametrize(("status", "error"), [(403, CalendlyAuthError), (404, CalendlyNotFoundError)])
def test_plan_gated_resources_raise_typed_errors_without_retrying(
    hook: CalendlyHook, calendly_emulator: CalendlyEmulator, resource: str, call: Any, status: int, error: type
) -> None:
    hook.get_current_user()
    calendly_emulator.organization.gate(resource, status)
    before = hook.call_count
    with pytest.raises(error) as info:
        call(hook)
    assert info.value.status_code == status
    assert hook.call_count == before + 1


def test_deletions_through_the_hook(hook: CalendlyHook, calendly_emulator: CalendlyEmulator) -> None:
    member = next(m for m in hook.list_organization_memberships() if m.role == "user")
    hook.delete_organization_membership(member.uri)
    assert member.uri not in {m.uri for m in hook.list_organization_memberships()}
    invitee = next(i for invs in calendly_emulator.data.invitees.values() for i in invs)
    before = calendly_emulator.count_invitees()
    calendly_emulator.data.organization["plan"] = "enterprise"
    hook.delete_invitee_data([invitee["email"]])
    assert calendly_emulator.count_invitees() < before


@pytest.mark.parametrize(
    "call",
    [
        lambda h: h.list_routing_form_submissions("not a uuid!"),
        lambda h: h.list_routing_form_submissions("abc", sort="name:asc"),
        lambda h: h.list_routing_forms(sort="updated_at:desc"),
        lambda h: h.list_activity_log_entries(min_occurred_at="yesterday"),
        lambda h: h.list_activity_log_entries(sort="action:asc"),
        lambda h: h.list_event_type_memberships("https://elsewhere.example/event_types/abc"),
        lambda h: h.list_group_relationships(owner="https://api.calendly.com/users/abc/x"),
        lambda h: h.list_groups(page_size=101),
        lambda h: h.delete_invitee_data([]),
        lambda h: h.delete_invitee_data(["not-an-email"]),
    ],
)
def test_bad_arguments_fail_before_any_call(hook: CalendlyHook, calendly_emulator: CalendlyEmulator, call: Any) -> None:
    hook.get_current_user()
    calendly_emulator.reset_stats()
    with pytest.raises(CalendlyConfigError):
        call(hook)
    assert calendly_emulator.requests == []
