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

Only the changed resources' ``updated_at`` move, as on Calendly: a no-show or a reconfirmation changes the
invitee, not its scheduled event. Every change goes through the emulator, so subscriptions get the same signed
webhook deliveries as for a change made by hand. ``POST /_emulator/simulate`` (body ``{"days": 1}``) calls
:func:`simulate`.
"""

from __future__ import annotations

import bisect
import json
import random
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.testing.data import add_invitee, iso, new_scheduled_event
from airflow_provider_calendly.timestamps import parse_utc

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.emulator import CalendlyEmulator

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


def simulate(
    emulator: CalendlyEmulator,
    *,
    days: int = 1,
    seed: int | None = None,
    rates: ChangeRates | dict[str, float] | None = None,
) -> SimulationReport:
    """Advance ``emulator``'s clock by ``days`` days, making each day's changes at their time of day.

    :param emulator: A started emulator.
    :param days: Days to simulate (at least 1).
    :param seed: Seed of the changes (default: derived from the emulator's seed and its current time), so the
        same emulator state and seed make the same changes.
    :param rates: Change rates (:class:`ChangeRates` or a dict of its fields).
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days must be a positive integer, got {days!r}")
    chosen = rates if isinstance(rates, ChangeRates) else ChangeRates(**(rates or {}))
    report = SimulationReport(started=iso(emulator.now()), ended="")
    for _ in range(days):
        day_seed = seed if seed is not None else zlib.crc32(f"{emulator.seed} {iso(emulator.now())}".encode())
        _Day(emulator, random.Random(day_seed), chosen, report).run()
        if seed is not None:
            seed += 1
    report.ended = iso(emulator.now())
    return report


def _uuid(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


class _Day:
    """One simulated day: a time-ordered list of changes, each applied with the clock at its moment."""

    def __init__(
        self, emulator: CalendlyEmulator, rng: random.Random, rates: ChangeRates, report: SimulationReport
    ) -> None:
        self.emulator = emulator
        self.rng = rng
        self.rates = rates
        self.report = report
        self.start = emulator.now()
        self._starts: tuple[list[dict[str, Any]], list[str]] | None = None

    def _count(self, rate: float) -> int:
        whole = int(rate)
        return whole + (1 if self.rng.random() < rate - whole else 0)

    def meetings_per_day(self) -> float:
        events = self.emulator.data.scheduled_events.values()
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
        now = self.emulator.now()
        if moment > now:
            self.emulator.advance_clock(moment - now)

    # -- picking events --

    def _events_between(self, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        ordered = self.emulator.state.events_by_start()
        if self._starts is None or self._starts[0] is not ordered:  # re-sorted since: a new list
            self._starts = (ordered, [e["start_time"] for e in ordered])
        starts = self._starts[1]
        return ordered[bisect.bisect_left(starts, iso(lo)) : bisect.bisect_left(starts, iso(hi))]

    def _upcoming_active(self) -> list[dict[str, Any]]:
        now = self.emulator.now()
        return [
            e
            for e in self._events_between(now + timedelta(hours=1), now + timedelta(days=self.rates.days_ahead))
            if e["status"] == "active"
        ]

    def _active_invitees(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        return [i for i in self.emulator.data.invitees[_uuid(event["uri"])] if i["status"] == "active"]

    def _start_ahead(self) -> datetime:
        now = self.emulator.now()
        slots = int(self.rates.days_ahead * 24 * 4)
        start = now + timedelta(hours=1) + timedelta(minutes=15 * self.rng.randrange(max(1, slots)))
        return start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)

    # -- the changes --

    def _pick(self, items: list[dict[str, Any]]) -> dict[str, Any] | None:
        return items[self.rng.randrange(len(items))] if items else None

    def booking(self) -> None:
        event_type = self._pick([t for t in self.emulator.data.event_types if t["active"]])
        if event_type is None:
            return
        event, _invitee = self.emulator.book(event_type_uri=event_type["uri"], start_time=self._start_ahead())
        self.report.changed_events.add(event["uri"])
        self.report.add("bookings")

    def invitee_cancellation(self) -> None:
        event = self._pick(self._upcoming_active())
        invitee = self._pick(self._active_invitees(event)) if event is not None else None
        if event is not None and invitee is not None:
            self.emulator.cancel_invitee(invitee["uri"], reason="Cannot make it")
            self.report.changed_events.add(event["uri"])
            self.report.add("invitee_cancellations")

    def host_cancellation(self) -> None:
        event = self._pick(self._upcoming_active())
        if event is None:
            return
        self.emulator.cancel_event(_uuid(event["uri"]), reason="Host unavailable")
        self.report.changed_events.add(event["uri"])
        self.report.add("host_cancellations")

    def reschedule(self) -> None:
        candidates = [e for e in self._upcoming_active() if self._active_invitees(e)]
        if not candidates:
            return
        event = candidates[self.rng.randrange(len(candidates))]
        old = self._active_invitees(event)[0]
        new_event, _new_invitee = self._rebook(event, old)
        self.report.changed_events.update({event["uri"], new_event["uri"]})
        self.report.add("reschedules")

    def _rebook(self, event: dict[str, Any], old: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Move ``old``'s booking to a new event: cancel it as rescheduled, book its successor, link both."""
        emulator = self.emulator
        state = emulator.state
        data = state.data
        with state.lock:
            now = emulator.now()
            event_type = next((t for t in data.event_types if t["uri"] == event["event_type"]), None)
            new_event = new_scheduled_event(
                data, state.new_id(), event_type, self._start_ahead(), booked_at=now, rng=self.rng
            )
            new = add_invitee(
                data, new_event, state.new_id(), rng=self.rng, now=now, email=old["email"], name=old["name"]
            )
            new["questions_and_answers"] = json.loads(json.dumps(old["questions_and_answers"]))
            new["old_invitee"] = old["uri"]
            state.index_invitee(_uuid(new_event["uri"]), new)
            stamp = iso(now)
            old["status"] = "canceled"
            old["rescheduled"] = True
            old["new_invitee"] = new["uri"]
            old["cancellation"] = {
                "canceled_by": old["name"],
                "reason": "Rescheduled",
                "canceler_type": "invitee",
                "created_at": stamp,
            }
            old["updated_at"] = stamp
            counter = event["invitees_counter"]
            counter["active"] = max(0, counter["active"] - 1)
            event["updated_at"] = stamp
            if counter["active"] == 0:
                event["status"] = "canceled"
                event["cancellation"] = dict(old["cancellation"])
            state.resort()
            canceled = json.loads(json.dumps({**old, "scheduled_event": event}))
            created = json.loads(json.dumps({**new, "scheduled_event": new_event}))
        state.emit("invitee.canceled", canceled)
        state.emit("invitee.created", created)
        return new_event, new

    def no_shows(self) -> None:
        now = self.emulator.now()
        for event in self._events_between(now - timedelta(days=3), now - timedelta(hours=1)):
            if event["status"] != "active" or self.rng.random() >= self.rates.no_shows:
                continue
            invitees = [i for i in self._active_invitees(event) if i["no_show"] is None]
            if not invitees:
                continue
            invitee = invitees[self.rng.randrange(len(invitees))]
            no_show = self.emulator.mark_no_show(invitee["uri"])
            self.report.invitee_only_events.add(event["uri"])
            self.report.add("no_shows")
            if self.rng.random() < self.rates.no_show_undos:
                # undone a little later: Calendly's timestamps of the two changes differ
                self.emulator.advance_clock(timedelta(minutes=self.rng.randint(1, 30)))
                self.emulator.undo_no_show(_uuid(no_show["uri"]))
                self.report.add("no_show_undos")

    def reconfirmations(self) -> None:
        now = self.emulator.now()
        state = self.emulator.state
        for event in self._events_between(now, now + timedelta(days=2)):
            if event["status"] != "active":
                continue
            for invitee in self._active_invitees(event):
                with state.lock:
                    reconfirmation = invitee["reconfirmation"]
                    if reconfirmation is not None and reconfirmation["confirmed_at"] is None:
                        reconfirmation["confirmed_at"] = iso(now)
                        kind = "reconfirmations_confirmed"
                    elif reconfirmation is None and self.rng.random() < self.rates.reconfirmations:
                        invitee["reconfirmation"] = {"created_at": iso(now), "confirmed_at": None}
                        kind = "reconfirmations_requested"
                    else:
                        continue
                    invitee["updated_at"] = iso(now)
                self.report.invitee_only_events.add(event["uri"])
                self.report.feedless_events.add(event["uri"])
                self.report.add(kind)

    def event_type_edit(self) -> None:
        emulator = self.emulator
        state = emulator.state
        types = emulator.data.event_types
        if not types:
            return
        with state.lock:
            event_type = types[self.rng.randrange(len(types))]
            event_type["duration"] = self.rng.choice([15, 30, 45, 60])
            event_type["description_plain"] = f"{event_type['name']}: {event_type['duration']} minutes"
            event_type["description_html"] = f"<p>{event_type['description_plain']}</p>"
            event_type["updated_at"] = iso(emulator.now())
            payload = json.loads(json.dumps(event_type))
        state.emit("event_type.updated", payload)
        self.report.add("event_type_edits")
