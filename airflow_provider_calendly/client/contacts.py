"""Contacts: the people a user meets, their custom field definitions, Lists and Views, and private notes.

Contacts are available on every plan since November 2026 (``contacts:read`` / ``contacts:write``). What the
API returns is what the token's user can see. The write that must not double on a lost answer,
:meth:`~airflow_provider_calendly.client.recovery.people.PeopleRecovery.ensure_contact`, is in
:mod:`~airflow_provider_calendly.client.recovery.people`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_calendly.client.base import CalendlyBase
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import MAX_PAGE_SIZE, check_contact, check_page_size, check_sort
from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.models import Contact, ContactCustomFieldDefinition, ContactList, Note

__all__ = ["MAX_NOTE_CONTACTS", "ContactsAPI"]

#: The most contacts ``GET /notes`` takes at once.
MAX_NOTE_CONTACTS = 10
_LIST_TYPES = ("static_list", "dynamic_view")


def _values(name: str, values: str | Iterable[str] | None) -> str | None:
    """A comma-separated list filter (one value, or several)."""
    if values is None:
        return None
    items = [values] if isinstance(values, str) else list(values)
    if not items or not all(isinstance(v, str) and v and "," not in v for v in items):
        raise CalendlyConfigError(f"{name} must be a non-empty string or list of strings without commas")
    return ",".join(items)


class ContactsAPI(CalendlyBase):
    """Contacts, custom field definitions, Lists and Views, notes."""

    # -- contacts --

    def list_contacts(
        self,
        *,
        email: str | Iterable[str] | None = None,
        name: str | Iterable[str] | None = None,
        company: str | Iterable[str] | None = None,
        contact_list: str | None = None,
        sort: str | None = None,
        exclude_custom_fields: bool = False,
        page_size: int = MAX_PAGE_SIZE,
        **filters: str | Iterable[str],
    ) -> PageIterator[Contact]:
        """List the contacts the token's user can see.

        :param email: Only contacts with this (or one of these) exact email address(es).
        :param name: Only contacts whose name contains this (or one of these).
        :param company: Only contacts whose company contains this (or one of these).
        :param contact_list: Only the contacts of this List or View (UUID or URI).
        :param sort: ``created_at:asc|desc`` or ``updated_at:asc|desc``.
        :param exclude_custom_fields: Leave ``custom_fields`` out of the response (smaller pages).
        :param page_size: Items per call (1-100).
        :param filters: Calendly's other filters: ``phone_number``, ``timezone``, ``job_title``, ``country``,
            ``state``, ``city``.
        """
        unknown = sorted(set(filters) - {"phone_number", "timezone", "job_title", "country", "state", "city"})
        if unknown:
            raise CalendlyConfigError(f"unknown contact filter(s) {unknown}")
        params: dict[str, Any] = {
            "email": _values("email", email),
            "name": _values("name", name),
            "company": _values("company", company),
            **{key: _values(key, value) for key, value in filters.items()},
            "contact_list": self.resource_uri("contact_lists", contact_list) if contact_list is not None else None,
            "sort": check_sort(sort, "created_at", "updated_at"),
            "exclude": "custom_fields" if exclude_custom_fields else None,
            "count": check_page_size(page_size),
        }
        return self.paginate("/contacts", params, Contact)

    def get_contact(self, uuid_or_uri: str) -> Contact:
        """Return one contact."""
        return self.get_resource(self.resource_path("contacts", uuid_or_uri), Contact)

    def find_contact(self, email: str) -> Contact | None:
        """Return the contact with this email address, if the user has one (one call)."""
        return next(iter(self.list_contacts(email=email, page_size=1)), None)

    def create_contact(self, fields: Mapping[str, Any]) -> Contact:
        """Create a contact (``POST /contacts``), sent once.

        :meth:`ensure_contact` finds an existing contact by email first and never creates two: use it unless
        you handle a lost answer yourself.
        """
        return self.post_resource("/contacts", check_contact(fields, creating=True), Contact)

    def update_contact(self, uuid_or_uri: str, changes: Mapping[str, Any]) -> Contact:
        """Change a contact's fields (``PATCH /contacts/{uuid}``); ``emails`` and ``phone_numbers`` replace lists."""
        path = self.resource_path("contacts", uuid_or_uri)
        return self.patch_resource(path, check_contact(changes, creating=False), Contact)

    def delete_contact(self, uuid_or_uri: str) -> None:
        """Delete a contact (``DELETE /contacts/{uuid}``)."""
        self.request("DELETE", self.resource_path("contacts", uuid_or_uri))

    # -- custom field definitions --

    def list_contact_custom_field_definitions(self) -> PageIterator[ContactCustomFieldDefinition]:
        """List the custom field definitions of contacts (Calendly answers them all in one call)."""
        return self.paginate("/contacts/custom_field_definitions", {}, ContactCustomFieldDefinition)

    def get_contact_custom_field_definition(self, uuid_or_uri: str) -> ContactCustomFieldDefinition:
        """Return one custom field definition (its URI is ``…/contacts/custom_field_definitions/{uuid}``)."""
        if isinstance(uuid_or_uri, str) and "/" in uuid_or_uri:
            segments = self.identity.segments(uuid_or_uri)
            if len(segments) != 3 or segments[:2] != ["contacts", "custom_field_definitions"]:
                raise CalendlyConfigError(f"{uuid_or_uri!r} is not a Calendly custom field definition URI")
            uuid_or_uri = segments[2]
        uuid = self.identity.path("custom_field_definitions", uuid_or_uri).rsplit("/", 1)[-1]
        return self.get_resource(f"/contacts/custom_field_definitions/{uuid}", ContactCustomFieldDefinition)

    # -- Lists and Views --

    def list_contact_lists(self, *, type: str | None = None) -> PageIterator[ContactList]:
        """List the user's Lists (``static_list``) and Views (``dynamic_view``); all of them come in one call.

        :param type: Only ``static_list`` or only ``dynamic_view``.
        """
        kind = None if type is None else CalendlyConfigError.check_choice("type", type, _LIST_TYPES)
        return self.paginate("/contact_lists", {"type": kind}, ContactList)

    def get_contact_list(self, uuid_or_uri: str) -> ContactList:
        """Return one List or View."""
        return self.get_resource(self.resource_path("contact_lists", uuid_or_uri), ContactList)

    # -- notes --

    def list_notes(self, contacts: str | Iterable[str], *, page_size: int = MAX_PAGE_SIZE) -> PageIterator[Note]:
        """List the user's own notes about 1 to 10 contacts (UUIDs or URIs), most recently updated first."""
        uris = [self.resource_uri("contacts", c) for c in ([contacts] if isinstance(contacts, str) else contacts)]
        if not 1 <= len(uris) <= MAX_NOTE_CONTACTS:
            raise CalendlyConfigError(f"notes are listed for 1 to {MAX_NOTE_CONTACTS} contacts, got {len(uris)}")
        return self.paginate("/notes", {"contact": ",".join(uris), "count": check_page_size(page_size)}, Note)

    def get_note(self, uuid_or_uri: str) -> Note:
        """Return one of the user's notes."""
        return self.get_resource(self.resource_path("notes", uuid_or_uri), Note)
