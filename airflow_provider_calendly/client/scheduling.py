"""Scheduling: event types and their hosts, scheduled events, invitees, no-shows, available times, scheduling
links and the Scheduling API's booking endpoint.

Each method only builds a path and parameters; the writes here are sent once, as they are. The versions that
survive a lost answer
(:meth:`~airflow_provider_calendly.client.recovery.scheduling.SchedulingRecovery.cancel_scheduled_event`,
``book_meeting``, ``mark_invitee_no_show``…) are in :mod:`~airflow_provider_calendly.client.recovery.scheduling`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_calendly.client.base import CalendlyBase, parse_resource
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import (
    MAX_PAGE_SIZE,
    check_date_setting,
    check_event_type_fields,
    check_page_size,
    check_status,
    check_text,
    check_timezone,
    check_whole,
    parse_instant,
    timestamp_param,
)
from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.models import (
    AvailableTime,
    Cancellation,
    EventType,
    EventTypeMembership,
    Invitee,
    NoShow,
    ScheduledEvent,
    SchedulingLink,
)
from airflow_provider_calendly.uris import uuid_from_uri

__all__ = ["MAX_AVAILABLE_TIMES_RANGE", "SchedulingAPI"]

MAX_AVAILABLE_TIMES_RANGE = timedelta(days=31)
"""The longest range ``GET /event_type_available_times`` answers in one call (7 days until July 2026)."""


class SchedulingAPI(CalendlyBase):
    """Event types, scheduled events, invitees, no-shows, available times, scheduling links and booking."""

    # -- event types --

    def list_event_types(
        self,
        *,
        user: str | None = None,
        organization: str | None = None,
        active: bool | None = None,
        admin_managed: bool | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[EventType]:
        """List event types of a user or organization (default: the token owner's organization)."""
        params: dict[str, Any] = {
            "active": active,
            "admin_managed": admin_managed,
            "sort": sort,
            "count": check_page_size(page_size),
        }
        return self.paginate("/event_types", {**self.owner_params(user, organization), **params}, EventType)

    def get_event_type(self, uuid_or_uri: str) -> EventType:
        """Return one event type."""
        return self.get_resource(self.resource_path("event_types", uuid_or_uri), EventType)

    def create_event_type(self, name: str, *, owner: str | None = None, **fields: Any) -> EventType:
        """Create a one-on-one event type (``POST /event_types``), sent once.

        :meth:`~airflow_provider_calendly.client.recovery.organization.OrganizationRecovery.ensure_event_type`
        creates it once however its answer is lost: use it unless you handle a lost answer yourself.

        :param name: The event type's name.
        :param owner: The owning user's UUID or URI (default: the token's user).
        :param fields: ``active``, ``description``, ``duration``, ``duration_options``, ``locations``,
            ``color``, ``locale``, ``start_time_increment``, ``before_buffer``, ``after_buffer``.
        """
        payload = {"owner": self.user_uri(owner), "name": check_text("name", name), **check_event_type_fields(fields)}
        return self.post_resource("/event_types", payload, EventType)

    def update_event_type(self, event_type: str, **fields: Any) -> EventType:
        """Change the given fields of a one-on-one event type (``PATCH /event_types/{uuid}``); the others stay.

        Setting values is idempotent, so a lost answer is resent.

        :param event_type: The event type's UUID or URI.
        :param fields: ``name`` and the fields :meth:`create_event_type` takes; ``None`` leaves one unchanged.
        """
        changes = check_event_type_fields(fields)
        if not changes:
            raise CalendlyConfigError("pass at least one event type field to change")
        path = self.resource_path("event_types", event_type)
        body = self.request("PATCH", path, json=changes, idempotent=True)
        return parse_resource(body, EventType, "PATCH", path) if body else self.get_event_type(event_type)

    def create_one_off_event_type(
        self,
        name: str,
        *,
        duration: int,
        date_setting: Mapping[str, Any],
        host: str | None = None,
        co_hosts: Sequence[str] = (),
        timezone: str | None = None,
        location: Mapping[str, Any] | None = None,
    ) -> EventType:
        """Create a one-off meeting's event type (``POST /one_off_event_types``), sent once: Calendly cannot list
        one-off event types, so a lost answer cannot be looked for.

        :param name: The meeting's name (at most 55 characters).
        :param duration: Minutes (1-720).
        :param date_setting: When it can be booked, e.g. ``{"type": "date_range", "start_date": "2026-12-01",
            "end_date": "2026-12-05"}``.
        :param host: The host's UUID or URI (default: the token's user).
        :param co_hosts: Up to 9 co-hosts' UUIDs or URIs.
        :param timezone: IANA time zone of the meeting (default: the host's).
        :param location: Calendly's location object, e.g. ``{"kind": "zoom_conference"}``.
        """
        if isinstance(co_hosts, str) or len(co_hosts) > 9:
            raise CalendlyConfigError(f"co_hosts must be a list of at most 9 users, got {co_hosts!r}")
        payload: dict[str, Any] = {
            "name": check_text("name", name, max_length=55),
            "host": self.user_uri(host),
            "duration": check_whole("duration", duration, 1, 720),
            "date_setting": check_date_setting(date_setting),
        }
        if co_hosts:
            payload["co_hosts"] = [self.resource_uri("users", u) for u in co_hosts]
        if timezone is not None:
            payload["timezone"] = check_timezone("timezone", timezone)
        if location is not None:
            if not isinstance(location, Mapping) or not location.get("kind"):
                raise CalendlyConfigError(f"location must be an object with a 'kind', got {location!r}")
            payload["location"] = dict(location)
        return self.post_resource("/one_off_event_types", payload, EventType)

    def list_event_type_memberships(
        self, event_type: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> PageIterator[EventTypeMembership]:
        """List the hosts of one event type (``/event_type_memberships``), each member embedded."""
        params = {"event_type": self.resource_uri("event_types", event_type), "count": check_page_size(page_size)}
        return self.paginate("/event_type_memberships", params, EventTypeMembership)

    # -- scheduled events and invitees --

    def list_scheduled_events(
        self,
        *,
        user: str | None = None,
        organization: str | None = None,
        status: str | None = None,
        min_start_time: datetime | str | None = None,
        max_start_time: datetime | str | None = None,
        invitee_email: str | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[ScheduledEvent]:
        """List scheduled events of a user or organization (default: the token owner's organization)."""
        count = check_page_size(page_size)
        params: dict[str, Any] = {
            "status": check_status(status),
            "min_start_time": timestamp_param("min_start_time", min_start_time),
            "max_start_time": timestamp_param("max_start_time", max_start_time),
            "invitee_email": invitee_email,
            "sort": sort,
            "count": count,
        }
        owner = self.owner_params(user, organization)
        return self.paginate("/scheduled_events", {**owner, **params}, ScheduledEvent)

    def get_scheduled_event(self, uuid_or_uri: str) -> ScheduledEvent:
        """Return one scheduled event."""
        return self.get_resource(self.resource_path("scheduled_events", uuid_or_uri), ScheduledEvent)

    def create_cancellation(self, uuid_or_uri: str, *, reason: str | None = None) -> Cancellation:
        """Cancel a scheduled event (``POST /scheduled_events/{uuid}/cancellation``), sent once.

        :meth:`cancel_scheduled_event` is the idempotent form: use it unless you handle a lost answer yourself.
        """
        if reason is not None and not isinstance(reason, str):
            raise CalendlyConfigError(f"reason must be a string, got {type(reason).__name__}")
        path = f"{self.resource_path('scheduled_events', uuid_or_uri)}/cancellation"
        return self.post_resource(path, {"reason": reason} if reason else {}, Cancellation)

    def list_event_invitees(
        self,
        event_uuid_or_uri: str,
        *,
        status: str | None = None,
        email: str | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[Invitee]:
        """List the invitees of one scheduled event."""
        count = check_page_size(page_size)
        path = f"{self.resource_path('scheduled_events', event_uuid_or_uri)}/invitees"
        params = {"status": check_status(status), "email": email, "sort": sort, "count": count}
        return self.paginate(path, params, Invitee)

    def get_invitee(self, event_or_invitee: str, invitee_uuid: str | None = None) -> Invitee:
        """Return one invitee, by invitee URI or by (scheduled event UUID/URI, invitee UUID)."""
        return self.get_resource(self.identity.invitee_path(event_or_invitee, invitee_uuid), Invitee)

    # -- no-shows --

    def create_invitee_no_show(self, invitee_uri: str) -> NoShow:
        """Mark an invitee as a no-show (``POST /invitee_no_shows``), sent once (see ``mark_invitee_no_show``)."""
        return self.post_resource("/invitee_no_shows", {"invitee": self.identity.invitee_uri(invitee_uri)}, NoShow)

    def get_invitee_no_show(self, uuid_or_uri: str) -> NoShow:
        """Return one no-show."""
        return self.get_resource(self.resource_path("invitee_no_shows", uuid_or_uri), NoShow)

    def delete_invitee_no_show(self, uuid_or_uri: str) -> None:
        """Undo a no-show (``DELETE /invitee_no_shows/{uuid}``)."""
        self.request("DELETE", self.resource_path("invitee_no_shows", uuid_or_uri))

    # -- scheduling links, available times, booking --

    def create_scheduling_link(self, event_type: str, *, max_event_count: int = 1) -> SchedulingLink:
        """Create a single-use scheduling link for an event type (``POST /scheduling_links``).

        :param event_type: The event type's UUID or URI.
        :param max_event_count: Events the link can book; Calendly allows only ``1``.
        """
        if isinstance(max_event_count, bool) or max_event_count != 1:
            raise CalendlyConfigError(f"max_event_count must be 1 (Calendly's only value), got {max_event_count!r}")
        payload = {
            "max_event_count": 1,
            "owner": self.resource_uri("event_types", event_type),
            "owner_type": "EventType",
        }
        return self.post_resource("/scheduling_links", payload, SchedulingLink)

    def list_available_times(
        self,
        event_type: str,
        *,
        start_time: datetime | str,
        end_time: datetime | str,
        now: datetime | None = None,
    ) -> Iterator[AvailableTime]:
        """Yield an event type's bookable start times in ``[start_time, end_time)``, one call per 31 days.

        Calendly answers at most :data:`MAX_AVAILABLE_TIMES_RANGE` per call and rejects a start in the past, so
        a longer range is split and a start already past is moved to ``now``. Lazy: stopping early costs no
        further call.

        :param event_type: The event type's UUID or URI.
        :param start_time: Start of the range (aware datetime or ISO 8601; naive is UTC).
        :param end_time: End of the range; must be after ``start_time`` and in the future.
        :param now: The current time (injectable for tests).
        """
        uri = self.resource_uri("event_types", event_type)
        start = parse_instant("start_time", start_time)
        end = parse_instant("end_time", end_time)
        current = now or datetime.now(timezone.utc)
        if end <= start:
            raise CalendlyConfigError(f"end_time ({end.isoformat()}) must be after start_time ({start.isoformat()})")
        if end <= current:
            raise CalendlyConfigError(f"end_time ({end.isoformat()}) is in the past: nothing can be booked")
        return self._available_times(uri, max(start, current + timedelta(seconds=1)), end)

    def _available_times(self, uri: str, start: datetime, end: datetime) -> Iterator[AvailableTime]:
        seen: set[datetime] = set()
        chunks = self.ranged(
            "/event_type_available_times", {"event_type": uri}, AvailableTime, start, end, MAX_AVAILABLE_TIMES_RANGE
        )
        for chunk_start, chunk_end, slots in chunks:
            for slot in sorted(slots, key=lambda s: s.start_time):
                if chunk_start <= slot.start_time < chunk_end and slot.start_time not in seen:
                    seen.add(slot.start_time)
                    yield slot

    def create_invitee(self, payload: Mapping[str, Any]) -> Invitee:
        """Book through the Scheduling API (``POST /invitees``), sent once, under the endpoint's own budget.

        :meth:`book_meeting` checks the arguments and never books twice: use it unless you handle a lost answer
        yourself.
        """
        return self.post_resource("/invitees", payload, Invitee, budget=self.scheduling_rate_limiter)

    def find_booking(self, event_type: str, start_time: datetime | str, email: str) -> Invitee | None:
        """Return the active invitee ``email`` on an event of ``event_type`` starting at ``start_time``, if any."""
        type_uuid = uuid_from_uri(self.resource_uri("event_types", event_type))
        start = parse_instant("start_time", start_time)
        events = self.list_scheduled_events(
            status="active",
            invitee_email=email,
            min_start_time=start,
            max_start_time=start + timedelta(seconds=1),
        )
        for event in events:
            if event.start_time != start or not event.event_type or uuid_from_uri(event.event_type) != type_uuid:
                continue
            for found in self.list_event_invitees(event.uri, status="active", email=email):
                return found
        return None
