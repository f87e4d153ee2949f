"""What a sync counts (rows, API calls and time per table) and how it reports them: summary, log lines, ETA."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_calendly.models import ScheduledEvent
from airflow_provider_calendly.transfers.sql_writer import UpsertCounts

__all__ = ["BOOKING_HORIZON", "ApiUsage", "SyncProgress", "SyncStats", "TableStats"]

#: How far ahead bookings are assumed to reach when estimating a pass's ETA (Calendly's default window).
BOOKING_HORIZON = timedelta(days=60)

log = logging.getLogger(__name__)


class TableStats:
    """What a sync did to one table: rows written, API calls made for it, seconds spent."""

    def __init__(self) -> None:
        self.counts = UpsertCounts()
        self.api_calls = 0
        self.seconds = 0.0


class SyncStats(dict[str, TableStats]):
    """:class:`TableStats` of every table a sync writes, by table key (API calls may be counted from threads)."""

    def __init__(self, tables: Iterable[str]) -> None:
        super().__init__((table, TableStats()) for table in tables)
        self._lock = threading.Lock()

    def record(self, counts: Mapping[str, UpsertCounts]) -> None:
        """Add the counts of one write (tables this sync does not report are left out)."""
        for key, value in counts.items():
            if key in self:
                self[key].counts.add(value)

    def count_calls(self, table: str, calls: int) -> None:
        """Add ``calls`` API calls to ``table`` (thread-safe; a table not reported is ignored)."""
        if table in self:
            with self._lock:
                self[table].api_calls += calls

    def summary(self, table_name: Callable[[str], str]) -> dict[str, dict[str, Any]]:
        """The JSON-safe ``tables`` entry of the sync's summary, and one log line per table."""
        tables = {}
        for key, stats in self.items():
            tables[key] = {
                "table": table_name(key),
                **stats.counts.as_dict(),
                "api_calls": stats.api_calls,
                "seconds": round(stats.seconds, 3),
            }
            log.info(
                "Table %s: %d rows (%d inserted, %d changed, %d unchanged, %d deleted), %d API calls, %.1f s",
                table_name(key),
                stats.counts.rows,
                stats.counts.inserted,
                stats.counts.changed,
                stats.counts.unchanged,
                stats.counts.deleted,
                stats.api_calls,
                stats.seconds,
            )
        return tables


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    return str(timedelta(seconds=round(max(0.0, seconds))))


@dataclass(frozen=True)
class ApiUsage:
    """A hook's API usage: calls sent, seconds waited for the rate limit (pacing and 429s), 429s received."""

    calls: int = 0
    waited: float = 0.0
    rate_limited: int = 0

    @classmethod
    def of(cls, hook: Any) -> ApiUsage:
        """The usage of ``hook`` so far (a :class:`~airflow_provider_calendly.hooks.calendly.CalendlyHook`; a
        stand-in that only counts calls, as the benchmarks' synthetic source does, never waited)."""
        return cls(hook.call_count, getattr(hook, "throttled_seconds", 0.0), getattr(hook, "rate_limited_count", 0))

    def since(self, before: ApiUsage) -> ApiUsage:
        return ApiUsage(self.calls - before.calls, self.waited - before.waited, self.rate_limited - before.rate_limited)

    def as_dict(self) -> dict[str, Any]:
        """The summary's ``rate_limit`` entry (its calls are the summary's ``api_calls``)."""
        return {"waited_seconds": round(self.waited, 3), "responses_429": self.rate_limited}


@dataclass
class SyncProgress:
    """A running sync's progress, logged and handed to ``report`` at most every ``interval`` seconds.

    The scheduled events pass also estimates how far through its start-time window it is and when it will be
    done. Calendly gives no total, and asking for the window's last event would cost a call a careful script
    would not make, so the window's end is taken as :data:`BOOKING_HORIZON` after the pass started (how far
    ahead Calendly lets invitees book by default); the ETA is the rest of the window at the pace of the last
    interval (the whole pass's pace before there is one). Past that horizon (event types may be bookable further
    ahead) neither is known, and the report says so. The estimate only shapes the report, never what is read.

    :param stats: The sync's counts (rows written so far).
    :param usage: Returns the sync's API usage so far.
    :param interval: Report at most this often (seconds; the sync's ``progress_interval``, 30 by default).
    :param timer: Monotonic seconds (injectable for tests).
    :param report: Called with each report (a JSON-safe dict), e.g. to push it as an XCom; its failure is
        logged and never fails the sync.
    """

    stats: SyncStats
    usage: Callable[[], ApiUsage]
    interval: float
    timer: Callable[[], float] = time.monotonic
    report: Callable[[dict[str, Any]], None] | None = None
    phase: str | None = None
    pages: int = 0
    events: int = 0
    window_start: datetime | None = None
    window_end: datetime | None = None
    last_start: datetime | None = None
    started: float = field(init=False)
    _last_report: float = field(init=False)
    _last_fraction: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.started = self._last_report = self.timer()

    def begin(self, phase: str) -> None:
        """A new phase (a resource, or ``scheduled_events``) begins; report if one is due."""
        self.phase = phase
        self.tick()

    def begin_events(self, window_start: datetime | None, now: datetime) -> None:
        """The scheduled events pass begins, reading start times from ``window_start`` (``None``: all)."""
        self.window_start, self.window_end = window_start, now + BOOKING_HORIZON
        self.begin("scheduled_events")

    def events_page(self, events: Sequence[ScheduledEvent]) -> None:
        """A page of scheduled events (sorted by start time) is done."""
        self.pages += 1
        self.events += len(events)
        if self.window_start is None and events:
            self.window_start = events[0].start_time
        if events and events[-1].start_time is not None:
            self.last_start = events[-1].start_time
        self.tick()

    def window_fraction(self) -> float | None:
        """How far through its start-time window the events pass is (``None``: not known, e.g. before its first
        page, or past the assumed horizon, where how much is left cannot be told)."""
        if self.window_start is None or self.last_start is None or self.window_end is None:
            return None
        span = (self.window_end - self.window_start).total_seconds()
        if span <= 0 or self.last_start > self.window_end:
            return None
        return max(0.0, (self.last_start - self.window_start).total_seconds() / span)

    def tick(self) -> None:
        """Report if the last report is ``interval`` seconds old."""
        now = self.timer()
        if now - self._last_report >= self.interval:
            self._emit(now)

    def _emit(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        fraction = self.window_fraction() if self.phase == "scheduled_events" else None
        eta: float | None = None
        if fraction is not None:
            previous = self._last_fraction
            recent = (fraction - previous) / max(now - self._last_report, 1e-9) if previous is not None else 0.0
            pace = recent if recent > 0 else fraction / elapsed
            eta = (1.0 - fraction) / pace if pace > 0 else None
        self._last_report, self._last_fraction = now, fraction
        usage = self.usage()
        snapshot: dict[str, Any] = {
            "phase": self.phase,
            "elapsed_seconds": round(elapsed, 1),
            "pages": self.pages,
            "events": self.events,
            "rows": sum(table.counts.rows for table in self.stats.values()),
            "api_calls": usage.calls,
            "rate_limit": usage.as_dict(),
            "window_done": None if fraction is None else round(fraction, 4),
            "eta_seconds": None if eta is None else round(eta, 1),
        }
        log.info(
            "Progress (%s): %d pages, %d scheduled events listed, %d rows written, %d API calls, %.1f s waited "
            "for the rate limit (%d 429s), window %s done (bookings assumed up to %d days ahead), ETA %s",
            self.phase,
            self.pages,
            self.events,
            snapshot["rows"],
            usage.calls,
            usage.waited,
            usage.rate_limited,
            "?" if fraction is None else f"{fraction * 100:.0f}%",
            BOOKING_HORIZON.days,
            _format_eta(eta),
        )
        if self.report is not None:
            try:
                self.report(snapshot)
            except Exception:  # reporting is for people watching; the sync goes on without it
                log.warning("Could not report the sync's progress", exc_info=True)
