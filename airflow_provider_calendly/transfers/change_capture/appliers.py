"""What each webhook delivery applies: one applier per event family, chosen from one table.

A delivery whose payload carries the data lands in a batch of rows, by the ordering rule
(:mod:`~airflow_provider_calendly.transfers.change_capture.ordering`):

``invitee.created`` / ``invitee.canceled``
    the invitee (with its answers) and its embedded scheduled event; a reschedule is a canceled old invitee
    (``rescheduled``, ``new_invitee``) plus a created new one (``old_invitee``): both rows land, linked.
``invitee_no_show.created`` / ``invitee_no_show.deleted``
    the invitee with its no-show set or cleared (and its scheduled event if the payload embeds it; without
    one, an invitee not stored yet is left to the listing, which finds its meeting new).
``event_type.created`` / ``.updated`` / ``.deleted``
    the event type.
``contact.created`` / ``.updated``; ``contact.deleted``
    the contact with its custom field values (the token's user's only: an organization subscription delivers
    every user's); a deletion marks the row (a tombstone, see
    :func:`~airflow_provider_calendly.transfers.deletions.mark_tombstone`).
``meeting_recap.created`` / ``.updated``; ``meeting_recap.deleted``
    the recap (highlights and the meeting's snapshot; what a payload lacks, its ``status`` and ``app_url``,
    kept from the stored row); a deletion marks the row. A transcript is not in the payload: its rows stay.

Each family is applied when the sync writes its tables (:func:`feed_events`). Adding a webhook kind is its
events, its applier in :data:`APPLIERS` and its line in :func:`feed_events`, all here.

Calendly's reference does not say whether a no-show's payload embeds its scheduled event: the invitee applier is
right either way (above), and it is tested both ways.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from airflow_provider_calendly.models import (
    ContactWebhookPayload,
    EventType,
    InviteePayload,
    MeetingRecap,
    MeetingRecapWebhookPayload,
)
from airflow_provider_calendly.transfers.change_capture.ordering import Stored, stamp, stored_is_newer
from airflow_provider_calendly.transfers.deletions import mark_tombstone
from airflow_provider_calendly.transfers.tables import (
    CHILD_TABLES,
    TABLES,
    RowsByTable,
    build_rows,
    event_type_row,
    invitee_rows,
    scheduled_event_rows,
)

if TYPE_CHECKING:
    from airflow_provider_calendly.hooks.calendly import CalendlyHook
    from airflow_provider_calendly.models import ScheduledEvent
    from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
    from airflow_provider_calendly.webhooks.inbox import Delivery

__all__ = [
    "APPLIERS",
    "CONTACT_EVENTS",
    "EVENT_TYPE_EVENTS",
    "FEED_EVENTS",
    "INVITEE_EVENTS",
    "RECAP_EVENTS",
    "Batch",
    "DeliveryApplier",
    "feed_events",
    "recap_over_stored",
]

log = logging.getLogger(__name__)

#: The events a subscription must carry for the feed to cover invitee-only changes.
INVITEE_EVENTS: tuple[str, ...] = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
)
EVENT_TYPE_EVENTS: tuple[str, ...] = ("event_type.created", "event_type.updated", "event_type.deleted")
CONTACT_EVENTS: tuple[str, ...] = ("contact.created", "contact.updated", "contact.deleted")
RECAP_EVENTS: tuple[str, ...] = ("meeting_recap.created", "meeting_recap.updated", "meeting_recap.deleted")
#: Every event change capture applies.
FEED_EVENTS: tuple[str, ...] = (*INVITEE_EVENTS, *EVENT_TYPE_EVENTS, *CONTACT_EVENTS, *RECAP_EVENTS)


def feed_events(resources: Iterable[str]) -> tuple[str, ...]:
    """The deliveries a sync of ``resources`` applies: the invitee events (with event types') when it writes
    scheduled events and invitees, contacts' with ``contacts``, recaps' with ``meeting_recaps``."""
    chosen = set(resources)
    events: list[str] = []
    if {"scheduled_events", "invitees"} <= chosen:
        events += INVITEE_EVENTS
    if events or "event_types" in chosen:
        events += EVENT_TYPE_EVENTS
    if "contacts" in chosen:
        events += CONTACT_EVENTS
    if "meeting_recaps" in chosen:
        events += RECAP_EVENTS
    return tuple(events)


def recap_over_stored(payload: MeetingRecapWebhookPayload, known: Mapping[str, Any]) -> MeetingRecap:
    """The recap a ``meeting_recap.created``/``.updated`` delivery describes, over ``known`` (the stored row's
    ``raw``): the payload has no ``status`` or ``app_url``, so the stored row's stay."""
    recap = payload.as_recap()
    if not known:
        return recap
    return MeetingRecap.model_validate({**known, **recap.model_dump(mode="json", exclude_unset=True)})


class Batch:
    """One batch of deliveries: the rows they add and the rows they mark deleted, over what the warehouse holds.

    :param writer: The table writer (its public methods only).
    """

    def __init__(self, writer: CalendlyTableWriter) -> None:
        self.writer = writer
        self.rows: RowsByTable = {}
        self._tombstones: dict[tuple[str, str], tuple[datetime, datetime]] = {}

    def stored(self, key: str, uri: str) -> Stored | None:
        """What is stored of ``uri`` in table ``key`` (or pending in this batch); ``None`` when it is not."""
        tombstone = self._tombstones.get((key, uri))
        if tombstone is not None:
            return Stored(None, tombstone[1])
        pending = [r for r in self.rows.get(key, ()) if r["uri"] == uri]
        if pending:
            return Stored(stamp(pending[-1].get("updated_at")), stamp(pending[-1].get("_as_of")))
        ph = self.writer.dialect.placeholder
        found = self.writer.execute(
            f"SELECT updated_at, _as_of FROM {self.writer.table_name(key)} WHERE uri = {ph}", [uri]
        )
        return Stored(stamp(found[0][0]), stamp(found[0][1])) if found else None

    def stored_raw(self, key: str, uri: str) -> dict[str, Any]:
        """The ``raw`` of the stored (or pending) row of ``uri``: the resource as last written."""
        pending = [r for r in self.rows.get(key, ()) if r["uri"] == uri]
        if pending:
            return dict(pending[-1]["raw"] or {})
        raw = self.writer.stored(key, [uri], "raw").get(uri, (None,))[0]
        return dict(raw) if isinstance(raw, dict) else {}

    def merge(self, rows: Mapping[str, Iterable[dict[str, Any]]]) -> None:
        """Add ``rows`` (table key -> rows) to the batch."""
        for key, items in rows.items():
            self.rows.setdefault(key, []).extend(items)

    def upsert(self, key: str, item: Any, delivered_at: datetime | None) -> str | None:
        """Add ``item``'s rows to the batch unless the stored row is provably newer (a tombstone counts)."""
        if stored_is_newer(self.stored(key, item.uri), delivered_at, item.updated_at):
            return "the stored row is newer"
        self._tombstones.pop((key, item.uri), None)
        self.merge(build_rows(key, item, as_of=delivered_at))
        return None

    def tombstone(self, key: str, uri: str, deleted_at: datetime | None, delivered_at: datetime | None) -> str | None:
        """Mark ``uri`` deleted (after this batch's rows are written), dropping rows of it pending in the batch."""
        if stored_is_newer(self.stored(key, uri), delivered_at, None):
            return "the stored row is newer"
        at = deleted_at or delivered_at
        if at is None or delivered_at is None:
            return "a deletion without a time"
        for table in (key, *CHILD_TABLES.get(key, ())):
            link = "uri" if table == key else str(TABLES[table].parent_column)
            if table in self.rows:
                self.rows[table] = [r for r in self.rows[table] if r[link] != uri]
        self._tombstones[key, uri] = (at, delivered_at)
        return None

    def write(self) -> None:
        """Write the batch's rows, then mark its deletions (inside the caller's transaction)."""
        if self.rows:
            self.writer.write_rows(self.rows)
        for (key, uri), (deleted_at, as_of) in self._tombstones.items():
            mark_tombstone(self.writer, key, uri, deleted_at=deleted_at, as_of=as_of)


class DeliveryApplier:
    """Apply one sync scope's deliveries to a :class:`Batch`, each by its family's applier in :data:`APPLIERS`.

    :param hook: The Calendly hook (one call at most: the token's user, for ``contact.*``).
    :param organization: Organization URI of the sync (``None`` for a user-only sync).
    :param user: User URI of the sync, if it is user-scoped: deliveries of others' meetings are skipped.
    """

    def __init__(self, *, hook: CalendlyHook, organization: str | None, user: str | None) -> None:
        self.hook = hook
        self.organization = organization
        self.user = user
        self._own_user: str | None = None

    def apply(self, delivery: Delivery, delivered_at: datetime | None, batch: Batch) -> str | None:
        """Apply ``delivery`` to ``batch``; return why it was skipped (``None``: applied)."""
        organization, tag = self.organization, (delivery.organization or "").rstrip("/")
        if organization and tag and tag != organization and not organization.endswith(f"/{tag}"):
            return "other organization"
        if delivery.event not in APPLIERS:
            return "not a change capture event"
        model, applier = APPLIERS[delivery.event]
        try:
            return applier(self, delivery.event, model.model_validate(delivery.payload), delivered_at, batch)
        except ValidationError:
            log.warning("Skipping webhook delivery %s (%s): its payload does not parse", delivery.id, delivery.event)
            return "unreadable"

    def _in_scope(self, event: ScheduledEvent | None) -> bool:
        if self.user is None or event is None:
            return True
        return any(m.user == self.user for m in event.event_memberships)

    def invitee(
        self, event_name: str, invitee: InviteePayload, delivered_at: datetime | None, batch: Batch
    ) -> str | None:
        """``invitee.*`` and ``invitee_no_show.*``: the invitee, and the scheduled event its payload embeds."""
        event = invitee.scheduled_event
        if not self._in_scope(event):
            return "other user's meeting"
        stored = batch.stored("invitees", invitee.uri)
        if event is None and stored is None:
            # Calendly's reference does not say a no-show's payload embeds its scheduled event (it is handled
            # either way): without one, an invitee never stored is left to the listing, which finds it new.
            return "invitee not stored"
        if event is not None and not stored_is_newer(
            batch.stored("scheduled_events", event.uri), delivered_at, event.updated_at
        ):
            batch.merge(scheduled_event_rows(event, as_of=delivered_at))
        if stored_is_newer(stored, delivered_at, invitee.updated_at):
            return "the stored row is newer"
        batch.merge(invitee_rows(invitee, scheduled_event_uri=event.uri if event else None, as_of=delivered_at))
        return None

    def event_type(self, event_name: str, item: EventType, delivered_at: datetime | None, batch: Batch) -> str | None:
        """``event_type.*``: the event type (a user-only sync takes its user's only)."""
        if self.user is not None and self.organization is None and item.profile and item.profile.owner != self.user:
            return "other user's event type"
        if stored_is_newer(batch.stored("event_types", item.uri), delivered_at, item.updated_at):
            return "the stored row is newer"
        batch.rows.setdefault("event_types", []).append(event_type_row(item, as_of=delivered_at))
        return None

    def contact(
        self, event_name: str, payload: ContactWebhookPayload, delivered_at: datetime | None, batch: Batch
    ) -> str | None:
        """``contact.*``: the token's user's contact, or its tombstone."""
        if payload.user_uuid and payload.user_uuid != self._own_user_uuid():
            return "another user's contact"  # the listing returns the token's user's contacts only
        if event_name == "contact.deleted":
            return batch.tombstone("contacts", payload.uri, payload.contact.deleted_at, delivered_at)
        return batch.upsert("contacts", payload.contact, delivered_at)

    def _own_user_uuid(self) -> str:
        if self._own_user is None:
            self._own_user = self.hook.get_current_user().uuid
        return self._own_user

    def recap(
        self, event_name: str, payload: MeetingRecapWebhookPayload, delivered_at: datetime | None, batch: Batch
    ) -> str | None:
        """``meeting_recap.*``: the recap over its stored row, or its tombstone."""
        if event_name == "meeting_recap.deleted":
            return batch.tombstone("meeting_recaps", payload.uri, payload.recap.deleted_at, delivered_at)
        recap = recap_over_stored(payload, batch.stored_raw("meeting_recaps", payload.uri))
        return batch.upsert("meeting_recaps", recap, delivered_at)


#: An applier: the applier object, the event's name, its parsed payload, its ``created_at``, the batch; it returns
#: why the delivery was skipped (``None``: applied).
Applier = Callable[[DeliveryApplier, str, Any, datetime | None, Batch], str | None]

#: For each event change capture applies: the model its payload parses into, and its applier.
APPLIERS: dict[str, tuple[type[BaseModel], Applier]] = {
    **dict.fromkeys(INVITEE_EVENTS, (InviteePayload, DeliveryApplier.invitee)),
    **dict.fromkeys(EVENT_TYPE_EVENTS, (EventType, DeliveryApplier.event_type)),
    **dict.fromkeys(CONTACT_EVENTS, (ContactWebhookPayload, DeliveryApplier.contact)),
    **dict.fromkeys(RECAP_EVENTS, (MeetingRecapWebhookPayload, DeliveryApplier.recap)),
}
