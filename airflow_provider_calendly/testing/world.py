"""The changes that happen in the emulated organization: bookings, cancellations, reschedules, no-shows, ….

Every change goes through :class:`World`, whether a test makes it, an API write does (``POST
/invitee_no_shows``, a cancellation, ``POST /invitees``) or the change simulator does: it changes the data
under the state's lock, stamps it with the emulator's clock and tells the listeners (the webhook deliveries)
with the payload Calendly would send.

**What moves ``updated_at``.** Calendly's reference does not say whether marking (or removing) a no-show, a
reconfirmation or a cancellation moves the invitee's ``updated_at`` (nor whether a cancellation moves its
scheduled event's): a no-show and a reconfirmation are resources of their own, and a cancellation carries its
own ``created_at``. ``updated_at_moved_by`` picks the behaviour, so that whatever relies on ``updated_at`` is
tested both ways: a collection of :data:`UPDATED_AT_CHANGES` (default: all of them, the resource's
``updated_at`` moves with every change), or ``()`` for a Calendly that moves it for none of them.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_calendly.testing.data import (
    Dataset,
    add_invitee,
    cancel_invitee_record,
    cancel_scheduled_event,
    cancellation,
    iso,
    new_event_type,
    new_scheduled_event,
)
from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter
from airflow_provider_calendly.testing.state import EmulatorState, snapshot
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.uris import CANONICAL_API_URL, uuid_from_uri

__all__ = ["UPDATED_AT_CHANGES", "World", "validate_updated_at_moved_by"]

#: Changes that may or may not move ``updated_at`` (Calendly's reference does not say).
UPDATED_AT_CHANGES: tuple[str, ...] = ("cancellations", "no_shows", "reconfirmations")


def validate_updated_at_moved_by(value: Collection[str]) -> frozenset[str]:
    """``value`` as a set of :data:`UPDATED_AT_CHANGES`, refusing anything else."""
    if isinstance(value, str):
        raise ValueError(f"updated_at_moved_by must be a collection of {UPDATED_AT_CHANGES}, got {value!r}")
    chosen = frozenset(value)
    unknown = chosen - set(UPDATED_AT_CHANGES)
    if unknown:
        raise ValueError(f"unknown updated_at_moved_by {sorted(unknown)}; choose from {UPDATED_AT_CHANGES}")
    return chosen


class World:
    """The emulated organization's changes, over one :class:`~airflow_provider_calendly.testing.state.EmulatorState`.

    :param state: The state it changes.
    :param updated_at_moved_by: Which of :data:`UPDATED_AT_CHANGES` move the changed resources' ``updated_at``.
    """

    def __init__(self, state: EmulatorState, *, updated_at_moved_by: Collection[str] = UPDATED_AT_CHANGES) -> None:
        self.state = state
        self.updated_at_moved_by = validate_updated_at_moved_by(updated_at_moved_by)

    @property
    def data(self) -> Dataset:
        return self.state.data

    def now(self) -> datetime:
        return self.state.now()

    def advance_clock(self, delta: timedelta) -> datetime:
        return self.state.clock.advance(delta)

    def _moves(self, change: str) -> bool:
        return change in self.updated_at_moved_by

    # -- bookings --

    def book(
        self,
        *,
        event_type_uri: str | None = None,
        start_time: str | datetime | None = None,
        invitee_email: str | None = None,
        invitee_name: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Book a new scheduled event with one invitee; emits ``invitee.created``."""
        state = self.state
        with state.lock:
            data = state.data
            event_type = next((e for e in data.event_types if e["uri"] == event_type_uri), None)
            if event_type_uri and event_type is None:
                raise ValueError(f"unknown event type {event_type_uri}")
            event_type = event_type or next((e for e in data.event_types if e["active"]), None)
            now = self.now()
            if isinstance(start_time, str):
                start = parse_utc(start_time)
            else:
                start = start_time or (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
            rng = random.Random(state.new_id())
            event = new_scheduled_event(data, state.new_id(), event_type, start, booked_at=now, rng=rng)
            invitee = add_invitee(data, event, state.new_id(), rng=rng, now=now, email=invitee_email, name=invitee_name)
            invitee["questions_and_answers"] = [{"question": "Company name", "answer": "Newco", "position": 0}]
            state.index_invitee(uuid_from_uri(event["uri"]), invitee)
            state.resort()
            payload = snapshot({**invitee, "scheduled_event": event})
        state.emit("invitee.created", payload)
        return event, invitee

    def reschedule(
        self, event: dict[str, Any], old: dict[str, Any], start: datetime, *, rng: random.Random | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Move ``old``'s booking to a new event at ``start``, as Calendly does: the old invitee is canceled
        with ``rescheduled: true`` and its ``new_invitee`` set, the new one names it in ``old_invitee``;
        emits ``invitee.canceled`` then ``invitee.created``. Returns the new event and invitee.

        :param rng: Where the new booking's details are drawn from (default: a generator of its own).
        """
        state = self.state
        with state.lock:
            data = state.data
            now = self.now()
            rng = rng or random.Random(state.new_id())
            event_type = next((t for t in data.event_types if t["uri"] == event["event_type"]), None)
            new_event = new_scheduled_event(data, state.new_id(), event_type, start, booked_at=now, rng=rng)
            new = add_invitee(data, new_event, state.new_id(), rng=rng, now=now, email=old["email"], name=old["name"])
            new["questions_and_answers"] = snapshot(old["questions_and_answers"])
            new["old_invitee"] = old["uri"]
            state.index_invitee(uuid_from_uri(new_event["uri"]), new)
            old["rescheduled"] = True
            old["new_invitee"] = new["uri"]
            details = cancellation(old["name"], "Rescheduled", "invitee", now)
            cancel_invitee_record(event, old, details, touch=self._moves("cancellations"))
            state.resort()
            canceled = snapshot({**old, "scheduled_event": event})
            created = snapshot({**new, "scheduled_event": new_event})
        state.emit("invitee.canceled", canceled)
        state.emit("invitee.created", created)
        return new_event, new

    # -- cancellations --

    def cancel_event(self, event_uuid: str, *, reason: str | None = None) -> dict[str, Any]:
        """Cancel a scheduled event (and its invitees), host-side; emits ``invitee.canceled`` per invitee."""
        state = self.state
        with state.lock:
            event = state.data.scheduled_events.get(event_uuid)
            if event is None:
                raise ApiError(404)
            touch = self._moves("cancellations")
            canceled = cancel_scheduled_event(state.data, event, at=self.now(), reason=reason, touch=touch)
            payloads = [snapshot({**i, "scheduled_event": event}) for i in canceled]
        for payload in payloads:
            state.emit("invitee.canceled", payload)
        return event

    def cancel_invitee(self, invitee_uri: str, *, reason: str | None = None) -> dict[str, Any]:
        """Cancel one invitee (the event stays active while others remain); emits ``invitee.canceled``."""
        state = self.state
        with state.lock:
            event_uuid, invitee = state.invitee(uuid_from_uri(invitee_uri))
            if invitee["status"] == "canceled":
                return invitee
            event = state.data.scheduled_events[event_uuid]
            details = cancellation(invitee["name"], reason, "invitee", self.now())
            cancel_invitee_record(event, invitee, details, touch=self._moves("cancellations"))
            payload = snapshot({**invitee, "scheduled_event": event})
        state.emit("invitee.canceled", payload)
        return invitee

    # -- no-shows --

    def mark_no_show(self, invitee_uri: Any) -> dict[str, Any]:
        """Mark an invitee as a no-show (what ``POST /invitee_no_shows`` does); emits ``invitee_no_show.created``."""
        state = self.state
        base = state.data.base_url
        canonical = state.canonical(invitee_uri) if isinstance(invitee_uri, str) else ""
        parts = canonical[len(base) :].split("/") if canonical.startswith(base + "/") else []
        if len(parts) != 5 or parts[1] != "scheduled_events" or parts[3] != "invitees":
            raise invalid_parameter(
                "invitee", f"must be an invitee URI such as {CANONICAL_API_URL}/scheduled_events/<uuid>/invitees/<uuid>"
            )
        with state.lock:
            _event_uuid, invitee = state.invitee(parts[4])
            if invitee["no_show"] is not None:
                raise ApiError(
                    422,
                    "Invitee is already marked as no show.",
                    [{"parameter": "invitee", "message": "already marked as no show"}],
                )
            now = iso(self.now())
            no_show_uuid = state.new_id()
            no_show = {"uri": f"{base}/invitee_no_shows/{no_show_uuid}", "invitee": invitee["uri"], "created_at": now}
            state.no_shows[no_show_uuid] = no_show
            invitee["no_show"] = {"uri": no_show["uri"], "created_at": now}
            if self._moves("no_shows"):
                invitee["updated_at"] = now
            payload = snapshot(invitee)
        state.emit("invitee_no_show.created", payload)
        return dict(no_show)

    def undo_no_show(self, no_show_uuid: str) -> None:
        """Delete a no-show (what ``DELETE /invitee_no_shows/{uuid}`` does); emits ``invitee_no_show.deleted``."""
        state = self.state
        with state.lock:
            no_show = state.no_shows.pop(uuid_from_uri(no_show_uuid), None)
            if no_show is None:
                raise ApiError(404)
            _event_uuid, invitee = state.invitee(uuid_from_uri(no_show["invitee"]))
            invitee["no_show"] = None
            if self._moves("no_shows"):
                invitee["updated_at"] = iso(self.now())
            payload = snapshot(invitee)
        state.emit("invitee_no_show.deleted", payload)

    # -- changes without a webhook --

    def reconfirm(self, invitee: dict[str, Any]) -> str | None:
        """Ask ``invitee`` to reconfirm, or confirm a pending request; return which (``None``: nothing to do).

        Calendly sends no webhook for either.
        """
        with self.state.lock:
            now = iso(self.now())
            reconfirmation = invitee["reconfirmation"]
            if reconfirmation is None:
                invitee["reconfirmation"] = {"created_at": now, "confirmed_at": None}
                done = "requested"
            elif reconfirmation["confirmed_at"] is None:
                reconfirmation["confirmed_at"] = now
                done = "confirmed"
            else:
                return None
            if self._moves("reconfirmations"):
                invitee["updated_at"] = now
        return done

    def edit_event_type(self, event_type: dict[str, Any], *, duration: int) -> None:
        """Change an event type's duration (and its description); emits ``event_type.updated``."""
        state = self.state
        with state.lock:
            event_type["duration"] = duration
            event_type["description_plain"] = f"{event_type['name']}: {duration} minutes"
            event_type["description_html"] = f"<p>{event_type['description_plain']}</p>"
            event_type["updated_at"] = iso(self.now())
            payload = snapshot(event_type)
        state.emit("event_type.updated", payload)

    def delete_invitees(self, emails: Collection[str]) -> set[str]:
        """Remove every invitee with one of ``emails`` (and its no-show); return the URIs removed."""
        state = self.state
        wanted = {e.lower() for e in emails}
        gone: set[str] = set()
        with state.lock:
            data = state.data
            for event_uuid, invitees in list(data.invitees.items()):
                leaving = [i for i in invitees if i["email"].lower() in wanted]
                if not leaving:
                    continue
                data.invitees[event_uuid] = [i for i in invitees if i not in leaving]
                for invitee in leaving:
                    gone.add(invitee["uri"])
                    state.unindex_invitee(invitee)
                    if invitee.get("no_show"):
                        state.no_shows.pop(uuid_from_uri(invitee["no_show"]["uri"]), None)
                counter = data.scheduled_events[event_uuid]["invitees_counter"]
                counter["total"] = len(data.invitees[event_uuid])
                counter["active"] = sum(1 for i in data.invitees[event_uuid] if i["status"] == "active")
            state.resort()
        return gone

    # -- event types created and edited through the API, meetings' data deleted --

    def create_event_type(self, owner: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        """Add a one-on-one event type of ``owner`` (a user) with ``fields`` (``name``…); emits ``event_type.created``."""
        state = self.state
        with state.lock:
            data = state.data
            event_type = new_event_type(
                f"{data.base_url}/event_types/{state.new_id()}",
                owner,
                name=fields["name"],
                created=self.now(),
                active=bool(fields.get("active", False)),
                position=len(data.event_types),
            )
            event_type.update({k: v for k, v in fields.items() if k not in {"name", "owner", "description"}})
            if "description" in fields:
                event_type["description_plain"] = fields["description"]
                event_type["description_html"] = f"<p>{fields['description']}</p>"
            data.event_types.append(event_type)
            payload: dict[str, Any] = snapshot(event_type)
        state.emit("event_type.created", payload)
        return payload

    def update_event_type(self, event_type: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """Change the given fields of an event type; emits ``event_type.updated``."""
        state = self.state
        with state.lock:
            for name, value in changes.items():
                if name == "description":
                    event_type["description_plain"] = value
                    event_type["description_html"] = f"<p>{value}</p>"
                else:
                    event_type[name] = value
            event_type["updated_at"] = iso(self.now())
            payload: dict[str, Any] = snapshot(event_type)
        state.emit("event_type.updated", payload)
        return payload

    def delete_scheduled_events(self, start: datetime, end: datetime) -> set[str]:
        """Remove the scheduled events starting in ``[start, end)``, their invitees and no-shows (a data-compliance
        deletion); return the events' URIs."""
        state = self.state
        lo, hi = iso(start), iso(end)
        gone: set[str] = set()
        with state.lock:
            data = state.data
            for event_uuid, event in list(data.scheduled_events.items()):
                if not lo <= event["start_time"] < hi:
                    continue
                for invitee in data.invitees.pop(event_uuid, []):
                    state.unindex_invitee(invitee)
                    if invitee.get("no_show"):
                        state.no_shows.pop(uuid_from_uri(invitee["no_show"]["uri"]), None)
                del data.scheduled_events[event_uuid]
                gone.add(event["uri"])
            state.resort()
        return gone
