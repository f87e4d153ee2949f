"""The project's own compact schemas of the Calendly API v2 objects the provider reads.

Written from the facts of Calendly's published API description (field names, JSON types, which fields are
required, which may be ``null``, enum values): not a copy of it. Two uses, both directions of the contract:

* :func:`violations` checks that a payload (e.g. one the emulator served) conforms;
* :func:`payloads` generates conforming payloads (nulls, floats where the type is ``number``, optional
  fields left out, unknown fields added) that the models and the transfer must accept.

Field kinds: ``str``, ``num`` (JSON number: 30, 30.0 and 30.5 are all valid), ``bool``, ``ts`` (date-time),
``url`` (any absolute URL), ``ref:<collection>`` (a Calendly resource URI, always canonical
``https://api.calendly.com/<collection>/...``), ``obj:<Schema>``, ``list:<kind>`` and ``enum``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from hypothesis import strategies as st

CANONICAL = "https://api.calendly.com"


@dataclass(frozen=True)
class F:
    """One field: its kind, whether it may be ``null``, whether it may be absent, its enum values."""

    kind: str
    nullable: bool = False
    optional: bool = False
    enum: tuple[str, ...] = ()


def E(*values: str, nullable: bool = False, optional: bool = False) -> F:
    return F("enum", nullable=nullable, optional=optional, enum=values)


S, N, B, TS, URL = F("str"), F("num"), F("bool"), F("ts"), F("url")
S_NULL, TS_NULL, URL_NULL = F("str", nullable=True), F("ts", nullable=True), F("url", nullable=True)

#: A user as a membership embeds it; the user resource itself adds its current organization.
USER_FIELDS: dict[str, F] = {
    "uri": F("ref:users"),
    "name": S,
    "slug": S,
    "email": S,
    "scheduling_url": URL,
    "timezone": S,
    "avatar_url": URL_NULL,
    "created_at": TS,
    "updated_at": TS,
}

SCHEMAS: dict[str, dict[str, F]] = {
    "User": {**USER_FIELDS, "current_organization": F("ref:organizations")},
    "Profile": {"type": E("User", "Team"), "name": S, "owner": F("ref:users")},
    "CustomQuestion": {
        "name": S,
        "type": E("string", "text", "phone_number", "single_select", "multi_select"),
        "position": N,
        "enabled": B,
        "required": B,
        "answer_choices": F("list:str", nullable=True),  # the published examples show null as well as []
        "include_other": B,
    },
    "EventType": {
        "uri": F("ref:event_types"),
        "name": S_NULL,
        "active": B,
        "slug": S_NULL,
        "scheduling_url": URL,
        "duration": N,
        "kind": E("solo", "group"),
        "pooling_type": E("round_robin", "collective", nullable=True),
        "type": E("StandardEventType", "AdhocEventType"),
        "color": S,
        "created_at": TS,
        "updated_at": TS,
        "internal_note": S_NULL,
        "description_plain": S_NULL,
        "description_html": S_NULL,
        "profile": F("obj:Profile", nullable=True),
        "secret": B,
        "booking_method": E("instant", "poll"),
        "custom_questions": F("list:obj:CustomQuestion"),
        "deleted_at": TS_NULL,
        "kind_description": E("Collective", "Group", "One-on-One", "Round Robin"),
        "admin_managed": B,
        # November 2026: null for one-off event types; absent before
        "start_time_increment": F("num", nullable=True, optional=True),
        "before_buffer": F("num", optional=True),
        "after_buffer": F("num", optional=True),
    },
    "Location": {  # one of several location shapes: each has a type, the rest depends on it
        "type": S,
        "location": F("str", nullable=True, optional=True),
        "join_url": F("url", nullable=True, optional=True),
        "status": E("initiated", "processing", "pushed", "failed", nullable=True, optional=True),
    },
    "InviteesCounter": {"total": N, "active": N, "limit": N},
    "EventMembership": {"user": F("ref:users")},
    "Guest": {"email": S, "created_at": TS, "updated_at": TS},
    "Cancellation": {"canceled_by": S, "reason": S_NULL, "canceler_type": E("host", "invitee")},
    "CalendarEvent": {"kind": E("exchange", "google", "icloud", "outlook", "outlook_desktop"), "external_id": S},
    "ScheduledEvent": {
        "uri": F("ref:scheduled_events"),
        "name": S_NULL,
        "status": E("active", "canceled"),
        "start_time": TS,
        "end_time": TS,
        "event_type": F("ref:event_types"),
        "location": F("obj:Location", nullable=True),
        "invitees_counter": F("obj:InviteesCounter"),
        "created_at": TS,
        "updated_at": TS,
        "event_memberships": F("list:obj:EventMembership"),
        "event_guests": F("list:obj:Guest"),
        "cancellation": F("obj:Cancellation", optional=True),
        "calendar_event": F("obj:CalendarEvent", nullable=True),
    },
    "QuestionAndAnswer": {"question": S, "answer": S, "position": N},
    "Tracking": {
        name: S_NULL
        for name in ("utm_campaign", "utm_source", "utm_medium", "utm_content", "utm_term", "salesforce_uuid")
    },
    "Payment": {
        "external_id": S,
        "provider": E("stripe", "paypal"),
        "amount": N,
        "currency": E("AUD", "CAD", "EUR", "GBP", "USD"),
        "terms": S_NULL,
        "successful": B,
    },
    "NoShowRef": {"uri": F("ref:invitee_no_shows"), "created_at": TS},
    "Reconfirmation": {"created_at": TS, "confirmed_at": TS_NULL},
    "Invitee": {
        "uri": F("ref:scheduled_events"),
        "email": S,
        "first_name": S_NULL,
        "last_name": S_NULL,
        "name": S,
        "status": E("active", "canceled"),
        "questions_and_answers": F("list:obj:QuestionAndAnswer"),
        "timezone": S_NULL,
        "event": F("ref:scheduled_events"),
        "created_at": TS,
        "updated_at": TS,
        "tracking": F("obj:Tracking"),
        "text_reminder_number": S_NULL,
        "rescheduled": B,
        "old_invitee": F("ref:scheduled_events", nullable=True),
        "new_invitee": F("ref:scheduled_events", nullable=True),
        "cancel_url": URL,
        "reschedule_url": URL,
        "routing_form_submission": F("ref:routing_form_submissions", nullable=True),
        "cancellation": F("obj:Cancellation", optional=True),
        "payment": F("obj:Payment", nullable=True),
        "no_show": F("obj:NoShowRef", nullable=True),
        "reconfirmation": F("obj:Reconfirmation", nullable=True),
    },
    "NoShow": {"uri": F("ref:invitee_no_shows"), "invitee": F("ref:scheduled_events"), "created_at": TS},
    "WebhookSubscription": {
        "uri": F("ref:webhook_subscriptions"),
        "callback_url": URL,
        "created_at": TS,
        "updated_at": TS,
        "retry_started_at": TS_NULL,
        "state": E("active", "disabled"),
        "events": F("list:enum:invitee.created|invitee.canceled|routing_form_submission.created"),
        "scope": E("user", "organization", "group"),
        "organization": F("ref:organizations"),
        "user": F("ref:users", nullable=True),
        "group": F("ref:groups", nullable=True, optional=True),
        "creator": F("ref:users", nullable=True),
    },
    "Pagination": {
        "count": N,
        "next_page": URL_NULL,
        "previous_page": URL_NULL,
        "next_page_token": S_NULL,
        "previous_page_token": S_NULL,
    },
    "Error": {"title": S, "message": S, "details": F("list:obj:ErrorDetail", optional=True)},
    "ErrorDetail": {"parameter": F("str", optional=True), "message": S},
    # -- people, routing forms, activity and availability --
    "MembershipUser": USER_FIELDS,
    "OrganizationMembership": {
        "uri": F("ref:organization_memberships"),
        "role": E("user", "admin", "owner"),
        "user": F("obj:MembershipUser"),
        "organization": F("ref:organizations"),
        "created_at": TS,
        "updated_at": TS,
    },
    "Group": {
        "uri": F("ref:groups"),
        "name": S,
        "organization": F("ref:organizations"),
        "member_count": F("num", optional=True),
        "created_at": TS,
        "updated_at": TS,
    },
    "GroupOwner": {
        "type": E("OrganizationMembership", "OrganizationInvitation"),
        "uri": S,
        "role": F("str", optional=True),
        "user": F("obj:MembershipUser", optional=True),
        "organization": F("ref:organizations", optional=True),
    },
    "GroupRelationship": {
        "uri": F("ref:group_relationships"),
        "role": E("member", "admin"),
        "owner": F("obj:GroupOwner"),
        "organization": F("ref:organizations"),
        "group": F("ref:groups"),
        "created_at": TS,
        "updated_at": TS,
    },
    "RoutingFormQuestion": {
        "uuid": S,
        "name": S,
        "type": E("name", "text", "email", "phone", "textarea", "select", "radios"),
        "required": B,
        "answer_choices": F("list:str"),
    },
    "RoutingForm": {
        "uri": F("ref:routing_forms"),
        "name": S,
        "status": E("draft", "published"),
        "organization": F("ref:organizations"),
        "questions": F("list:obj:RoutingFormQuestion"),
        "created_at": TS,
        "updated_at": TS,
    },
    "SubmissionAnswer": {"question_uuid": S, "question": S, "answer": S_NULL},
    "SubmissionTracking": {
        "utm_campaign": S_NULL,
        "utm_source": S_NULL,
        "utm_medium": S_NULL,
        "utm_content": S_NULL,
        "utm_term": S_NULL,
        "salesforce_uuid": S_NULL,
    },
    "SubmissionResult": {"type": E("event_type", "custom_message", "external_url")},
    "RoutingFormSubmission": {
        "uri": F("ref:routing_form_submissions"),
        "routing_form": F("ref:routing_forms"),
        "questions_and_answers": F("list:obj:SubmissionAnswer"),
        "tracking": F("obj:SubmissionTracking"),
        "result": F("obj:SubmissionResult", nullable=True, optional=True),
        "submitter": F("ref:scheduled_events", nullable=True),
        "submitter_type": E("Invitee", nullable=True),
        "created_at": TS,
        "updated_at": TS,
    },
    "ActivityActor": {"type": S, "uri": F("ref:users", optional=True), "display_name": F("str", optional=True)},
    "ActivityLogEntry": {
        "uri": F("ref:activity_log_entries"),
        "occurred_at": TS,
        "organization": F("ref:organizations"),
        "namespace": S,
        "action": S,
        "fully_qualified_name": S,
        "actor": F("obj:ActivityActor", optional=True),
        "details": F("obj:Anything"),
    },
    "Anything": {},
    "AvailabilityInterval": {"from": S, "to": S},
    "AvailabilityRule": {
        "type": E("wday", "date"),
        "wday": E("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", optional=True),
        "date": F("str", optional=True),
        "intervals": F("list:obj:AvailabilityInterval"),
    },
    "AvailabilitySchedule": {
        "uri": F("ref:user_availability_schedules"),
        "default": B,
        "name": S,
        "user": F("ref:users"),
        "timezone": S,
        "rules": F("list:obj:AvailabilityRule"),
    },
    "EventTypeMembership": {
        "uri": F("ref:event_type_memberships"),
        "event_type": F("obj:EventTypeRef"),
        "member": F("obj:MembershipUser"),
    },
    "EventTypeRef": {"uri": F("ref:event_types"), "name": S},
    # -- the organization, invitations, availability, locations, communications, sample deliveries --
    "Organization": {
        "uri": F("ref:organizations"),
        "name": S,
        "plan": S,
        "stage": S,
        "created_at": TS,
        "updated_at": TS,
    },
    "OrganizationInvitation": {
        "uri": F("ref:organizations"),  # /organizations/{uuid}/invitations/{uuid}
        "organization": F("ref:organizations"),
        "email": S,
        "status": E("pending", "accepted", "declined"),
        "created_at": TS,
        "updated_at": TS,
        "last_sent_at": TS_NULL,
        "user": F("ref:users", nullable=True, optional=True),
    },
    "BusyTimeEvent": {"uri": F("ref:scheduled_events")},
    "UserBusyTime": {  # no uri: a busy interval is its user, type and times
        "type": E("calendly", "external"),
        "start_time": TS,
        "end_time": TS,
        "buffered_start_time": F("ts", optional=True),
        "buffered_end_time": F("ts", optional=True),
        "event": F("obj:BusyTimeEvent", optional=True),
    },
    "MeetingLocation": {
        "kind": E(
            "ask_invitee",
            "custom",
            "google_conference",
            "gotomeeting_conference",
            "inbound_call",
            "microsoft_teams_conference",
            "outbound_call",
            "physical",
            "webex_conference",
            "zoom_conference",
        ),
        "connected": F("bool", optional=True),
        "location": F("str", nullable=True, optional=True),
    },
    # The reference shows these fields and no uri; it says nothing of nulls: every one may be null, a uri may come.
    "OutgoingCommunication": {
        "uri": F("ref:outgoing_communications", optional=True),
        "type": E("sms", "email"),
        "to": S_NULL,
        "from": S_NULL,
        "subject": S_NULL,
        "body": S_NULL,
        "sender_uri": F("ref:users", nullable=True),
        "sender_email": S_NULL,
        "event_type_uri": F("ref:event_types", nullable=True),
        "event_uri": F("ref:scheduled_events", nullable=True),
        "sent_at": TS_NULL,
        "created_at": F("ts", nullable=True, optional=True),
    },
    "EventTypeAvailabilityRule": {
        "timezone": S,
        "rules": F("list:obj:AvailabilityRule"),
        "name": F("str", nullable=True, optional=True),
        "uri": F("ref:user_availability_schedules", nullable=True, optional=True),
        "user": F("ref:users", nullable=True, optional=True),
    },
    "EventTypeAvailabilitySchedule": {
        "event_type": F("ref:event_types", optional=True),
        "availability_setting": E("host", optional=True),
        "availability_rule": F("obj:EventTypeAvailabilityRule"),
    },
    "UserMeetingLimits": {
        "user": F("ref:users", optional=True),
        "daily_limit": F("num", nullable=True),
        "weekly_limit": F("num", nullable=True),
        "monthly_limit": F("num", nullable=True),
    },
    "WebhookEnvelope": {
        "event": S,
        "created_at": TS,
        "created_by": F("ref:users", nullable=True),
        "payload": F("obj:Anything"),
    },
}

#: Every documented parameter of the list endpoints (Calendly's published reference) and the values each may take:
#: ``bool`` (lowercase), ``count`` (1-100), ``ts`` (ISO 8601 date-time), ``str``, ``enum:a|b``, ``ref:<collection>``
#: (a canonical URI), ``list:<kind>`` (several values, comma-separated), ``sort:<field>|<field>`` (a
#: comma-separated list of ``{field}:{direction}``, direction ``asc`` or ``desc``).
LIST_PARAMETERS: dict[str, dict[str, str]] = {
    "/event_types": {
        "active": "bool",
        "admin_managed": "bool",
        "organization": "ref:organizations",
        "user": "ref:users",
        "user_availability_schedule": "ref:user_availability_schedules",
        "sort": "sort:name|position|created_at|updated_at",
        "count": "count",
        "page_token": "str",
    },
    "/scheduled_events": {
        "user": "ref:users",
        "organization": "ref:organizations",
        "group": "ref:groups",
        "invitee_email": "str",
        "status": "enum:active|canceled",
        "sort": "sort:start_time",
        "min_start_time": "ts",
        "max_start_time": "ts",
        "count": "count",
        "page_token": "str",
    },
    "/scheduled_events/*/invitees": {
        "status": "enum:active|canceled",
        "sort": "sort:created_at",
        "email": "str",
        "count": "count",
        "page_token": "str",
    },
    "/organization_memberships": {
        "organization": "ref:organizations",
        "user": "ref:users",
        "email": "str",
        "role": "enum:owner|admin|user",
        "count": "count",
        "page_token": "str",
    },
    "/groups": {"organization": "ref:organizations", "count": "count", "page_token": "str"},
    "/group_relationships": {
        "organization": "ref:organizations",
        "group": "ref:groups",
        "owner": "ref:organization_memberships",
        "count": "count",
        "page_token": "str",
    },
    "/routing_forms": {
        "organization": "ref:organizations",
        "sort": "sort:created_at",
        "count": "count",
        "page_token": "str",
    },
    "/routing_form_submissions": {
        "form": "ref:routing_forms",
        "sort": "sort:created_at",
        "count": "count",
        "page_token": "str",
    },
    "/activity_log_entries": {
        "organization": "ref:organizations",
        "search_term": "str",
        "actor": "list:ref:users",
        "min_occurred_at": "ts",
        "max_occurred_at": "ts",
        "namespace": "list:str",
        "action": "list:str",
        "sort": "sort:occurred_at",
        "count": "count",
        "page_token": "str",
    },
    "/user_availability_schedules": {"user": "ref:users"},
    "/event_type_memberships": {"event_type": "ref:event_types", "count": "count", "page_token": "str"},
    "/organizations/*/invitations": {
        "email": "str",
        "status": "enum:pending|accepted|declined",
        "sort": "sort:created_at",
        "count": "count",
        "page_token": "str",
    },
    "/webhook_subscriptions": {
        "organization": "ref:organizations",
        "user": "ref:users",
        "group": "ref:groups",
        "scope": "enum:organization|user|group",
        "sort": "sort:created_at",
        "count": "count",
        "page_token": "str",
    },
}

#: The documented parameters of the other GET endpoints the provider calls: ranges and one-user answers (no
#: ``count``), and listings whose items carry no ``uri`` (Calendly's reference shows none).
OTHER_PARAMETERS: dict[str, dict[str, str]] = {
    "/user_busy_times": {"user": "ref:users", "start_time": "ts", "end_time": "ts"},
    "/locations": {"user": "ref:users"},
    "/event_type_availability_schedules": {"event_type": "ref:event_types"},
    "/user_meeting_limits": {"user": "ref:users"},
    "/outgoing_communications": {
        "organization": "ref:organizations",
        "min_created_at": "ts",
        "max_created_at": "ts",
        "count": "count",
        "page_token": "str",
    },
    "/sample_webhook_data": {
        "event": "str",
        "organization": "ref:organizations",
        "user": "ref:users",
        "group": "ref:groups",
        "scope": "enum:organization|user|group",
    },
}


# --- checking ----------------------------------------------------------------------------------------------


def _kind_violation(kind: str, value: Any, where: str) -> list[str]:
    if kind == "str":
        return [] if isinstance(value, str) else [f"{where}: expected a string, got {value!r}"]
    if kind == "num":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected a number, got {value!r}"]
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"{where}: expected a boolean, got {value!r}"]
    if kind == "ts":
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return [f"{where}: expected a date-time, got {value!r}"]
        return [] if isinstance(value, str) else [f"{where}: expected a date-time string, got {value!r}"]
    if kind == "url":
        ok = isinstance(value, str) and value.split("://", 1)[0] in {"http", "https"}
        return [] if ok else [f"{where}: expected a URL, got {value!r}"]
    if kind.startswith("ref:"):
        prefix = f"{CANONICAL}/{kind[4:]}/"
        ok = isinstance(value, str) and value.startswith(prefix)
        return [] if ok else [f"{where}: expected a canonical {prefix}… URI, got {value!r}"]
    if kind.startswith("enum:"):
        return [] if value in kind[5:].split("|") else [f"{where}: {value!r} not in {kind[5:]}"]
    if kind.startswith("obj:"):
        return violations(kind[4:], value, where)
    if kind.startswith("list:"):
        if not isinstance(value, list):
            return [f"{where}: expected an array, got {value!r}"]
        return [v for i, item in enumerate(value) for v in _kind_violation(kind[5:], item, f"{where}[{i}]")]
    raise AssertionError(kind)  # pragma: no cover - schema typo


def violations(schema: str, value: Any, where: str = "$") -> list[str]:
    """Every way ``value`` breaks schema ``schema`` (empty when it conforms; unknown fields are allowed)."""
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {value!r}"]
    problems = []
    for name, field in SCHEMAS[schema].items():
        at = f"{where}.{name}"
        if name not in value:
            if not field.optional:
                problems.append(f"{at}: required field missing")
            continue
        item = value[name]
        if item is None:
            if not field.nullable:
                problems.append(f"{at}: must not be null")
            continue
        if field.kind == "enum":
            if item not in field.enum:
                problems.append(f"{at}: {item!r} not in {field.enum}")
            continue
        problems.extend(_kind_violation(field.kind, item, at))
    return problems


def page_violations(schema: str, body: Any) -> list[str]:
    """Violations of a list response: ``collection`` of ``schema`` items plus ``pagination``."""
    if not isinstance(body, dict) or not isinstance(body.get("collection"), list):
        return [f"$: expected {{collection, pagination}}, got {body!r}"]
    problems = violations("Pagination", body.get("pagination"), "$.pagination")
    for i, item in enumerate(body["collection"]):
        problems.extend(violations(schema, item, f"$.collection[{i}]"))
    return problems


# --- generating --------------------------------------------------------------------------------------------

_ID = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=24).filter(lambda s: s[0] != "-")
_TEXT = st.text(max_size=40)
_NUMBER = st.one_of(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6).map(float),  # 30.0
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),  # 30.5
)
_TIMESTAMP = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(timezone.utc)
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
_EXTRA = st.dictionaries(
    st.text(string.ascii_lowercase, min_size=1, max_size=8).map(lambda k: f"x_{k}"),
    st.one_of(st.none(), st.booleans(), st.integers(), _TEXT, st.lists(st.integers(), max_size=3)),
    max_size=3,
)


def _kind_strategy(kind: str) -> st.SearchStrategy[Any]:
    if kind == "str":
        return _TEXT
    if kind == "num":
        return _NUMBER
    if kind == "bool":
        return st.booleans()
    if kind == "ts":
        return _TIMESTAMP
    if kind == "url":
        return _ID.map(lambda i: f"https://calendly.com/{i}")
    if kind.startswith("ref:"):
        return _ID.map(lambda i, c=kind[4:]: f"{CANONICAL}/{c}/{i}")
    if kind.startswith("enum:"):
        return st.sampled_from(kind[5:].split("|"))
    if kind.startswith("obj:"):
        return payloads(kind[4:])
    if kind.startswith("list:"):
        return st.lists(_kind_strategy(kind[5:]), max_size=3)
    raise AssertionError(kind)  # pragma: no cover


def _field_strategy(field: F) -> st.SearchStrategy[Any]:
    base = st.sampled_from(field.enum) if field.kind == "enum" else _kind_strategy(field.kind)
    return st.one_of(st.none(), base) if field.nullable else base


@st.composite
def payloads(draw: st.DrawFn, schema: str, **fixed: Any) -> dict[str, Any]:
    """A payload conforming to ``schema``: optional fields sometimes absent, nullable ones sometimes null,
    numbers as ints, integral floats or fractions, plus unknown ``x_…`` fields; ``fixed`` values win."""
    value: dict[str, Any] = {}
    for name, field in SCHEMAS[schema].items():
        if name in fixed:
            value[name] = fixed[name]
        elif not field.optional or draw(st.booleans()):
            value[name] = draw(_field_strategy(field))
    value.update(draw(_EXTRA))
    return value
