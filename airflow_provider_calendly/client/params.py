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
from airflow_provider_calendly.limits import event_data_deletion_end
from airflow_provider_calendly.timestamps import as_utc, parse_utc

__all__ = [
    "BUFFER_MINUTES",
    "EVENT_TYPE_LOCALES",
    "MAX_PAGE_SIZE",
    "MEETING_LIMIT_RANGE",
    "WEBHOOK_SCOPES",
    "check_availability_rules",
    "check_callback_url",
    "check_date_setting",
    "check_email",
    "check_emails",
    "check_event_type_fields",
    "check_events",
    "check_invitee",
    "check_locations",
    "check_meeting_limits",
    "check_page_size",
    "check_past_range",
    "check_scope",
    "check_sort",
    "check_status",
    "check_text",
    "check_timezone",
    "check_whole",
    "is_templated",
    "parse_instant",
    "query_params",
    "timestamp_param",
]

MAX_PAGE_SIZE = 100
"""The most items Calendly returns per page (its ``count`` parameter)."""
#: A webhook subscription's scopes: the whole organization, one user's meetings, or one group's.
WEBHOOK_SCOPES = ("organization", "user", "group")

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EVENT_NAME_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
_INVITEE_KEYS = frozenset({"email", "timezone", "name", "first_name", "last_name", "text_reminder_number"})


def is_templated(value: Any) -> bool:
    """Whether an operator's argument is (or holds) a Jinja template: it is checked once rendered, at execute."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, Mapping):
        return any(is_templated(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_templated(v) for v in value)
    return False


def check_page_size(page_size: int) -> int:
    """Return ``page_size`` if it is an integer from 1 to :data:`MAX_PAGE_SIZE` (Calendly's ``count``)."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise CalendlyConfigError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, got {page_size!r}")
    return page_size


def check_status(status: str | None) -> str | None:
    """A scheduled event's or invitee's ``status`` filter: ``active``, ``canceled`` or none."""
    return None if status is None else CalendlyConfigError.check_choice("status", status, ("active", "canceled"))


def check_sort(sort: str | None, field: str) -> str | None:
    """A ``sort`` of ``<field>:asc`` or ``<field>:desc`` (e.g. ``created_at:desc``), or none."""
    if sort is not None and sort not in {f"{field}:asc", f"{field}:desc"}:
        raise CalendlyConfigError(f"sort must be '{field}:asc' or '{field}:desc', got {sort!r}")
    return sort


def check_scope(scope: str, user: str | None, group: str | None = None) -> None:
    """A webhook subscription's scope: ``organization``, ``user`` with the user named, or ``group`` with the group."""
    CalendlyConfigError.check_choice("scope", scope, WEBHOOK_SCOPES)
    if scope == "user" and not user:
        raise CalendlyConfigError("scope 'user' needs the user's UUID or URI")
    if scope == "group" and not group:
        raise CalendlyConfigError("scope 'group' needs the group's UUID or URI")


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
    check_timezone("invitee timezone", person.get("timezone"))
    return person


def check_timezone(name: str, tz: Any) -> str:
    """An IANA time zone name (``Europe/London``)."""
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz or "")
    except Exception:
        raise CalendlyConfigError(f"{name} must be an IANA time zone such as Europe/London, got {tz!r}") from None
    return str(tz)


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


# --- organization administration, availability and event type writes -------------------------------------

#: Calendly's bounds of a user's meeting limits (per day, week and month).
MEETING_LIMIT_RANGE = (1, 9999)
#: Buffer lengths (minutes) Calendly accepts before and after an event type's meetings.
BUFFER_MINUTES = (0, 5, 10, 15, 30, 45, 60, 90, 120, 150, 180)
#: Languages of a booking page Calendly accepts as an event type's ``locale``.
EVENT_TYPE_LOCALES = ("de", "en", "es", "fr", "it", "nl", "pt", "uk")
_COLOR_RE = re.compile(r"^#[a-f0-9]{6}$")
_HOUR_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def check_whole(name: str, value: Any, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` (``30.0`` is read as ``30``; booleans are refused)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CalendlyConfigError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    return value


def check_email(name: str, email: Any) -> str:
    """One email address, stripped."""
    if not isinstance(email, str) or not _EMAIL_RE.match(email.strip()):
        raise CalendlyConfigError(f"{name} must be an email address, got {email!r}")
    return email.strip()


def check_text(name: str, value: Any, *, max_length: int | None = None) -> str:
    """A non-blank string (at most ``max_length`` characters)."""
    if not isinstance(value, str) or not value.strip():
        raise CalendlyConfigError(f"{name} must be a non-empty string, got {value!r}")
    if max_length is not None and len(value) > max_length:
        raise CalendlyConfigError(f"{name} must be at most {max_length} characters, got {len(value)}")
    return value


def check_meeting_limits(limits: Mapping[str, Any]) -> dict[str, int | None]:
    """``daily_limit``/``weekly_limit``/``monthly_limit``: at least one, each 1-9999 or ``None`` (remove it)."""
    if not limits:
        raise CalendlyConfigError("pass at least one of daily_limit, weekly_limit or monthly_limit")
    return {
        name: None if value is None else check_whole(name, value, *MEETING_LIMIT_RANGE)
        for name, value in limits.items()
    }


def check_event_type_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The settable fields of a one-on-one event type (``POST``/``PATCH /event_types``), each checked; ``None``
    values are left out (``PATCH`` keeps a field it is not sent)."""
    given = {k: v for k, v in fields.items() if v is not None}
    checked: dict[str, Any] = {}
    for name, value in given.items():
        if name in ("name", "description"):
            checked[name] = check_text(name, value)
        elif name == "active":
            if not isinstance(value, bool):
                raise CalendlyConfigError(f"active must be True or False, got {value!r}")
            checked[name] = value
        elif name == "duration":
            checked[name] = check_whole(name, value, 1, 720)
        elif name == "duration_options":
            options = [check_whole(name, v, 1, 720) for v in value] if isinstance(value, list | tuple) else None
            if options is None or not options or len(options) > 4 or len(set(options)) != len(options):
                raise CalendlyConfigError(f"duration_options must be 1-4 distinct minutes from 1 to 720, got {value!r}")
            checked[name] = options
        elif name == "color":
            if not isinstance(value, str) or not _COLOR_RE.match(value):
                raise CalendlyConfigError(f"color must be a lowercase hex color such as '#0069ff', got {value!r}")
            checked[name] = value
        elif name == "locale":
            checked[name] = CalendlyConfigError.check_choice("locale", value, EVENT_TYPE_LOCALES)
        elif name == "start_time_increment":
            checked[name] = check_whole(name, value, 5, 720)
        elif name in ("before_buffer", "after_buffer"):
            if check_whole(name, value, 0, 180) not in BUFFER_MINUTES:
                raise CalendlyConfigError(f"{name} must be one of {list(BUFFER_MINUTES)} minutes, got {value!r}")
            checked[name] = int(value)
        elif name == "locations":
            checked[name] = check_locations(value)
        else:
            raise CalendlyConfigError(f"unknown event type field {name!r}")
    if (
        "duration" in checked
        and "duration_options" in checked
        and checked["duration"] not in checked["duration_options"]
    ):
        raise CalendlyConfigError("duration must be one of duration_options")
    return checked


def check_locations(locations: Any) -> list[dict[str, Any]]:
    """Event type locations: a list of objects, each with a ``kind`` (``zoom_conference``, ``physical``…)."""
    if not isinstance(locations, list | tuple) or not all(
        isinstance(loc, Mapping) and isinstance(loc.get("kind"), str) and loc["kind"] for loc in locations
    ):
        raise CalendlyConfigError(f"locations must be a list of objects with a 'kind', got {locations!r}")
    return [dict(loc) for loc in locations]


def check_availability_rules(rules: Any) -> list[dict[str, Any]]:
    """Availability rules: ``{"type": "wday", "wday": "monday", "intervals": [{"from": "09:00", "to": "17:00"}]}``
    or ``{"type": "date", "date": "2026-12-24", "intervals": []}`` (no intervals: unavailable)."""
    if not isinstance(rules, list | tuple) or not rules:
        raise CalendlyConfigError(f"rules must be a non-empty list of availability rules, got {rules!r}")
    checked = []
    for rule in rules:
        if not isinstance(rule, Mapping):
            raise CalendlyConfigError(f"an availability rule must be an object, got {rule!r}")
        kind = CalendlyConfigError.check_choice("rule type", str(rule.get("type")), ("wday", "date"))
        if kind == "wday":
            CalendlyConfigError.check_choice("rule wday", str(rule.get("wday")), _WEEKDAYS)
        elif not isinstance(rule.get("date"), str) or not _DATE_RE.match(rule["date"]):
            raise CalendlyConfigError(f"a date rule needs a date as YYYY-MM-DD, got {rule.get('date')!r}")
        intervals = rule.get("intervals", [])
        if not isinstance(intervals, list | tuple) or not all(
            isinstance(i, Mapping)
            and all(isinstance(i.get(k), str) and _HOUR_RE.match(i[k]) for k in ("from", "to"))
            and i["from"] < i["to"]
            for i in intervals
        ):
            raise CalendlyConfigError(f"intervals must be [{{'from': 'HH:MM', 'to': 'HH:MM'}}, …], got {intervals!r}")
        checked.append({**rule, "intervals": [dict(i) for i in intervals]})
    return checked


def check_past_range(start: datetime | str, end: datetime | str, *, now: datetime) -> tuple[str, str]:
    """A time range that ended in the past and spans at most 24 months (Calendly's event data deletion), as
    Calendly's UTC timestamps."""
    lo, hi = parse_instant("start_time", start), parse_instant("end_time", end)
    if hi <= lo:
        raise CalendlyConfigError(f"end_time ({hi.isoformat()}) must be after start_time ({lo.isoformat()})")
    if hi > now:
        raise CalendlyConfigError(f"end_time ({hi.isoformat()}) must be in the past")
    if hi > event_data_deletion_end(lo):
        raise CalendlyConfigError(f"the range can span at most 24 months, got {hi - lo}")
    return timestamp_param("start_time", lo) or "", timestamp_param("end_time", hi) or ""


def check_date_setting(setting: Any) -> dict[str, Any]:
    """A one-off event type's bookable dates: ``{"type": "date_range", "start_date": "2026-12-01", "end_date":
    "2026-12-05"}`` (``YYYY-MM-DD``, start before end), or another ``type`` Calendly documents, sent as given."""
    if not isinstance(setting, Mapping) or not isinstance(setting.get("type"), str) or not setting["type"]:
        raise CalendlyConfigError(f"date_setting must be an object with a 'type', got {setting!r}")
    if setting["type"] == "date_range":
        dates = [str(setting.get("start_date")), str(setting.get("end_date"))]
        if not all(_DATE_RE.match(d) for d in dates) or dates[0] >= dates[1]:
            raise CalendlyConfigError(f"a date_range needs start_date before end_date (YYYY-MM-DD), got {setting!r}")
    return dict(setting)
