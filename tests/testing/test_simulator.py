"""The emulator of a real organization: data around its clock, size presets, and the change simulator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import requests

from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.testing.data import PRESETS, build_dataset, org_size
from airflow_provider_calendly.testing.simulator import simulate
from airflow_provider_calendly.webhooks.signature import SIGNATURE_HEADER

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def emulator() -> Iterator[CalendlyEmulator]:
    with CalendlyEmulator(seed=3, now=lambda: NOW, preset="tiny") as emu:
        yield emu


def test_data_is_spread_around_the_emulators_now() -> None:
    with CalendlyEmulator(
        seed=1, now=lambda: NOW, hosts=4, meetings_per_host_per_day=2, days_back=5, days_ahead=9
    ) as emu:
        starts = [_parse(e["start_time"]) for e in emu.data.scheduled_events.values()]
        assert len(starts) == 4 * 2 * 14
        assert min(starts) >= NOW - timedelta(days=5)
        assert max(starts) < NOW + timedelta(days=9)
        assert any(s < NOW for s in starts) and any(s > NOW for s in starts)
        assert all(_parse(e["created_at"]) <= NOW for e in emu.data.scheduled_events.values())
        assert len(emu.data.users) == 4


def test_default_clock_is_the_real_time() -> None:
    with CalendlyEmulator(seed=1, preset="tiny") as emu:
        assert abs(emu.now() - datetime.now(timezone.utc)) < timedelta(minutes=5)
        starts = [_parse(e["start_time"]) for e in emu.data.scheduled_events.values()]
        assert min(starts) < emu.now() < max(starts)


def test_presets_and_overrides() -> None:
    medium = PRESETS["medium"]
    assert (medium.hosts, medium.meetings_per_host_per_day) == (50, 4)
    assert org_size("medium", hosts=10).hosts == 10
    with pytest.raises(ValueError, match="unknown organization preset"):
        org_size("huge")
    a = build_dataset("http://x", seed=2, now=NOW, **org_size("tiny").dataset_options())
    b = build_dataset("http://x", seed=2, now=NOW, **org_size("tiny").dataset_options())
    assert a == b


def test_simulated_day_advances_the_clock_and_changes_like_calendly(emulator: CalendlyEmulator) -> None:
    before = {
        u: dict(e, invitees_counter=dict(e["invitees_counter"])) for u, e in emulator.data.scheduled_events.items()
    }
    report = simulate(emulator, days=3, seed=9, rates={"no_shows": 0.5, "reconfirmations": 0.5})
    assert emulator.now() == NOW + timedelta(days=3)
    counts = report.counts
    assert counts["bookings"] > 0
    assert counts.get("no_shows", 0) > 0
    data = emulator.data
    # a no-show changes the invitee, never its scheduled event
    for event_uri in report.invitee_only_events - report.changed_events:
        event_uuid = event_uri.rsplit("/", 1)[-1]
        if event_uuid in before:
            assert data.scheduled_events[event_uuid]["updated_at"] == before[event_uuid]["updated_at"]
    # every changed event moved its updated_at into the simulated days
    for event_uri in report.changed_events:
        event = data.scheduled_events[event_uri.rsplit("/", 1)[-1]]
        assert NOW <= _parse(event["updated_at"]) <= emulator.now()


def test_reschedule_links_old_and_new_invitee(emulator: CalendlyEmulator) -> None:
    simulate(emulator, days=2, seed=4, rates={"reschedules": 0.5})
    invitees = {i["uri"]: i for items in emulator.data.invitees.values() for i in items}
    old = [i for i in invitees.values() if i["rescheduled"]]
    assert old
    for invitee in old:
        assert invitee["status"] == "canceled"
        successor = invitees[invitee["new_invitee"]]
        assert successor["old_invitee"] == invitee["uri"]
        assert successor["status"] == "active"
        assert successor["event"] != invitee["event"]


def test_simulate_endpoint_emits_signed_deliveries(emulator: CalendlyEmulator) -> None:
    received: list[tuple[str, str | None]] = []

    from airflow_provider_calendly.testing.webhooks import ReceiverServer

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        received.append((body.decode(), (headers.get(SIGNATURE_HEADER.lower().encode()) or b"").decode() or None))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with ReceiverServer(app) as receiver:
        emulator.webhooks.subscribe(
            f"{receiver.url}/hook", ["invitee.created", "invitee.canceled", "event_type.updated"], signing_key="k"
        )
        response = requests.post(f"{emulator.base_url}/_emulator/simulate", json={"days": 1, "seed": 5}, timeout=30)
        assert response.status_code == 200
        summary = response.json()
        assert emulator.webhooks.wait_idle(timeout=30)
    assert summary["counts"]["bookings"] > 0
    assert len(received) >= summary["counts"]["bookings"]
    assert all(signature and "v1=" in signature for _body, signature in received)


def test_simulate_refuses_bad_days(emulator: CalendlyEmulator) -> None:
    with pytest.raises(ValueError, match="days"):
        simulate(emulator, days=0)
    response = requests.post(f"{emulator.base_url}/_emulator/simulate", json={"days": "x"}, timeout=10)
    assert response.status_code == 400
