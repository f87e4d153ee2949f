"""The sync engine behind CalendlyToSqlOperator: its validated config, the incremental scheme and the fan-out.

:class:`CalendlySqlSync` streams Calendly's pages through
:class:`~airflow_provider_calendly.transfers.sql_writer.CalendlyTableWriter` in bounded, individually committed
chunks; :class:`~airflow_provider_calendly.transfers.config.SyncConfig` is its one frozen, validated set of
arguments, and :mod:`~airflow_provider_calendly.transfers.passes` plans each pass and keeps its ``sync_state``.

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
read by :mod:`~airflow_provider_calendly.transfers.resources`, whose modules also document skips (a resource the
plan or the token does not allow: :mod:`~airflow_provider_calendly.transfers.resources.scope`) and deletion sweeps
(``deletions=``: :mod:`~airflow_provider_calendly.transfers.resources.sweeps`).

Crashes and retries
-------------------
Each chunk (scheduled events, their hosts and guests, their invitees and answers, and the pass's progress
marker ``resume_from``) is committed in one transaction, and every write is an upsert by primary key, so a
rerun never duplicates a row. An unfinished pass is resumed from its last committed chunk, and the watermark
it finally sets is the time the *first* attempt started, so a crash loses nothing either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.models import Invitee, ScheduledEvent
from airflow_provider_calendly.transfers.change_capture import ChangeCapture, feed_events
from airflow_provider_calendly.transfers.config import (
    DEFAULT_LOOKBACK,
    MODES,
    RESOURCES,
    SyncConfig,
    scope_uris,
    tables_for_resources,
    validate_mode,
    validate_resources,
)
from airflow_provider_calendly.transfers.passes import TablePass
from airflow_provider_calendly.transfers.progress import ApiUsage, SyncProgress, SyncStats
from airflow_provider_calendly.transfers.reconcile import InviteePlan, plan_invitee_reads
from airflow_provider_calendly.transfers.resources import ResourceReader
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.tables import RowsByTable, invitee_rows, scheduled_event_rows
from airflow_provider_calendly.webhooks.inbox import WebhookInbox

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

#: The tables of the scheduled events pass (the events' children are written with them).
EVENT_TABLES = ("scheduled_events", "event_memberships", "event_guests", "invitees", "invitee_answers")

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if value is not None else None


class CalendlySqlSync:
    """Copy Calendly resources into warehouse tables, streaming in committed chunks (the operator's engine).

    :param hook: The Calendly hook (shared by the fan-out threads; its rate limiter paces them all).
    :param writer: The table writer of the target warehouse.
    :param config: The validated arguments; or pass them as keywords (``mode="full"``, …), the fields of
        :class:`~airflow_provider_calendly.transfers.config.SyncConfig`.
    :param clock: Returns the current UTC time (injectable for tests).
    :param timer: Monotonic seconds, for the progress reports' interval and pace (injectable for tests).
    :param on_progress: Called with each progress report (a JSON-safe dict, at most every
        ``progress_interval`` seconds; see :class:`~airflow_provider_calendly.transfers.progress.SyncProgress`).
    """

    def __init__(
        self,
        *,
        hook: CalendlyHook,
        writer: CalendlyTableWriter,
        config: SyncConfig | None = None,
        clock: Callable[[], datetime] = _utcnow,
        timer: Callable[[], float] = time.monotonic,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
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
        # The arguments as attributes too (public since the first release).
        self.organization = config.organization
        self.user = config.user
        self.mode = config.mode
        self.lookback = config.lookback
        self.chunk_size = config.chunk_size
        self.page_size = config.page_size
        self.max_concurrency = config.max_concurrency
        self.progress_interval = config.progress_interval
        self.invitee_refresh = config.invitee_refresh
        self.invitee_refresh_window = config.refresh_window
        self.clock = clock
        self.feed: ChangeCapture | None = None
        self.stats = SyncStats(tables_for_resources(self.resources))
        self._usage_before = ApiUsage()
        self.progress = SyncProgress(self.stats, self._usage, config.progress_interval, timer=timer, report=on_progress)

    def _usage(self) -> ApiUsage:
        """The API usage of this sync so far (the hook may have been used before)."""
        return ApiUsage.of(self.hook).since(self._usage_before)

    # -- entry point --

    def run(self) -> dict[str, Any]:
        """Sync every selected resource and return the JSON-safe summary (row counts, calls, time, window)."""
        started = time.monotonic()
        self._usage_before = ApiUsage.of(self.hook)
        scope = self.scope()  # a hostile organization/user URI is refused here, before any table is created
        self.writer.ensure_tables(self.stats)
        summary: dict[str, Any] = {"mode": self.config.mode, "scope": scope}
        reader = ResourceReader(
            hook=self.hook,
            writer=self.writer,
            config=self.config,
            scope=scope,
            stats=self.stats,
            clock=self.clock,
            progress=self.progress,
        )
        self.feed = self._change_capture(scope)
        if self.feed is not None:
            events_synced = {"scheduled_events", "invitees"} & set(self.resources)
            full = self._events_pass_mode(scope) == "full" if events_synced else self.config.mode == "full"
            summary["webhook_feed"] = self.feed.consume(full=full).as_dict()
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
        usage = self._usage()
        summary["api_calls"] = usage.calls
        summary["rate_limit"] = usage.as_dict()
        summary["seconds"] = round(time.monotonic() - started, 3)
        summary["tables"] = self.stats.summary(self.writer.table_name)
        log.info(
            "Calendly sync (%s) done: %d API calls in %.1f s",
            summary.get("effective_mode", self.config.mode),
            summary["api_calls"],
            summary["seconds"],
        )
        return summary

    def _change_capture(self, scope: str) -> ChangeCapture | None:
        """The webhook change capture of this sync, when it has an inbox and writes what deliveries carry."""
        conn_id = self.config.webhook_inbox_conn_id
        events = feed_events(self.resources)
        if conn_id is None or not events:
            return None
        organization, user = scope_uris(self.config, self.hook)
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
            events=events,
        )

    def scope(self) -> str:
        """Return what this sync covers (organization and/or user URI), the key of its ``sync_state`` rows."""
        parts = [uri for uri in scope_uris(self.config, self.hook) if uri is not None]
        if not parts:
            parts.append(self.hook.organization_uri())
        return " ".join(parts)

    # -- scheduled events and invitees: a start-time window, in committed chunks --

    def _events_pass(self, scope: str) -> TablePass:
        """The pass over the events tables this sync writes (planned from their ``sync_state``; not recorded yet)."""
        tables = [t for t in ("scheduled_events", "invitees") if t in self.resources]
        c = self.config
        return TablePass.plan_for(self.writer, tables, scope, now=self.clock(), mode=c.mode, lookback=c.lookback)

    def _events_pass_mode(self, scope: str) -> str:
        """Whether the events pass about to run is ``full`` (also a first or a resumed full one) or ``incremental``."""
        return self._events_pass(scope).plan.mode

    def _sync_events(self, scope: str) -> dict[str, Any]:
        started = time.monotonic()
        now = self.clock()
        c = self.config
        events_pass = self._events_pass(scope)
        events_pass.record()
        tables = list(events_pass.states)
        window_start, effective_mode, resumed = events_pass.plan[1:]
        log.info(
            "Syncing scheduled events%s (%s%s) from %s",
            " and invitees" if "invitees" in tables else "",
            effective_mode,
            ", resuming an unfinished pass" if resumed else "",
            _iso(window_start) or "the beginning",
        )
        listing = self.hook.list_scheduled_events(
            user=c.user,
            organization=c.organization,
            min_start_time=window_start,
            sort="start_time:asc",
            page_size=c.page_size,
        )
        self.progress.begin_events(window_start, now)
        # Reconcile needs the stored event rows to be this pass's own: only when it writes events and invitees.
        reconcile = (
            c.invitee_refresh == "reconcile"
            and effective_mode == "incremental"
            and {"scheduled_events", "invitees"} <= set(tables)
        )
        plan = InviteePlan()
        buffer: RowsByTable = {}
        buffered_events = 0
        pages = 0
        last_start: datetime | None = None

        def page_done(events: Sequence[ScheduledEvent], listings: Sequence[Future[list[Invitee]]]) -> None:
            nonlocal buffer, buffered_events, last_start
            for event in events:
                _extend(buffer, scheduled_event_rows(event))
            for listing_done in listings:
                for invitee in listing_done.result():
                    _extend(buffer, invitee_rows(invitee))
            buffered_events += len(events)
            if events and events[-1].start_time is not None:
                last_start = events[-1].start_time
            if buffered_events >= c.chunk_size:
                self._flush(buffer, events_pass, last_start)
                buffer, buffered_events = {}, 0
            self.progress.events_page(events)

        # At most ``workers`` invitee listings in flight (never more than the rate limit's burst), plus this
        # thread fetching the next page of events: that page is fetched, and its listings queued, while this
        # page's listings run, so the workers never drain at a page boundary. Rows are still written page by
        # page, in order, with at most two pages held.
        workers = max(1, min(c.max_concurrency, self.hook.rate_limit))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="calendly-invitees")
        pending: tuple[Sequence[ScheduledEvent], list[Future[list[Invitee]]]] | None = None
        try:
            for page in listing.pages():
                pages += 1
                self.stats.count_calls("scheduled_events", 1)
                events = page.collection
                listings = []
                if "invitees" in tables:
                    stored = self.writer.stored_events([e.uri for e in events]) if reconcile else {}
                    if reconcile and self.feed is not None:
                        page_plan = self.feed.plan(events, stored, now=now, window=c.refresh_window)
                    else:
                        page_plan = plan_invitee_reads(
                            events,
                            stored,
                            now=now,
                            window=c.refresh_window,
                            refresh="reconcile" if reconcile else "all",
                        )
                    plan.merge(page_plan)
                    listings = [pool.submit(self._list_invitees, e) for e in events if e.uri in page_plan.reads]
                if pending is not None:
                    page_done(*pending)
                pending = (events, listings)
            if pending is not None:
                page_done(*pending)
                pending = None
            if buffered_events:
                self._flush(buffer, events_pass, last_start)
        finally:
            # On an error, do not start the listings still queued: they would be calls for nothing.
            pool.shutdown(wait=True, cancel_futures=True)
        events_pass.finish(self.clock())
        elapsed = time.monotonic() - started
        for key in EVENT_TABLES:
            if key in self.stats:
                self.stats[key].seconds = elapsed
        return {
            "effective_mode": effective_mode,
            "resumed": resumed,
            "window_start": _iso(window_start),
            "watermark": _iso(events_pass.plan.started_at),
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

    def _list_invitees(self, event: ScheduledEvent) -> list[Invitee]:
        counter = event.invitees_counter
        if counter is not None and counter.total == 0:
            return []  # Calendly's total counts canceled invitees too: zero means there is nothing to list
        listing = self.hook.list_event_invitees(event.uri, page_size=self.config.page_size)
        items = list(listing)
        self.stats.count_calls("invitees", listing.pages_fetched)
        return items

    def _flush(self, buffer: RowsByTable, events_pass: TablePass, last_start: datetime | None) -> None:
        """Commit one chunk together with the pass's progress, so a crash resumes right after it."""
        rows = {key: value for key, value in buffer.items() if key in self.stats}
        with self.writer.transaction():
            self.stats.record(self.writer.write_rows(rows))
            events_pass.progress(last_start)


def _extend(into: RowsByTable, rows: dict[str, list[dict[str, Any]]]) -> None:
    for key, items in rows.items():
        into.setdefault(key, []).extend(items)
