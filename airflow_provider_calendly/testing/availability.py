"""Availability for the emulator: users' busy times, event types' availability, meeting limits, meeting locations.

Like Calendly (its published reference):

* ``GET /user_busy_times?user&start_time&end_time``: the range may not start in the past nor span more than
  7 days; ``calendly`` intervals are the user's active meetings overlapping it (buffered times from the
  user's membership of the meeting), ``external`` ones a lunch on the user's connected calendar on some days
  (deterministic per seed, user and day); ascending, not paginated.
* ``GET /event_type_availability_schedules?event_type``: the schedule the event type's hosts share (its owner's
  default schedule until ``PATCH`` replaces its rules).
* ``GET``/``PATCH /user_meeting_limits?user``: the token's own user only (``403`` for anyone else); ``PATCH``
  needs one of the three limits, each a whole number from 1 to 9999 or ``null`` (removed); others are kept.
* ``GET /locations?user``: the user's configured meeting locations (``kind``, ``connected``).

Busy times, locations and the rest are gateable like the organization's resources
(:meth:`~airflow_provider_calendly.testing.organization.EmulatorOrganization.gate`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.limits import USER_BUSY_TIMES_MAX_DAYS
from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter, time_parameter
from airflow_provider_calendly.testing.routes import route, uri_param
from airflow_provider_calendly.testing.state import snapshot

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.organization import EmulatorOrganization
    from airflow_provider_calendly.testing.world import World

__all__ = ["LOCATION_SETS", "EmulatorAvailability"]

#: The meeting locations the emulated users configure, by user (cycling).
LOCATION_SETS: tuple[tuple[dict[str, Any], ...], ...] = (
    ({"kind": "zoom_conference", "connected": True}, {"kind": "google_conference", "connected": True}),
    ({"kind": "microsoft_teams_conference", "connected": False}, {"kind": "physical"}, {"kind": "ask_invitee"}),
    ({"kind": "inbound_call"}, {"kind": "custom"}, {"kind": "inbound_call"}),
)
LIMITS = ("daily_limit", "weekly_limit", "monthly_limit")


class EmulatorAvailability:
    """Busy times, event type availability, meeting limits and locations of one emulator."""

    def __init__(self, world: World, organization: EmulatorOrganization, *, seed: int) -> None:
        self.world = world
        self.state = world.state
        self.organization = organization
        self.seed = seed
        self.rules: dict[str, dict[str, Any]] = {}  # event type URI -> the availability rule PATCH set
        self.limits: dict[str, dict[str, int | None]] = {}  # user URI -> its meeting limits

    # -- what the routes serve (also what tests compare with) --

    def busy_times(self, user: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The user's busy intervals overlapping ``[start, end)``, ascending."""
        lo, hi = iso(start), iso(end)
        found = []
        with self.state.lock:
            for event in self.state.events_by_start():
                if event["status"] != "active" or event["start_time"] >= hi or event["end_time"] <= lo:
                    continue
                for member in event["event_memberships"]:
                    if member["user"] == user:
                        found.append(
                            {
                                "type": "calendly",
                                "start_time": event["start_time"],
                                "end_time": event["end_time"],
                                "buffered_start_time": member.get("buffered_start_time") or event["start_time"],
                                "buffered_end_time": member.get("buffered_end_time") or event["end_time"],
                                "event": {"uri": event["uri"]},
                            }
                        )
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < end:
            lunch = day.replace(hour=12)
            if (
                day.weekday() < 5
                and self._has_lunch(user, day)
                and lunch < end
                and lunch + timedelta(minutes=45) > start
            ):
                interval = {"start_time": iso(lunch), "end_time": iso(lunch + timedelta(minutes=45))}
                found.append({"type": "external", **interval})
            day += timedelta(days=1)
        return sorted(found, key=lambda b: (b["start_time"], b["end_time"], b["type"]))

    def _has_lunch(self, user: str, day: datetime) -> bool:
        digest = hashlib.sha256(f"{self.seed} {user} {day.date()}".encode()).digest()
        return digest[0] % 3 == 0

    def locations(self, user: str) -> list[dict[str, Any]]:
        """The meeting locations ``user`` configured."""
        index = next(n for n, u in enumerate(self.state.data.users) if u["uri"] == user)
        locations: list[dict[str, Any]] = snapshot(list(LOCATION_SETS[index % len(LOCATION_SETS)]))
        return locations

    def event_type_schedule(self, event_type: dict[str, Any]) -> dict[str, Any]:
        """What ``GET /event_type_availability_schedules`` answers for one event type."""
        owner = event_type["profile"]["owner"]
        rule = self.rules.get(event_type["uri"])
        if rule is None:
            default = next((s for s in self.organization.schedules if s["user"] == owner and s["default"]), None)
            rule = {k: (default or {}).get(k) for k in ("timezone", "name", "uri", "user", "rules")}
        schedule: dict[str, Any] = {"event_type": event_type["uri"], "availability_setting": "host"}
        return {**schedule, "availability_rule": snapshot(rule)}

    def meeting_limits(self, user: str) -> dict[str, Any]:
        return {"user": user, **{k: self.limits.get(user, {}).get(k) for k in LIMITS}}

    # -- helpers --

    def _member(self, query: dict[str, str], name: str = "user") -> str:
        user = uri_param(self.state, query, name, "users")
        if user is None:
            raise invalid_parameter(name, "is required")
        if user not in {m["user"]["uri"] for m in self.organization.memberships}:
            raise ApiError(403, "This user is not in your organization")
        return user

    def _own_user(self, query: dict[str, str]) -> str:
        user = self._member(query)
        if user != self.state.data.users[0]["uri"]:  # every emulator token belongs to the first user
            raise ApiError(403, "You can only read and change your own meeting limits.")
        return user

    def _event_type(self, query: dict[str, str]) -> dict[str, Any]:
        uri = uri_param(self.state, query, "event_type", "event_types")
        if uri is None:
            raise invalid_parameter("event_type", "is required")
        found = next((e for e in self.state.data.event_types if e["uri"] == uri), None)
        if found is None:
            raise ApiError(404)
        return found

    # -- routes --

    @route("GET", "user_busy_times")
    def get_busy_times(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        user = self._member(query)
        start = time_parameter("start_time", query.get("start_time"))
        end = time_parameter("end_time", query.get("end_time"))
        if start < self.world.now():
            raise invalid_parameter("start_time", "must not be in the past")
        if end <= start:
            raise invalid_parameter("end_time", "must be after start_time")
        if end - start > timedelta(days=USER_BUSY_TIMES_MAX_DAYS):
            raise invalid_parameter("end_time", f"date range can be no greater than {USER_BUSY_TIMES_MAX_DAYS} days")
        return 200, {"collection": self.busy_times(user, start, end)}

    @route("GET", "locations")
    def get_locations(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        return 200, {"collection": self.locations(self._member(query))}

    @route("GET", "event_type_availability_schedules")
    def get_event_type_schedules(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        items = [self.event_type_schedule(self._event_type(query))]
        pagination = {"count": 1, "next_page": None, "previous_page": None}
        return 200, {
            "collection": items,
            "pagination": {**pagination, "next_page_token": None, "previous_page_token": None},
        }

    @route("PATCH", "event_type_availability_schedules")
    def patch_event_type_schedules(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        event_type = self._event_type(query)
        rule = body.get("availability_rule") if isinstance(body, dict) else None
        if not isinstance(rule, dict) or not isinstance(rule.get("timezone"), str):
            raise invalid_parameter("availability_rule", "must be an object with a timezone")
        if body.get("availability_setting", "host") != "host":
            raise invalid_parameter("availability_setting", "must be host")
        rules = rule.get("rules")
        if not isinstance(rules, list) or not all(
            isinstance(r, dict) and r.get("type") in ("wday", "date") for r in rules
        ):
            raise invalid_parameter("availability_rule.rules", "must be a list of wday or date rules")
        user = rule.get("user") or event_type["profile"]["owner"]
        with self.state.lock:
            current = self.event_type_schedule(event_type)["availability_rule"]
            self.rules[event_type["uri"]] = {**current, "timezone": rule["timezone"], "rules": rules, "user": user}
            return 200, {"resource": self.event_type_schedule(event_type)}

    @route("GET", "user_meeting_limits")
    def get_meeting_limits(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        return 200, {"collection": [self.meeting_limits(self._own_user(query))]}

    @route("PATCH", "user_meeting_limits")
    def patch_meeting_limits(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        user = self._own_user(query)
        given = {k: v for k, v in (body if isinstance(body, dict) else {}).items() if k in LIMITS}
        if not given:
            raise invalid_parameter("body", "must include daily_limit, weekly_limit or monthly_limit")
        for name, value in given.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9999):
                raise invalid_parameter(name, "must be a whole number from 1 to 9999, or null")
        with self.state.lock:
            self.limits.setdefault(user, {}).update(given)
            return 200, {"resource": self.meeting_limits(user)}
