"""The endpoints of the emulated organization's people, groups, routing forms, activity log and availability.

Calendly's paths, parameters and scopes (its published reference): ``/organization_memberships`` (``user`` or
``organization``, ``email``, ``role``; ``DELETE`` by UUID), ``/groups`` (``organization``),
``/group_relationships`` (``organization``, ``owner``, ``group``), ``/routing_forms`` (``organization``,
sorted by ``created_at``), ``/routing_form_submissions`` (``form``, sorted by ``created_at``),
``/activity_log_entries`` (``organization``, ``search_term``, ``actor``, ``namespace``, ``action``,
``min_occurred_at``/``max_occurred_at``, sorted by ``occurred_at``), ``/user_availability_schedules``
(``user``) and ``/event_type_memberships`` (``event_type``). Array parameters take a comma-separated list (or
the parameter repeated). A gated resource (:meth:`EmulatorOrganization.gate`) answers 403 or 404 instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter
from airflow_provider_calendly.testing.organization import EmulatorOrganization
from airflow_provider_calendly.testing.routes import (
    Handler,
    Route,
    enum_param,
    paginate,
    parse_sort,
    route,
    time_param,
    uri_param,
)
from airflow_provider_calendly.testing.scheduling import find
from airflow_provider_calendly.testing.state import snapshot

__all__ = ["OrganizationRoutes", "matches_search"]

ROLES = ("owner", "admin", "user")
#: The longest ``search_term`` Calendly accepts.
MAX_SEARCH_TERM = 300


def matches_search(term: str, text: str) -> bool:
    """Whether ``text`` matches an activity log ``search_term``: ``a / b`` (or), ``a + b`` (and, also a plain
    space), ``"exact phrase"``, ``-omitted``, ``prefix*`` or ``*suffix``; case-insensitive, parentheses ignored."""
    text = text.lower()
    alternatives = re.split(r"\s+(?:/|or)\s+", term.lower().replace("(", " ").replace(")", " "))
    for alternative in alternatives:
        words = re.findall(r'-?"[^"]*"|[^\s+]+', alternative)
        if words and all(
            (word.strip('-"*') not in text) if word.startswith("-") else (word.strip('"*') in text) for word in words
        ):
            return True
    return False


def _array(query: dict[str, str], name: str) -> set[str] | None:
    """An array parameter (comma-separated) as a set of values (``None`` when absent)."""
    value = query.get(name)
    return {v for v in value.split(",") if v} if value else None


class OrganizationRoutes:
    """The HTTP face of :class:`~airflow_provider_calendly.testing.organization.EmulatorOrganization`."""

    def __init__(self, organization: EmulatorOrganization) -> None:
        self.organization = organization
        self.state = organization.state

    def guard(self, declared: Route) -> Handler:
        """Wrap a route in its resource's plan gate (and the state's lock)."""

        def serve(rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
            self.organization.check_gate(declared.collection)
            with self.state.lock:
                return declared.handler(rest, query, body)

        return serve

    # -- shared --

    def _organization(self, query: dict[str, str], *, required: bool = True) -> None:
        """Check the ``organization`` filter: any URI but this organization's answers 403, as Calendly does."""
        org = uri_param(self.state, query, "organization", "organizations")
        if org is None:
            if required:
                raise invalid_parameter("organization", "is required")
            return
        if org != self.organization.organization_uri:
            raise ApiError(403, "You do not have access to this organization.")

    def _listing(
        self,
        rest: list[str],
        query: dict[str, str],
        items: list[dict[str, Any]],
        path: str,
        *,
        organization: bool | None = True,
        filters: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] | None = None,
        sort: str | None = None,
    ) -> tuple[int, Any]:
        """Serve ``GET /{collection}/{uuid}`` or a filtered, paginated listing (by ``created_at``).

        :param organization: ``True``: the ``organization`` filter is required; ``False``: optional; ``None``: none.
        :param filters: URI filters: parameter → (collection of its URIs, the item's value to compare with it).
        :param sort: The documented default ``sort`` (``None``: the listing takes no ``sort``).
        """
        if len(rest) == 1:
            return 200, {"resource": snapshot(find(items, rest[0]))}
        if rest:
            raise ApiError(404)
        if organization is not None:
            self._organization(query, required=organization)
        for param, (collection, value) in (filters or {}).items():
            wanted = uri_param(self.state, query, param, collection)
            if wanted is not None:
                items = [i for i in items if value(i) == wanted]
        order = parse_sort(query if sort else {}, ("created_at",), sort or "created_at:asc")
        return 200, paginate(self.state, path, snapshot(items), query, order)

    def _children(
        self,
        rest: list[str],
        query: dict[str, str],
        by_parent: dict[str, list[dict[str, Any]]],
        param: str,
        collection: str,
        path: str,
        *,
        sort: str | None = None,
    ) -> tuple[int, Any]:
        """Serve one item among every parent's, or the listing of the parent the required ``param`` names."""
        if rest:
            return self._listing(rest, query, [i for items in by_parent.values() for i in items], path)
        parent = uri_param(self.state, query, param, collection)
        if parent is None:
            raise invalid_parameter(param, "is required")
        if parent not in by_parent:
            raise ApiError(404)
        return self._listing(rest, query, by_parent[parent], path, organization=None, sort=sort)

    # -- people and groups --

    @route("GET", "organization_memberships")
    def get_memberships(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if not rest and not query.get("organization") and not query.get("user"):
            raise invalid_parameter("organization", "one of user or organization is required")
        items = self.organization.memberships
        role = enum_param(query, "role", ROLES)
        if role is not None:
            items = [m for m in items if m["role"] == role]
        if query.get("email"):
            items = [m for m in items if m["user"]["email"] == query["email"]]
        filters = {"user": ("users", lambda m: m["user"]["uri"])}
        return self._listing(rest, query, items, "/organization_memberships", organization=False, filters=filters)

    @route("DELETE", "organization_memberships")
    def delete_membership(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        self.organization.remove_member(rest[0])
        return 204, None

    @route("GET", "groups")
    def get_groups(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        return self._listing(rest, query, self.organization.groups, "/groups")

    @route("GET", "group_relationships")
    def get_group_relationships(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        filters = {
            "group": ("groups", lambda r: r["group"]),
            "owner": ("organization_memberships", lambda r: r["owner"]["uri"]),
        }
        items = self.organization.group_relationships
        return self._listing(rest, query, items, "/group_relationships", organization=False, filters=filters)

    # -- routing forms --

    @route("GET", "routing_forms")
    def get_routing_forms(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        forms = self.organization.routing_forms
        return self._listing(rest, query, forms, "/routing_forms", sort="created_at:asc")

    @route("GET", "routing_form_submissions")
    def get_submissions(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        submissions = self.organization.submissions
        return self._children(
            rest, query, submissions, "form", "routing_forms", "/routing_form_submissions", sort="created_at:asc"
        )

    # -- activity log --

    @route("GET", "activity_log_entries")
    def get_activity(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        self._organization(query)
        lo = time_param("min_occurred_at", query["min_occurred_at"]) if "min_occurred_at" in query else None
        hi = time_param("max_occurred_at", query["max_occurred_at"]) if "max_occurred_at" in query else None
        namespaces, actions, actors = _array(query, "namespace"), _array(query, "action"), _array(query, "actor")
        if actors is not None:
            actors = {uri_param(self.state, {"actor": a}, "actor", "users") or "" for a in actors}
        term = query.get("search_term")
        if term is not None and len(term) > MAX_SEARCH_TERM:
            raise invalid_parameter("search_term", f"must be at most {MAX_SEARCH_TERM} characters")
        items = [
            e
            for e in self.organization.activity
            if (lo is None or e["occurred_at"] >= lo)
            and (hi is None or e["occurred_at"] < hi)
            and (namespaces is None or e["namespace"] in namespaces)
            and (actions is None or e["action"] in actions)
            and (actors is None or e["actor"]["uri"] in actors)
            and (not term or matches_search(term, json.dumps(e)))
        ]
        order = parse_sort(query, ("occurred_at",), "occurred_at:desc")
        page = paginate(self.state, "/activity_log_entries", snapshot(items), query, order)
        page["total_count"] = len(items)
        page["exceeds_max_total_count"] = False
        page["last_event_time"] = max((e["occurred_at"] for e in items), default=None)
        return 200, page

    # -- availability and hosts --

    @route("GET", "user_availability_schedules")
    def get_schedules(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        schedules = self.organization.schedules
        if rest:
            return self._listing(rest, query, schedules, "/user_availability_schedules")
        user = uri_param(self.state, query, "user", "users")
        if user is None:
            raise invalid_parameter("user", "is required")
        if user not in {m["user"]["uri"] for m in self.organization.memberships}:
            raise ApiError(403, "This user is not in your organization")
        return 200, {"collection": snapshot([s for s in schedules if s["user"] == user])}

    @route("GET", "event_type_memberships")
    def get_event_type_hosts(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        hosts = self.organization.event_type_hosts
        return self._children(rest, query, hosts, "event_type", "event_types", "/event_type_memberships")
