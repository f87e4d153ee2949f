"""Calendly's token scopes, declared once: which scope each endpoint needs, and which endpoints each sync
resource and each operator calls. Everything else about scopes is derived from these tables.

Calendly's personal access tokens and OAuth apps carry explicit scopes (``event_types:read``…) since March
2026; a ``:write`` scope includes its ``:read`` (:func:`grants`).

* :data:`ENDPOINT_SCOPES` says which scope an endpoint needs. Keys are ``(method, collection)``: the HTTP
  method and the first segment of the endpoint's path (``("GET", "organizations")`` covers
  ``/organizations/{uuid}`` and ``/organizations/{uuid}/invitations``), which is how the emulator routes, so
  it enforces exactly this table. Calendly's published scopes do not differ inside one collection.
* :data:`RESOURCE_ENDPOINTS` and :data:`OPERATOR_ENDPOINTS` say which endpoints (``"GET /user_busy_times"``)
  a sync resource reads and an operator calls; :func:`resource_scopes`, :func:`sync_scopes` and
  :func:`operator_scopes` derive what each needs. :data:`OPT_IN_RESOURCES` says which resources a default
  sync leaves out, and why.

Derived from them: the emulator's enforcement and its 403 ``required_scopes``, the sync's skips (which scopes a
skipped resource reads with), ``CalendlyHook.test_connection()`` (what a default sync needs, and what the
token lacks of it), and the README's scope table (``scripts/readme_schema.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

__all__ = [
    "ENDPOINT_SCOPES",
    "FEED_ENDPOINTS",
    "OPERATOR_ENDPOINTS",
    "OPT_IN_RESOURCES",
    "RESOURCE_ENDPOINTS",
    "SYNC_ENDPOINTS",
    "Endpoint",
    "endpoint_key",
    "grants",
    "operator_scopes",
    "resource_scopes",
    "scopes_of",
    "sync_scopes",
]

#: ``(method, collection)``: an endpoint as :data:`ENDPOINT_SCOPES` keys it.
Endpoint = tuple[str, str]

ENDPOINT_SCOPES: dict[Endpoint, str] = {
    # users and the organization
    ("GET", "users"): "users:read",
    ("GET", "organizations"): "organizations:read",
    ("POST", "organizations"): "organizations:write",
    ("DELETE", "organizations"): "organizations:write",
    ("GET", "organization_memberships"): "organizations:read",
    ("DELETE", "organization_memberships"): "organizations:write",
    ("GET", "groups"): "groups:read",
    ("GET", "group_relationships"): "groups:read",
    ("GET", "activity_log_entries"): "activity_log:read",
    # scheduling
    ("GET", "event_types"): "event_types:read",
    ("POST", "event_types"): "event_types:write",
    ("PATCH", "event_types"): "event_types:write",
    ("POST", "one_off_event_types"): "event_types:write",
    ("GET", "event_type_memberships"): "event_types:read",
    ("GET", "event_type_available_times"): "availability:read",
    ("GET", "scheduled_events"): "scheduled_events:read",
    ("POST", "scheduled_events"): "scheduled_events:write",
    ("POST", "invitees"): "scheduled_events:write",
    ("GET", "invitee_no_shows"): "scheduled_events:read",
    ("POST", "invitee_no_shows"): "scheduled_events:write",
    ("DELETE", "invitee_no_shows"): "scheduled_events:write",
    ("POST", "scheduling_links"): "scheduling_links:write",
    # availability and locations
    ("GET", "user_availability_schedules"): "availability:read",
    ("GET", "user_busy_times"): "availability:read",
    ("GET", "event_type_availability_schedules"): "availability:read",
    ("PATCH", "event_type_availability_schedules"): "availability:write",
    ("GET", "user_meeting_limits"): "availability:read",
    ("PATCH", "user_meeting_limits"): "availability:write",
    ("GET", "locations"): "locations:read",
    # routing forms
    ("GET", "routing_forms"): "routing_forms:read",
    ("GET", "routing_form_submissions"): "routing_forms:read",
    # webhooks
    ("GET", "webhook_subscriptions"): "webhooks:read",
    ("POST", "webhook_subscriptions"): "webhooks:write",
    ("DELETE", "webhook_subscriptions"): "webhooks:write",
    ("GET", "sample_webhook_data"): "webhooks:read",
    # security and compliance
    ("POST", "data_compliance"): "data_compliance:write",
    ("GET", "outgoing_communications"): "outgoing_communications:read",
}
"""Endpoint → the scope Calendly requires for it (its API reference's "Required scopes")."""

#: What every sync reads first: the token owner, whose organization is the default scope of every listing.
SYNC_ENDPOINTS: tuple[str, ...] = ("GET /users/me",)
#: What a sync with a webhook feed (``webhook_inbox_conn_id``) reads besides: the subscription's health.
FEED_ENDPOINTS: tuple[str, ...] = ("GET /webhook_subscriptions",)

RESOURCE_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "event_types": ("GET /event_types",),
    "scheduled_events": ("GET /scheduled_events",),
    "invitees": ("GET /scheduled_events", "GET /scheduled_events/{uuid}/invitees"),
    "users": ("GET /organization_memberships",),
    "organization_memberships": ("GET /organization_memberships",),
    "groups": ("GET /groups", "GET /group_relationships"),
    "routing_forms": ("GET /routing_forms",),
    "routing_form_submissions": ("GET /routing_forms", "GET /routing_form_submissions", "GET /routing_forms/{uuid}"),
    "activity_log": ("GET /activity_log_entries",),
    "availability_schedules": ("GET /organization_memberships", "GET /user_availability_schedules"),
    "event_type_hosts": ("GET /event_types", "GET /event_type_memberships", "GET /event_types/{uuid}"),
    "organization": ("GET /organizations/{uuid}",),
    "organization_invitations": ("GET /organizations/{uuid}/invitations",),
    "locations": ("GET /organization_memberships", "GET /locations"),
    "busy_times": ("GET /organization_memberships", "GET /user_busy_times"),
    "outgoing_communications": ("GET /outgoing_communications",),
}
"""Sync resource → the endpoints its read calls (besides :data:`SYNC_ENDPOINTS`); the memberships listing is
how a resource read per member finds the members, and is made once per sync whoever needs it; a single item is
read when its listing answers 404, to tell a deletion from a refusal."""

OPT_IN_RESOURCES: dict[str, str] = {
    "busy_times": (
        "one call per member per 7 days of horizon (Calendly's longest range), and it holds the times of the "
        "members' own calendars' events"
    ),
    "outgoing_communications": (
        "Enterprise only, and it holds the text of every email and SMS sent to invitees, with their addresses"
    ),
}
"""Resources a default sync leaves out (pass them in ``resources`` to read them), and why."""

OPERATOR_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "CalendlyListEventTypesOperator": ("GET /users/me", "GET /event_types"),
    "CalendlyGetEventTypeOperator": ("GET /event_types/{uuid}",),
    "CalendlyMarkNoShowOperator": ("GET /scheduled_events/{uuid}/invitees/{uuid}", "POST /invitee_no_shows"),
    "CalendlyUndoNoShowOperator": (
        "GET /scheduled_events/{uuid}/invitees/{uuid}",
        "DELETE /invitee_no_shows/{uuid}",
    ),
    "CalendlyCancelEventOperator": ("POST /scheduled_events/{uuid}/cancellation", "GET /scheduled_events/{uuid}"),
    "CalendlyCreateSchedulingLinkOperator": ("POST /scheduling_links",),
    "CalendlyListAvailableTimesOperator": ("GET /event_type_available_times",),
    "CalendlyBookMeetingOperator": (
        "POST /invitees",
        "GET /users/me",
        "GET /scheduled_events",
        "GET /scheduled_events/{uuid}/invitees",
    ),
    "CalendlyDeleteInviteeDataOperator": ("POST /data_compliance/deletion/invitees",),
    "CalendlyDeleteEventDataOperator": ("POST /data_compliance/deletion/events",),
    "CalendlyEnsureWebhookSubscriptionOperator": (
        "GET /users/me",
        "GET /webhook_subscriptions",
        "POST /webhook_subscriptions",
        "DELETE /webhook_subscriptions/{uuid}",
    ),
    "CalendlyCheckWebhookSubscriptionOperator": ("GET /users/me", "GET /webhook_subscriptions"),
    "CalendlyDeleteWebhookSubscriptionOperator": (
        "GET /users/me",
        "GET /webhook_subscriptions",
        "DELETE /webhook_subscriptions/{uuid}",
    ),
    "CalendlyInviteUserOperator": (
        "GET /users/me",
        "GET /organizations/{uuid}/invitations",
        "POST /organizations/{uuid}/invitations",
    ),
    "CalendlyRevokeInvitationOperator": (
        "GET /users/me",
        "GET /organizations/{uuid}/invitations",
        "DELETE /organizations/{uuid}/invitations/{uuid}",
    ),
    "CalendlyCreateEventTypeOperator": ("GET /users/me", "GET /event_types", "POST /event_types"),
    "CalendlyUpdateEventTypeOperator": ("PATCH /event_types/{uuid}",),
    "CalendlyCreateOneOffEventTypeOperator": ("GET /users/me", "POST /one_off_event_types"),
    "CalendlyUpdateEventTypeAvailabilityOperator": ("PATCH /event_type_availability_schedules",),
    "CalendlyUpdateMeetingLimitsOperator": ("GET /users/me", "PATCH /user_meeting_limits"),
}
"""Operator class → the endpoints its one hook call may use (lookups before a write included). The transfer's
needs are its resources' (:func:`sync_scopes`); the webhook sensor and trigger read the inbox, not Calendly."""


def endpoint_key(method: str, path: str) -> Endpoint:
    """The :data:`ENDPOINT_SCOPES` key of a call: its method and its path's first segment."""
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    return method.upper(), segments[0] if segments else ""


def scopes_of(endpoints: Iterable[str]) -> tuple[str, ...]:
    """The scopes a set of endpoints (``"GET /user_busy_times"``) needs, sorted, each once; a ``:read`` that a
    needed ``:write`` includes is left out.

    :raises KeyError: for an endpoint :data:`ENDPOINT_SCOPES` does not declare (a declaration to add).
    """
    scopes = set()
    for spec in endpoints:
        method, _, path = spec.partition(" ")
        scopes.add(ENDPOINT_SCOPES[endpoint_key(method, path)])
    return tuple(sorted(s for s in scopes if not (s.endswith(":read") and grants(scopes - {s}, s))))


def resource_scopes(resource: str) -> tuple[str, ...]:
    """The scopes syncing one resource needs (the token owner's included)."""
    return scopes_of((*SYNC_ENDPOINTS, *RESOURCE_ENDPOINTS[resource]))


def sync_scopes(resources: Iterable[str]) -> tuple[str, ...]:
    """The scopes a sync of ``resources`` needs."""
    return scopes_of((*SYNC_ENDPOINTS, *(e for r in resources for e in RESOURCE_ENDPOINTS[r])))


def operator_scopes(operator: str) -> tuple[str, ...]:
    """The scopes an operator (by class name) needs."""
    return scopes_of(OPERATOR_ENDPOINTS[operator])


def grants(granted: Collection[str] | None, scope: str) -> bool:
    """Whether a token's scopes (``None``: a legacy token, every scope) cover ``scope``; ``:write`` includes
    ``:read`` of the same domain."""
    if granted is None or scope in granted:
        return True
    domain, _, access = scope.partition(":")
    return access == "read" and f"{domain}:write" in granted
