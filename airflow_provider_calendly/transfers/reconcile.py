"""Decide which listed scheduled events need their invitees re-read: the planning half of reconcile.

An incremental pass lists its start-time window of scheduled events (100 a call) and compares each against
the row stored for it. Invitees are listed only where something can have changed:

``new``
    no stored row: the event was never synced.
``changed``
    the stored row's ``updated_at``, ``status`` or ``invitees_counter`` (total, active) differ: Calendly
    touched the event (a booking, a cancellation, a reschedule, a host edit).
``refresh_window``
    the meeting starts inside the invitee refresh window around now (by default 7 days back to 2 days
    ahead). Some changes touch only an invitee and leave its event as it was: a no-show is marked (or
    undone) after the meeting, a reconfirmation happens in the days before it.
``feed_gap``
    like ``refresh_window``, when a webhook feed should have carried invitee-only changes but had a gap.
``all``
    ``invitee_refresh="all"``: every event with invitees is read (the previous scheme, kept as a baseline).

An event whose ``invitees_counter.total`` is 0 never needs a call, in any mode: Calendly counts canceled
invitees too, so there is nothing to list.

What this misses, by design: an invitee-only change (a no-show marked or undone, a reconfirmation) of a
meeting outside the refresh window. A webhook feed or a periodic ``mode="full"`` run catches it.
This module is pure: no I/O, the stored rows come from the table layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from airflow_provider_calendly.exceptions import CalendlyConfigError

if TYPE_CHECKING:
    from airflow_provider_calendly.models import ScheduledEvent

__all__ = [
    "DEFAULT_INVITEE_REFRESH_WINDOW",
    "INVITEE_REFRESH_MODES",
    "REASONS",
    "InviteePlan",
    "RefreshWindow",
    "StoredEvent",
    "plan_invitee_reads",
    "validate_invitee_refresh",
]

#: Why an event's invitees are read.
REASONS: tuple[str, ...] = ("new", "changed", "refresh_window", "feed_gap", "all")
#: ``all``: list the invitees of every listed event (the previous scheme); ``reconcile``: only where needed.
INVITEE_REFRESH_MODES: tuple[str, ...] = ("reconcile", "all")


@dataclass(frozen=True)
class RefreshWindow:
    """Meetings that started up to ``before`` ago through those starting within ``after`` from now.

    :param before: How far back (no-shows are marked hours to days after a meeting).
    :param after: How far ahead (reconfirmations happen in the days just before a meeting).
    """

    before: timedelta = timedelta(days=7)
    after: timedelta = timedelta(days=2)

    def __post_init__(self) -> None:
        for name in ("before", "after"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value < timedelta(0):
                raise CalendlyConfigError(f"invitee_refresh_window.{name} must be a non-negative timedelta")

    @classmethod
    def coerce(cls, value: RefreshWindow | tuple[timedelta, timedelta] | None) -> RefreshWindow:
        """Accept a window, a ``(before, after)`` pair or ``None`` (the default window)."""
        if value is None:
            return cls()
        if isinstance(value, RefreshWindow):
            return value
        if isinstance(value, tuple) and len(value) == 2:
            return cls(before=value[0], after=value[1])
        raise CalendlyConfigError(
            f"invitee_refresh_window must be a RefreshWindow or a (before, after) pair of timedeltas, got {value!r}"
        )

    def contains(self, start: datetime | None, now: datetime) -> bool:
        """Whether a meeting starting at ``start`` is inside the window around ``now``."""
        return start is not None and now - self.before <= start < now + self.after


DEFAULT_INVITEE_REFRESH_WINDOW = RefreshWindow()


def validate_invitee_refresh(value: str) -> str:
    """Return ``value`` if it is ``reconcile`` or ``all``."""
    return CalendlyConfigError.check_choice("invitee_refresh", value, INVITEE_REFRESH_MODES)


@dataclass(frozen=True)
class StoredEvent:
    """What the warehouse holds of a scheduled event, as far as reconcile compares it."""

    updated_at: datetime | None
    status: str | None
    invitees_total: int | None
    invitees_active: int | None


@dataclass
class InviteePlan:
    """The events whose invitees to list (URI → reason), and counts for the summary."""

    reads: dict[str, str] = field(default_factory=dict)
    listed: int = 0
    no_invitees: int = 0
    skipped: int = 0

    def merge(self, other: InviteePlan) -> None:
        self.reads.update(other.reads)
        self.listed += other.listed
        self.no_invitees += other.no_invitees
        self.skipped += other.skipped

    def by_reason(self) -> dict[str, int]:
        counts = dict.fromkeys(REASONS, 0)
        for reason in self.reads.values():
            counts[reason] += 1
        return counts


def _same_time(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b


def _changed(event: ScheduledEvent, stored: StoredEvent) -> bool:
    # Calendly's reference does not say whether a cancellation moves the event's updated_at: its status and
    # invitee counters tell as well (tests/transfers/test_incremental_reconcile.py runs both behaviours).
    counter = event.invitees_counter
    return (
        not _same_time(event.updated_at, stored.updated_at)
        or event.status != stored.status
        or (counter.total if counter else None) != stored.invitees_total
        or (counter.active if counter else None) != stored.invitees_active
    )


def plan_invitee_reads(
    events: Iterable[ScheduledEvent],
    stored: Mapping[str, StoredEvent],
    *,
    now: datetime,
    window: RefreshWindow = DEFAULT_INVITEE_REFRESH_WINDOW,
    refresh: str = "reconcile",
    feed: str | None = None,
) -> InviteePlan:
    """Return which of ``events`` need an invitee listing, and why.

    :param events: The scheduled events just listed.
    :param stored: Stored rows by event URI (missing: never synced).
    :param now: The pass's time, the centre of the refresh window.
    :param window: The invitee refresh window.
    :param refresh: ``reconcile``, or ``all`` to read every event that has invitees (reason ``all`` where
        neither ``new`` nor ``changed`` holds).
    :param feed: ``None`` without a webhook feed; ``"complete"`` when a gap-free feed carried every invitee-only
        change (the refresh window is then not re-read); ``"gap"`` when the feed had a gap (read the window,
        reason ``feed_gap``).
    """
    validate_invitee_refresh(refresh)
    if feed not in (None, "complete", "gap"):
        raise ValueError(f"feed must be None, 'complete' or 'gap', got {feed!r}")
    plan = InviteePlan()
    for event in events:
        plan.listed += 1
        counter = event.invitees_counter
        if counter is not None and counter.total == 0:
            plan.no_invitees += 1
            continue
        row = stored.get(event.uri)
        if row is None:
            plan.reads[event.uri] = "new"
        elif _changed(event, row):
            plan.reads[event.uri] = "changed"
        elif refresh == "all":
            plan.reads[event.uri] = "all"
        elif feed != "complete" and window.contains(event.start_time, now):
            plan.reads[event.uri] = "feed_gap" if feed == "gap" else "refresh_window"
        else:
            plan.skipped += 1
    return plan
