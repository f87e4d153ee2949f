"""The emulator's changes, and its fidelity knob for what Calendly's reference leaves open: whether a no-show, a
reconfirmation or a cancellation moves ``updated_at`` (``updated_at_moved_by``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_calendly.testing import UPDATED_AT_CHANGES, CalendlyEmulator
from airflow_provider_calendly.testing.cli import build_parser
from airflow_provider_calendly.testing.simulator import simulate

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def _emulator(moved_by: Any = UPDATED_AT_CHANGES) -> CalendlyEmulator:
    return CalendlyEmulator(seed=5, now=lambda: NOW, preset="tiny", updated_at_moved_by=moved_by)


@pytest.fixture(params=[UPDATED_AT_CHANGES, (), ("no_shows",)], ids=["all", "none", "no_shows"])
def emulator(request: pytest.FixtureRequest) -> Iterator[CalendlyEmulator]:
    with _emulator(request.param) as emu:
        yield emu


def _active_invitee(emulator: CalendlyEmulator, *, future: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    return next(
        (e, i)
        for e in emulator.state.events_by_start()
        if e["status"] == "active" and (e["start_time"] > NOW.isoformat()) is future
        for i in emulator.data.invitees[e["uri"].rsplit("/", 1)[-1]]
        if i["status"] == "active" and i["no_show"] is None and i["reconfirmation"] is None
    )


def test_each_change_moves_updated_at_only_if_the_emulator_says_so(emulator: CalendlyEmulator) -> None:
    moved_by = emulator.updated_at_moved_by
    seen: list[tuple[str, dict[str, Any]]] = []
    emulator.add_listener(lambda name, payload: seen.append((name, payload)))

    _event, invitee = _active_invitee(emulator, future=False)
    before = invitee["updated_at"]
    emulator.advance_clock(timedelta(minutes=5))
    no_show = emulator.mark_no_show(invitee["uri"])
    assert no_show["created_at"] == emulator.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # its own time, always
    assert (invitee["updated_at"] != before) is ("no_shows" in moved_by)
    assert seen[-1] == ("invitee_no_show.created", {**invitee})  # the payload says what the API says
    emulator.advance_clock(timedelta(minutes=5))
    emulator.undo_no_show(no_show["uri"])
    assert (invitee["updated_at"] == emulator.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")) is ("no_shows" in moved_by)

    _event, upcoming = _active_invitee(emulator, future=True)
    before = upcoming["updated_at"]
    assert emulator.world.reconfirm(upcoming) == "requested"
    assert emulator.world.reconfirm(upcoming) == "confirmed"
    assert emulator.world.reconfirm(upcoming) is None
    assert (upcoming["updated_at"] != before) is ("reconfirmations" in moved_by)

    event, leaving = _active_invitee(emulator, future=True)
    before_invitee, before_event = leaving["updated_at"], event["updated_at"]
    emulator.cancel_invitee(leaving["uri"], reason="busy")
    assert leaving["cancellation"]["created_at"] == emulator.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert (leaving["updated_at"] != before_invitee) is ("cancellations" in moved_by)
    assert (event["updated_at"] != before_event) is ("cancellations" in moved_by)


def test_a_simulated_day_under_a_calendly_that_moves_nothing_leaves_invitees_as_booked() -> None:
    with _emulator(()) as emulator:
        report = simulate(emulator, days=2, seed=3, rates={"no_shows": 0.5, "reconfirmations": 0.5})
        assert report.counts.get("no_shows", 0) > 0 and report.counts.get("invitee_cancellations", 0) >= 0
        invitees = [i for items in emulator.data.invitees.values() for i in items]
        assert all(i["updated_at"] == i["created_at"] for i in invitees if i["created_at"] >= NOW.isoformat())
        assert any(i["no_show"] for i in invitees) and any(i["status"] == "canceled" for i in invitees)


@pytest.mark.parametrize("value", [["bookings"], "no_shows"])
def test_an_unknown_or_unlisted_change_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="updated_at_moved_by"):
        _emulator(value)


def test_the_command_line_takes_the_knob() -> None:
    parser = build_parser()
    assert parser.parse_args([]).updated_at_moved_by == UPDATED_AT_CHANGES
    assert parser.parse_args(["--updated-at-moved-by", "none"]).updated_at_moved_by == ()
    assert parser.parse_args(["--updated-at-moved-by", "no_shows,cancellations"]).updated_at_moved_by == (
        "no_shows",
        "cancellations",
    )
    with pytest.raises(SystemExit):
        parser.parse_args(["--updated-at-moved-by", "bookings"])
