"""The organization, its invitations, members' meeting locations and busy times, and the outgoing communications,
synced against the emulator into real SQLite, DuckDB and PostgreSQL: a default sync lands the default ones with
the emulator's counts; the opt-in ones land when named, busy times keyed by user, type and times and swept in
their window; reruns write nothing twice; a revoked invitation or a canceled meeting is marked deleted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlySqlSync
from airflow_provider_calendly.transfers.dialects import as_datetime
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from tests.transfers.helpers import Warehouse

NOW = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)
HORIZON = timedelta(days=10)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[CalendlyEmulator]:
    with CalendlyEmulator(seed=13, scheduled_events=80, now=lambda: NOW, days_back=20, days_ahead=20) as emu:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emu.connection_json(rate_limit=10_000))
        yield emu


def _sync(writer: CalendlyTableWriter, emulator: CalendlyEmulator, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"page_size": 5, "chunk_size": 4, "busy_times_horizon": HORIZON, **kwargs}
    return CalendlySqlSync(hook=CalendlyHook(), writer=writer, clock=emulator.now, **options).run()


def _rows(writer: CalendlyTableWriter, key: str, *columns: str, live: bool = True) -> list[tuple[Any, ...]]:
    where = " WHERE _deleted_at IS NULL" if live else " WHERE _deleted_at IS NOT NULL"
    return writer.execute(f"SELECT {', '.join(columns)} FROM {writer.table_name(key)}{where}")


def _busy_keys(writer: CalendlyTableWriter, *, live: bool = True) -> set[tuple[Any, ...]]:
    rows = _rows(writer, "user_busy_times", "user_uri", "type", "start_time", "end_time", "event_uri", live=live)
    return {(u, t, as_datetime(s), as_datetime(e), ev) for u, t, s, e, ev in rows}


def _busy_truth(emulator: CalendlyEmulator) -> set[tuple[Any, ...]]:
    start = emulator.now() + timedelta(seconds=1)
    return {
        (
            user["uri"],
            b["type"],
            as_datetime(b["start_time"]),
            as_datetime(b["end_time"]),
            (b.get("event") or {}).get("uri"),
        )
        for user in emulator.data.users
        for b in emulator.availability.busy_times(user["uri"], start, start - timedelta(seconds=1) + HORIZON)
    }


def test_a_default_sync_lands_the_organization_its_invitations_and_locations(
    emulator: CalendlyEmulator, warehouse: Warehouse, writer: CalendlyTableWriter
) -> None:
    summary = warehouse.land()
    assert summary["skipped"] == {}
    assert {"user_busy_times", "outgoing_communications"}.isdisjoint(summary["tables"])  # opt-in: not read
    org = emulator.data.organization
    assert _rows(writer, "organizations", "uri", "name", "plan") == [(org["uri"], org["name"], org["plan"])]
    invitations = emulator.administration.invitations
    landed = _rows(writer, "organization_invitations", "uri", "email", "status", "user_uri", "organization")
    assert sorted(landed) == sorted((i["uri"], i["email"], i["status"], i["user"], org["uri"]) for i in invitations)
    members = [m["user"]["uri"] for m in emulator.organization.memberships]
    expected = {(u, n, loc["kind"]) for u in members for n, loc in enumerate(emulator.availability.locations(u))}
    assert set(_rows(writer, "locations", "user_uri", "position", "kind")) == expected
    assert summary["tables"]["locations"]["api_calls"] == len(members)
    accepted = next(i for i in invitations if i["status"] == "accepted")
    assert accepted["user"] in {u for (u,) in _rows(writer, "users", "uri")}  # joins to the member who accepted


def test_the_opt_in_resources_land_and_busy_times_are_swept_in_their_window(
    emulator: CalendlyEmulator, writer: CalendlyTableWriter
) -> None:
    resources = ["organization_invitations", "busy_times", "outgoing_communications"]
    first = _sync(writer, emulator, resources=resources)
    truth = _busy_truth(emulator)
    assert first["skipped"] == {} and truth and {t[1] for t in truth} == {"calendly", "external"}
    assert _busy_keys(writer) == truth
    calls = -(-HORIZON.days // 7) * len(emulator.data.users)  # per member, one call per 7 days of horizon
    assert first["tables"]["user_busy_times"]["api_calls"] == calls + 1  # and the membership listing it made
    sent = emulator.administration.served_communications()
    landed = _rows(writer, "outgoing_communications", "type", "recipient", "sender", "event_uri", "body")
    assert sorted(landed) == sorted((c["type"], c["to"], c["from"], c["event_uri"], c["body"]) for c in sent)
    assert all(
        uri.startswith("urn:calendly:outgoing_communication:")
        for (uri,) in _rows(writer, "outgoing_communications", "uri")
    )

    again = _sync(writer, emulator, resources=resources)  # a rerun writes nothing twice
    assert again["tables"]["user_busy_times"]["inserted"] == 0 == again["tables"]["outgoing_communications"]["inserted"]
    assert again["tables"]["user_busy_times"]["updated"] == len(truth) and again["deletions"]["rows"] == {}
    # Composite keys with timestamps match as stored, whichever driver read them back: read again, unchanged.
    assert again["tables"]["user_busy_times"]["unchanged"] == len(truth)
    assert writer.count("user_busy_times") == len(truth) and writer.count("outgoing_communications") == len(sent)

    meeting = next(t[4] for t in sorted(truth, key=lambda t: t[2]) if t[4] is not None)
    emulator.cancel_event(meeting.rsplit("/", 1)[-1])
    revoked = next(i for i in emulator.administration.invitations if i["status"] == "pending")
    emulator.administration.invitations.remove(revoked)
    third = _sync(writer, emulator, resources=resources)
    gone = {t for t in truth if t[4] == meeting}
    assert gone and _busy_keys(writer, live=False) == gone and _busy_keys(writer) == truth - gone
    assert third["deletions"]["rows"] == {"user_busy_times": len(gone), "organization_invitations": 1}
    assert _rows(writer, "organization_invitations", "uri", live=False) == [(revoked["uri"],)]
    _sync(writer, emulator, resources=["busy_times"], deletions="delete")
    assert writer.count("user_busy_times") == len(truth - gone)


def test_a_gated_or_unscoped_resource_is_skipped_naming_its_scopes(
    emulator: CalendlyEmulator, writer: CalendlyTableWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.organization.gate("outgoing_communications", 403)
    emulator.organization.gate("organization_invitations", 404)
    summary = _sync(writer, emulator, resources=["organization", "organization_invitations", "outgoing_communications"])
    assert set(summary["skipped"]) == {"organization_invitations", "outgoing_communications"}
    assert summary["skipped"]["outgoing_communications"]["scopes"] == ["outgoing_communications:read", "users:read"]
    assert "Enterprise" in summary["skipped"]["outgoing_communications"]["reason"]
    assert (
        writer.count("organizations") == 1
        and writer.get_sync_state("outgoing_communications", summary["scope"]) is None
    )
    emulator.add_token("no-availability", scopes=["users:read", "organizations:read"])
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json().replace(emulator.token, "no-availability")
    )
    skipped = _sync(writer, emulator, resources=["locations", "busy_times"])["skipped"]
    assert skipped["busy_times"]["status"] == 403 and "availability:read" in skipped["busy_times"]["reason"]
    assert skipped["locations"]["scopes"] == ["locations:read", "organizations:read", "users:read"]
