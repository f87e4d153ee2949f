"""Calendly's write actions for the emulator: cancel, single-use links, available times, booking, data deletion.

:class:`EmulatorActions` serves, like Calendly:

* ``POST /scheduled_events/{uuid}/cancellation`` → ``201`` with the cancellation; ``403`` for an event already
  canceled or already started; the cancellation delivers ``invitee.canceled`` for each active invitee.
* ``POST /scheduling_links`` (``max_event_count`` 1, ``owner_type`` ``EventType``) → ``201`` with a
  ``booking_url`` that books once (:meth:`EmulatorActions.book_with_link`; a second use is refused).
* ``GET /event_type_available_times`` → free start times (weekdays 09:00-17:00 UTC in 30-minute steps, not
  overlapping the host's active events); the range must be in the future and at most 31 days.
* ``POST /invitees`` (the Scheduling API) → ``201`` with the invitee, only for an available start time, under
  its own per-user limits (10/min, 50/h, 100/day by default), answered ``429`` with ``X-RateLimit-*`` headers.
* ``POST /data_compliance/deletion/invitees`` → ``202``; Enterprise plans only (``403`` otherwise); removes
  every invitee with those emails. ``POST /data_compliance/deletion/events`` (a past range of at most 24
  months) → ``202``, Enterprise only; removes the meetings starting in it, with their invitees.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.limits import SCHEDULING_API_LIMITS, event_data_deletion_end
from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter, time_parameter
from airflow_provider_calendly.testing.routes import route
from airflow_provider_calendly.timestamps import parse_utc

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.organization import EmulatorOrganization
    from airflow_provider_calendly.testing.world import World

__all__ = ["MAX_AVAILABLE_TIMES_DAYS", "EmulatorActions"]

MAX_AVAILABLE_TIMES_DAYS = 31
SLOT_STEP = timedelta(minutes=30)
WORKDAY = (9, 17)  # UTC hours


class EmulatorActions:
    """The write-action endpoints of one emulator.

    :param world: The emulated organization's state and changes.
    :param organization: Its people and forms (a data-compliance deletion removes submissions too).
    :param scheduling_rate_limits: ``(calls, seconds)`` windows of ``POST /invitees``, per user (default:
        Calendly's paid-plan limits, :data:`~airflow_provider_calendly.limits.SCHEDULING_API_LIMITS`).
    """

    def __init__(
        self,
        world: World,
        organization: EmulatorOrganization,
        *,
        scheduling_rate_limits: Sequence[tuple[int, float]] | None = None,
    ) -> None:
        if scheduling_rate_limits is None:
            scheduling_rate_limits = SCHEDULING_API_LIMITS
        self.world = world
        self.state = world.state
        self.organization = organization
        self.scheduling_rate_limits = tuple(scheduling_rate_limits)
        self.links: dict[str, dict[str, Any]] = {}
        self.deletion_requests: list[list[str]] = []
        self.event_deletion_requests: list[tuple[str, str]] = []
        self._booking_times: deque[float] = deque()
        self._lock = threading.Lock()

    # -- helpers --

    def _now(self) -> datetime:
        return self.world.now()

    def _event_type(self, uri: Any, parameter: str) -> dict[str, Any]:
        if not isinstance(uri, str) or not uri:
            raise invalid_parameter(parameter, "is required")
        uri = self.state.canonical(uri)
        if not uri.startswith(f"{self.state.data.base_url}/event_types/"):
            raise invalid_parameter(parameter, "must be an event type URI")
        for event_type in self.state.data.event_types:
            if event_type["uri"] == uri:
                return event_type
        raise ApiError(404, "The server could not find the requested resource.")

    def _busy(self, host: str) -> list[tuple[datetime, datetime]]:
        return [
            (parse_utc(e["start_time"]), parse_utc(e["end_time"]))
            for e in self.state.data.scheduled_events.values()
            if e["status"] == "active" and any(m["user"] == host for m in e["event_memberships"])
        ]

    def free_slots(self, event_type: dict[str, Any], start: datetime, end: datetime) -> list[datetime]:
        """Start times of ``event_type`` in ``[start, end]`` that are in the future and free for its host."""
        duration = timedelta(minutes=int(event_type["duration"] or 30))
        busy = self._busy(event_type["profile"]["owner"])
        now = self._now()
        slot = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        slots = []
        while slot <= end:
            day_end = slot.replace(hour=WORKDAY[1], minute=0)
            if (
                slot >= start
                and slot > now
                and slot.weekday() < 5
                and slot.hour >= WORKDAY[0]
                and slot + duration <= day_end
                and not any(s < slot + duration and slot < e for s, e in busy)
            ):
                slots.append(slot)
            slot += SLOT_STEP
        return slots

    def _take_booking_quota(self) -> None:
        """Count one ``POST /invitees`` against every window; refuse with 429 and headers when one is full."""
        now = self.state.monotonic()
        with self._lock:
            longest = max(p for _, p in self.scheduling_rate_limits)
            while self._booking_times and self._booking_times[0] <= now - longest:
                self._booking_times.popleft()
            for limit, period in self.scheduling_rate_limits:
                inside = [t for t in self._booking_times if t > now - period]
                if len(inside) >= limit:
                    reset = str(max(1, math.ceil(inside[0] + period - now)))
                    error = ApiError(429)
                    error.headers = {
                        "X-RateLimit-Limit": str(limit),
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": reset,
                        "Retry-After": reset,
                    }
                    raise error
            self._booking_times.append(now)

    # -- routes --

    @route("POST", "scheduled_events")
    def handle_cancellation(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 2 or rest[1] != "cancellation":
            raise ApiError(404)
        reason = body.get("reason") if isinstance(body, dict) else None
        if reason is not None and (not isinstance(reason, str) or len(reason) > 10000):
            raise invalid_parameter("reason", "must be a string of at most 10000 characters")
        state = self.state
        with state.lock:
            event = state.data.scheduled_events.get(rest[0])
            if event is None:
                raise ApiError(404)
            if event["status"] == "canceled":
                raise ApiError(403, "Event is already canceled.")
            if parse_utc(event["start_time"]) <= self._now():
                raise ApiError(403, "Cannot cancel an event that has already started.")
            event = self.world.cancel_event(rest[0], reason=reason)
            return 201, {"resource": dict(event["cancellation"])}

    @route("POST", "scheduling_links")
    def handle_scheduling_link(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        if not isinstance(body, dict):
            raise invalid_parameter("body", "must be a JSON object")
        if body.get("max_event_count") != 1 or isinstance(body.get("max_event_count"), bool):
            raise invalid_parameter("max_event_count", "must be 1")
        if body.get("owner_type") != "EventType":
            raise invalid_parameter("owner_type", "must be EventType")
        with self.state.lock:
            event_type = self._event_type(body.get("owner"), "owner")
            code = self.state.new_id().replace("-", "")[:12]
            booking_url = f"https://calendly.com/d/{code}/{event_type['slug']}"
            self.links[booking_url] = {"owner": event_type["uri"], "used": False}
        return 201, {"resource": {"booking_url": booking_url, "owner": event_type["uri"], "owner_type": "EventType"}}

    @route("GET", "event_type_available_times")
    def handle_available_times(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        start = time_parameter("start_time", query.get("start_time"))
        end = time_parameter("end_time", query.get("end_time"))
        now = self._now()
        if start < now:
            raise invalid_parameter("start_time", "must be in the future")
        if end <= start:
            raise invalid_parameter("end_time", "must be after start_time")
        if end - start > timedelta(days=MAX_AVAILABLE_TIMES_DAYS):
            raise invalid_parameter("end_time", f"date range can be no greater than {MAX_AVAILABLE_TIMES_DAYS} days")
        with self.state.lock:
            event_type = self._event_type(query.get("event_type"), "event_type")
            slots = self.free_slots(event_type, start, end)
        collection = [
            {
                "status": "available",
                "invitees_remaining": 1,
                "start_time": iso(slot),
                "scheduling_url": (
                    f"{event_type['scheduling_url']}/{iso(slot)[:19]}Z?month={slot:%Y-%m}&date={slot:%Y-%m-%d}"
                ),
            }
            for slot in slots
        ]
        return 200, {"collection": collection}

    @route("POST", "invitees")
    def handle_invitee(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        if not isinstance(body, dict):
            raise invalid_parameter("body", "must be a JSON object")
        person = body.get("invitee")
        if not isinstance(person, dict):
            raise invalid_parameter("invitee", "is required")
        for name in ("email", "timezone"):
            if not isinstance(person.get(name), str) or not person[name]:
                raise invalid_parameter(f"invitee.{name}", "is required")
        if not person.get("name") and not person.get("first_name"):
            raise invalid_parameter("invitee.name", "name or first_name is required")
        start = time_parameter("start_time", body.get("start_time"))
        self._take_booking_quota()
        state = self.state
        with state.lock:
            event_type = self._event_type(body.get("event_type"), "event_type")
            if not event_type["active"]:
                raise invalid_parameter("event_type", "is not active")
            if start not in self.free_slots(event_type, start, start):
                raise invalid_parameter("start_time", "The selected time is no longer available.")
            name = person.get("name") or " ".join(p for p in (person.get("first_name"), person.get("last_name")) if p)
            booked, invitee = self.world.book(
                event_type_uri=event_type["uri"], start_time=start, invitee_email=person["email"], invitee_name=name
            )
            invitee["timezone"] = person["timezone"]
            invitee["questions_and_answers"] = list(body.get("questions_and_answers") or [])
            invitee["text_reminder_number"] = person.get("text_reminder_number")
            invitee["scheduling_method"] = "instant_book"
            if isinstance(body.get("tracking"), dict):
                invitee["tracking"] = {**(invitee.get("tracking") or {}), **body["tracking"]}
            if isinstance(body.get("location"), dict):
                booked["location"] = {"type": body["location"].get("kind"), **body["location"]}
            return 201, {"resource": dict(invitee)}

    @route("POST", "data_compliance")
    def handle_deletion(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest not in (["deletion", "invitees"], ["deletion", "events"]):
            raise ApiError(404)
        body = body if isinstance(body, dict) else {}
        if rest[1] == "invitees":
            emails = body.get("emails")
            if not isinstance(emails, list) or not emails or not all(isinstance(e, str) and "@" in e for e in emails):
                raise invalid_parameter("emails", "must be a non-empty list of email addresses")
        else:
            start = time_parameter("start_time", body.get("start_time"))
            end = time_parameter("end_time", body.get("end_time"))
            if end <= start or end > self._now():
                raise invalid_parameter("end_time", "must be after start_time and in the past")
            if end > event_data_deletion_end(start):
                raise invalid_parameter("end_time", "the time range can be no greater than 24 months")
        state = self.state
        with state.lock:
            if state.data.organization.get("plan") != "enterprise":
                raise ApiError(403, "This endpoint requires an Enterprise subscription.")
            if rest[1] == "invitees":
                self.deletion_requests.append(list(emails))
                # Invitees, their no-shows and their routing form submissions (see testing.organization).
                self.organization.delete_invitee_data(emails)
            else:
                self.event_deletion_requests.append((iso(start), iso(end)))
                self.world.delete_scheduled_events(start, end)
        return 202, None

    # -- what a person does with a link --

    def book_with_link(
        self, booking_url: str, *, start_time: datetime | None = None, email: str | None = None
    ) -> dict[str, Any]:
        """Book through a single-use link (as an invitee on the booking page would); a used link is refused."""
        with self.state.lock:
            link = self.links.get(booking_url)
            if link is None or link["used"]:
                raise ValueError(f"scheduling link {booking_url} does not exist or was already used")
            event_type = self._event_type(link["owner"], "owner")
            if start_time is None:
                now = self._now()
                slots = self.free_slots(event_type, now, now + timedelta(days=14))
                if not slots:
                    raise ValueError("no free slot in the next 14 days")
                start_time = slots[0]
            link["used"] = True
            _event, invitee = self.world.book(
                event_type_uri=event_type["uri"], start_time=start_time, invitee_email=email
            )
            return invitee
