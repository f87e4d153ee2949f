"""The resources beyond meetings: people, groups, routing forms and submissions, activity, availability, hosts.

A default sync against the emulator, over loopback, into real SQLite, DuckDB and PostgreSQL: every table lands
with its children and links; plan-gated resources are skipped (or fail with ``strict_resources``); rows
Calendly no longer returns are marked, un-marked when they come back, or deleted; a webhook-landed submission
equals the API-landed one; an incremental pass equals a full one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyAuthError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlySqlSync
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.tables import RESOURCE_TABLES
from airflow_provider_calendly.transfers.webhook_to_sql import land_delivery
from tests.transfers.helpers import Warehouse, dump_table

#: The resources this module covers (the organization's administration and availability: test_org_resources.py;
#: contacts, Lists and recaps: test_people.py).
NEW_RESOURCES = (
    "users",
    "organization_memberships",
    "groups",
    "routing_forms",
    "routing_form_submissions",
    "activity_log",
    "availability_schedules",
    "event_type_hosts",
)
NEW_TABLES = tuple(t for r in NEW_RESOURCES for t in RESOURCE_TABLES[r])


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[CalendlyEmulator]:
    with CalendlyEmulator(seed=11, scheduled_events=24) as emu:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emu.connection_json(rate_limit=10_000))
        yield emu


def _sync(writer: CalendlyTableWriter, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"page_size": 5, "chunk_size": 4, **kwargs}
    return CalendlySqlSync(hook=CalendlyHook(), writer=writer, **options).run()


def _live(writer: CalendlyTableWriter, key: str, column: str = "uri") -> set[Any]:
    """Values of ``column`` of the rows of ``key`` not marked deleted."""
    return {r[0] for r in writer.execute(f"SELECT {column} FROM {writer.table_name(key)} WHERE _deleted_at IS NULL")}


def _marked(writer: CalendlyTableWriter, key: str) -> set[str]:
    return {r[0] for r in writer.execute(f"SELECT uri FROM {writer.table_name(key)} WHERE _deleted_at IS NOT NULL")}


def _truth(emulator: CalendlyEmulator) -> dict[str, int]:
    org = emulator.organization
    forms, submissions = org.routing_forms, [s for subs in org.submissions.values() for s in subs]
    return {
        "users": len(org.memberships),
        "organization_memberships": len(org.memberships),
        "groups": len(org.groups),
        "group_relationships": len(org.group_relationships),
        "routing_forms": len(forms),
        "routing_form_questions": sum(len(f["questions"]) for f in forms),
        "routing_form_submissions": len(submissions),
        "routing_form_answers": sum(len(s["questions_and_answers"]) for s in submissions),
        "activity_log_entries": len(org.activity),
        "availability_schedules": len(org.schedules),
        "availability_rules": sum(len(s["rules"]) for s in org.schedules),
        "event_type_hosts": sum(len(h) for h in org.event_type_hosts.values()),
    }


def test_a_default_operator_lands_every_resource_with_its_children_and_links(
    emulator: CalendlyEmulator, warehouse: Warehouse, writer: CalendlyTableWriter
) -> None:
    summary = warehouse.land()
    assert summary["skipped"] == {} and summary["deletions"] == {"policy": "mark", "rows": {}}
    assert set(NEW_TABLES) <= set(summary["tables"])
    assert {t: writer.count(t) for t in NEW_TABLES} == _truth(emulator)
    org = emulator.organization
    # Links analysts join on: submitters are invitees (who point back), answers name their form's questions,
    # memberships name their users, hosts are members, rules belong to their schedule's user.
    submitters = writer.execute(
        f"SELECT s.uri, s.submitter, i.routing_form_submission FROM {writer.table_name('routing_form_submissions')} s "
        f"JOIN {writer.table_name('invitees')} i ON i.uri = s.submitter"
    )
    assert submitters and all(uri == back for uri, _submitter, back in submitters)
    assert len(submitters) == sum(1 for subs in org.submissions.values() for s in subs if s["submitter"])
    orphans = writer.execute(
        f"SELECT a.question_uuid FROM {writer.table_name('routing_form_answers')} a "
        f"LEFT JOIN {writer.table_name('routing_form_questions')} q "
        "ON q.routing_form_uri = a.routing_form_uri AND q.question_uuid = a.question_uuid WHERE q.question_uuid IS NULL"
    )
    assert orphans == []
    expected_utm = {
        s["uri"]: (s["tracking"]["utm_source"], s["tracking"]["utm_campaign"])
        for subs in org.submissions.values()
        for s in subs
    }
    utm = writer.execute(f"SELECT uri, utm_source, utm_campaign FROM {writer.table_name('routing_form_submissions')}")
    assert {u: (src, camp) for u, src, camp in utm} == expected_utm
    assert _live(writer, "organization_memberships", "user_uri") == _live(writer, "users")
    assert _live(writer, "event_type_hosts", "user_uri") <= _live(writer, "users")
    assert _live(writer, "event_type_hosts", "event_type_uri") == _live(writer, "event_types")
    assert _live(writer, "group_relationships", "group_uri") == _live(writer, "groups")
    rules = writer.execute(
        f"SELECT r.user_uri AS rule_user, s.user_uri AS schedule_user FROM {writer.table_name('availability_rules')} r "
        f"JOIN {writer.table_name('availability_schedules')} s ON s.uri = r.availability_schedule_uri"
    )
    assert len(rules) == _truth(emulator)["availability_rules"] and all(a == b for a, b in rules)
    default = writer.execute(f"SELECT COUNT(*) FROM {writer.table_name('availability_schedules')} WHERE is_default")
    assert default == [(len(org.memberships),)]
    state = {r[0] for r in writer.execute(f"SELECT table_name FROM {writer.table_name('sync_state')}")}
    assert {"activity_log_entries", "routing_form_submissions"} <= state


def test_gated_resources_are_skipped_with_a_reason_and_strict_fails(
    emulator: CalendlyEmulator, writer: CalendlyTableWriter
) -> None:
    emulator.organization.gate("routing_forms", 403)
    emulator.organization.gate("activity_log", 404)
    summary = _sync(writer)
    assert set(summary["skipped"]) == {"routing_forms", "routing_form_submissions", "activity_log"}
    assert summary["skipped"]["activity_log"]["status"] == 404
    assert summary["skipped"]["routing_forms"]["status"] == 403
    assert "needs the routing form listing" in summary["skipped"]["routing_form_submissions"]["reason"]
    # Nothing else is affected, and a skipped incremental resource leaves no unfinished pass behind.
    assert writer.count("organization_memberships") == len(emulator.organization.memberships)
    assert writer.count("invitees") == emulator.count_invitees()
    assert writer.count("routing_forms") == writer.count("activity_log_entries") == 0
    assert writer.get_sync_state("activity_log_entries", summary["scope"]) is None
    with pytest.raises(CalendlyAuthError, match="403"):
        _sync(writer, resources=["users", "routing_forms"], strict_resources=True)
    emulator.organization.ungate()
    assert _sync(writer, resources=["routing_forms", "activity_log"])["skipped"] == {}
    assert writer.count("routing_forms") == len(emulator.organization.routing_forms)
    # A 404 on every per-event-type listing is a refusal, not event types deleted: nothing is swept.
    hosts = writer.count("event_type_hosts")
    emulator.organization.gate("event_type_hosts", 404)
    assert set(_sync(writer, resources=["event_type_hosts"])["skipped"]) == {"event_type_hosts"}
    assert hosts > 0 and _marked(writer, "event_type_hosts") == set()


def test_deletions_are_marked_unmarked_and_deleted_in_scope(
    emulator: CalendlyEmulator, writer: CalendlyTableWriter
) -> None:
    org = emulator.organization
    _sync(writer, mode="full")
    member = org.memberships[-1]
    user = member["user"]["uri"]
    form = org.routing_forms[-1]["uri"]
    invitee = next(i for items in emulator.data.invitees.values() for i in items)
    org.remove_member(member["uri"])
    org.delete_routing_form(form)
    org.delete_invitee_data([invitee["email"]])

    incremental = _sync(writer)  # memberships, forms… are re-read in full; invitees only in a full pass
    rows = incremental["deletions"]["rows"]
    assert _marked(writer, "organization_memberships") == {member["uri"]}
    assert _marked(writer, "users") == {user}
    assert _marked(writer, "routing_forms") == {form}
    assert rows["organization_memberships"] == 1 and rows["users"] == 1
    for key, swept in rows.items():  # the per-table counts say the same
        assert incremental["tables"][key]["deleted"] == swept, key
    assert _marked(writer, "availability_schedules") == set(_uris(writer, "availability_schedules", user)) != set()
    assert _marked(writer, "group_relationships") == set(_uris(writer, "group_relationships", user)) != set()
    assert _marked(writer, "event_type_hosts") == set(_uris(writer, "event_type_hosts", user))
    assert _marked(writer, "invitees") == set()
    assert writer.count("routing_form_questions") > 0  # a marked parent keeps its children

    full = _sync(writer, mode="full")
    assert invitee["uri"] in _marked(writer, "invitees")
    assert full["deletions"]["rows"]["invitees"] >= 1
    assert "organization_memberships" not in full["deletions"]["rows"]  # already marked: marked once

    org.memberships.append(member)  # the member comes back: a marked row written again has changed
    back = _sync(writer, resources=["users", "organization_memberships"])
    assert back["tables"]["organization_memberships"]["changed"] == 1
    assert _marked(writer, "organization_memberships") == set() and _marked(writer, "users") == set()

    gone = org.remove_member(member["uri"])
    _sync(writer, resources=["organization_memberships", "routing_forms"], deletions="delete")
    assert gone["uri"] not in {
        r[0] for r in writer.execute(f"SELECT uri FROM {writer.table_name('organization_memberships')}")
    }
    assert form not in {r[0] for r in writer.execute(f"SELECT uri FROM {writer.table_name('routing_forms')}")}
    children = writer.execute(
        f"SELECT COUNT(*) FROM {writer.table_name('routing_form_questions')} WHERE routing_form_uri = "
        f"{writer.dialect.placeholder}",
        [form],
    )
    assert children == [(0,)]
    assert _sync(writer, resources=["users"], deletions="ignore")["deletions"]["rows"] == {}
    assert _marked(writer, "users") == set()


def _uris(writer: CalendlyTableWriter, key: str, user: str) -> list[str]:
    ph = writer.dialect.placeholder
    return [r[0] for r in writer.execute(f"SELECT uri FROM {writer.table_name(key)} WHERE user_uri = {ph}", [user])]


def test_webhook_landed_submission_equals_the_api_landed_one(
    emulator: CalendlyEmulator, warehouse: Warehouse, writer: CalendlyTableWriter
) -> None:
    invitee = next(
        i for items in emulator.data.invitees.values() for i in items if not i.get("routing_form_submission")
    )
    submission = emulator.organization.submit(invitee_uri=invitee["uri"])
    land_delivery(
        {"event": "routing_form_submission.created", "payload": submission},
        warehouse.conn_id,
        table_prefix=warehouse.prefix,
    )
    api = warehouse.writer(warehouse.new_prefix())
    try:
        _sync(api, resources=["routing_form_submissions"])
        for key in RESOURCE_TABLES["routing_form_submissions"]:
            landed = [r for r in dump_table(api, key) if submission["uri"] in r[:1]]
            assert landed and dump_table(writer, key) == landed, key
    finally:
        api.close()


def test_an_incremental_pass_equals_a_full_one(emulator: CalendlyEmulator, writer: CalendlyTableWriter) -> None:
    _sync(writer, resources=NEW_RESOURCES)
    org = emulator.organization
    invitee = next(
        i for items in emulator.data.invitees.values() for i in items if not i.get("routing_form_submission")
    )
    org.submit(invitee_uri=invitee["uri"])
    org.submit(answers={"Name": "Lee Lead", "Email": "lee@lead.example", "Company size": "1-10"})
    org.record_activity("EventType", "Updated", {"name": "Intro call"})
    incremental = _sync(writer, resources=NEW_RESOURCES)
    after_incremental = {key: dump_table(writer, key) for key in NEW_TABLES}
    # A full pass over the same state rewrites every row and sweeps (marks) any the incremental one kept
    # but Calendly no longer has: equal dumps mean the incremental pass left the tables as a full one does.
    everything = _sync(writer, resources=NEW_RESOURCES, mode="full")
    assert everything["deletions"]["rows"] == {}
    assert {key: dump_table(writer, key) for key in NEW_TABLES} == after_incremental
    # The incremental pass read only the window: fewer submissions and calls than the full one.
    submissions = "routing_form_submissions"
    assert incremental["tables"][submissions]["rows"] < everything["tables"][submissions]["rows"]
    assert incremental["tables"][submissions]["api_calls"] < everything["tables"][submissions]["api_calls"]
    assert 0 < incremental["tables"]["activity_log_entries"]["rows"] < writer.count("activity_log_entries")
