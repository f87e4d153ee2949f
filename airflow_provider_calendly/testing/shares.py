"""The emulator's Shares of the token's user: one-on-one event types with their settings overridden.

Built from the emulator's dataset, deterministic by seed (a few Shares of the user's one-on-one event types);
``POST``, ``PATCH`` and ``DELETE`` as Calendly does them (a booked Share can no longer change or go). A part of
:class:`~airflow_provider_calendly.testing.people.EmulatorPeople`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow_provider_calendly.models import SHARE_SETTINGS
from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter
from airflow_provider_calendly.testing.people_base import PeopleBase
from airflow_provider_calendly.testing.state import snapshot
from airflow_provider_calendly.uris import uuid_from_uri

__all__ = ["EmulatorShares"]


class EmulatorShares(PeopleBase):
    """Shares of the token's user's one-on-one event types."""

    shares: list[dict[str, Any]]
    #: The contacts a Share can be for (:class:`~airflow_provider_calendly.testing.contacts.EmulatorContacts`').
    contacts: list[dict[str, Any]]

    # -- setup --

    def _build_shares(self, now: datetime) -> None:
        """Two Shares of the user's one-on-one event types, made before ``now`` (the second one expired)."""
        self.shares = []
        solo = self.shareable_event_types()
        for n, event_type in enumerate(solo[:2]):
            share = self._share(
                event_type, {"name": f"{event_type['name']} (for you)"}, iso(now - timedelta(days=3 - n))
            )
            share["status"] = "active" if n == 0 else "expired"
            self.shares.append(share)

    def _share(self, event_type: dict[str, Any], settings: dict[str, Any], created: str) -> dict[str, Any]:
        share_id = self._id()
        effective = {
            "name": event_type["name"],
            "duration": event_type["duration"],
            "duration_options": event_type["duration_options"],
            "period_type": "moving",
            "start_date": None,
            "end_date": None,
            "max_booking_time": 60,
            "min_booking_time": 4,
            "hide_location": False,
            "location_configurations": [{"kind": "zoom_conference", "location": None, "position": 0}],
            "availability_rule": {"rules": [], "timezone": self.owner["timezone"]},
        }
        return {
            "uri": self._uri("shares", share_id),
            "contact": None,
            "status": "active",
            "created_at": created,
            "scheduling_links": [
                {
                    "booking_url": f"https://calendly.com/d/{share_id[:6]}",
                    "owner": event_type["uri"],
                    "owner_type": "EventType",
                }
            ],
            "share_override": {**effective, **settings},
        }

    # -- lookups --

    def shareable_event_types(self) -> list[dict[str, Any]]:
        """One-on-one event types Shares can be made of: the user's own, else (an owner of the organization) any."""
        solo = [t for t in self.state.data.event_types if t["kind"] == "solo"]
        return [t for t in solo if t["profile"]["owner"] == self.owner["uri"]] or solo

    # -- changes --

    def create_share(self, body: Any) -> dict[str, Any]:
        """Create a Share of a one-on-one event type of the user (what ``POST /shares`` does)."""
        if not isinstance(body, dict) or not isinstance(body.get("event_type"), str):
            raise invalid_parameter("event_type", "is required")
        with self.state.lock:
            event_type = next(
                (
                    t
                    for t in self.state.data.event_types
                    if uuid_from_uri(t["uri"]) == uuid_from_uri(body["event_type"])
                ),
                None,
            )
            if event_type is None:
                raise ApiError(404)
            if event_type["kind"] != "solo":
                raise invalid_parameter("event_type", "Shares are only available for one-on-one event types")
            settings = self._check_share_settings({k: v for k, v in body.items() if k != "event_type"})
            share = self._share(event_type, settings, self._now())
            self.shares.append(share)
            return dict(snapshot(share))

    def _check_share_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        name = settings.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > 55):
            raise invalid_parameter("name", "must be at most 55 characters")
        duration = settings.get("duration")
        if duration is not None and (not isinstance(duration, int) or not 1 <= duration <= 720):
            raise invalid_parameter("duration", "must be from 1 to 720")
        return {k: v for k, v in settings.items() if k in SHARE_SETTINGS}

    def update_share(self, share_uuid: str, changes: Any) -> dict[str, Any]:
        """Change an active, unbooked Share (what ``PATCH /shares/{uuid}`` does); ``null`` restores a setting."""
        if not isinstance(changes, dict) or not changes:
            raise invalid_parameter("body", "at least one field is required")
        with self.state.lock:
            share = self.find(self.shares, share_uuid)
            if share["status"] != "active":
                raise ApiError(409, f"Only active, unbooked Shares can be updated; this one is {share['status']}.")
            for key in changes:
                if key not in (*SHARE_SETTINGS, "contact"):
                    raise invalid_parameter(key, "is not a supported field")
            if "contact" in changes:
                contact = changes["contact"]
                if contact is not None and not any(c["uri"] == self.state.canonical(contact) for c in self.contacts):
                    raise invalid_parameter("contact", "must be the URI of one of your contacts")
                share["contact"] = self.state.canonical(contact) if contact is not None else None
            owner = share["scheduling_links"][0]["owner"]
            event_type = next(t for t in self.state.data.event_types if t["uri"] == owner)
            restored = self._share(event_type, {}, share["created_at"])["share_override"]
            settings = self._check_share_settings({k: v for k, v in changes.items() if v is not None})
            for key in changes:
                if key in SHARE_SETTINGS:
                    share["share_override"][key] = settings.get(key, restored.get(key))
            return dict(snapshot(share))

    def book_share(self, share_uuid: str) -> None:
        """An invitee books through a Share: it turns ``booked`` (and can no longer change or go)."""
        with self.state.lock:
            self.find(self.shares, share_uuid)["status"] = "booked"

    def delete_share(self, share_uuid: str) -> None:
        """Delete an unbooked Share (what ``DELETE /shares/{uuid}`` does); 409 for a booked one."""
        with self.state.lock:
            share = self.find(self.shares, share_uuid)
            if share["status"] == "booked":
                raise ApiError(409, "A booked Share cannot be deleted.")
            self.shares.remove(share)
