"""The endpoints of the emulated contacts, Notetaker recaps and Shares, with Calendly's paths, parameters and scopes.

``/contacts`` (``email``, ``phone_number``, ``timezone``, ``country``, ``state`` exact, comma-separated;
``name``, ``job_title``, ``company``, ``city`` partial; ``contact_list``; ``sort`` by ``created_at`` or
``updated_at``; ``exclude=custom_fields``) with ``GET``/``PATCH``/``DELETE /contacts/{uuid}`` and ``POST``;
``/contacts/custom_field_definitions`` (all in one response); ``/contact_lists`` (``type``; all in one response,
the ``pagination`` fields null); ``/notes`` (``contact``: 1 to 10 URIs; any other parameter but ``count`` and
``page_token`` is a 400; newest ``updated_at`` first); ``/meeting_recaps`` (``event``, ``start_time``: meetings
ending at or after it, ``end_time``: starting at or before it, ``status`` default ``available``, ``attendee``)
whose items lack the highlights, with ``GET``/``PATCH``/``DELETE /meeting_recaps/{uuid}`` and
``/meeting_recaps/{uuid}/transcript``; ``/shares`` (``user``: the token's own, ``event_type``,
``min_created_at``/``max_created_at``, newest first) with ``POST``, ``PATCH`` and ``DELETE``. Each route's scope
is :data:`~airflow_provider_calendly.scopes.ENDPOINT_SCOPES`'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_provider_calendly.models import RECAP_HIGHLIGHTS
from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter
from airflow_provider_calendly.testing.people import EmulatorPeople
from airflow_provider_calendly.testing.routes import enum_param, paginate, parse_sort, route, time_param, uri_param
from airflow_provider_calendly.testing.state import snapshot

__all__ = ["PeopleRoutes"]

#: List filters of ``/contacts``: exact or partial (case-insensitive) matches, and the contact's value.
_EXACT: dict[str, Callable[[dict[str, Any]], list[Any]]] = {
    "email": lambda c: [e["email"] for e in c["emails"]],
    "phone_number": lambda c: [p["phone_number"] for p in c["phone_numbers"]],
    "timezone": lambda c: [c["timezone"]],
    "country": lambda c: [c["country"]],
    "state": lambda c: [c["state"]],
}
_PARTIAL = ("name", "job_title", "company", "city")
_NOTE_PARAMETERS = {"contact", "count", "page_token"}
_MAX_NOTE_CONTACTS = 10


def _one_page(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Every item in one response: Calendly's shape for listings that are never paged."""
    empty = dict.fromkeys(("next_page", "previous_page", "next_page_token", "previous_page_token"))
    return {"collection": items, "pagination": {"count": len(items), **empty}}


class PeopleRoutes:
    """The HTTP face of :class:`~airflow_provider_calendly.testing.people.EmulatorPeople`."""

    def __init__(self, people: EmulatorPeople) -> None:
        self.people = people
        self.state = people.state

    # -- contacts --

    @route("GET", "contacts")
    def get_contacts(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        people = self.people
        exclude = query.get("exclude")
        if exclude is not None and exclude != "custom_fields":
            raise invalid_parameter("exclude", "only custom_fields can be excluded")
        if rest and rest[0] == "custom_field_definitions":
            if len(rest) == 2:
                return 200, {"resource": snapshot(people.find(people.definitions, rest[1]))}
            if len(rest) == 1:
                return 200, {"collection": snapshot(people.definitions)}
            raise ApiError(404)
        if len(rest) == 1:
            return 200, {"resource": self._shown(people.find(people.contacts, rest[0]), exclude)}
        if rest:
            raise ApiError(404)
        items = people.contacts
        for name, values in _EXACT.items():
            if query.get(name):
                wanted = {v.lower() for v in query[name].split(",")}
                items = [c for c in items if any(v and v.lower() in wanted for v in values(c))]
        for name in _PARTIAL:
            if query.get(name):
                parts = [p.lower() for p in query[name].split(",") if p]
                items = [c for c in items if c[name] and any(p in c[name].lower() for p in parts)]
        contact_list = uri_param(self.state, query, "contact_list", "contact_lists")
        if contact_list is not None:
            members = set(people.members_of(people.list_of(contact_list)["uri"]))
            items = [c for c in items if c["uri"] in members]
        order = parse_sort(query, ("created_at", "updated_at"), "created_at:asc")
        page = paginate(self.state, "/contacts", [self._shown(c, exclude) for c in items], query, order)
        return 200, page

    @staticmethod
    def _shown(contact: dict[str, Any], exclude: str | None) -> dict[str, Any]:
        shown: dict[str, Any] = snapshot(contact)
        if exclude == "custom_fields":
            shown.pop("custom_fields")
        return shown

    @route("POST", "contacts")
    def post_contact(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        return 201, {"resource": self.people.create_contact(body)}

    @route("PATCH", "contacts")
    def patch_contact(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        return 200, {"resource": self.people.update_contact(rest[0], body)}

    @route("DELETE", "contacts")
    def delete_contact(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        self.people.delete_contact(rest[0])
        return 204, None

    # -- Lists and Views, notes --

    @route("GET", "contact_lists")
    def get_contact_lists(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        people = self.people
        if len(rest) == 1:
            item = people.find(people.contact_lists, rest[0])
            return 200, {"resource": snapshot(people.list_of(item["uri"]))}
        if rest:
            raise ApiError(404)
        kind = enum_param(query, "type", ("static_list", "dynamic_view"))
        items = [people.list_of(i["uri"]) for i in people.contact_lists if kind is None or i["type"] == kind]
        return 200, _one_page(snapshot(items))

    @route("GET", "notes")
    def get_notes(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        people = self.people
        if len(rest) == 1:
            return 200, {"resource": snapshot(people.find(people.notes, rest[0]))}
        if rest:
            raise ApiError(404)
        for name in query:
            if name not in _NOTE_PARAMETERS:
                raise invalid_parameter(name, "is not a parameter of this endpoint")
        contacts = [c for c in query.get("contact", "").split(",") if c]
        if not 1 <= len(contacts) <= _MAX_NOTE_CONTACTS:
            raise invalid_parameter("contact", f"must name 1 to {_MAX_NOTE_CONTACTS} contact URIs")
        wanted = {uri_param(self.state, {"contact": c}, "contact", "contacts") for c in contacts}
        items = [n for n in people.notes if n["contact"] in wanted]
        order = parse_sort({}, ("updated_at",), "updated_at:desc")
        return 200, paginate(self.state, "/notes", snapshot(items), query, order)

    # -- meeting recaps --

    @route("GET", "meeting_recaps")
    def get_recaps(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        people = self.people
        if len(rest) == 2 and rest[1] == "transcript":
            recap = people.find(people.recaps, rest[0])
            text = people.transcripts.get(recap["uri"])
            if text is None:
                raise ApiError(404, "The transcript of this recap is not available.")
            return 200, {"resource": {"uri": recap["transcript"], "text": text}}
        if len(rest) == 1:
            return 200, {"resource": snapshot(people.find(people.recaps, rest[0]))}
        if rest:
            raise ApiError(404)
        status = enum_param(query, "status", ("available", "processing", "unavailable")) or "available"
        event = uri_param(self.state, query, "event", "scheduled_events")
        ends_after = time_param("start_time", query["start_time"]) if "start_time" in query else None
        starts_before = time_param("end_time", query["end_time"]) if "end_time" in query else None
        attendee = query.get("attendee", "").lower()
        items = [
            {k: v for k, v in r.items() if k not in (*RECAP_HIGHLIGHTS, "share_link")}
            for r in people.recaps
            if r["status"].lower() == status
            and (event is None or r["event"] == event)
            and (ends_after is None or r["end_time"] >= ends_after)
            and (starts_before is None or r["start_time"] <= starts_before)
            and (not attendee or any(a["user_email"].lower() == attendee for a in r["attendees"]))
        ]
        order = parse_sort({}, ("start_time",), "start_time:desc")
        return 200, paginate(self.state, "/meeting_recaps", snapshot(items), query, order)

    @route("PATCH", "meeting_recaps")
    def patch_recap(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        return 200, {"resource": self.people.update_recap(rest[0], body)}

    @route("DELETE", "meeting_recaps")
    def delete_recap(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        self.people.delete_recap(rest[0])
        return 204, None

    # -- shares --

    @route("GET", "shares")
    def get_shares(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        people = self.people
        if len(rest) == 1:
            return 200, {"resource": snapshot(people.find(people.shares, rest[0]))}
        if rest:
            raise ApiError(404)
        user = uri_param(self.state, query, "user", "users")
        if user is None:
            raise invalid_parameter("user", "is required")
        if user != people.owner["uri"]:
            raise ApiError(403, "You can only list your own Shares.")
        event_type = uri_param(self.state, query, "event_type", "event_types")
        lo = time_param("min_created_at", query["min_created_at"]) if "min_created_at" in query else None
        hi = time_param("max_created_at", query["max_created_at"]) if "max_created_at" in query else None
        items = [
            s
            for s in people.shares
            if (event_type is None or s["scheduling_links"][0]["owner"] == event_type)
            and (lo is None or s["created_at"] >= lo)
            and (hi is None or s["created_at"] < hi)
        ]
        order = parse_sort(query, ("created_at",), "created_at:desc")
        return 200, paginate(self.state, "/shares", snapshot(items), query, order)

    @route("POST", "shares")
    def post_share(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        if isinstance(body, dict) and isinstance(body.get("event_type"), str):
            uri_param(self.state, {"event_type": body["event_type"]}, "event_type", "event_types")
        return 201, {"resource": self.people.create_share(body)}

    @route("PATCH", "shares")
    def patch_share(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        return 200, {"resource": self.people.update_share(rest[0], body)}

    @route("DELETE", "shares")
    def delete_share(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        self.people.delete_share(rest[0])
        return 204, None
