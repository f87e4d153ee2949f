"""Calendly's token scopes, declared once: which scope each API endpoint needs.

Calendly's personal access tokens and OAuth apps carry explicit scopes (``event_types:read``…); a ``:write``
scope includes its ``:read``. This table is the one place that says which endpoint needs which scope: the
emulator enforces it, and what the transfer's resources and the operators need is derived from it.
Keys are ``(method, collection)``: the HTTP method and the first segment of the endpoint's path.
"""

from __future__ import annotations

__all__ = ["ENDPOINT_SCOPES"]

ENDPOINT_SCOPES: dict[tuple[str, str], str] = {
    # users and the organization
    ("GET", "users"): "users:read",
    ("GET", "organizations"): "organizations:read",
    ("GET", "organization_memberships"): "organizations:read",
    ("DELETE", "organization_memberships"): "organizations:write",
    ("GET", "groups"): "groups:read",
    ("GET", "group_relationships"): "groups:read",
    ("GET", "activity_log_entries"): "activity_log:read",
    # scheduling
    ("GET", "event_types"): "event_types:read",
    ("GET", "event_type_memberships"): "event_types:read",
    ("GET", "event_type_available_times"): "availability:read",
    ("GET", "user_availability_schedules"): "availability:read",
    ("GET", "scheduled_events"): "scheduled_events:read",
    ("POST", "scheduled_events"): "scheduled_events:write",
    ("POST", "invitees"): "scheduled_events:write",
    ("GET", "invitee_no_shows"): "scheduled_events:read",
    ("POST", "invitee_no_shows"): "scheduled_events:write",
    ("DELETE", "invitee_no_shows"): "scheduled_events:write",
    ("POST", "scheduling_links"): "scheduling_links:write",
    # routing forms
    ("GET", "routing_forms"): "routing_forms:read",
    ("GET", "routing_form_submissions"): "routing_forms:read",
    # webhooks
    ("GET", "webhook_subscriptions"): "webhooks:read",
    ("POST", "webhook_subscriptions"): "webhooks:write",
    ("DELETE", "webhook_subscriptions"): "webhooks:write",
    # compliance
    ("POST", "data_compliance"): "data_compliance:write",
    # contacts, meeting recaps, shares
    ("GET", "contacts"): "contacts:read",  # contacts and /contacts/custom_field_definitions
    ("POST", "contacts"): "contacts:write",
    ("PATCH", "contacts"): "contacts:write",
    ("DELETE", "contacts"): "contacts:write",
    ("GET", "contact_lists"): "contacts:read",
    ("POST", "contact_lists"): "contacts:write",  # create a List, add or remove its memberships
    ("PATCH", "contact_lists"): "contacts:write",
    ("GET", "notes"): "contacts:read",
    ("POST", "notes"): "contacts:write",
    ("GET", "meeting_recaps"): "meeting_recaps:read",  # recaps and /meeting_recaps/{uuid}/transcript
    ("PATCH", "meeting_recaps"): "meeting_recaps:write",
    ("DELETE", "meeting_recaps"): "meeting_recaps:write",
    ("GET", "shares"): "shares:read",
    ("POST", "shares"): "shares:write",
    ("PATCH", "shares"): "shares:write",
    ("DELETE", "shares"): "shares:write",
}
