"""The warehouse tables, declared once: every column's name, type, meaning and how it is taken from the model.

Everything else is derived from :data:`TABLES`: the DDL and the additive schema evolution
(:class:`~airflow_provider_calendly.transfers.sql_writer.CalendlyTableWriter`), the indexes on link columns,
the column comments, the rows built from models (:func:`build_rows`), the SQLAlchemy ``Table`` objects
(:func:`sqlalchemy_metadata`), the README's schema table (``scripts/readme_schema.py``) and the docs tests.

Adding a column is one :class:`Column` in its table's tuple (it is nullable, so existing warehouses get it by
``ALTER TABLE … ADD COLUMN`` on their next run). Adding a table is one :class:`TableSpec`: a top-level table
names its ``model`` and ``resource``; a child table (one row per element of a list on its parent) names its
``parent``, the ``parent_column`` linking back to it, and ``items``, the list it flattens.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from airflow_provider_calendly.models import (
    ActivityLogEntry,
    AvailabilitySchedule,
    Contact,
    ContactCustomFieldDefinition,
    ContactList,
    EventType,
    EventTypeMembership,
    Group,
    GroupRelationship,
    Invitee,
    MeetingLocation,
    MeetingRecap,
    Organization,
    OrganizationInvitation,
    OrganizationMembership,
    OutgoingCommunication,
    RoutingForm,
    RoutingFormSubmission,
    ScheduledEvent,
    User,
    UserBusyTime,
)

__all__ = [
    "CHILD_TABLES",
    "RESOURCE_TABLES",
    "TABLES",
    "Column",
    "ColumnType",
    "Row",
    "RowContext",
    "RowsByTable",
    "TableSpec",
    "build_rows",
    "children_in_parent_raw",
    "event_type_row",
    "invitee_rows",
    "scheduled_event_rows",
    "schema_fingerprint",
    "sqlalchemy_metadata",
    "sqlalchemy_table",
    "sqlalchemy_type",
]

Row = dict[str, Any]
RowsByTable = dict[str, list[Row]]


class ColumnType(str, Enum):
    """Logical column types; :func:`sqlalchemy_type` maps them to SQLAlchemy types (and so to each dialect's)."""

    TEXT = "text"
    INTEGER = "integer"
    #: A JSON ``number`` that may be non-integral (stored as a double).
    NUMBER = "number"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    JSON = "json"


@dataclass(frozen=True)
class RowContext:
    """What a column's ``source`` may need besides the item: its parent's row and its list position.

    :param parent_row: The parent table's row of a child item (``None`` for a top-level item).
    :param position: Index of a child item in its parent's list (0 for a top-level item).
    :param scheduled_event_uri: Scheduled event of an invitee that does not name it itself.
    :param as_of: The Calendly time the item is known current as of (its row's ``_as_of``), when known.
    :param user_uri: The user an item read per user belongs to, when the item does not name it (a busy time,
        a meeting location).
    """

    parent_row: Row | None = None
    position: int = 0
    scheduled_event_uri: str | None = None
    as_of: datetime | None = None
    user_uri: str | None = None


Source = Callable[[Any, RowContext], Any]


@dataclass(frozen=True)
class Column:
    """One column: name, logical type, meaning (the column comment) and how its value is taken.

    :param source: ``source(item, context)`` returns the value; default: the model attribute of the same name.
    :param index: Create an index on this column (link columns analysts join on).
    """

    name: str
    type: ColumnType
    description: str = ""
    source: Source | None = None
    index: bool = False

    def value(self, item: Any, context: RowContext) -> Any:
        value = self.source(item, context) if self.source is not None else getattr(item, self.name)
        if self.type is ColumnType.INTEGER and isinstance(value, float):
            # Calendly's JSON ``number`` may carry a fraction (22.5): an INTEGER column gets it rounded, raw keeps it.
            return round(value)
        return value


@dataclass(frozen=True)
class TableSpec:
    """One table: name (after the prefix), columns, primary key, and where its rows come from.

    :param key: Table name without the prefix; also its key in :data:`TABLES`.
    :param one_row_per: What one row stands for (the README's "one row per").
    :param model: Model of a top-level table's items (``None`` for bookkeeping tables such as ``sync_state``).
    :param resource: Operator resource name that writes this top-level table and its children.
    :param parent: Key of a child table's parent table.
    :param parent_column: Column of a child table holding its parent's ``uri``; children of a written parent
        are replaced.
    :param items: The attribute of a child table's list on the parent model (one row per element; a list that is
        ``None``: not read, so the parent's stored children are left as they are, e.g. a recap written from a
        webhook keeps its transcript).
    """

    key: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    description: str
    one_row_per: str
    model: type[BaseModel] | None = None
    resource: str | None = None
    parent: str | None = None
    parent_column: str | None = None
    items: str | None = None
    _columns_by_name: Mapping[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_columns_by_name", {c.name: c for c in self.columns})

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return self._columns_by_name[name]

    def row(self, item: Any, context: RowContext) -> Row:
        """The row of ``item`` (without ``_synced_at``, which the writer sets)."""
        return {c.name: c.value(item, context) for c in self.columns if c.name != "_synced_at"}


T, I, B, TS, J = ColumnType.TEXT, ColumnType.INTEGER, ColumnType.BOOLEAN, ColumnType.TIMESTAMP, ColumnType.JSON  # noqa: E741


def _dump(model: BaseModel | None) -> Any:
    return model.model_dump(mode="json", exclude_unset=True) if model is not None else None


def _attr(path: str) -> Source:
    """Source of a nested attribute (``"profile.owner"``), ``None`` when any step is ``None``."""
    steps = path.split(".")

    def get(item: Any, _: RowContext) -> Any:
        for step in steps:
            if item is None:
                return None
            item = getattr(item, step)
        return item

    return get


def _json(name: str) -> Source:
    """Source of a nested model (or list of models) as JSON-ready data."""

    def get(item: Any, _: RowContext) -> Any:
        value = getattr(item, name)
        if isinstance(value, list):
            return [_dump(v) if isinstance(v, BaseModel) else v for v in value]
        return _dump(value) if isinstance(value, BaseModel) else value

    return get


def _position(_: Any, context: RowContext) -> int:
    return context.position


def _parent(column: str) -> Source:
    def get(_: Any, context: RowContext) -> Any:
        return context.parent_row[column] if context.parent_row is not None else None

    return get


def _raw(*drop: str) -> Column:
    def get(item: Any, _: RowContext) -> Any:
        data = item.model_dump(mode="json", exclude_unset=True)
        for key in drop:
            data.pop(key, None)
        return data

    return Column("raw", J, "the whole object as Calendly returned it", get)


_SYNCED = Column("_synced_at", TS, "when this row was last written by a sync", lambda _i, _c: None)
#: Written as null with every row, so a row Calendly returns again is un-marked by its upsert.
_DELETED = Column(
    "_deleted_at", TS, "when a sync found Calendly no longer returns it (null while it exists)", lambda _i, _c: None
)
#: Change capture's ordering of what it writes: a delivery is applied unless the row is provably newer (see
#: transfers.change_capture). A row read from the API without a webhook feed has none (null: not known).
_AS_OF = Column(
    "_as_of",
    TS,
    "the Calendly time this row is known current as of: its webhook delivery's created_at, or, read from the API, "
    "a time before the read was made (null: not known)",
    lambda _i, context: context.as_of,
)


def _invitee_event_uri(invitee: Any, context: RowContext) -> str | None:
    # API invitees name their event in ``event``; webhook payloads embed it as ``scheduled_event``.
    uri = invitee.event or context.scheduled_event_uri
    if uri is None:
        nested = getattr(invitee, "scheduled_event", None)
        uri = getattr(nested, "uri", None) or (nested.get("uri") if isinstance(nested, dict) else None)
    return uri


def _user_uri(_: Any, context: RowContext) -> str | None:
    return context.user_uri


def _identity(communication: Any, _: RowContext) -> str:
    return str(communication.identity)


def _owner_email(relationship: Any, _: RowContext) -> str | None:
    owner = relationship.owner
    if owner is None:
        return None
    return owner.email or (owner.user.email if owner.user is not None else None)


def resource_table(
    key: str,
    columns: Sequence[Column],
    *,
    model: type[BaseModel],
    description: str,
    one_row_per: str,
    resource: str | None = None,
    raw_drop: Sequence[str] = (),
    primary_key: tuple[str, ...] = ("uri",),
) -> TableSpec:
    """A top-level table of API objects: ``uri`` (the first column) is the key; ``raw``, ``_synced_at``,
    ``_deleted_at`` and ``_as_of`` are added.

    :param resource: The operator resource that syncs it (``None``: landed some other way, e.g. by webhooks).
    :param raw_drop: Keys left out of ``raw`` (e.g. an embedded object that has its own table).
    :param primary_key: The first columns, for objects Calendly gives no URI (a busy time: its user, type and
        times); such a table has no child tables.
    """
    if tuple(c.name for c in columns[: len(primary_key)]) != primary_key:
        raise ValueError(f"table {key}: a resource table's first columns are its key {primary_key}")
    return TableSpec(
        key,
        (*columns, _raw(*raw_drop), _SYNCED, _DELETED, _AS_OF),
        primary_key,
        description,
        one_row_per,
        model=model,
        resource=resource,
    )


def child_table(
    key: str,
    columns: Sequence[Column],
    *,
    parent: str,
    link: str,
    items: str,
    description: str,
    one_row_per: str,
) -> TableSpec:
    """One row per element of the list ``items`` on each ``parent`` row, replaced whenever the parent is written.

    The key is (``link``, ``position``): ``link`` holds the parent's ``uri`` and ``position`` the element's index;
    both are prepended to ``columns``, and ``raw`` and ``_synced_at`` appended.
    """
    return TableSpec(
        key,
        (
            Column(link, T, f"uri of the {parent} row", _parent("uri")),
            Column("position", I, f"index in the parent's {items} list", _position),
            *columns,
            _raw(),
            _SYNCED,
        ),
        (link, "position"),
        description,
        one_row_per,
        parent=parent,
        parent_column=link,
        items=items,
    )


_SPECS: tuple[TableSpec, ...] = (
    resource_table(
        "event_types",
        (
            Column("uri", T, "event type URI"),
            Column("name", T, "event type name"),
            Column("slug", T, "URL slug of the booking page"),
            Column("active", B, "bookable"),
            Column("kind", T, "solo or group"),
            Column("type", T, "StandardEventType or AdhocEventType"),
            Column("pooling_type", T, "round_robin, collective, … or null"),
            Column("booking_method", T, "instant or poll"),
            Column("duration", I, "minutes"),
            Column("duration_options", J, "durations the invitee may choose, in minutes"),
            Column("color", T, "hex color on the booking page"),
            Column("scheduling_url", T, "booking page URL"),
            Column("secret", B, "hidden from the owner's landing page"),
            Column("admin_managed", B, "managed by an organization admin"),
            Column("position", I, "position on the landing page"),
            Column("locale", T, "language of the booking page"),
            Column("internal_note", T, "note for the hosts"),
            Column("description_plain", T, "description as text"),
            Column("description_html", T, "description as HTML"),
            Column("profile_owner", T, "URI of the owning user or team", _attr("profile.owner"), index=True),
            Column("profile", J, "owner profile", _json("profile")),
            Column("custom_questions", J, "booking questions", _json("custom_questions")),
            Column("locations", J, "configured meeting locations"),
            Column("created_at", TS, "when Calendly created it"),
            Column("updated_at", TS, "when Calendly last changed it"),
            Column("deleted_at", TS, "when it was deleted (null while it exists)"),
        ),
        model=EventType,
        description="event types of the organization or user",
        one_row_per="event type",
        resource="event_types",
    ),
    resource_table(
        "scheduled_events",
        (
            Column("uri", T, "scheduled event URI"),
            Column("name", T, "event name"),
            Column("status", T, "active or canceled"),
            Column("start_time", TS, "meeting start"),
            Column("end_time", TS, "meeting end"),
            Column("event_type", T, "event type URI", index=True),
            Column("location_type", T, "kind of location", _attr("location.type")),
            Column("location", J, "meeting location", _json("location")),
            Column("invitees_total", I, "invitees ever booked", _attr("invitees_counter.total")),
            Column("invitees_active", I, "invitees not canceled", _attr("invitees_counter.active")),
            Column("invitees_limit", I, "most invitees allowed", _attr("invitees_counter.limit")),
            Column("meeting_notes_plain", T, "meeting notes as text"),
            Column("meeting_notes_html", T, "meeting notes as HTML"),
            Column("canceled_at", TS, "when it was canceled", _attr("cancellation.created_at")),
            Column("cancellation", J, "who canceled and why", _json("cancellation")),
            Column("calendar_event", J, "the host's calendar entry", _json("calendar_event")),
            Column("created_at", TS, "when it was booked"),
            Column("updated_at", TS, "when Calendly last changed it"),
        ),
        model=ScheduledEvent,
        description="scheduled events (meetings)",
        one_row_per="scheduled event (meeting)",
        resource="scheduled_events",
    ),
    child_table(
        "event_memberships",
        (
            Column("user_uri", T, "host user URI", _attr("user"), index=True),
            Column("user_email", T, "host email"),
            Column("user_name", T, "host name"),
            Column("buffered_start_time", TS, "start including the host's buffer"),
            Column("buffered_end_time", TS, "end including the host's buffer"),
        ),
        parent="scheduled_events",
        link="scheduled_event_uri",
        items="event_memberships",
        description="hosts of each scheduled event",
        one_row_per="host of a meeting",
    ),
    child_table(
        "event_guests",
        (
            Column("email", T, "guest email"),
            Column("created_at", TS, "when the guest was added"),
            Column("updated_at", TS, "when the guest last changed"),
        ),
        parent="scheduled_events",
        link="scheduled_event_uri",
        items="event_guests",
        description="guests added to each scheduled event",
        one_row_per="guest added to a meeting",
    ),
    resource_table(
        "invitees",
        (
            Column("uri", T, "invitee URI"),
            Column("scheduled_event_uri", T, "scheduled event URI", _invitee_event_uri, index=True),
            Column("email", T, "invitee email"),
            Column("name", T, "invitee name"),
            Column("first_name", T, "first name, if asked separately"),
            Column("last_name", T, "last name, if asked separately"),
            Column("status", T, "active or canceled"),
            Column("timezone", T, "invitee's time zone"),
            Column("is_no_show", B, "marked as a no-show", lambda inv, _c: inv.no_show is not None),
            Column("no_show_created_at", TS, "when marked as a no-show", _attr("no_show.created_at")),
            Column("no_show", J, "the no-show mark", _json("no_show")),
            Column("rescheduled", B, "canceled by rescheduling"),
            Column("old_invitee", T, "invitee URI this one rescheduled"),
            Column("new_invitee", T, "invitee URI that rescheduled this one"),
            Column("canceled_at", TS, "when it was canceled", _attr("cancellation.created_at")),
            Column("cancellation", J, "who canceled and why", _json("cancellation")),
            Column("tracking", J, "UTM parameters", _json("tracking")),
            Column("payment", J, "payment collected", _json("payment")),
            Column("reconfirmation", J, "reconfirmation request", _json("reconfirmation")),
            Column("text_reminder_number", T, "phone number for text reminders"),
            Column("routing_form_submission", T, "routing form submission URI"),
            Column("scheduling_method", T, "how it was booked (e.g. instant_book)"),
            Column("invitee_scheduled_by", T, "user URI who booked on the invitee's behalf"),
            Column("cancel_url", T, "link to cancel"),
            Column("reschedule_url", T, "link to reschedule"),
            Column("created_at", TS, "when it was booked"),
            Column("updated_at", TS, "when Calendly last changed it"),
        ),
        model=Invitee,
        description="invitees of each scheduled event",
        one_row_per="invitee",
        resource="invitees",
        # A webhook payload embeds the whole scheduled event; it has its own table, so raw stays API-shaped.
        raw_drop=("scheduled_event",),
    ),
    child_table(
        "invitee_answers",
        (
            Column("scheduled_event_uri", T, "scheduled event URI", _parent("scheduled_event_uri"), index=True),
            Column("question", T, "question text"),
            Column("answer", T, "invitee's answer"),
            Column("question_position", I, "Calendly's own position of the question", _attr("position")),
        ),
        parent="invitees",
        link="invitee_uri",
        items="questions_and_answers",
        description="answers to booking questions (questions_and_answers)",
        one_row_per="answer to a booking question",
    ),
    resource_table(
        "users",
        (
            Column("uri", T, "user URI"),
            Column("name", T, "user's name"),
            Column("slug", T, "URL slug of the user's booking pages"),
            Column("email", T, "user's email"),
            Column("scheduling_url", T, "user's booking page URL"),
            Column("timezone", T, "user's time zone"),
            Column("time_notation", T, "12h or 24h"),
            Column("avatar_url", T, "avatar image URL"),
            Column("locale", T, "user's language"),
            Column("created_at", TS, "when Calendly created the user"),
            Column("updated_at", TS, "when Calendly last changed the user"),
        ),
        model=User,
        description="users of the organization (embedded in its memberships)",
        one_row_per="user (member of the organization)",
        resource="users",
    ),
    resource_table(
        "organization_memberships",
        (
            Column("uri", T, "organization membership URI"),
            Column("user_uri", T, "member's user URI", _attr("user.uri"), index=True),
            Column("user_email", T, "member's email", _attr("user.email")),
            Column("user_name", T, "member's name", _attr("user.name")),
            Column("role", T, "user, admin or owner"),
            Column("organization", T, "organization URI"),
            Column("created_at", TS, "when the user joined"),
            Column("updated_at", TS, "when the membership last changed"),
        ),
        model=OrganizationMembership,
        description="memberships of the organization (who belongs, with which role)",
        one_row_per="organization membership",
        resource="organization_memberships",
    ),
    resource_table(
        "groups",
        (
            Column("uri", T, "group URI"),
            Column("name", T, "group name"),
            Column("organization", T, "organization URI"),
            Column("member_count", I, "members of the group"),
            Column("created_at", TS, "when the group was created"),
            Column("updated_at", TS, "when the group last changed"),
        ),
        model=Group,
        description="groups (teams) of the organization",
        one_row_per="group",
        resource="groups",
    ),
    resource_table(
        "group_relationships",
        (
            Column("uri", T, "group relationship URI"),
            Column("group_uri", T, "group URI", lambda r, _c: r.group_uri, index=True),
            Column("role", T, "member or admin"),
            Column("owner_type", T, "OrganizationMembership or OrganizationInvitation", _attr("owner.type")),
            Column("owner_uri", T, "organization membership (or invitation) URI", _attr("owner.uri"), index=True),
            Column("user_uri", T, "the member's user URI", _attr("owner.user.uri"), index=True),
            Column("owner_email", T, "the member's (or invitee's) email", _owner_email),
            Column("organization", T, "organization URI"),
            Column("owner", J, "the membership or invitation as embedded", _json("owner")),
            Column("created_at", TS, "when the relationship was created"),
            Column("updated_at", TS, "when it last changed"),
        ),
        model=GroupRelationship,
        description="who belongs to (member) or administers (admin) each group",
        one_row_per="member or admin of a group",
        resource="groups",
    ),
    resource_table(
        "routing_forms",
        (
            Column("uri", T, "routing form URI"),
            Column("name", T, "form name"),
            Column("status", T, "draft or published"),
            Column("organization", T, "organization URI"),
            Column("created_at", TS, "when the form was created"),
            Column("updated_at", TS, "when the form last changed"),
        ),
        model=RoutingForm,
        description="routing forms of the organization",
        one_row_per="routing form",
        resource="routing_forms",
    ),
    child_table(
        "routing_form_questions",
        (
            Column("question_uuid", T, "question UUID (submissions' answers name it)", _attr("uuid"), index=True),
            Column("name", T, "question text"),
            Column("type", T, "name, text, email, phone, textarea, select or radios"),
            Column("required", B, "must be answered"),
            Column("answer_choices", J, "choices of a select or radios question"),
        ),
        parent="routing_forms",
        link="routing_form_uri",
        items="questions",
        description="questions of each routing form",
        one_row_per="question of a routing form",
    ),
    resource_table(
        "routing_form_submissions",
        (
            Column("uri", T, "routing form submission URI"),
            Column("routing_form", T, "routing form URI", index=True),
            Column("submitter", T, "invitee URI of the submitter (null when nobody booked)", index=True),
            Column("submitter_type", T, "Invitee or null"),
            Column("result_type", T, "event_type, custom_message or external_url", _attr("result.type")),
            Column("result_value", J, "where the submitter was routed", _attr("result.value")),
            Column("utm_campaign", T, "UTM campaign of the submission", _attr("tracking.utm_campaign")),
            Column("utm_source", T, "UTM source", _attr("tracking.utm_source")),
            Column("utm_medium", T, "UTM medium", _attr("tracking.utm_medium")),
            Column("utm_content", T, "UTM content", _attr("tracking.utm_content")),
            Column("utm_term", T, "UTM term", _attr("tracking.utm_term")),
            Column("salesforce_uuid", T, "Salesforce record id, if tracked", _attr("tracking.salesforce_uuid")),
            Column("created_at", TS, "when it was submitted"),
            Column("updated_at", TS, "when Calendly last changed it"),
        ),
        model=RoutingFormSubmission,
        description="routing form submissions (from the API and routing_form_submission.created webhooks)",
        one_row_per="routing form submission",
        resource="routing_form_submissions",
    ),
    child_table(
        "routing_form_answers",
        (
            Column("routing_form_uri", T, "routing form URI", _parent("routing_form"), index=True),
            Column("question_uuid", T, "question UUID (see routing_form_questions)", index=True),
            Column("question", T, "question text"),
            Column("answer", T, "submitter's answer"),
        ),
        parent="routing_form_submissions",
        link="routing_form_submission_uri",
        items="questions_and_answers",
        description="answers of each routing form submission (questions_and_answers)",
        one_row_per="answer in a routing form submission",
    ),
    resource_table(
        "activity_log_entries",
        (
            Column("uri", T, "activity log entry URI"),
            Column("occurred_at", TS, "when the action happened"),
            Column("organization", T, "organization URI"),
            Column("namespace", T, "category, e.g. User"),
            Column("action", T, "action, e.g. Added"),
            Column("fully_qualified_name", T, "namespace.action"),
            Column("actor_type", T, "User, System or Support", _attr("actor.type")),
            Column("actor_uri", T, "user URI of the actor", _attr("actor.uri"), index=True),
            Column("actor_display_name", T, "actor's name", _attr("actor.display_name")),
            Column("actor", J, "who took the action", _json("actor")),
            Column("details", J, "what changed (depends on the action)"),
        ),
        model=ActivityLogEntry,
        description="the organization's activity log (Enterprise plan)",
        one_row_per="activity log entry",
        resource="activity_log",
    ),
    resource_table(
        "availability_schedules",
        (
            Column("uri", T, "availability schedule URI"),
            Column("user_uri", T, "user URI", _attr("user"), index=True),
            Column("name", T, "schedule name"),
            Column("is_default", B, "the user's default schedule", _attr("default")),
            Column("timezone", T, "time zone of the rules' hours"),
        ),
        model=AvailabilitySchedule,
        description="availability schedules of the organization's users",
        one_row_per="availability schedule",
        resource="availability_schedules",
    ),
    child_table(
        "availability_rules",
        (
            Column("user_uri", T, "user URI", _parent("user_uri"), index=True),
            Column("type", T, "wday or date"),
            Column("wday", T, "weekday of a wday rule"),
            Column("date", T, "date (YYYY-MM-DD) of a date rule"),
            Column("intervals", J, "bookable from/to hours (empty: unavailable)", _json("intervals")),
        ),
        parent="availability_schedules",
        link="availability_schedule_uri",
        items="rules",
        description="rules (weekday hours, date overrides) of each availability schedule",
        one_row_per="rule of an availability schedule",
    ),
    resource_table(
        "event_type_hosts",
        (
            Column("uri", T, "event type membership URI"),
            Column("event_type_uri", T, "event type URI", _attr("event_type.uri"), index=True),
            Column("user_uri", T, "host's user URI", _attr("member.uri"), index=True),
            Column("user_email", T, "host's email", _attr("member.email")),
            Column("user_name", T, "host's name", _attr("member.name")),
            Column("created_at", TS, "when the host was added"),
            Column("updated_at", TS, "when it last changed"),
        ),
        model=EventTypeMembership,
        description="who can host each event type (event type memberships)",
        one_row_per="host of an event type",
        resource="event_type_hosts",
        # The embedded event type has its own table.
        raw_drop=("event_type",),
    ),
    # -- the organization, its invitations, members' locations and busy times, communications --
    resource_table(
        "organizations",
        (
            Column("uri", T, "organization URI"),
            Column("name", T, "organization name"),
            Column("plan", T, "subscription plan, e.g. teams or enterprise"),
            Column("stage", T, "subscription stage, e.g. trial or paid"),
            Column("created_at", TS, "when the organization was created"),
            Column("updated_at", TS, "when it last changed"),
        ),
        model=Organization,
        description="the organization synced",
        one_row_per="organization",
        resource="organization",
    ),
    resource_table(
        "organization_invitations",
        (
            Column("uri", T, "organization invitation URI"),
            Column("organization", T, "organization URI", index=True),
            Column("email", T, "invited email address"),
            Column("status", T, "pending, accepted or declined"),
            Column("user_uri", T, "user URI of who accepted it (null until accepted)", _attr("user"), index=True),
            Column("last_sent_at", TS, "when the invitation was last sent"),
            Column("created_at", TS, "when the user was invited"),
            Column("updated_at", TS, "when the invitation last changed"),
        ),
        model=OrganizationInvitation,
        description="invitations to join the organization (revoked ones are marked deleted)",
        one_row_per="organization invitation",
        resource="organization_invitations",
    ),
    resource_table(
        "locations",
        (
            Column("user_uri", T, "user URI", _user_uri),
            Column("position", I, "index in the user's list of locations", _position),
            Column("kind", T, "kind of location, e.g. zoom_conference, physical, inbound_call"),
            Column("connected", B, "the conferencing account is connected (null for other kinds)"),
            Column("location", J, "the location's details, if Calendly gives any"),
        ),
        model=MeetingLocation,
        description="meeting locations each user has configured",
        one_row_per="meeting location of a user",
        resource="locations",
        primary_key=("user_uri", "position"),
    ),
    resource_table(
        "user_busy_times",
        (
            Column("user_uri", T, "user URI", _user_uri),
            Column("type", T, "calendly (a Calendly meeting) or external (an event of a connected calendar)"),
            Column("start_time", TS, "start of the busy interval"),
            Column("end_time", TS, "end of the busy interval"),
            Column("buffered_start_time", TS, "start including the meeting's buffer (calendly intervals)"),
            Column("buffered_end_time", TS, "end including the meeting's buffer (calendly intervals)"),
            Column("event_uri", T, "scheduled event URI of a calendly interval", _attr("event.uri"), index=True),
        ),
        model=UserBusyTime,
        description="when each user is busy, read ahead of every run (past rows stay as the last run saw them)",
        one_row_per="busy interval of a user",
        resource="busy_times",
        primary_key=("user_uri", "type", "start_time", "end_time"),
    ),
    resource_table(
        "outgoing_communications",
        (
            Column(
                "uri",
                T,
                "Calendly's URI, or a stable key of the message when Calendly gives none (identical messages share it)",
                _identity,
            ),
            Column("type", T, "sms or email"),
            Column("recipient", T, "phone number or email address it was sent to", _attr("to")),
            Column("sender", T, "phone number or email address it was sent from", _attr("from_")),
            Column("subject", T, "email subject"),
            Column("body", T, "text of the message"),
            Column("sender_uri", T, "user URI of the host it was sent for", index=True),
            Column("sender_email", T, "email of that host"),
            Column("event_type_uri", T, "event type URI"),
            Column("event_uri", T, "scheduled event URI", index=True),
            Column("sent_at", TS, "when it was sent"),
            Column("created_at", TS, "when Calendly created it"),
        ),
        model=OutgoingCommunication,
        description="emails and SMS Calendly sent for the organization's meetings (Enterprise plan)",
        one_row_per="email or SMS sent",
        resource="outgoing_communications",
    ),
    # contacts, contact lists, meeting recaps
    resource_table(
        "contacts",
        (
            Column("uri", T, "contact URI"),
            Column("name", T, "contact's name"),
            Column("email", T, "primary email address", lambda c, _c: c.primary_email, index=True),
            Column("emails", J, "every email address (is_primary marks the primary one)", _json("emails")),
            Column("phone_numbers", J, "phone numbers", _json("phone_numbers")),
            Column("timezone", T, "IANA time zone"),
            Column("job_title", T, "job title"),
            Column("company", T, "company name"),
            Column("country", T, "two-letter country code (ISO 3166-1 alpha-2)"),
            Column("state", T, "state, province or region"),
            Column("city", T, "city"),
            Column("linkedin", T, "LinkedIn profile URL"),
            Column("app_url", T, "link to the contact in Calendly's web app"),
            Column("first_email_date", TS, "earliest email exchanged with the contact"),
            Column("last_email_date", TS, "latest email exchanged with the contact"),
            Column("next_meeting_date", TS, "start of the next meeting scheduled with the contact"),
            Column("last_meeting_date", TS, "start of the latest meeting held with the contact"),
            Column("last_interaction_date", TS, "latest email or meeting with the contact"),
            Column("created_at", TS, "when the contact was created"),
            Column("updated_at", TS, "when the contact's fields last changed"),
        ),
        model=Contact,
        description="contacts of the token's user (people met through Calendly, added by hand or by the API)",
        one_row_per="contact",
        resource="contacts",
        # Webhook payloads add how the contact was created, and a deletion's time: raw stays API-shaped.
        raw_drop=("creation_source", "deleted_at"),
    ),
    child_table(
        "contact_custom_field_values",
        (
            Column("definition_uri", T, "custom field definition URI", _attr("uri"), index=True),
            Column("label", T, "the field's name"),
            Column(
                "value",
                J,
                "the value: text, a number, a YYYY-MM-DD date, a single_select option's uuid or a list of tags",
            ),
        ),
        parent="contacts",
        link="contact_uri",
        items="custom_fields",
        description="custom field values of each contact",
        one_row_per="custom field value of a contact",
    ),
    resource_table(
        "contact_custom_field_definitions",
        (
            Column("uri", T, "custom field definition URI"),
            Column("label", T, "the field's name"),
            Column("field_type", T, "text, number, currency, tags, date, single_select or invitee_question"),
            Column("currency", T, "ISO currency code of a currency field"),
            Column("options", J, "options of a single_select field (uuid, label, color, is_active)", _json("options")),
            Column("source", J, "where a system field comes from (an event type's invitee question)"),
            Column("created_at", TS, "when the definition was created"),
            Column("updated_at", TS, "when the definition last changed"),
        ),
        model=ContactCustomFieldDefinition,
        description="custom field definitions of contacts",
        one_row_per="custom field definition",
        resource="contacts",
    ),
    resource_table(
        "contact_lists",
        (
            Column("uri", T, "List or View URI"),
            Column("name", T, "the List's or View's name"),
            Column("type", T, "static_list (a List) or dynamic_view (a View: saved filters)"),
            Column("contact_count", I, "contacts in it (null when Calendly could not count them)"),
            Column("created_at", TS, "when it was created"),
            Column("updated_at", TS, "when it last changed"),
        ),
        model=ContactList,
        description="Lists and Views of contacts of the token's user",
        one_row_per="List or View",
        resource="contact_lists",
    ),
    child_table(
        "contact_list_memberships",
        (
            Column("contact_uri", T, "contact URI", _attr("contact"), index=True),
            Column("contact_name", T, "contact's name", _attr("name")),
            Column("contact_email", T, "contact's primary email", _attr("email")),
        ),
        parent="contact_lists",
        link="contact_list_uri",
        items="memberships",
        description="contacts on each List (a View's contacts are its filters' matches, not stored)",
        one_row_per="contact on a List",
    ),
    resource_table(
        "meeting_recaps",
        (
            Column("uri", T, "meeting recap URI"),
            Column("event", T, "scheduled event URI (null for a meeting Calendly did not schedule)", index=True),
            Column("status", T, "Available, Processing or Unavailable"),
            Column("name", T, "meeting name"),
            Column("start_time", TS, "meeting start"),
            Column("end_time", TS, "meeting end"),
            Column("location_type", T, "kind of location", _attr("location.type")),
            Column("location", J, "meeting location", _json("location")),
            Column("attendees", J, "attendees (host, user_email, user_name)", _json("attendees")),
            Column("summary_md", T, "summary (Markdown)"),
            Column("action_items_md", T, "action items (Markdown)"),
            Column("discussion_md", T, "discussion notes (Markdown)"),
            Column("transcript", T, "transcript URI"),
            Column("share_link", T, "link to share the recap (access per the recap's sharing settings)"),
            Column("app_url", T, "link to the recap in Calendly's web app"),
            Column("created_at", TS, "when the recap was created"),
            Column("updated_at", TS, "when the recap last changed"),
        ),
        model=MeetingRecap,
        description="Notetaker meeting recaps of the token's user (paid plans)",
        one_row_per="meeting recap",
        resource="meeting_recaps",
        raw_drop=("deleted_at",),
    ),
    child_table(
        "meeting_recap_transcripts",
        (
            Column("speaker", T, "who spoke (null for a line without a speaker)"),
            Column("text", T, "what they said"),
        ),
        parent="meeting_recaps",
        link="meeting_recap_uri",
        items="transcript_segments",
        description="transcripts of meeting recaps, an utterance a row (only with include_transcripts=True)",
        one_row_per="utterance of a meeting recap's transcript",
    ),
    TableSpec(
        "sync_state",
        (
            Column("table_name", T, "table key, e.g. scheduled_events"),
            Column("scope", T, "organization or user URI the sync covers"),
            Column("watermark", TS, "start of the last complete pass; the next window starts here - lookback"),
            Column("pass_started_at", TS, "start of an unfinished pass (null when none)"),
            Column("pass_mode", T, "full or incremental"),
            Column("resume_from", TS, "start_time up to which the unfinished pass is committed"),
            Column("last_success_at", TS, "end of the last successful pass"),
            Column("updated_at", TS, "when this row was last written"),
        ),
        ("table_name", "scope"),
        "incremental sync state (watermarks)",
        "synced table and scope (organization/user URI)",
    ),
    TableSpec(
        "webhook_feed",
        (
            Column("uri", T, "the consumer: the sync scope (organization and/or user URI) reading the webhook inbox"),
            Column("position", I, "id of the last inbox delivery applied (committed with the rows it produced)"),
            Column("checked_at", TS, "when the pass that moved it checked the subscription"),
            Column("gap_since", TS, "start of a feed gap reconcile has not re-read yet (null when none)"),
            Column("gap_reason", T, "why the feed had that gap"),
            Column("updated_at", TS, "when this row was last written"),
            Column(
                "latest_delivery_at",
                TS,
                "the latest created_at of the deliveries it read: what it reads from the API later is newer",
            ),
        ),
        ("uri",),
        "webhook change capture: each sync scope's position in the webhook inbox",
        "sync scope consuming the webhook inbox",
    ),
    TableSpec(
        "schema_versions",
        (
            Column("fingerprint", T, "hash of the table registry this schema was brought up to"),
            Column("package_version", T, "airflow-provider-calendly version that applied it"),
            Column("changes", J, "the additive changes applied (empty when only recorded)"),
            Column("applied_at", TS, "when it was applied"),
        ),
        ("fingerprint",),
        "schema versions applied to this warehouse",
        "schema version applied",
    ),
)

#: Every table, by key (name without the prefix).
TABLES: dict[str, TableSpec] = {spec.key: spec for spec in _SPECS}
#: Child tables of each parent table.
CHILD_TABLES: dict[str, tuple[str, ...]] = {
    key: tuple(child.key for child in _SPECS if child.parent == key)
    for key in TABLES
    if any(child.parent == key for child in _SPECS)
}
#: Tables written for each resource name the operator accepts (each top-level table followed by its children).
RESOURCE_TABLES: dict[str, tuple[str, ...]] = {
    resource: tuple(
        key for spec in _SPECS if spec.resource == resource for key in (spec.key, *CHILD_TABLES.get(spec.key, ()))
    )
    for resource in dict.fromkeys(s.resource for s in _SPECS if s.resource is not None)
}
#: Tables every sync keeps, whatever its resources.
BOOKKEEPING_TABLES: tuple[str, ...] = tuple(s.key for s in _SPECS if s.model is None and s.parent is None)
#: Tables of each webhook event family that lands deliveries (the parent first, then its children).
WEBHOOK_TABLES: dict[str, tuple[str, ...]] = {
    "invitee": (*RESOURCE_TABLES["scheduled_events"], *RESOURCE_TABLES["invitees"]),
    "routing_form_submission": RESOURCE_TABLES["routing_form_submissions"],
    "contact": ("contacts", *CHILD_TABLES["contacts"]),
    "meeting_recap": ("meeting_recaps", *CHILD_TABLES["meeting_recaps"]),
}


# --- rows ----------------------------------------------------------------------------------------------------


def children_in_parent_raw(key: str) -> bool:
    """Whether child table ``key``'s rows are elements of a list in its parent's ``raw`` (so a parent whose ``raw``
    is unchanged has unchanged children), or of a list the sync reads apart and keeps out of ``raw`` (a List's
    members, a recap's transcript: the model's field is ``exclude``-d from dumps)."""
    spec = TABLES[key]
    assert spec.parent is not None and spec.items is not None, f"{key} is not a child table"
    model = TABLES[spec.parent].model
    field = model.model_fields.get(spec.items) if model is not None else None
    return field is not None and not field.exclude


def build_rows(
    key: str,
    item: Any,
    *,
    scheduled_event_uri: str | None = None,
    as_of: datetime | None = None,
    user_uri: str | None = None,
    position: int = 0,
) -> RowsByTable:
    """Rows of one top-level item: its own row in table ``key`` plus the rows of its child tables.

    :param as_of: The Calendly time ``item`` is known current as of (``_as_of``), e.g. its delivery's created_at.
    :param user_uri: The user an item read per user belongs to (see :class:`RowContext`).
    :param position: The item's index in its user's list (meeting locations).
    """
    spec = TABLES[key]
    context = RowContext(scheduled_event_uri=scheduled_event_uri, as_of=as_of, user_uri=user_uri, position=position)
    parent = spec.row(item, context)
    rows: RowsByTable = {key: [parent]}
    for child_key in CHILD_TABLES.get(key, ()):
        child = TABLES[child_key]
        assert child.items is not None
        elements = getattr(item, child.items)
        if elements is None:  # not read: the stored children stay (no key, so the writer leaves them)
            continue
        rows[child_key] = [
            child.row(element, RowContext(parent_row=parent, position=i)) for i, element in enumerate(elements)
        ]
    return rows


def event_type_row(item: EventType, *, as_of: datetime | None = None) -> Row:
    """The ``event_types`` row of an event type (without ``_synced_at``)."""
    return build_rows("event_types", item, as_of=as_of)["event_types"][0]


def scheduled_event_rows(event: ScheduledEvent, *, as_of: datetime | None = None) -> RowsByTable:
    """Rows of a scheduled event: its ``scheduled_events`` row plus its memberships and guests."""
    return build_rows("scheduled_events", event, as_of=as_of)


def invitee_rows(
    invitee: Invitee, *, scheduled_event_uri: str | None = None, as_of: datetime | None = None
) -> RowsByTable:
    """Rows of an invitee: its ``invitees`` row plus one ``invitee_answers`` row per answered question."""
    return build_rows("invitees", invitee, scheduled_event_uri=scheduled_event_uri, as_of=as_of)


# --- derived views -------------------------------------------------------------------------------------------


def schema_fingerprint(tables: Iterable[TableSpec] | None = None) -> str:
    """A short hash of every table's columns, types, keys and indexes: the schema version recorded in the warehouse."""
    shape = [
        [spec.key, [[c.name, c.type.value, c.index] for c in spec.columns], list(spec.primary_key)]
        for spec in (tables if tables is not None else TABLES.values())
    ]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


def sqlalchemy_type(column_type: ColumnType) -> Any:
    """The portable SQLAlchemy type of a logical column type; each warehouse's dialect
    (:mod:`~airflow_provider_calendly.transfers.dialects`) spells its own where it differs."""
    import sqlalchemy as sa

    return {
        ColumnType.TEXT: sa.Text(),
        ColumnType.INTEGER: sa.BigInteger(),
        ColumnType.NUMBER: sa.Double(),
        ColumnType.BOOLEAN: sa.Boolean(),
        ColumnType.TIMESTAMP: sa.DateTime(timezone=True),
        ColumnType.JSON: sa.JSON(),
    }[column_type]


def _portable_type(column_type: ColumnType, *, key: bool) -> Any:
    return sqlalchemy_type(column_type)


def sqlalchemy_table(
    spec: TableSpec,
    metadata: Any,
    name: str,
    *,
    type_of: Callable[..., Any] = _portable_type,
    indexes: bool = True,
    **kwargs: Any,
) -> Any:
    """The SQLAlchemy Core ``Table`` of one spec, named ``name`` in ``metadata`` (columns commented, link columns indexed).

    :param type_of: ``type_of(column_type, key=…)``: the column's SQLAlchemy type (``key``: in the primary key
        or an index); default: the portable :func:`sqlalchemy_type`.
    :param kwargs: More ``sa.Table`` arguments (e.g. a dialect's table options).
    """
    import sqlalchemy as sa

    key = set(spec.primary_key)
    return sa.Table(
        name,
        metadata,
        *(
            sa.Column(
                c.name,
                type_of(c.type, key=c.name in key or c.index),
                primary_key=c.name in key,
                comment=c.description or None,
            )
            for c in spec.columns
        ),
        *(sa.Index(f"{name}__{c.name}_idx", c.name) for c in spec.columns if c.index and indexes),
        comment=spec.description,
        **kwargs,
    )


def sqlalchemy_metadata(
    prefix: str = "calendly_", schema: str | None = None, *, type_of: Callable[..., Any] = _portable_type, **kwargs: Any
) -> Any:
    """SQLAlchemy Core ``Table`` objects of every table, keyed ``<prefix><key>`` (the writer's and analysts').

    ``type_of`` and ``kwargs`` are those of :func:`sqlalchemy_table`.
    """
    import sqlalchemy as sa

    metadata = sa.MetaData(schema=schema)
    for spec in TABLES.values():
        sqlalchemy_table(spec, metadata, f"{prefix}{spec.key}", type_of=type_of, **kwargs)
    return metadata
