"""Calendly's scheduling reads for the emulator: users, event types, scheduled events, invitees and no-shows
(``GET``, plus ``POST``/``DELETE /invitee_no_shows``); the organization is served by :mod:`.administration`.

Every documented filter, sort field and direction of these listings is served (Calendly's published
reference): ``/event_types`` by ``user`` or ``organization``, ``user_availability_schedule`` (with ``user``),
``active``, ``admin_managed``, sorted by ``name``, ``position``, ``created_at``, ``updated_at``;
``/scheduled_events`` by ``user``, ``organization`` or ``group``, ``invitee_email``, ``status``,
``min_start_time``/``max_start_time``, sorted by ``start_time``; ``/scheduled_events/{uuid}/invitees`` by
``status`` and ``email``, sorted by ``created_at``. An invalid value answers 400 naming the parameter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter
from airflow_provider_calendly.testing.routes import (
    bool_param,
    enum_param,
    paginate,
    parse_sort,
    route,
    time_param,
    uri_param,
)
from airflow_provider_calendly.uris import uuid_from_uri

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.organization import EmulatorOrganization
    from airflow_provider_calendly.testing.world import World

__all__ = ["EVENT_TYPE_SORTS", "SchedulingRoutes"]

EVENT_TYPE_SORTS = ("name", "position", "created_at", "updated_at")
STATUSES = ("active", "canceled")


def find(items: list[dict[str, Any]], item_uuid: str) -> dict[str, Any]:
    """The item of ``items`` whose URI ends in ``item_uuid``; 404 if none does."""
    for item in items:
        if uuid_from_uri(item["uri"]) == item_uuid:
            return item
    raise ApiError(404)


class SchedulingRoutes:
    """The scheduling read routes (and the no-show writes) of one emulator.

    :param world: The emulated organization's state and changes.
    :param organization: Its people and groups (for the ``group`` and availability schedule filters).
    """

    def __init__(self, world: World, organization: EmulatorOrganization) -> None:
        self.world = world
        self.state = world.state
        self.organization = organization

    # -- people --

    @route("GET", "users")
    def get_user(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        users = self.state.data.users
        return 200, {"resource": users[0] if rest[0] == "me" else find(users, rest[0])}

    def _owner(self, query: dict[str, str], *, group: bool = False) -> tuple[str | None, str | None, str | None]:
        """The ``user``, ``organization`` (and ``group``) filters, one of them required, each one ours."""
        state = self.state
        user = uri_param(state, query, "user", "users")
        org = uri_param(state, query, "organization", "organizations")
        team = uri_param(state, query, "group", "groups") if group else None
        if not (user or org or team):
            raise invalid_parameter(
                "organization", f"one of user{', group' if group else ''} or organization is required"
            )
        if org and org != state.data.organization["uri"]:
            raise ApiError(403, "You do not have access to this organization.")
        if user and user not in {u["uri"] for u in state.data.users}:
            raise ApiError(403, "You do not have access to this user.")
        if team and self.organization.group_users(team) is None:
            raise ApiError(403, "You do not have access to this group.")
        return user, org, team

    # -- event types --

    @route("GET", "event_types")
    def get_event_types(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        with self.state.lock:
            if len(rest) == 1:
                return 200, {"resource": find(self.state.data.event_types, rest[0])}
            if rest:
                raise ApiError(404)
            return 200, self._list_event_types(query)

    def _list_event_types(self, query: dict[str, str]) -> dict[str, Any]:
        user, _org, _group = self._owner(query)
        items = list(self.state.data.event_types)
        if user:
            items = [e for e in items if e["profile"]["owner"] == user]
        schedule = uri_param(self.state, query, "user_availability_schedule", "user_availability_schedules")
        if schedule is not None:
            if not user:
                raise invalid_parameter("user_availability_schedule", "can only be used together with user")
            # A user's event types follow the user's default schedule: another schedule has none.
            items = items if self.organization.default_schedule(user) == schedule else []
        for name in ("active", "admin_managed"):
            if name in query:
                wanted = bool_param(name, query[name])
                items = [e for e in items if e[name] == wanted]
        order = parse_sort(query, EVENT_TYPE_SORTS, "name:asc")
        return paginate(self.state, "/event_types", items, query, order)

    # -- scheduled events and invitees --

    @route("GET", "scheduled_events")
    def get_scheduled_events(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        state = self.state
        with state.lock:
            if not rest:
                return 200, self._list_scheduled_events(query)
            event = state.data.scheduled_events.get(rest[0])
            if event is None:
                raise ApiError(404)
            if len(rest) == 1:
                return 200, {"resource": event}
            if rest[1] == "invitees" and len(rest) == 2:
                return 200, self._list_invitees(rest[0], query)
            if rest[1] == "invitees" and len(rest) == 3:
                event_uuid, invitee = state.invitee(rest[2])
                if event_uuid == rest[0]:
                    return 200, {"resource": invitee}
        raise ApiError(404)

    def _list_scheduled_events(self, query: dict[str, str]) -> dict[str, Any]:
        state = self.state
        user, _org, group = self._owner(query, group=True)
        hosts = self.organization.group_users(group) if group else None
        status = enum_param(query, "status", STATUSES)
        lo = time_param("min_start_time", query["min_start_time"]) if "min_start_time" in query else None
        hi = time_param("max_start_time", query["max_start_time"]) if "max_start_time" in query else None
        email = query.get("invitee_email")
        selected = []
        for event in state.events_by_start():
            if (lo and event["start_time"] < lo) or (hi and event["start_time"] >= hi):
                continue
            if status and event["status"] != status:
                continue
            members = {m["user"] for m in event["event_memberships"]}
            if (user and user not in members) or (hosts is not None and not members & hosts):
                continue
            if email and all(i["email"] != email for i in state.data.invitees[uuid_from_uri(event["uri"])]):
                continue
            selected.append(event)
        order = parse_sort(query, ("start_time",), "start_time:asc")
        return paginate(state, "/scheduled_events", selected, query, order)

    def _list_invitees(self, event_uuid: str, query: dict[str, str]) -> dict[str, Any]:
        items = list(self.state.data.invitees[event_uuid])
        status = enum_param(query, "status", STATUSES)
        if status is not None:
            items = [i for i in items if i["status"] == status]
        if "email" in query:
            items = [i for i in items if i["email"] == query["email"]]
        order = parse_sort(query, ("created_at",), "created_at:asc")
        return paginate(self.state, f"/scheduled_events/{event_uuid}/invitees", items, query, order)

    # -- no-shows --

    @route("GET", "invitee_no_shows")
    def get_no_show(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        no_show = self.state.no_shows.get(rest[0]) if len(rest) == 1 else None
        if no_show is None:
            raise ApiError(404)
        return 200, {"resource": no_show}

    @route("POST", "invitee_no_shows")
    def post_no_show(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        return 201, {"resource": self.world.mark_no_show(body.get("invitee") if isinstance(body, dict) else None)}

    @route("DELETE", "invitee_no_shows")
    def delete_no_show(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        self.world.undo_no_show(rest[0])
        return 204, None
