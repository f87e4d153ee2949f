"""The reconcile planner: which listed events need an invitee read, and why (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.models import ScheduledEvent
from airflow_provider_calendly.transfers.reconcile import (
    RefreshWindow,
    StoredEvent,
    plan_invitee_reads,
    validate_invitee_refresh,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
BASE = "https://api.calendly.com/scheduled_events/"


def _event(
    n: int, *, start: datetime, updated: datetime, status: str = "active", total: int = 1, active: int = 1
) -> ScheduledEvent:
    raw: dict[str, Any] = {
        "uri": f"{BASE}{n:08d}-0000-4000-8000-000000000000",
        "name": "Intro",
        "status": status,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=30)).isoformat(),
        "event_type": None,
        "invitees_counter": {"total": total, "active": active, "limit": 1},
        "created_at": (updated - timedelta(days=1)).isoformat(),
        "updated_at": updated.isoformat(),
        "event_memberships": [],
        "event_guests": [],
    }
    return ScheduledEvent.model_validate(raw)


def _stored(event: ScheduledEvent, **changes: Any) -> StoredEvent:
    counter = event.invitees_counter
    values: dict[str, Any] = {
        "updated_at": event.updated_at,
        "status": event.status,
        "invitees_total": counter.total if counter else None,
        "invitees_active": counter.active if counter else None,
        **changes,
    }
    return StoredEvent(**values)


FAR = NOW + timedelta(days=20)
OLD = NOW - timedelta(days=30)


def test_each_reason() -> None:
    new = _event(1, start=FAR, updated=OLD)
    unchanged = _event(2, start=FAR, updated=OLD)
    moved = _event(3, start=FAR, updated=NOW)
    recounted = _event(4, start=FAR, updated=OLD, total=2, active=1)
    canceled = _event(5, start=FAR, updated=OLD, status="canceled")
    recent = _event(6, start=NOW - timedelta(days=3), updated=OLD)
    tomorrow = _event(7, start=NOW + timedelta(days=1), updated=OLD)
    empty = _event(8, start=NOW, updated=OLD, total=0, active=0)
    stored = {e.uri: _stored(e) for e in (unchanged, recent, tomorrow, empty)}
    stored[moved.uri] = _stored(moved, updated_at=OLD)
    stored[recounted.uri] = _stored(recounted, invitees_total=1)
    stored[canceled.uri] = _stored(canceled, status="active")
    events = [new, unchanged, moved, recounted, canceled, recent, tomorrow, empty]
    plan = plan_invitee_reads(events, stored, now=NOW)
    assert plan.reads == {
        new.uri: "new",
        moved.uri: "changed",
        recounted.uri: "changed",
        canceled.uri: "changed",
        recent.uri: "refresh_window",
        tomorrow.uri: "refresh_window",
    }
    assert (plan.listed, plan.no_invitees, plan.skipped) == (8, 1, 1)
    assert plan.by_reason()["refresh_window"] == 2
    # the "all" baseline reads every event with invitees, still none with a zero total
    everything = plan_invitee_reads(events, stored, now=NOW, refresh="all")
    assert set(everything.reads) == {e.uri for e in events} - {empty.uri}
    assert everything.reads[unchanged.uri] == "all"
    # a gap-free feed covers the refresh window; a feed with a gap falls back to it
    fed = plan_invitee_reads(events, stored, now=NOW, feed="complete")
    assert recent.uri not in fed.reads and tomorrow.uri not in fed.reads
    gap = plan_invitee_reads(events, stored, now=NOW, feed="gap")
    assert gap.reads[recent.uri] == "feed_gap"


def test_window_edges_and_bad_arguments() -> None:
    window = RefreshWindow(before=timedelta(days=7), after=timedelta(days=2))
    assert window.contains(NOW - timedelta(days=7), NOW)
    assert not window.contains(NOW - timedelta(days=7, seconds=1), NOW)
    assert not window.contains(NOW + timedelta(days=2), NOW)
    assert not window.contains(None, NOW)
    assert RefreshWindow.coerce((timedelta(1), timedelta(0))) == RefreshWindow(timedelta(1), timedelta(0))
    with pytest.raises(CalendlyConfigError, match="invitee_refresh_window"):
        RefreshWindow.coerce("7d")  # type: ignore[arg-type]
    with pytest.raises(CalendlyConfigError, match="non-negative"):
        RefreshWindow(before=timedelta(days=-1))
    with pytest.raises(CalendlyConfigError, match="invitee_refresh"):
        validate_invitee_refresh("some")


_offsets = st.integers(min_value=-40 * 24, max_value=40 * 24).map(lambda h: timedelta(hours=h))


@given(
    st.lists(
        st.tuples(_offsets, st.booleans(), st.booleans(), st.booleans(), st.integers(0, 3)),
        max_size=30,
    )
)
def test_reads_exactly_what_may_have_changed(specs: list[tuple[timedelta, bool, bool, bool, int]]) -> None:
    events, stored, expected = [], {}, set()
    for n, (offset, known, touched, recount, total) in enumerate(specs):
        event = _event(n, start=NOW + offset, updated=NOW - timedelta(hours=1), total=total, active=min(total, 1))
        events.append(event)
        if known:
            stored[event.uri] = _stored(
                event,
                updated_at=OLD if touched else event.updated_at,
                invitees_total=(total + 1) if recount else total,
            )
        in_window = NOW - timedelta(days=7) <= NOW + offset < NOW + timedelta(days=2)
        if total and (not known or touched or recount or in_window):
            expected.add(event.uri)
    plan = plan_invitee_reads(events, stored, now=NOW)
    assert set(plan.reads) == expected
    assert plan.listed == len(events)
    assert plan.skipped + plan.no_invitees + len(plan.reads) == len(events)
