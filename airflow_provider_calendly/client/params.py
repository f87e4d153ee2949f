"""Argument checks and query rendering: each argument the API takes is validated here, in one place.

Every check raises :class:`~airflow_provider_calendly.exceptions.CalendlyConfigError` naming the argument,
before any call is made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pendulum

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.models import CONTACT_FIELDS, RECAP_HIGHLIGHTS
from airflow_provider_calendly.timestamps import as_utc, parse_utc

__all__ = [
    "MAX_PAGE_SIZE",
    "check_callback_url",
    "check_contact",
    "check_emails",
    "check_events",
    "check_invitee",
    "check_page_size",
    "check_recap_highlights",
    "check_scope",
    "check_sort",
    "check_status",
    "parse_instant",
    "query_params",
    "timestamp_param",
]

MAX_PAGE_SIZE = 100
"""The most items Calendly returns per page (its ``count`` parameter)."""

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EVENT_NAME_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
_INVITEE_KEYS = frozenset({"email", "timezone", "name", "first_name", "last_name", "text_reminder_number"})


def check_page_size(page_size: int) -> int:
    """Return ``page_size`` if it is an integer from 1 to :data:`MAX_PAGE_SIZE` (Calendly's ``count``)."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise CalendlyConfigError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, got {page_size!r}")
    return page_size


def check_status(status: str | None) -> str | None:
    """A scheduled event's or invitee's ``status`` filter: ``active``, ``canceled`` or none."""
    return None if status is None else CalendlyConfigError.check_choice("status", status, ("active", "canceled"))


def check_sort(sort: str | None, field: str, *more: str) -> str | None:
    """A ``sort`` of ``<field>:asc`` or ``<field>:desc`` (e.g. ``created_at:desc``) of one of the fields, or none."""
    allowed = [f"{name}:{direction}" for name in (field, *more) for direction in ("asc", "desc")]
    if sort is not None and sort not in allowed:
        raise CalendlyConfigError(f"sort must be one of {allowed}, got {sort!r}")
    return sort


def check_scope(scope: str, user: str | None) -> None:
    """A webhook subscription's scope: ``organization``, or ``user`` with the user named."""
    if scope not in {"organization", "user"}:
        raise CalendlyConfigError(f"scope must be 'organization' or 'user', got {scope!r}")
    if scope == "user" and not user:
        raise CalendlyConfigError("scope 'user' needs the user's UUID or URI")


def check_events(events: Iterable[str]) -> list[str]:
    """Webhook event names (``invitee.created``…), each once; names Calendly adds later are accepted."""
    if isinstance(events, str):
        events = [events]
    event_list = list(dict.fromkeys(events))
    if not event_list:
        raise CalendlyConfigError("at least one webhook event is required")
    bad = [e for e in event_list if not isinstance(e, str) or not _EVENT_NAME_RE.match(e)]
    if bad:
        raise CalendlyConfigError(f"invalid webhook event name(s): {bad}")
    return event_list


def check_callback_url(url: str) -> str:
    """A webhook's callback URL: http(s) with a host."""
    callback = urlsplit(url) if isinstance(url, str) else None
    if callback is None or callback.scheme not in {"http", "https"} or not callback.hostname:
        raise CalendlyConfigError(f"webhook url must be an http(s) URL, got {url!r}")
    return url


def check_emails(emails: Iterable[str]) -> list[str]:
    """A non-empty list of email addresses, stripped, each once."""
    if isinstance(emails, str):
        emails = [emails]
    unique = list(dict.fromkeys(e.strip() for e in emails if isinstance(e, str)))
    bad = [e for e in unique if not _EMAIL_RE.match(e)]
    if not unique or bad:
        raise CalendlyConfigError(f"emails must be a non-empty list of email addresses; invalid: {bad}")
    return unique


def check_invitee(invitee: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the Scheduling API's ``invitee`` object: email, IANA timezone and a name."""
    if not isinstance(invitee, Mapping):
        raise CalendlyConfigError("invitee must be a mapping with email, timezone and name")
    unknown = sorted(set(invitee) - _INVITEE_KEYS)
    if unknown:
        raise CalendlyConfigError(f"invitee has unknown key(s) {unknown}; allowed: {sorted(_INVITEE_KEYS)}")
    person = {k: v for k, v in invitee.items() if v is not None}
    if not all(isinstance(v, str) for v in person.values()):
        raise CalendlyConfigError("invitee values must be strings")
    if not _EMAIL_RE.match(person.get("email", "")):
        raise CalendlyConfigError(f"invitee email is not an email address: {person.get('email')!r}")
    if not person.get("name") and not person.get("first_name"):
        raise CalendlyConfigError("invitee needs a name (or first_name)")
    tz = person.get("timezone")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz or "")
    except Exception:
        raise CalendlyConfigError(
            f"invitee timezone must be an IANA time zone such as Europe/London, got {tz!r}"
        ) from None
    return person


#: The most emails, and phone numbers, a contact may have.
MAX_CONTACT_ENTRIES = 10


def check_contact(fields: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate a contact's fields for ``POST /contacts`` (``creating``: name and emails required) or ``PATCH``.

    ``emails`` are ``{"email", "is_primary"}`` objects (at most 10, exactly one primary); ``phone_numbers``
    ``{"phone_number"}`` objects (at most 10); ``custom_fields`` ``{"uuid", "value"}`` objects.
    """
    if not isinstance(fields, Mapping):
        raise CalendlyConfigError("contact fields must be a mapping")
    unknown = sorted(set(fields) - set(CONTACT_FIELDS))
    if unknown:
        raise CalendlyConfigError(f"unknown contact field(s) {unknown}; allowed: {list(CONTACT_FIELDS)}")
    if not fields:
        raise CalendlyConfigError("a contact update needs at least one field")
    if creating and not (isinstance(fields.get("name"), str) and fields["name"].strip()):
        raise CalendlyConfigError("a new contact needs a name")
    if creating and "emails" not in fields:
        raise CalendlyConfigError("a new contact needs an email address")
    contact = dict(fields)
    if "emails" in contact:
        emails = contact["emails"]
        if not isinstance(emails, list) or not 1 <= len(emails) <= MAX_CONTACT_ENTRIES:
            raise CalendlyConfigError(f"emails must be a list of 1 to {MAX_CONTACT_ENTRIES} email objects")
        for entry in emails:
            if not isinstance(entry, Mapping) or not _EMAIL_RE.match(str(entry.get("email", ""))):
                raise CalendlyConfigError(f"each email needs an 'email' address, got {entry!r}")
        if sum(1 for entry in emails if entry.get("is_primary") is True) != 1:
            raise CalendlyConfigError("exactly one email must have is_primary true")
    phones = contact.get("phone_numbers")
    if phones is not None and (
        not isinstance(phones, list)
        or len(phones) > MAX_CONTACT_ENTRIES
        or not all(isinstance(p, Mapping) and isinstance(p.get("phone_number"), str) for p in phones)
    ):
        raise CalendlyConfigError(f"phone_numbers must be a list of at most {MAX_CONTACT_ENTRIES} phone_number objects")
    custom = contact.get("custom_fields")
    if custom is not None and (
        not isinstance(custom, list) or not all(isinstance(c, Mapping) and {"uuid", "value"} <= set(c) for c in custom)
    ):
        raise CalendlyConfigError("custom_fields must be a list of {'uuid', 'value'} objects")
    return contact


def check_recap_highlights(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The highlights a recap update sets: any of :data:`RECAP_HIGHLIGHTS`, each Markdown text or ``None``."""
    unknown = sorted(set(changes) - set(RECAP_HIGHLIGHTS))
    if unknown or not changes:
        raise CalendlyConfigError(
            f"a recap update takes one or more of {list(RECAP_HIGHLIGHTS)}, got {sorted(changes)}"
        )
    bad = [k for k, v in changes.items() if v is not None and not isinstance(v, str)]
    if bad:
        raise CalendlyConfigError(f"recap highlights must be Markdown text or None: {bad}")
    return dict(changes)


def timestamp_param(name: str, value: datetime | str | None) -> str | None:
    """Format a time filter as Calendly's UTC ISO 8601 (naive is UTC), rejecting what does not parse."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = pendulum.parse(value)
        except Exception:
            raise CalendlyConfigError(f"{name} is not an ISO 8601 timestamp: {value!r}") from None
        if not isinstance(parsed, datetime):
            raise CalendlyConfigError(f"{name} is not an ISO 8601 timestamp: {value!r}")
        value = parsed
    if not isinstance(value, datetime):
        raise CalendlyConfigError(f"{name} must be a datetime or ISO 8601 string, got {type(value).__name__}")
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(name: str, value: datetime | str) -> datetime:
    """Parse a required instant to an aware UTC datetime (naive is UTC), with a clear error."""
    text = timestamp_param(name, value)
    if text is None:
        raise CalendlyConfigError(f"{name} is required")
    return parse_utc(text)


def query_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Drop ``None`` filters and render booleans the way Calendly expects (``true``/``false``)."""
    if not params:
        return None
    clean: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        clean[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return clean
