"""The sync engine behind CalendlyToSqlOperator: its validated config, the incremental scheme and the fan-out.

:class:`CalendlySqlSync` streams Calendly's pages through
:class:`~airflow_provider_calendly.transfers.sql_writer.CalendlyTableWriter` in bounded, individually committed
chunks; :class:`SyncConfig` is its one frozen, validated set of arguments.

Incremental sync
----------------
Calendly cannot list scheduled events "updated since"; it filters only by ``start_time``. The incremental
scheme therefore re-reads a window of *start times*:

* Every pass over scheduled events and invitees records the time it started. When the whole pass is
  committed, that time becomes the table's **watermark** in ``<prefix>sync_state`` (one row per table and
  scope). The watermark never moves before the data it covers is committed.
* The next incremental pass lists events with ``start_time >= watermark - lookback``, sorted by start time,
  and upserts them together with all of their invitees.

Why that catches every change made since the previous pass started (at ``W``):

* a **new booking** (or the new half of a reschedule) is for a meeting that starts after it was booked,
  so after ``W``;
* a **cancellation** is of a meeting that has not started yet, so again one starting after ``W``;
* a **no-show** is marked after the meeting; it is picked up if it is marked within ``lookback`` of the
  meeting's start (``lookback`` defaults to 30 days). Anything later — or any other edit of a meeting more
  than ``lookback`` in the past — is caught by an occasional ``mode="full"`` run (e.g. weekly).

Listing the window is cheap (100 events a call); listing every event's invitees is not (a call per event).
With ``invitee_refresh="reconcile"`` (the default) an incremental pass compares each listed event with its
stored row and lists invitees only for events that are new, whose ``updated_at``, ``status`` or
``invitees_counter`` changed, or that start inside ``invitee_refresh_window`` (7 days back to 2 days ahead by
default), where invitee-only changes happen without touching the event: see
:mod:`~airflow_provider_calendly.transfers.reconcile` for the rules and what they can miss.
``invitee_refresh="all"`` keeps the previous scheme (every event's invitees), e.g. as a baseline.

Event types are few and have no time filter: they are re-read in full on every run. They and the other
resources (people, groups, routing forms and submissions, activity log, availability, event type hosts) are
read by :mod:`~airflow_provider_calendly.transfers.resources`, which also documents skips (a resource the plan
or the token does not allow) and deletion sweeps (``deletions=``).

Crashes and retries
-------------------
Each chunk (scheduled events, their hosts and guests, their invitees and answers, and the pass's progress
marker ``resume_from``) is committed in one transaction, and every write is an upsert by primary key, so a
rerun never duplicates a row. An unfinished pass is resumed from its last committed chunk, and the watermark
it finally sets is the time the *first* attempt started, so a crash loses nothing either.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.hooks.calendly import MAX_PAGE_SIZE, CalendlyHook
from airflow_provider_calendly.models import Invitee, ScheduledEvent
from airflow_provider_calendly.transfers.change_capture import ChangeCapture
from airflow_provider_calendly.transfers.reconcile import (
    InviteePlan,
    RefreshWindow,
    plan_invitee_reads,
    validate_invitee_refresh,
)
from airflow_provider_calendly.transfers.resources import ResourceReader, validate_deletions
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter, SyncState, UpsertCounts
from airflow_provider_calendly.transfers.tables import RESOURCE_TABLES, RowsByTable, invitee_rows, scheduled_event_rows

__all__ = [
    "DEFAULT_LOOKBACK",
    "MODES",
    "RESOURCES",
    "CalendlySqlSync",
    "SyncConfig",
    "tables_for_resources",
    "validate_mode",
    "validate_resources",
]

#: Every resource the operator accepts, in sync order (the registry's order); the default is all of them.
RESOURCES: tuple[str, ...] = tuple(RESOURCE_TABLES)
MODES: tuple[str, ...] = ("incremental", "full")
DEFAULT_LOOKBACK = timedelta(days=30)
#: How far ahead bookings are assumed to reach when estimating a pass's ETA (Calendly's default window).
BOOKING_HORIZON = timedelta(days=60)
#: Step back from a pass's committed progress when resuming, so events sharing that start time are re-read.
RESUME_OVERLAP = timedelta(seconds=1)

log = logging.getLogger(__name__)


# --- argument checks shared by the operator and the sync ------------------------------------------------------


def validate_resources(resources: Iterable[str]) -> tuple[str, ...]:
    """Return ``resources`` in canonical order, refusing unknown names and an empty selection."""
    if isinstance(resources, str):
        resources = [resources]
    chosen = list(dict.fromkeys(resources))
    unknown = [r for r in chosen if r not in RESOURCES]
    if unknown:
        raise CalendlyConfigError(f"unknown resource(s) {unknown}; choose from {list(RESOURCES)}")
    if not chosen:
        raise CalendlyConfigError(f"resources is empty; choose from {list(RESOURCES)}")
    return tuple(r for r in RESOURCES if r in chosen)


def validate_mode(mode: str) -> str:
    """Return ``mode`` if it is ``incremental`` or ``full``."""
    return CalendlyConfigError.check_choice("mode", mode, MODES)


def tables_for_resources(resources: Iterable[str]) -> tuple[str, ...]:
    """Return the table keys written for ``resources`` (children included), e.g. ``invitee_answers``."""
    return tuple(t for r in validate_resources(resources) for t in RESOURCE_TABLES[r])


@dataclass(frozen=True)
class SyncConfig:
    """Every argument of a sync, validated once, here: constructing one with a bad value raises.

    :param resources: Which of :data:`RESOURCES` to sync (canonical order); default: all of them.
    :param organization: Organization UUID or URI to sync; default: the token owner's organization.
    :param user: User UUID or URI to sync instead of (or within) an organization.
    :param mode: ``incremental`` (re-read a start-time window, see the module docs) or ``full``.
    :param lookback: How far before the watermark an incremental pass starts reading.
    :param chunk_size: Scheduled events per committed chunk (their invitees go in the same chunk).
    :param page_size: Items per API page (1-100).
    :param max_concurrency: Invitee listings in flight at once; the hook's rate limiter still caps the rate.
    :param log_every_pages: Log progress every this many pages of scheduled events.
    :param invitee_refresh: ``reconcile`` (list invitees only of new, changed and refresh-window events in an
        incremental pass) or ``all`` (every event's).
    :param invitee_refresh_window: The refresh window (:class:`~.reconcile.RefreshWindow` or a
        ``(before, after)`` pair of timedeltas); default 7 days back to 2 days ahead.
    :param deletions: What to do with rows Calendly no longer returns (found by full re-reads and
        ``mode="full"`` passes): ``mark`` (set ``_deleted_at``), ``delete`` or ``ignore``.
    :param strict_resources: Fail, rather than skip with a warning, on a resource Calendly answers 403/404 for.
    :param webhook_inbox_conn_id: Connection of the webhook receiver's inbox: an incremental pass first
        applies its deliveries (see :mod:`~airflow_provider_calendly.transfers.change_capture`).
    """

    resources: tuple[str, ...] = RESOURCES
    organization: str | None = None
    user: str | None = None
    mode: str = "incremental"
    lookback: timedelta = DEFAULT_LOOKBACK
    chunk_size: int = 500
    page_size: int = MAX_PAGE_SIZE
    max_concurrency: int = 4
    log_every_pages: int = 5
    invitee_refresh: str = "reconcile"
    invitee_refresh_window: RefreshWindow | tuple[timedelta, timedelta] | None = None
    deletions: str = "mark"
    strict_resources: bool = False
    webhook_inbox_conn_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "resources", validate_resources(self.resources))
        validate_deletions(self.deletions)
        if not isinstance(self.strict_resources, bool):
            raise CalendlyConfigError(f"strict_resources must be True or False, got {self.strict_resources!r}")
        validate_invitee_refresh(self.invitee_refresh)
        object.__setattr__(self, "invitee_refresh_window", RefreshWindow.coerce(self.invitee_refresh_window))
        validate_mode(self.mode)
        if not isinstance(self.lookback, timedelta) or self.lookback < timedelta(0):
            raise CalendlyConfigError(f"lookback must be a non-negative timedelta, got {self.lookback!r}")
        for name in ("chunk_size", "max_concurrency", "log_every_pages"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise CalendlyConfigError("chunk_size, max_concurrency and log_every_pages must be at least 1")
        page_size = self.page_size
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise CalendlyConfigError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, got {page_size!r}")
        inbox = self.webhook_inbox_conn_id
        if inbox is not None and (not isinstance(inbox, str) or not inbox.strip()):
            raise CalendlyConfigError(f"webhook_inbox_conn_id must be a connection id, got {inbox!r}")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    return str(timedelta(seconds=round(max(0.0, seconds))))


# --- the sync engine ------------------------------------------------------------------------------------------


class _TableStats:
    def __init__(self) -> None:
        self.counts = UpsertCounts()
        self.api_calls = 0
        self.seconds = 0.0


class CalendlySqlSync:
    """Copy Calendly resources into warehouse tables, streaming in committed chunks (the operator's engine).

    :param hook: The Calendly hook (shared by the fan-out threads; its rate limiter paces them all).
    :param writer: The table writer of the target warehouse.
    :param config: The validated arguments; or pass them as keywords (``mode="full"``, …), the fields of
        :class:`SyncConfig`.
    :param clock: Returns the current UTC time (injectable for tests).
    """

    def __init__(
        self,
        *,
        hook: CalendlyHook,
        writer: CalendlyTableWriter,
        config: SyncConfig | None = None,
        clock: Callable[[], datetime] = _utcnow,
        **arguments: Any,
    ) -> None:
        if config is not None and arguments:
            raise CalendlyConfigError(f"pass either config or arguments, not both: {sorted(arguments)}")
        if config is None:
            if "resources" in arguments and not isinstance(arguments["resources"], str):
                arguments["resources"] = tuple(arguments["resources"])
            try:
                config = SyncConfig(**arguments)
            except TypeError as exc:
                raise CalendlyConfigError(f"unknown sync argument: {exc}") from None
        self.config = config
        self.hook = hook
        self.writer = writer
        self.resources = config.resources
        self.organization = config.organization
        self.user = config.user
        self.mode = config.mode
        self.lookback = config.lookback
        self.chunk_size = config.chunk_size
        self.page_size = config.page_size
        self.max_concurrency = config.max_concurrency
        self.log_every_pages = config.log_every_pages
        self.invitee_refresh = config.invitee_refresh
        self.invitee_refresh_window = RefreshWindow.coerce(config.invitee_refresh_window)
        self.clock = clock
        self.feed: ChangeCapture | None = None
        self.stats: dict[str, _TableStats] = {t: _TableStats() for t in tables_for_resources(self.resources)}
        self._lock = threading.Lock()

    # -- entry point --

    def run(self) -> dict[str, Any]:
        """Sync every selected resource and return the JSON-safe summary (row counts, calls, time, window)."""
        started = time.monotonic()
        calls_before = self.hook.call_count
        scope = self.scope()  # a hostile organization/user URI is refused here, before any table is created
        self.writer.ensure_tables(self.stats)
        summary: dict[str, Any] = {"mode": self.mode, "scope": scope}
        reader = ResourceReader(self, scope)
        self.feed = self._change_capture(scope)
        if self.feed is not None:
            summary["webhook_feed"] = self.feed.consume(full=self._events_pass_mode(scope) == "full").as_dict()
        if "event_types" in self.resources:
            reader.run("event_types")
        if "scheduled_events" in self.resources or "invitees" in self.resources:
            seen_since = self.writer.synced_at or datetime.now(timezone.utc)
            summary.update(self._sync_events(scope))
            if summary["effective_mode"] == "full" and not summary["resumed"]:
                reader.sweep_events(self.resources, seen_since)
        if self.feed is not None:
            self.feed.finish()
        for resource in reader.resources:
            if resource != "event_types":
                reader.run(resource)
        summary.update(reader.summary())
        summary["api_calls"] = self.hook.call_count - calls_before
        summary["seconds"] = round(time.monotonic() - started, 3)
        summary["tables"] = {
            key: {
                "table": self.writer.table_name(key),
                **stats.counts.as_dict(),
                "api_calls": stats.api_calls,
                "seconds": round(stats.seconds, 3),
            }
            for key, stats in self.stats.items()
        }
        for key, stats in self.stats.items():
            log.info(
                "Table %s: %d rows (%d inserted, %d updated, %d deleted), %d API calls, %.1f s",
                self.writer.table_name(key),
                stats.counts.rows,
                stats.counts.inserted,
                stats.counts.updated,
                stats.counts.deleted,
                stats.api_calls,
                stats.seconds,
            )
        log.info(
            "Calendly sync (%s) done: %d API calls in %.1f s",
            summary.get("effective_mode", self.mode),
            summary["api_calls"],
            summary["seconds"],
        )
        return summary

    def _change_capture(self, scope: str) -> ChangeCapture | None:
        """The webhook change capture of this sync, when it has an inbox and writes invitees."""
        conn_id = self.config.webhook_inbox_conn_id
        if conn_id is None or not {"scheduled_events", "invitees"} <= set(self.resources):
            return None
        from airflow_provider_calendly.webhooks.inbox import WebhookInbox

        organization = self.hook.resource_uri("organizations", self.organization) if self.organization else None
        user = self.hook.resource_uri("users", self.user) if self.user else None
        if organization is None and user is None:
            organization = scope
        return ChangeCapture(
            hook=self.hook,
            writer=self.writer,
            inbox=WebhookInbox.from_conn_id(conn_id),
            scope=scope,
            organization=organization,
            user=user,
            clock=self.clock,
        )

    def scope(self) -> str:
        """Return what this sync covers (organization and/or user URI), the key of its ``sync_state`` rows."""
        parts = []
        if self.organization is not None:
            parts.append(self.hook.resource_uri("organizations", self.organization))
        if self.user is not None:
            parts.append(self.hook.resource_uri("users", self.user))
        if not parts:
            current = self.hook.get_current_user().current_organization
            if not current:
                raise CalendlyConfigError("the token's user has no current_organization; pass user or organization")
            parts.append(current)
        return " ".join(parts)

    def _record(self, counts: dict[str, UpsertCounts]) -> None:
        for key, value in counts.items():
            if key in self.stats:
                self.stats[key].counts.add(value)

    # -- scheduled events and invitees: a start-time window, in committed chunks --

    def _event_states(self, scope: str) -> dict[str, SyncState | None]:
        """The stored ``sync_state`` of each events table this sync writes (``None`` before its first pass)."""
        return {
            t: self.writer.get_sync_state(t, scope) for t in ("scheduled_events", "invitees") if t in self.resources
        }

    def _events_pass_mode(self, scope: str) -> str:
        """Whether the events pass about to run is ``full`` (also a first or a resumed full one) or ``incremental``."""
        return self._plan_pass(self._event_states(scope), self.clock())[2]

    def _sync_events(self, scope: str) -> dict[str, Any]:
        started = time.monotonic()
        now = self.clock()
        states = self._event_states(scope)
        tables = list(states)
        pass_started, window_start, effective_mode, resumed = self._plan_pass(states, now)
        base = {t: states[t] or SyncState(table_name=t, scope=scope) for t in tables}
        with self.writer.transaction():
            for state in base.values():
                state.pass_started_at = pass_started
                state.pass_mode = effective_mode
                state.resume_from = window_start
                self.writer.put_sync_state(state)
        log.info(
            "Syncing scheduled events%s (%s%s) from %s",
            " and invitees" if "invitees" in tables else "",
            effective_mode,
            ", resuming an unfinished pass" if resumed else "",
            _iso(window_start) or "the beginning",
        )
        listing = self.hook.list_scheduled_events(
            user=self.user,
            organization=self.organization,
            min_start_time=window_start,
            sort="start_time:asc",
            page_size=self.page_size,
        )
        progress = _Progress(self, window_start, started)
        # Reconcile needs the stored event rows to be this pass's own: only when it writes events and invitees.
        reconcile = (
            self.invitee_refresh == "reconcile"
            and effective_mode == "incremental"
            and {"scheduled_events", "invitees"} <= set(tables)
        )
        plan = InviteePlan()
        buffer: RowsByTable = {}
        buffered_events = 0
        pages = 0
        last_start: datetime | None = None

        def page_done(number: int, events: Sequence[ScheduledEvent], listings: Sequence[Future[list[Invitee]]]) -> None:
            nonlocal buffer, buffered_events, last_start
            for event in events:
                _extend(buffer, scheduled_event_rows(event))
            for listing_done in listings:
                for invitee in listing_done.result():
                    _extend(buffer, invitee_rows(invitee))
            buffered_events += len(events)
            if events and events[-1].start_time is not None:
                last_start = events[-1].start_time
            if buffered_events >= self.chunk_size:
                self._flush(buffer, base, last_start)
                buffer, buffered_events = {}, 0
            progress.page_done(number, events)

        # At most ``workers`` invitee listings in flight (never more than the rate limit's burst), plus this
        # thread fetching the next page of events: that page is fetched, and its listings queued, while this
        # page's listings run, so the workers never drain at a page boundary. Rows are still written page by
        # page, in order, with at most two pages held.
        workers = max(1, min(self.max_concurrency, self.hook.rate_limit))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="calendly-invitees")
        pending: tuple[int, Sequence[ScheduledEvent], list[Future[list[Invitee]]]] | None = None
        try:
            for page in listing.pages():
                pages += 1
                self.stats.get("scheduled_events", _TableStats()).api_calls += 1
                events = page.collection
                listings = []
                if "invitees" in tables:
                    stored = self.writer.stored_events([e.uri for e in events]) if reconcile else {}
                    if reconcile and self.feed is not None:
                        page_plan = self.feed.plan(events, stored, now=now, window=self.invitee_refresh_window)
                    else:
                        page_plan = plan_invitee_reads(
                            events,
                            stored,
                            now=now,
                            window=self.invitee_refresh_window,
                            refresh="reconcile" if reconcile else "all",
                        )
                    plan.merge(page_plan)
                    listings = [pool.submit(self._list_invitees, e) for e in events if e.uri in page_plan.reads]
                if pending is not None:
                    page_done(*pending)
                pending = (pages, events, listings)
            if pending is not None:
                page_done(*pending)
                pending = None
            if buffered_events:
                self._flush(buffer, base, last_start)
        finally:
            # On an error, do not start the listings still queued: they would be calls for nothing.
            pool.shutdown(wait=True, cancel_futures=True)
        with self.writer.transaction():
            for state in base.values():
                state.watermark = pass_started
                state.pass_started_at = None
                state.pass_mode = None
                state.resume_from = None
                state.last_success_at = self.clock()
                self.writer.put_sync_state(state)
        elapsed = time.monotonic() - started
        for key in ("scheduled_events", "event_memberships", "event_guests", "invitees", "invitee_answers"):
            if key in self.stats:
                self.stats[key].seconds = elapsed
        return {
            "effective_mode": effective_mode,
            "resumed": resumed,
            "window_start": _iso(window_start),
            "watermark": _iso(pass_started),
            "scheduled_event_pages": pages,
            **({"invitee_reads": self._reads_summary(plan, reconcile)} if "invitees" in tables else {}),
        }

    def _reads_summary(self, plan: InviteePlan, reconcile: bool) -> dict[str, Any]:
        """Say how many events were listed, whose invitees were read and why, and what that saved."""
        by_reason = plan.by_reason()
        summary = {
            "invitee_refresh": "reconcile" if reconcile else "all",
            "events_listed": plan.listed,
            "events_read": len(plan.reads),
            "by_reason": by_reason,
            "no_invitees": plan.no_invitees,
            # each skipped event is at least the one invitee listing the "all" scheme would have made
            "calls_saved": plan.skipped,
        }
        if self.feed is not None and self.feed.result is not None:
            summary["covered_by_feed"] = self.feed.result.covered_by_feed
        log.info(
            "Invitees read for %d of %d listed events (%s); %d listings saved",
            len(plan.reads),
            plan.listed,
            ", ".join(f"{k} {v}" for k, v in by_reason.items() if v) or "none",
            plan.skipped,
        )
        return summary

    def _plan_pass(
        self, states: dict[str, SyncState | None], now: datetime
    ) -> tuple[datetime, datetime | None, str, bool]:
        """Decide where this pass starts: resume an unfinished one, read everything, or read the window."""
        values = list(states.values())
        unfinished = [s for s in values if s is not None and s.pass_started_at is not None]
        if unfinished and len(unfinished) == len(values):
            first = unfinished[0]
            same_pass = all(s.pass_started_at == first.pass_started_at for s in unfinished)
            # A full run may only resume a full pass; an incremental run may resume either.
            if same_pass and (self.mode == "incremental" or all(s.pass_mode == "full" for s in unfinished)):  # noqa: S105
                resume_points = [s.resume_from for s in unfinished]
                start = None if any(p is None for p in resume_points) else min(p for p in resume_points if p)
                if start is not None:
                    start -= RESUME_OVERLAP
                return first.pass_started_at or now, start, first.pass_mode or self.mode, True
        watermarks = [s.watermark if s is not None else None for s in values]
        if self.mode == "full" or any(w is None for w in watermarks):
            return now, None, "full", False
        return now, min(w for w in watermarks if w is not None) - self.lookback, "incremental", False

    def _list_invitees(self, event: ScheduledEvent) -> list[Invitee]:
        counter = event.invitees_counter
        if counter is not None and counter.total == 0:
            return []  # Calendly's total counts canceled invitees too: zero means there is nothing to list
        listing = self.hook.list_event_invitees(event.uri, page_size=self.page_size)
        items = list(listing)
        with self._lock:
            self.stats["invitees"].api_calls += listing.pages_fetched
        return items

    def _flush(self, buffer: RowsByTable, states: dict[str, SyncState], last_start: datetime | None) -> None:
        """Commit one chunk together with the pass's progress, so a crash resumes right after it."""
        rows = {key: value for key, value in buffer.items() if key in self.stats}
        with self.writer.transaction():
            self._record(self.writer.write_rows(rows))
            if last_start is not None:
                for state in states.values():
                    state.resume_from = last_start
                    self.writer.put_sync_state(state)


def _extend(into: RowsByTable, rows: dict[str, list[dict[str, Any]]]) -> None:
    for key, items in rows.items():
        into.setdefault(key, []).extend(items)


class _Progress:
    """Log counts, rate and an ETA every few pages, from how far through the start-time window the pass is.

    Calendly gives no total, and asking for the window's last event would cost a call a careful script would
    not make, so the window's end is estimated as :data:`BOOKING_HORIZON` from now (how far ahead Calendly
    lets invitees book by default); the estimate only shapes the log line, never what is read.
    """

    def __init__(self, sync: CalendlySqlSync, window_start: datetime | None, started: float) -> None:
        self.sync = sync
        self.window_start = window_start
        self.started = started
        self.events = 0
        self.first_start: datetime | None = None
        self.last_start: datetime | None = None
        self.window_end = datetime.now(timezone.utc) + BOOKING_HORIZON

    def page_done(self, pages: int, events: Sequence[ScheduledEvent]) -> None:
        self.events += len(events)
        if self.first_start is None and events:
            self.first_start = events[0].start_time
        if events and events[-1].start_time is not None:
            self.last_start = events[-1].start_time
        if pages % self.sync.log_every_pages:
            return
        elapsed = max(time.monotonic() - self.started, 1e-9)
        stats = self.sync.stats
        invitees = stats["invitees"].counts.rows if "invitees" in stats else 0
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
            self.sync.hook.call_count,
            self.events / elapsed,
            done,
            BOOKING_HORIZON.days,
            _format_eta(eta),
        )


# --- the operator ----------------------------------------------------------------------------------------------
