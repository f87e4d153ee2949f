"""What a sync counts (rows, API calls and time per table) and how it reports them: summary, log lines, ETA."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_calendly.models import ScheduledEvent
from airflow_provider_calendly.transfers.sql_writer import UpsertCounts

__all__ = ["BOOKING_HORIZON", "EventsProgress", "SyncStats", "TableStats"]

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
                "Table %s: %d rows (%d inserted, %d updated, %d deleted), %d API calls, %.1f s",
                table_name(key),
                stats.counts.rows,
                stats.counts.inserted,
                stats.counts.updated,
                stats.counts.deleted,
                stats.api_calls,
                stats.seconds,
            )
        return tables


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    return str(timedelta(seconds=round(max(0.0, seconds))))


@dataclass
class EventsProgress:
    """Log counts, rate and an ETA every few pages of scheduled events, from how far through its start-time
    window the pass is.

    Calendly gives no total, and asking for the window's last event would cost a call a careful script would
    not make, so the window's end is estimated as :data:`BOOKING_HORIZON` from now (how far ahead Calendly
    lets invitees book by default); the estimate only shapes the log line, never what is read.

    :param stats: The sync's counts (for the invitees committed).
    :param every_pages: Log every this many pages.
    :param api_calls: Returns the hook's calls so far.
    :param window_start: Start of the pass's window (``None``: everything).
    """

    stats: SyncStats
    every_pages: int
    api_calls: Callable[[], int]
    window_start: datetime | None
    started: float = field(default_factory=time.monotonic)
    events: int = 0
    first_start: datetime | None = None
    last_start: datetime | None = None
    window_end: datetime = field(default_factory=lambda: datetime.now(timezone.utc) + BOOKING_HORIZON)

    def page_done(self, pages: int, events: Sequence[ScheduledEvent]) -> None:
        self.events += len(events)
        if self.first_start is None and events:
            self.first_start = events[0].start_time
        if events and events[-1].start_time is not None:
            self.last_start = events[-1].start_time
        if pages % self.every_pages:
            return
        elapsed = max(time.monotonic() - self.started, 1e-9)
        invitees = self.stats["invitees"].counts.rows if "invitees" in self.stats else 0
        eta: float | None = None
        done = "?"
        end = max(self.window_end, self.last_start) if self.last_start is not None else self.window_end
        start = self.window_start or self.first_start
        if start is not None and self.last_start is not None:
            span = (end - start).total_seconds()
            if span > 0:
                fraction = min(1.0, max(1e-6, (self.last_start - start).total_seconds() / span))
                done = f"{fraction * 100:.0f}%"
                eta = elapsed * (1 - fraction) / fraction
        log.info(
            "Progress: %d pages, %d scheduled events, %d invitees committed, %d API calls, %.1f events/s, "
            "window %s done (assuming bookings up to %d days ahead), ETA %s",
            pages,
            self.events,
            invitees,
            self.api_calls(),
            self.events / elapsed,
            done,
            BOOKING_HORIZON.days,
            _format_eta(eta),
        )
