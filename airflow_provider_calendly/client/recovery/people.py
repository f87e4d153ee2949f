"""Contacts, meeting recaps and Shares: created once (looked up before re-sending) and deleted once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from airflow_provider_calendly.client.contacts import ContactsAPI
from airflow_provider_calendly.client.meeting_recaps import MeetingRecapsAPI
from airflow_provider_calendly.client.params import check_contact
from airflow_provider_calendly.client.recovery.once import delete_once, write_once
from airflow_provider_calendly.client.shares import SharesAPI
from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyConfigError
from airflow_provider_calendly.models import Contact, Share

__all__ = ["SHARE_LOOK_MARGIN", "PeopleRecovery"]

#: How long before a Share's creation was attempted a Share found by the look may have been created (Calendly's
#: clock and this host's may differ; its reference states no bound).
SHARE_LOOK_MARGIN = timedelta(minutes=5)


def _may_have_created(exc: CalendlyAPIError) -> bool:
    # No answer or a 5xx: the create may have landed; a 409: a contact with that email exists already.
    return exc.status_code is None or exc.status_code >= 500 or exc.status_code == 409


class PeopleRecovery(ContactsAPI, MeetingRecapsAPI, SharesAPI):
    """Ensure and remove contacts, remove recaps and Shares, create a Share once."""

    def ensure_contact(self, email: str, *, name: str, **fields: Any) -> tuple[Contact, bool]:
        """Create a contact unless one with this email exists; return ``(contact, created_by_this_call)``.

        The contact is looked up by email first (one call), so a rerun, an Airflow retry or a POST whose answer
        was lost (dropped, 5xx, or Calendly's 409 for an existing contact) never creates a second one.

        :param email: The primary email address (the identity looked up).
        :param name: The contact's name.
        :param fields: Other fields (``phone_numbers``, ``company``, ``job_title``, ``custom_fields``…).
        """
        if "emails" in fields:
            raise CalendlyConfigError("pass the primary address as email; other addresses can be added by an update")
        payload = {"name": name, "emails": [{"email": email, "is_primary": True}], **fields}
        check_contact(payload, creating=True)

        def look(failure: CalendlyAPIError | None) -> Contact | None:
            found = self.find_contact(email)
            if found is not None:
                self.log.info("Contact %s already exists for %s: not creating another", found.uri, email)
            return found

        return write_once(
            partial(self.create_contact, payload), look, may_have_applied=_may_have_created, look_first=True
        )

    def contact_uri(self, *, contact: str | None = None, email: str | None = None) -> str | None:
        """The canonical URI of a contact given by UUID/URI, or by email (``None``: no contact has that email)."""
        if (contact is None) == (email is None):
            raise CalendlyConfigError("pass exactly one of contact or email")
        if contact is not None:
            return self.resource_uri("contacts", contact)
        found = self.find_contact(email or "")
        return found.uri if found is not None else None

    def remove_contact(self, *, contact: str | None = None, email: str | None = None) -> tuple[str | None, bool]:
        """Delete a contact by UUID/URI or email; return ``(uri, deleted_by_this_call)``: already gone is success."""
        uri = self.contact_uri(contact=contact, email=email)
        if uri is None:
            self.log.info("No contact has the email %s: nothing to delete", email)
            return None, False
        deleted = delete_once(partial(self.delete_contact, uri))
        self.log.info("Deleted contact %s" if deleted else "Contact %s was already gone", uri)
        return uri, deleted

    def remove_meeting_recap(self, uuid_or_uri: str) -> bool:
        """Delete a meeting recap; ``False`` if it was already gone."""
        uri = self.resource_uri("meeting_recaps", uuid_or_uri)
        deleted = delete_once(partial(self.delete_meeting_recap, uri))
        self.log.info("Deleted meeting recap %s" if deleted else "Meeting recap %s was already gone", uri)
        return deleted

    def remove_share(self, uuid_or_uri: str) -> bool:
        """Delete an unbooked Share; ``False`` if it was already gone (a booked one raises Calendly's 409)."""
        uri = self.resource_uri("shares", uuid_or_uri)
        deleted = delete_once(partial(self.delete_share, uri))
        self.log.info("Deleted share %s" if deleted else "Share %s was already gone", uri)
        return deleted

    def create_share_once(
        self, event_type: str, *, look_first: bool = False, now: datetime | None = None, **settings: Any
    ) -> tuple[Share, bool]:
        """Create a Share; after a lost answer, look for it before sending again. Return ``(share, created)``.

        Creating a Share is not idempotent at Calendly. A POST that may have applied (dropped, 5xx) is followed by
        a look (needs ``shares:read``): a Share of this event type created since the attempt (less
        :data:`SHARE_LOOK_MARGIN`) whose settings equal the ones sent counts as this one. ``look_first`` looks
        before the first POST too (an Airflow retry).

        :param event_type: The event type's UUID or URI.
        :param now: The current time (injectable for tests).
        :param settings: The Share's overrides (see :meth:`create_share`).
        """
        uri = self.resource_uri("event_types", event_type)
        since = (now or datetime.now(timezone.utc)) - SHARE_LOOK_MARGIN

        def look(failure: CalendlyAPIError | None) -> Share | None:
            for share in self.list_shares(event_type=uri, min_created_at=since):
                override = share.share_override.model_dump() if share.share_override is not None else {}
                if all(override.get(key) == value for key, value in settings.items()):
                    self.log.info("Share %s of %s already exists: not creating another", share.uri, uri)
                    return share
            return None

        return write_once(
            partial(self.create_share, uri, **settings),
            look,
            may_have_applied=lambda exc: exc.status_code is None or exc.status_code >= 500,
            look_first=look_first,
        )
