"""Pydantic models of Calendly API v2 objects, shared by the hook, the transfer and the emulator.

Every model keeps fields it does not know (``extra="allow"``) because Calendly adds fields over time, treats
fields the API may omit or null as optional, parses timestamps to timezone-aware datetimes and dumps back to
JSON-safe dicts with ``model_dump(mode="json")``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from airflow_provider_calendly.timestamps import as_utc
from airflow_provider_calendly.uris import uuid_from_uri

__all__ = [
    "ActivityLogActor",
    "ActivityLogEntry",
    "AvailabilityInterval",
    "AvailabilityRule",
    "AvailabilitySchedule",
    "AvailabilityScheduleRef",
    "AvailableTime",
    "BusyTimeEvent",
    "CalendarEvent",
    "CalendlyModel",
    "Cancellation",
    "CustomQuestion",
    "EventMembership",
    "EventType",
    "EventTypeAvailabilitySchedule",
    "EventTypeMembership",
    "EventTypeProfile",
    "Group",
    "GroupRelationship",
    "GroupRelationshipOwner",
    "Guest",
    "Invitee",
    "InviteeNoShowRef",
    "InviteePayload",
    "InviteesCounter",
    "Location",
    "MeetingLocation",
    "NoShow",
    "Organization",
    "OrganizationInvitation",
    "OrganizationMembership",
    "OutgoingCommunication",
    "Page",
    "Pagination",
    "Payment",
    "QuestionAndAnswer",
    "Reconfirmation",
    "RoutingForm",
    "RoutingFormAnswer",
    "RoutingFormQuestion",
    "RoutingFormResult",
    "RoutingFormSubmission",
    "ScheduledEvent",
    "SchedulingLink",
    "Tracking",
    "User",
    "UserBusyTime",
    "UserMeetingLimits",
    "WebhookEnvelope",
    "WebhookSubscription",
    "uuid_from_uri",
]


Timestamp = Annotated[datetime, AfterValidator(as_utc)]

_T = TypeVar("_T")


def _none_as_empty(value: Any) -> Any:
    """Calendly may send ``null`` for an empty list; read it as ``[]``."""
    return [] if value is None else value


#: A list field the API may also send as ``null``.
NullableList = Annotated[list[_T], BeforeValidator(_none_as_empty)]


def _whole_if_integral(value: Any) -> Any:
    """Read a JSON ``number`` as an ``int`` when it is integral (``30.0`` -> ``30``), else keep the float."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: A field Calendly's API description types as ``number``: ``30``, ``30.0`` and ``30.5`` are all valid.
Number = Annotated[int | float, BeforeValidator(_whole_if_integral)]


class CalendlyModel(BaseModel):
    """Base of every Calendly object: unknown fields kept, extra-tolerant, JSON round-trippable."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class CalendlyResource(CalendlyModel):
    """An object addressed by a URI; ``uuid`` is the URI's last segment."""

    uri: str

    @property
    def uuid(self) -> str:
        return uuid_from_uri(self.uri)


# --- users and organizations -------------------------------------------------------------------------------


class User(CalendlyResource):
    name: str | None = None
    slug: str | None = None
    email: str | None = None
    scheduling_url: str | None = None
    timezone: str | None = None
    time_notation: str | None = None
    avatar_url: str | None = None
    locale: str | None = None
    resource_type: str | None = None
    current_organization: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class Organization(CalendlyResource):
    name: str | None = None
    plan: str | None = None
    stage: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


# --- event types -------------------------------------------------------------------------------------------


class EventTypeProfile(CalendlyModel):
    type: str | None = None
    name: str | None = None
    owner: str | None = None


class CustomQuestion(CalendlyModel):
    name: str | None = None
    type: str | None = None
    position: Number | None = None
    enabled: bool | None = None
    required: bool | None = None
    answer_choices: list[str] | None = None
    include_other: bool | None = None


class EventType(CalendlyResource):
    name: str | None = None
    active: bool | None = None
    booking_method: str | None = None
    slug: str | None = None
    scheduling_url: str | None = None
    duration: Number | None = None
    duration_options: list[Number] | None = None
    kind: str | None = None
    pooling_type: str | None = None
    type: str | None = None
    color: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    internal_note: str | None = None
    description_plain: str | None = None
    description_html: str | None = None
    profile: EventTypeProfile | None = None
    secret: bool | None = None
    deleted_at: Timestamp | None = None
    admin_managed: bool | None = None
    locations: list[dict[str, Any]] | None = None
    position: Number | None = None
    custom_questions: NullableList[CustomQuestion] = Field(default_factory=list)
    locale: str | None = None
    start_time_increment: Number | None = None  # minutes between start times; null for one-off event types
    before_buffer: Number | None = None
    after_buffer: Number | None = None


# --- scheduled events --------------------------------------------------------------------------------------


class Location(CalendlyModel):
    type: str | None = None
    location: str | None = None
    join_url: str | None = None
    status: str | None = None
    data: dict[str, Any] | None = None


class InviteesCounter(CalendlyModel):
    total: Number | None = None
    active: Number | None = None
    limit: Number | None = None


class EventMembership(CalendlyModel):
    user: str | None = None
    user_email: str | None = None
    user_name: str | None = None
    buffered_start_time: Timestamp | None = None
    buffered_end_time: Timestamp | None = None


class Guest(CalendlyModel):
    email: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class Cancellation(CalendlyModel):
    canceled_by: str | None = None
    reason: str | None = None
    canceler_type: str | None = None
    created_at: Timestamp | None = None


class CalendarEvent(CalendlyModel):
    kind: str | None = None
    external_id: str | None = None


class ScheduledEvent(CalendlyResource):
    name: str | None = None
    meeting_notes_plain: str | None = None
    meeting_notes_html: str | None = None
    status: str | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    event_type: str | None = None
    location: Location | None = None
    invitees_counter: InviteesCounter | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    event_memberships: NullableList[EventMembership] = Field(default_factory=list)
    event_guests: NullableList[Guest] = Field(default_factory=list)
    cancellation: Cancellation | None = None
    calendar_event: CalendarEvent | None = None


# --- invitees ----------------------------------------------------------------------------------------------


class QuestionAndAnswer(CalendlyModel):
    question: str | None = None
    answer: str | None = None
    position: Number | None = None


class Tracking(CalendlyModel):
    utm_campaign: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    salesforce_uuid: str | None = None


class Payment(CalendlyModel):
    external_id: str | None = None
    provider: str | None = None
    amount: float | None = None
    currency: str | None = None
    terms: str | None = None
    successful: bool | None = None


class InviteeNoShowRef(CalendlyModel):
    """The ``no_show`` object embedded in an invitee."""

    uri: str | None = None
    created_at: Timestamp | None = None


class Reconfirmation(CalendlyModel):
    created_at: Timestamp | None = None
    confirmed_at: Timestamp | None = None


class Invitee(CalendlyResource):
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    status: str | None = None
    questions_and_answers: NullableList[QuestionAndAnswer] = Field(default_factory=list)
    timezone: str | None = None
    event: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    tracking: Tracking | None = None
    text_reminder_number: str | None = None
    rescheduled: bool | None = None
    old_invitee: str | None = None
    new_invitee: str | None = None
    cancel_url: str | None = None
    reschedule_url: str | None = None
    routing_form_submission: str | None = None
    cancellation: Cancellation | None = None
    payment: Payment | None = None
    no_show: InviteeNoShowRef | None = None
    reconfirmation: Reconfirmation | None = None
    scheduling_method: str | None = None
    invitee_scheduled_by: str | None = None

    @property
    def scheduled_event_uuid(self) -> str | None:
        return uuid_from_uri(self.event) if self.event else None


class NoShow(CalendlyResource):
    invitee: str
    created_at: Timestamp | None = None


# --- webhooks ----------------------------------------------------------------------------------------------


class WebhookSubscription(CalendlyResource):
    callback_url: str
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    retry_started_at: Timestamp | None = None
    state: str | None = None
    events: NullableList[str] = Field(default_factory=list)
    scope: str | None = None
    organization: str | None = None
    user: str | None = None
    group: str | None = None
    creator: str | None = None


class InviteePayload(Invitee):
    """Payload of ``invitee.created`` / ``invitee.canceled``: the invitee plus its full scheduled event."""

    scheduled_event: ScheduledEvent | None = None


class RoutingFormAnswer(CalendlyModel):
    question_uuid: str | None = None
    question: str | None = None
    answer: str | None = None


class RoutingFormResult(CalendlyModel):
    type: str | None = None
    value: Any = None


class RoutingFormSubmission(CalendlyResource):
    routing_form: str | None = None
    questions_and_answers: NullableList[RoutingFormAnswer] = Field(default_factory=list)
    tracking: Tracking | None = None
    result: RoutingFormResult | None = None
    submitter: str | None = None
    submitter_type: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


# --- people, routing forms, activity and availability -----------------------------------------------------


class _Dated(CalendlyResource):
    """A resource with Calendly's ``created_at``/``updated_at`` pair."""

    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class OrganizationMembership(_Dated):
    """A user's membership of an organization (``/organization_memberships``), the user embedded."""

    role: str | None = None  # user | admin | owner
    user: User
    organization: str | None = None


class Group(_Dated):
    """A grouping of users within an organization (``/groups``)."""

    name: str | None = None
    organization: str | None = None
    member_count: Number | None = None


class GroupRelationshipOwner(CalendlyModel):
    """Who a group relationship belongs to: an organization membership (user embedded) or an invitation."""

    type: str | None = None  # OrganizationMembership | OrganizationInvitation
    uri: str | None = None
    role: str | None = None
    user: User | None = None
    email: str | None = None
    organization: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class GroupRelationship(_Dated):
    """One owner's ``member`` or ``admin`` relationship to a group (``/group_relationships``)."""

    role: str | None = None  # member | admin
    owner: GroupRelationshipOwner | None = None
    organization: str | None = None
    group: str | Group | None = None

    @property
    def group_uri(self) -> str | None:
        return self.group.uri if isinstance(self.group, Group) else self.group


class RoutingFormQuestion(CalendlyModel):
    """One question of a routing form; submissions answer it by ``uuid``."""

    uuid: str | None = None
    name: str | None = None
    type: str | None = None  # name | text | email | phone | textarea | select | radios
    required: bool | None = None
    answer_choices: NullableList[str] = Field(default_factory=list)


class RoutingForm(_Dated):
    """A routing form of an organization (``/routing_forms``; Teams plan and up)."""

    name: str | None = None
    status: str | None = None  # draft | published
    organization: str | None = None
    questions: NullableList[RoutingFormQuestion] = Field(default_factory=list)


class ActivityLogActor(CalendlyModel):
    """Who took the action of an activity log entry (a user, Calendly System or Support)."""

    type: str | None = None
    uri: str | None = None
    display_name: str | None = None
    alternative_identifier: str | None = None
    organization: dict[str, Any] | None = None
    group: dict[str, Any] | None = None


class ActivityLogEntry(CalendlyResource):
    """One entry of the organization's activity log (``/activity_log_entries``; Enterprise plan)."""

    occurred_at: Timestamp | None = None
    organization: str | None = None
    namespace: str | None = None
    action: str | None = None
    fully_qualified_name: str | None = None
    actor: ActivityLogActor | None = None
    details: dict[str, Any] | None = None


class AvailabilityInterval(CalendlyModel):
    """A bookable interval of a rule, ``"hh:mm"`` local to the schedule's time zone."""

    from_: str | None = Field(default=None, alias="from")
    to: str | None = None


class AvailabilityRule(CalendlyModel):
    """A weekday (``wday``) or a specific ``date`` rule of an availability schedule."""

    type: str | None = None  # wday | date
    wday: str | None = None
    date: str | None = None
    intervals: NullableList[AvailabilityInterval] = Field(default_factory=list)


class AvailabilitySchedule(CalendlyResource):
    """A user's availability schedule (``/user_availability_schedules``)."""

    default: bool | None = None
    name: str | None = None
    user: str | None = None
    timezone: str | None = None
    rules: NullableList[AvailabilityRule] = Field(default_factory=list)


class EventTypeMembership(_Dated):
    """One host of an event type (``/event_type_memberships``), the event type and the member embedded."""

    event_type: EventType | None = None
    member: User | None = None


# --- organization administration, availability, locations and communications --------------------------------


class OrganizationInvitation(_Dated):
    """An invitation to join the organization (``/organizations/{uuid}/invitations``)."""

    organization: str | None = None
    email: str | None = None
    status: str | None = None  # pending | accepted | declined (and whatever Calendly adds)
    last_sent_at: Timestamp | None = None
    user: str | None = None  # the user who accepted it


class BusyTimeEvent(CalendlyModel):
    """The scheduled event a ``calendly`` busy time is (absent for ``external`` ones)."""

    uri: str | None = None


class UserBusyTime(CalendlyModel):
    """One interval a user is busy (``/user_busy_times``): a Calendly meeting or an event of a connected calendar.

    It has no URI; a row is identified by its user, type, start and end.
    """

    type: str | None = None  # calendly | external
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    buffered_start_time: Timestamp | None = None
    buffered_end_time: Timestamp | None = None
    event: BusyTimeEvent | None = None


class MeetingLocation(CalendlyModel):
    """One meeting location a user has configured (``/locations``): a kind, whether it is connected, details."""

    kind: str | None = None
    connected: bool | None = None
    location: Any = None
    additional_info: str | None = None
    phone_number: str | None = None


class OutgoingCommunication(CalendlyModel):
    """One SMS or email Calendly sent on the organization's behalf (``/outgoing_communications``; Enterprise).

    Calendly's reference does not say whether an item carries a ``uri``; :attr:`identity` is its URI when it
    does, else a stable key of what it is (kind, recipient, time, meeting, content).
    """

    uri: str | None = None
    type: str | None = None  # sms | email
    to: str | None = None
    from_: str | None = Field(default=None, alias="from")
    subject: str | None = None
    body: str | None = None
    sender_uri: str | None = None
    sender_email: str | None = None
    event_type_uri: str | None = None
    event_uri: str | None = None
    sent_at: Timestamp | None = None
    created_at: Timestamp | None = None

    @property
    def identity(self) -> str:
        if self.uri:
            return self.uri
        parts = [self.type, self.to, self.from_, self.subject, self.body, self.event_uri, self.event_type_uri]
        times = [t.isoformat() if t is not None else None for t in (self.sent_at, self.created_at)]
        digest = hashlib.sha256(json.dumps([*parts, *times]).encode()).hexdigest()[:32]
        return f"urn:calendly:outgoing_communication:{digest}"


class AvailabilityScheduleRef(CalendlyModel):
    """The availability rule of an event type: a schedule's time zone, rules and (for a user's) name and URI."""

    uri: str | None = None
    name: str | None = None
    user: str | None = None
    timezone: str | None = None
    rules: NullableList[AvailabilityRule] = Field(default_factory=list)


class EventTypeAvailabilitySchedule(CalendlyModel):
    """When an event type can be booked (``/event_type_availability_schedules``)."""

    event_type: str | None = None
    availability_setting: str | None = None  # host
    availability_rule: AvailabilityScheduleRef | None = None


class UserMeetingLimits(CalendlyModel):
    """The most meetings a user hosts per day, week and month (``/user_meeting_limits``; ``null``: no limit)."""

    user: str | None = None
    daily_limit: Number | None = None
    weekly_limit: Number | None = None
    monthly_limit: Number | None = None


WEBHOOK_PAYLOAD_MODELS: dict[str, type[CalendlyModel]] = {
    "invitee.created": InviteePayload,
    "invitee.canceled": InviteePayload,
    "routing_form_submission.created": RoutingFormSubmission,
}


class WebhookEnvelope(CalendlyModel):
    """A webhook delivery: ``event`` name, when and by whom it was created, and its ``payload``."""

    event: str
    created_at: Timestamp
    created_by: str | None = None
    payload: dict[str, Any]

    def parsed_payload(self) -> CalendlyModel:
        """Return the payload as its model (a generic :class:`CalendlyModel` for event names added later)."""
        model = WEBHOOK_PAYLOAD_MODELS.get(self.event, CalendlyModel)
        return model.model_validate(self.payload)


# --- pagination --------------------------------------------------------------------------------------------


class Pagination(CalendlyModel):
    count: Number | None = None
    next_page: str | None = None
    previous_page: str | None = None
    next_page_token: str | None = None
    previous_page_token: str | None = None


ItemT = TypeVar("ItemT", bound=CalendlyModel)


class Page(CalendlyModel, Generic[ItemT]):
    """One page of a list endpoint: ``collection`` plus the ``pagination`` cursor."""

    collection: list[ItemT]
    pagination: Pagination = Field(default_factory=Pagination)


# --- actions: scheduling links and available times ---------------------------------------------------------


class SchedulingLink(CalendlyModel):
    """A single-use scheduling link (``POST /scheduling_links``): ``booking_url`` books its event type once."""

    booking_url: str
    owner: str | None = None
    owner_type: str | None = None


class AvailableTime(CalendlyModel):
    """One bookable start time of an event type (``GET /event_type_available_times``)."""

    status: str | None = None
    invitees_remaining: int | None = None
    start_time: Timestamp
    scheduling_url: str | None = None
