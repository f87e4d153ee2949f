"""Shares: single-use scheduling links customized from a one-on-one event type ("Customize once and share").

Since November 2026 Shares can be listed (``shares:read``, the token's own user only), updated while active
and unbooked, and deleted while unbooked (``shares:write``). Creating one is not idempotent: the form that
looks before sending again, ``create_share_once``, is in :mod:`~airflow_provider_calendly.client.recovery.people`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from airflow_provider_calendly.client.base import CalendlyBase
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import MAX_PAGE_SIZE, check_page_size, check_sort, timestamp_param
from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.models import SHARE_SETTINGS, Share

__all__ = ["SharesAPI"]


def _settings(settings: Mapping[str, Any], *, allow_contact: bool) -> dict[str, Any]:
    allowed = set(SHARE_SETTINGS) | ({"contact"} if allow_contact else set())
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise CalendlyConfigError(f"unknown share setting(s) {unknown}; allowed: {sorted(allowed)}")
    name = settings.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 55):
        raise CalendlyConfigError("a share's name is a string of at most 55 characters")
    duration = settings.get("duration")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= 720
    ):
        raise CalendlyConfigError(f"duration must be minutes from 1 to 720, got {duration!r}")
    return dict(settings)


class SharesAPI(CalendlyBase):
    """Create, list, update and delete Shares."""

    def create_share(self, event_type: str, **settings: Any) -> Share:
        """Create a Share of a one-on-one event type (``POST /shares``), sent once.

        :param event_type: The event type's UUID or URI.
        :param settings: Overrides (:data:`~airflow_provider_calendly.models.SHARE_SETTINGS`); the rest is
            copied from the event type.
        """
        payload = {
            "event_type": self.resource_uri("event_types", event_type),
            **_settings(settings, allow_contact=False),
        }
        return self.post_resource("/shares", payload, Share)

    def list_shares(
        self,
        *,
        user: str | None = None,
        event_type: str | None = None,
        min_created_at: datetime | str | None = None,
        max_created_at: datetime | str | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[Share]:
        """List the user's Shares, newest first by default (Calendly lists only the token's own user's).

        :param user: The user's UUID or URI (default: the token's user).
        :param event_type: Only Shares of this event type.
        :param min_created_at: Only Shares created at or after this time.
        :param max_created_at: Only Shares created before this time.
        :param sort: ``created_at:desc`` (Calendly's default) or ``created_at:asc``.
        :param page_size: Items per call (1-100).
        """
        params: dict[str, Any] = {
            "user": self.resource_uri("users", user) if user is not None else self.get_current_user().uri,
            "event_type": self.resource_uri("event_types", event_type) if event_type is not None else None,
            "min_created_at": timestamp_param("min_created_at", min_created_at),
            "max_created_at": timestamp_param("max_created_at", max_created_at),
            "sort": check_sort(sort, "created_at"),
            "count": check_page_size(page_size),
        }
        return self.paginate("/shares", params, Share)

    def update_share(self, uuid_or_uri: str, **changes: Any) -> Share:
        """Change an active, unbooked Share (``PATCH /shares/{uuid}``); ``None`` restores the event type's value.

        :param changes: Any of :data:`~airflow_provider_calendly.models.SHARE_SETTINGS`, or ``contact`` (a
            contact URI; ``None`` removes it).
        """
        if not changes:
            raise CalendlyConfigError("a share update needs at least one setting")
        payload = _settings(changes, allow_contact=True)
        if payload.get("contact") is not None:
            payload["contact"] = self.resource_uri("contacts", payload["contact"])
        return self.patch_resource(self.resource_path("shares", uuid_or_uri), payload, Share)

    def delete_share(self, uuid_or_uri: str) -> None:
        """Delete an unbooked Share (``DELETE /shares/{uuid}``; a booked one answers 409)."""
        self.request("DELETE", self.resource_path("shares", uuid_or_uri))
