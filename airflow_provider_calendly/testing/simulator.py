"""A change simulator for the emulator: advance its clock through days of what a real organization does.

Each simulated day spreads, over the day's hours and in time order, the changes a scheduling team sees:

* new bookings (about as many a day as meetings happen, so the organization keeps its size), for meetings
  from an hour to ``days_ahead`` days later;
* invitee cancellations and host cancellations of a whole event, of meetings that have not started;
* reschedules: as on Calendly, the invitee's old booking is canceled with ``rescheduled: true`` and its
  ``new_invitee`` set, and a new event is booked whose invitee's ``old_invitee`` names the old one
  (``invitee.canceled`` then ``invitee.created``);
* no-shows marked hours to days after a meeting ended, a few of them undone later;
* reconfirmations requested and confirmed in the two days before a meeting (no webhook: Calendly has none);
* event type edits (``event_type.updated``).

Only the changed resources' ``updated_at`` can move: a no-show or a reconfirmation changes the invitee, not
its scheduled event (and whether it moves the invitee's is the emulator's ``updated_at_moved_by``). Every change
goes through the emulator's :class:`~airflow_provider_calendly.testing.world.World`, so subscriptions get the
same signed webhook deliveries as for a change made by hand. ``POST /_emulator/simulate`` (body ``{"days": 1}``)
calls :func:`simulate`.
"""

from __future__ import annotations

import bisect
import random
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.world import World
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.uris import uuid_from_uri

__all__ = ["ChangeRates", "SimulationReport", "simulate"]


@dataclass(frozen=True)
class ChangeRates:
    """How many changes of each kind a simulated day makes, relative to the organization's meetings a day.

    :param bookings: New bookings per meeting a day.
    :param invitee_cancellations: Invitee cancellations per meeting a day.
    :param host_cancellations: Host cancellations (whole events) per meeting a day.
    :param reschedules: Reschedules per meeting a day.
    :param no_shows: Share of the meetings that ended in the last three days marked as no-show per day.
    :param no_show_undos: Share of today's no-show marks undone the same day.
    :param reconfirmations: Share of the meetings in the next two days whose invitee is asked to reconfirm.
    :param event_type_edits: Event type edits a day (absolute).
    :param days_ahead: How far ahead new bookings reach.
    """

    bookings: float = 1.0
    invitee_cancellations: float = 0.04
    host_cancellations: float = 0.02
    reschedules: float = 0.04
    no_shows: float = 0.03
    no_show_undos: float = 0.1
    reconfirmations: float = 0.05
    event_type_edits: float = 1
    days_ahead: float = 60


@dataclass
class SimulationReport:
    """What the simulated days changed: counts per kind and the scheduled events touched."""

    started: str
    ended: str
    counts: dict[str, int] = field(default_factory=dict)
    #: Scheduled events whose own resource changed (new, canceled, counter or status moved).
    changed_events: set[str] = field(default_factory=set)
    #: Scheduled events only one of whose invitees changed (no-show, reconfirmation): the event looks unchanged.
    invitee_only_events: set[str] = field(default_factory=set)
    #: Scheduled events one of whose invitees changed in a way no webhook carries (a reconfirmation).
    feedless_events: set[str] = field(default_factory=set)

    def add(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe summary."""
        return {
            "started": self.started,
            "ended": self.ended,
            "counts": dict(sorted(self.counts.items())),
            "changed_events": sorted(self.changed_events),
            "invitee_only_events": sorted(self.invitee_only_events - self.changed_events),
            "feedless_events": sorted(self.feedless_events - self.changed_events),
        }


class HasWorld(Protocol):
    """A started emulator (anything with its :class:`~airflow_provider_calendly.testing.world.World`)."""

    @property
    def world(self) -> World: ...


def simulate(
    emulator: HasWorld | World,
    *,
    days: int = 1,
    seed: int | None = None,
    rates: ChangeRates | dict[str, float] | None = None,
) -> SimulationReport:
    """Advance ``emulator``'s clock by ``days`` days, making each day's changes at their time of day.

    :param emulator: A started emulator (or its world).
    :param days: Days to simulate (at least 1).
    :param seed: Seed of the changes (default: derived from the emulator's seed and its current time), so the
        same emulator state and seed make the same changes.
    :param rates: Change rates (:class:`ChangeRates` or a dict of its fields).
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a positive integer, got {days!r}")
    world = emulator if isinstance(emulator, World) else emulator.world
    chosen = rates if isinstance(rates, ChangeRates) else ChangeRates(**(rates or {}))
    report = SimulationReport(started=iso(world.now()), ended="")
    for _ in range(days):
        day_seed = seed if seed is not None else zlib.crc32(f"{world.state.seed} {iso(world.now())}".encode())
        _Day(world, random.Random(day_seed), chosen, report).run()
        if seed is not None:
            seed += 1
    report.ended = iso(world.now())
    return report


class _Day:
    """One simulated day: a time-ordered list of changes, each applied with the clock at its moment."""

    def __init__(self, world: World, rng: random.Random, rates: ChangeRates, report: SimulationReport) -> None:
        self.world = world
        self.rng = rng
        self.rates = rates
        self.report = report
        self.start = world.now()
        self._starts: tuple[list[dict[str, Any]], list[str]] | None = None

    def _count(self, rate: float) -> int:
        whole = int(rate)
        return whole + (1 if self.rng.random() < rate - whole else 0)

    def meetings_per_day(self) -> float:
        events = self.world.data.scheduled_events.values()
        if not events:
            return 1.0
        starts = [e["start_time"] for e in events]
        span = (parse_utc(max(starts)) - parse_utc(min(starts))).total_seconds() / 86400
        return max(1.0, len(starts) / max(1.0, span))

    def run(self) -> None:
        per_day = self.meetings_per_day()
        r = self.rates
        plan: list[tuple[float, str]] = []
        for kind, rate in (
            ("booking", r.bookings * per_day),
            ("invitee_cancellation", r.invitee_cancellations * per_day),
            ("host_cancellation", r.host_cancellations * per_day),
            ("reschedule", r.reschedules * per_day),
            ("event_type_edit", r.event_type_edits),
        ):
            plan.extend((self.rng.random(), kind) for _ in range(self._count(rate)))
        # no-shows and reconfirmations are drawn per meeting, later in the day (after the office opens)
        plan.append((0.5, "no_shows"))
        plan.append((0.6, "reconfirmations"))
        for at, kind in sorted(plan):
            self._move_to(self.start + timedelta(days=at))
            getattr(self, kind)()
        self._move_to(self.start + timedelta(days=1))

    def _move_to(self, moment: datetime) -> None:
        now = self.world.now()
        if moment > now:
            self.world.advance_clock(moment - now)

    # -- picking events --

    def _events_between(self, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        ordered = self.world.state.events_by_start()
        if self._starts is None or self._starts[0] is not ordered:  # re-sorted since: a new list
            self._starts = (ordered, [e["start_time"] for e in ordered])
        starts = self._starts[1]
        return ordered[bisect.bisect_left(starts, iso(lo)) : bisect.bisect_left(starts, iso(hi))]

    def _upcoming_active(self) -> list[dict[str, Any]]:
        now = self.world.now()
        return [
            e
            for e in self._events_between(now + timedelta(hours=1), now + timedelta(days=self.rates.days_ahead))
            if e["status"] == "active"
        ]

    def _active_invitees(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        return [i for i in self.world.data.invitees[uuid_from_uri(event["uri"])] if i["status"] == "active"]

    def _start_ahead(self) -> datetime:
        now = self.world.now()
        slots = int(self.rates.days_ahead * 24 * 4)
        start = now + timedelta(hours=1) + timedelta(minutes=15 * self.rng.randrange(max(1, slots)))
        return start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)

    # -- the changes --

    def _pick(self, items: list[dict[str, Any]]) -> dict[str, Any] | None:
        return items[self.rng.randrange(len(items))] if items else None

    def booking(self) -> None:
        event_type = self._pick([t for t in self.world.data.event_types if t["active"]])
        if event_type is None:
            return
        event, _invitee = self.world.book(event_type_uri=event_type["uri"], start_time=self._start_ahead())
        self.report.changed_events.add(event["uri"])
        self.report.add("bookings")

    def invitee_cancellation(self) -> None:
        event = self._pick(self._upcoming_active())
        invitee = self._pick(self._active_invitees(event)) if event is not None else None
        if event is not None and invitee is not None:
            self.world.cancel_invitee(invitee["uri"], reason="Cannot make it")
            self.report.changed_events.add(event["uri"])
            self.report.add("invitee_cancellations")

    def host_cancellation(self) -> None:
        event = self._pick(self._upcoming_active())
        if event is None:
            return
        self.world.cancel_event(uuid_from_uri(event["uri"]), reason="Host unavailable")
        self.report.changed_events.add(event["uri"])
        self.report.add("host_cancellations")

    def reschedule(self) -> None:
        candidates = [e for e in self._upcoming_active() if self._active_invitees(e)]
        if not candidates:
            return
        event = candidates[self.rng.randrange(len(candidates))]
        old = self._active_invitees(event)[0]
        new_event, _new_invitee = self.world.reschedule(event, old, self._start_ahead(), rng=self.rng)
        self.report.changed_events.update({event["uri"], new_event["uri"]})
        self.report.add("reschedules")

    def no_shows(self) -> None:
        now = self.world.now()
        for event in self._events_between(now - timedelta(days=3), now - timedelta(hours=1)):
            if event["status"] != "active" or self.rng.random() >= self.rates.no_shows:
                continue
            invitees = [i for i in self._active_invitees(event) if i["no_show"] is None]
            if not invitees:
                continue
            invitee = invitees[self.rng.randrange(len(invitees))]
            no_show = self.world.mark_no_show(invitee["uri"])
            self.report.invitee_only_events.add(event["uri"])
            self.report.add("no_shows")
            if self.rng.random() < self.rates.no_show_undos:
                # undone a little later: Calendly's timestamps of the two changes differ
                self.world.advance_clock(timedelta(minutes=self.rng.randint(1, 30)))
                self.world.undo_no_show(uuid_from_uri(no_show["uri"]))
                self.report.add("no_show_undos")

    def reconfirmations(self) -> None:
        now = self.world.now()
        for event in self._events_between(now, now + timedelta(days=2)):
            if event["status"] != "active":
                continue
            for invitee in self._active_invitees(event):
                pending = invitee["reconfirmation"] is not None and invitee["reconfirmation"]["confirmed_at"] is None
                if not pending and (
                    invitee["reconfirmation"] is not None or self.rng.random() >= self.rates.reconfirmations
                ):
                    continue
                done = self.world.reconfirm(invitee)
                self.report.invitee_only_events.add(event["uri"])
                self.report.feedless_events.add(event["uri"])
                self.report.add(f"reconfirmations_{done}")

    def event_type_edit(self) -> None:
        types = self.world.data.event_types
        if not types:
            return
        event_type = types[self.rng.randrange(len(types))]
        self.world.edit_event_type(event_type, duration=self.rng.choice([15, 30, 45, 60]))
        self.report.add("event_type_edits")
