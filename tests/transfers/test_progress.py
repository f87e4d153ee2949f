"""A running sync's progress: at most one report per interval, pages and rows done, calls, waits and an ETA.

The timer is injected: every test decides exactly how much time passes between pages.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_calendly.models import ScheduledEvent
from airflow_provider_calendly.transfers.progress import BOOKING_HORIZON, ApiUsage, SyncProgress, SyncStats
from airflow_provider_calendly.transfers.sql_writer import UpsertCounts

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


class Timer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _page(starts: list[datetime]) -> list[ScheduledEvent]:
    return [
        ScheduledEvent.model_validate(
            {"uri": f"https://api.calendly.com/scheduled_events/E{i}-{s.timestamp()}", "start_time": s.isoformat()}
        )
        for i, s in enumerate(starts)
    ]


def _progress(timer: Timer, reports: list[dict[str, Any]], usage: ApiUsage | None = None) -> SyncProgress:
    stats = SyncStats(["scheduled_events", "invitees"])
    return SyncProgress(stats, lambda: usage or ApiUsage(), 30.0, timer=timer, report=reports.append)


def test_reports_at_most_once_per_interval() -> None:
    timer, reports = Timer(), []  # type: list[dict[str, Any]]
    progress = _progress(timer, reports)
    progress.begin_events(NOW - timedelta(days=30), NOW)
    for _ in range(10):  # ten pages in 10 s: nothing is due yet
        timer.now += 1
        progress.events_page(_page([NOW - timedelta(days=29)]))
    assert reports == []
    timer.now += 20  # 30 s since the start
    progress.events_page(_page([NOW - timedelta(days=28)]))
    assert len(reports) == 1 and reports[0]["pages"] == 11 and reports[0]["events"] == 11
    progress.events_page(_page([NOW - timedelta(days=27)]))
    assert len(reports) == 1  # the next is 30 s after this one
    timer.now += 30
    progress.tick()
    assert len(reports) == 2


def test_report_says_rows_calls_waits_and_phase() -> None:
    timer, reports = Timer(), []  # type: list[dict[str, Any]]
    progress = _progress(timer, reports, ApiUsage(calls=42, waited=12.3456, rate_limited=2))
    progress.stats.record({"scheduled_events": UpsertCounts(rows=100), "invitees": UpsertCounts(rows=150)})
    progress.begin("routing_forms")
    timer.now += 31
    progress.tick()
    (report,) = reports
    assert report == {
        "phase": "routing_forms",
        "elapsed_seconds": 31.0,
        "pages": 0,
        "events": 0,
        "rows": 250,
        "api_calls": 42,
        "rate_limit": {"waited_seconds": 12.346, "responses_429": 2},
        "window_done": None,  # a window only in the scheduled events pass
        "eta_seconds": None,
    }


def test_eta_follows_the_current_pace() -> None:
    """The first interval covers 10 % of the window, the next (twice as slow) 5 %: the ETA follows the latter."""
    timer, reports = Timer(), []  # type: list[dict[str, Any]]
    start = NOW - timedelta(days=30)
    span = NOW + BOOKING_HORIZON - start
    progress = _progress(timer, reports)
    progress.begin_events(start, NOW)
    timer.now += 30
    progress.events_page(_page([start + span * 0.10]))
    timer.now += 30
    progress.events_page(_page([start + span * 0.15]))
    assert [r["window_done"] for r in reports] == [pytest.approx(0.10), pytest.approx(0.15)]
    assert reports[0]["eta_seconds"] == pytest.approx(0.90 / (0.10 / 30), abs=0.1)  # 270 s at the first pace
    assert reports[1]["eta_seconds"] == pytest.approx(0.85 / (0.05 / 30), abs=0.1)  # 510 s at the current pace


@settings(max_examples=40, deadline=None)
@given(
    lookback_days=st.integers(min_value=1, max_value=400),
    seconds_per_page=st.floats(min_value=0.5, max_value=20),
    pages=st.integers(min_value=4, max_value=60),
)
def test_at_a_steady_pace_the_eta_is_the_time_left(lookback_days: int, seconds_per_page: float, pages: int) -> None:
    """Pages evenly spread over the window, read at a steady pace: each report's ETA is the time still needed."""
    timer, reports = Timer(), []  # type: list[dict[str, Any]]
    start = NOW - timedelta(days=lookback_days)
    span = NOW + BOOKING_HORIZON - start
    progress = _progress(timer, reports)
    progress.begin_events(start, NOW)
    began = timer.now
    for n in range(1, pages + 1):
        timer.now += seconds_per_page
        progress.events_page(_page([start + span * (n / pages)]))
        if reports and reports[-1]["pages"] == n:
            left = (pages - n) * seconds_per_page
            assert reports[-1]["eta_seconds"] == pytest.approx(left, rel=1e-3, abs=0.2)
            assert reports[-1]["elapsed_seconds"] == pytest.approx(timer.now - began, abs=0.1)


def test_past_the_assumed_horizon_nothing_is_estimated() -> None:
    timer, reports = Timer(), []  # type: list[dict[str, Any]]
    progress = _progress(timer, reports)
    progress.begin_events(NOW, NOW)
    timer.now += 30
    progress.events_page(_page([NOW + BOOKING_HORIZON + timedelta(days=1)]))  # bookable further ahead
    assert (reports[-1]["window_done"], reports[-1]["eta_seconds"]) == (None, None)


def test_a_failing_report_never_fails_the_sync(caplog: pytest.LogCaptureFixture) -> None:
    def broken(_: dict[str, Any]) -> None:
        raise ConnectionError("API server unreachable")

    timer = Timer()
    progress = SyncProgress(SyncStats(["invitees"]), ApiUsage, 30.0, timer=timer, report=broken)
    timer.now += 30
    with caplog.at_level(logging.WARNING):
        progress.tick()
    assert "Could not report the sync's progress" in caplog.text


def test_the_log_line_names_what_a_person_watching_needs(caplog: pytest.LogCaptureFixture) -> None:
    timer = Timer()
    progress = SyncProgress(
        SyncStats(["scheduled_events"]), lambda: ApiUsage(calls=7, waited=3.0, rate_limited=1), 30.0, timer=timer
    )
    progress.begin_events(NOW - timedelta(days=30), NOW)
    timer.now += 45
    with caplog.at_level(logging.INFO, logger="airflow_provider_calendly.transfers.progress"):
        progress.events_page(_page([NOW]))
    line = caplog.records[-1].getMessage()
    assert line.startswith(
        "Progress (scheduled_events): 1 pages, 1 scheduled events listed, 0 rows written, 7 API calls"
    )
    assert "3.0 s waited for the rate limit (1 429s)" in line
    assert "window 33% done" in line and "ETA 0:01:30" in line
