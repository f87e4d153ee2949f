"""Availability: users' busy times, event types' availability schedules, users' meeting limits, and locations.

Users' own availability schedules are read with the organization (:mod:`~.organization`), which lists them per
member for the transfer; the available times of an event type are in :mod:`~.scheduling`, next to booking.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_calendly.client.base import CalendlyBase, parse_one
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import (
    check_availability_rules,
    check_meeting_limits,
    check_timezone,
    parse_instant,
)
from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyConfigError
from airflow_provider_calendly.limits import USER_BUSY_TIMES_MAX_DAYS
from airflow_provider_calendly.models import (
    EventTypeAvailabilitySchedule,
    MeetingLocation,
    UserBusyTime,
    UserMeetingLimits,
)

__all__ = ["MAX_BUSY_TIMES_RANGE", "MEETING_LIMITS", "AvailabilityAPI"]

MAX_BUSY_TIMES_RANGE = timedelta(days=USER_BUSY_TIMES_MAX_DAYS)
"""The longest range ``GET /user_busy_times`` answers in one call."""
#: The limits ``PATCH /user_meeting_limits`` sets.
MEETING_LIMITS = ("daily_limit", "weekly_limit", "monthly_limit")


class AvailabilityAPI(CalendlyBase):
    """Busy times, event type availability schedules, meeting limits and meeting locations."""

    # -- busy times --

    def list_user_busy_times(
        self,
        user: str | None = None,
        *,
        start_time: datetime | str,
        end_time: datetime | str,
        now: datetime | None = None,
    ) -> Iterator[UserBusyTime]:
        """Yield a user's busy intervals in ``[start_time, end_time)``, ascending, one call per 7 days of range.

        Calendly answers at most :data:`MAX_BUSY_TIMES_RANGE` per call and refuses a start in the past, so a
        longer range is split and a start already past is moved to just after ``now``; an interval two calls both return
        (it spans their boundary) is yielded once. Lazy: stopping early costs no further call.

        :param user: The user's UUID or URI (default: the token's user).
        :param start_time: Start of the range (aware datetime or ISO 8601; naive is UTC).
        :param end_time: End of the range; must be after ``start_time`` and in the future.
        :param now: The current time (injectable for tests).
        """
        start, end = parse_instant("start_time", start_time), parse_instant("end_time", end_time)
        current = now or datetime.now(timezone.utc)
        if end <= start:
            raise CalendlyConfigError(f"end_time ({end.isoformat()}) must be after start_time ({start.isoformat()})")
        if end <= current:
            raise CalendlyConfigError(f"end_time ({end.isoformat()}) is in the past: Calendly reads busy times ahead")
        return self._busy_times(self.user_uri(user), max(start, current + timedelta(seconds=1)), end)

    def _busy_times(self, user: str, start: datetime, end: datetime) -> Iterator[UserBusyTime]:
        seen: set[tuple[Any, ...]] = set()
        for _start, _end, chunk in self.ranged(
            "/user_busy_times", {"user": user}, UserBusyTime, start, end, MAX_BUSY_TIMES_RANGE
        ):
            for busy in chunk:
                key = (busy.type, busy.start_time, busy.end_time, busy.event.uri if busy.event else None)
                if key not in seen:
                    seen.add(key)
                    yield busy

    # -- event type availability --

    def list_event_type_availability_schedules(self, event_type: str) -> PageIterator[EventTypeAvailabilitySchedule]:
        """List when an event type can be booked (``/event_type_availability_schedules``)."""
        params = {"event_type": self.resource_uri("event_types", event_type)}
        return self.paginate("/event_type_availability_schedules", params, EventTypeAvailabilitySchedule)

    def update_event_type_availability(
        self,
        event_type: str,
        *,
        rules: Sequence[Mapping[str, Any]],
        timezone: str,
        user: str | None = None,
    ) -> EventTypeAvailabilitySchedule:
        """Replace an event type's availability rules (``PATCH /event_type_availability_schedules``).

        Every host of the event type gets the same schedule (Calendly's ``availability_setting`` ``host``). The
        rules replace all of the event type's rules, so sending the same rules again changes nothing: a lost
        answer is resent. Returns the schedule Calendly answers with, or reads it when the answer has none.

        :param event_type: The event type's UUID or URI.
        :param rules: ``wday`` and ``date`` rules with their ``from``/``to`` intervals (``HH:MM``).
        :param timezone: The IANA time zone of the rules' hours.
        :param user: The host whose schedule this is (default: Calendly's choice, the event type's owner).
        """
        uri = self.resource_uri("event_types", event_type)
        rule: dict[str, Any] = {
            "timezone": check_timezone("timezone", timezone),
            "rules": check_availability_rules(rules),
        }
        if user is not None:
            rule["user"] = self.resource_uri("users", user)
        path = "/event_type_availability_schedules"
        body = self.request(
            "PATCH",
            path,
            params={"event_type": uri},
            json={"availability_rule": rule, "availability_setting": "host"},
            idempotent=True,
        )
        updated = parse_one(body, EventTypeAvailabilitySchedule, "PATCH", path)
        if updated is not None:
            return updated
        for schedule in self.list_event_type_availability_schedules(uri):
            return schedule
        raise CalendlyAPIError("Calendly answered the update but lists no schedule", method="GET", path=path)

    # -- meeting limits --

    def get_user_meeting_limits(self, user: str | None = None) -> UserMeetingLimits:
        """Return a user's daily, weekly and monthly meeting limits (``null``: none); Calendly answers only for
        the token's own user (default)."""
        path = "/user_meeting_limits"
        found = parse_one(self.get(path, {"user": self.user_uri(user)}), UserMeetingLimits, "GET", path)
        return found if found is not None else UserMeetingLimits()

    def update_user_meeting_limits(
        self, limits: Mapping[str, int | None], *, user: str | None = None
    ) -> UserMeetingLimits:
        """Set (1-9999) or remove (``None``) the token's user's meeting limits; limits not given stay as they are.

        Setting values is idempotent, so a lost answer is resent. Returns the limits now in force.

        :param limits: Any of ``daily_limit``, ``weekly_limit``, ``monthly_limit``.
        :param user: The token's user (Calendly refuses any other, even for an admin).
        """
        unknown = sorted(set(limits) - set(MEETING_LIMITS))
        if unknown:
            raise CalendlyConfigError(f"unknown meeting limit(s) {unknown}; use {list(MEETING_LIMITS)}")
        body = check_meeting_limits(limits)
        path = "/user_meeting_limits"
        answer = self.request("PATCH", path, params={"user": self.user_uri(user)}, json=body, idempotent=True)
        updated = parse_one(answer, UserMeetingLimits, "PATCH", path)
        return updated if updated is not None else self.get_user_meeting_limits(user)

    # -- locations --

    def list_user_locations(self, user: str | None = None) -> PageIterator[MeetingLocation]:
        """List the meeting locations a user has configured (``/locations``; default: the token's user)."""
        return self.paginate("/locations", {"user": self.user_uri(user)}, MeetingLocation)
