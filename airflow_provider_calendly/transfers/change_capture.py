"""Webhook change capture: an incremental pass first applies the webhook inbox's deliveries, without API calls.

With ``webhook_inbox_conn_id`` set, an incremental pass starts by reading the deliveries the receiver stored
since this sync's own **consumer position** (one per sync scope, in ``<prefix>webhook_feed``) and applying
the ones whose payload carries the data:

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
    every user's); a deletion marks the row (a tombstone, see :func:`~.deletions.mark_tombstone`).
``meeting_recap.created`` / ``.updated``; ``meeting_recap.deleted``
    the recap (highlights and the meeting's snapshot; what a payload lacks, its ``status`` and ``app_url``,
    kept from the stored row); a deletion marks the row. A transcript is not in the payload: its rows stay.

Each family is applied when the sync writes its tables (:func:`feed_events`); the gap judgment below is about
invitee-only changes, so it runs only when the sync writes invitees.

**Order by what is known, never miss, never regress.** Calendly delivers late and more than once, and its
reference does not say whether a no-show, a reconfirmation or a cancellation moves a resource's
``updated_at``: a delivery cannot be judged by ``updated_at`` alone. Each row of a resource table keeps
``_as_of``, the Calendly time its content is known current as of: a delivery's ``created_at`` (the state the
payload describes) or, for a row read from the API, a time before the read was made (the pass's start less
:data:`READ_MARGIN`, and no earlier than the latest delivery already read: the reads come after those). A
delivery is applied unless the stored row is provably newer (:func:`stored_is_newer`): its ``_as_of`` is at
or after the delivery's ``created_at``, or its ``updated_at`` is after the payload's (``updated_at`` never goes
back). So a duplicate, or a late delivery that a newer read or delivery already covers, changes nothing, and a
delivery that carries a change the row lacks is never dropped, whether or not that change moved
``updated_at``. A row whose ``_as_of`` is unknown (written by a sync without the feed, or before this column
existed) takes any delivery its ``updated_at`` does not prove older.

**Exactly once.** The rows a batch of deliveries produced and the position after that batch are committed
in one transaction of the warehouse, so a crash neither loses a delivery nor applies one twice (and the
guard above would make a second application harmless anyway).

**Gap-free, or reconcile.** The feed covers the period since the previous pass only if all of these hold:

* the previous pass recorded its check time (``checked_at``) and left no gap open;
* an organization (or, for a user-only sync, user) subscription carrying the four invitee events is
  ``active``, has no ``retry_started_at`` (Calendly sets it while deliveries to the receiver fail), and was
  created no later than that check, so it was active for the whole period;
* the inbox still holds every delivery after the position (none purged unread).

Then the refresh window's past part (no-shows) is covered by the feed and not re-read; its future part is
still re-read from the previous check on, because Calendly sends no webhook for reconfirmations. On any doubt
the pass falls back to reconcile for the whole window, logs why and counts the reads as ``feed_gap``; the gap
stays recorded until a pass has finished re-reading, so a crash in between falls back again.

**What Calendly's reference leaves open**, and why the feed is right either way (each is tested both ways):

* whether a no-show, a reconfirmation or a cancellation moves ``updated_at`` (of the invitee, or of the
  scheduled event for a cancellation): deliveries are ordered by ``_as_of`` (above); the listing compares an
  event's status and invitee counters as well as its ``updated_at`` (``CalendlyEmulator(updated_at_moved_by=())``
  in the equivalence tests);
* how far Calendly's clock and this host's differ, and how soon a change is readable after its webhook's
  ``created_at``: reads count as of :data:`READ_MARGIN` before the pass's start (a clock ahead of Calendly's);
* whether a no-show's payload embeds its scheduled event (see above);
* in which order deliveries arrive, and how often (duplicates, late and reordered deliveries).

It relies on what the reference does state: ``updated_at`` is when the resource last changed (so it never goes
back), a delivery's ``created_at`` is when the change it reports happened (two changes of one resource with the
very same ``created_at`` cannot be ordered: the first applied stands until the row is read again), and
reconfirmations have no webhook event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from airflow_provider_calendly.models import (
    ContactWebhookPayload,
    EventType,
    InviteePayload,
    MeetingRecap,
    MeetingRecapWebhookPayload,
)
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.transfers.deletions import mark_tombstone
from airflow_provider_calendly.transfers.reconcile import (
    InviteePlan,
    RefreshWindow,
    StoredEvent,
    plan_invitee_reads,
)
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
    from airflow_provider_calendly.models import ScheduledEvent, WebhookSubscription
    from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
    from airflow_provider_calendly.webhooks.inbox import Delivery, WebhookInbox

__all__ = [
    "CONTACT_EVENTS",
    "FEED_EVENTS",
    "INVITEE_EVENTS",
    "READ_MARGIN",
    "RECAP_EVENTS",
    "ChangeCapture",
    "FeedPass",
    "Stored",
    "feed_events",
    "recap_over_stored",
    "stored_is_newer",
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
#: Deliveries read from the inbox per batch (each batch is committed with its position).
BATCH = 500
#: How much before this host's clock a pass's API reads are taken to be as of. Calendly's reference states no
#: bound on how its clock and ours differ, nor on how soon a change a webhook announces is visible to reads, so
#: a delivery created up to this long before a read is applied over it (the payload is Calendly's whole resource
#: at that moment; a read in the same pass re-reads what deliveries cannot carry): late by this much, never lost.
READ_MARGIN = timedelta(minutes=5)


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


@dataclass
class FeedPass:
    """What the feed did for one pass: deliveries applied, and whether it covers the period since the last one.

    :param covered: The feed was gap-free since ``since``: the refresh window's past part is not re-read.
    :param since: The previous pass's check time (``None`` on the first pass with a feed).
    :param reason: Why the feed does not cover the period (``None`` when it does).
    :param position: The inbox id of the last delivery read: what the inbox holds beyond it is its backlog.
    """

    covered: bool
    since: datetime | None
    reason: str | None
    deliveries: int = 0
    applied: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    covered_by_feed: int = 0
    position: int = 0

    def count(self, into: dict[str, int], key: str) -> None:
        into[key] = into.get(key, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe summary for the XCom."""
        return {
            "covered": self.covered,
            "since": self.since.isoformat() if self.since else None,
            "gap_reason": self.reason,
            "deliveries": self.deliveries,
            "applied": dict(sorted(self.applied.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "position": self.position,
        }


@dataclass(frozen=True)
class _FeedState:
    """A consumer's row in ``<prefix>webhook_feed``."""

    position: int
    checked_at: datetime | None
    gap_since: datetime | None
    gap_reason: str | None
    latest_delivery_at: datetime | None


def _stamp(value: Any) -> datetime | None:
    try:
        return parse_utc(value) if value is not None else None
    except (TypeError, ValueError):  # an unreadable stored value never blocks a newer delivery
        return None


@dataclass(frozen=True)
class Stored:
    """What the warehouse holds of a row, as far as ordering deliveries goes."""

    updated_at: datetime | None
    as_of: datetime | None


def stored_is_newer(stored: Stored | None, delivered_at: datetime | None, updated_at: datetime | None) -> bool:
    """Whether a stored row provably reflects a later state than a delivery (which is then skipped).

    :param stored: The row (``None``: not stored).
    :param delivered_at: The delivery's ``created_at``: the moment the payload describes.
    :param updated_at: The payload resource's ``updated_at``.
    """
    if stored is None:
        return False
    if stored.as_of is not None and delivered_at is not None and stored.as_of >= delivered_at:
        return True
    # Calendly's updated_at never goes back: a later one is a later state, an equal one proves nothing (a no-show,
    # a reconfirmation or a cancellation may leave it as it was).
    return stored.updated_at is not None and updated_at is not None and stored.updated_at > updated_at


def recap_over_stored(payload: MeetingRecapWebhookPayload, known: Mapping[str, Any]) -> MeetingRecap:
    """The recap a ``meeting_recap.created``/``.updated`` delivery describes, over ``known`` (the stored row's
    ``raw``): the payload has no ``status`` or ``app_url``, so the stored row's stay."""
    recap = payload.as_recap()
    if not known:
        return recap
    return MeetingRecap.model_validate({**known, **recap.model_dump(mode="json", exclude_unset=True)})


class ChangeCapture:
    """Consume one sync scope's webhook deliveries into the warehouse and judge whether the feed had a gap.

    :param hook: The Calendly hook (one call: the subscription list).
    :param writer: The table writer (its public methods only).
    :param inbox: The receiver's inbox.
    :param scope: The sync scope (the consumer's name in ``<prefix>webhook_feed``).
    :param organization: Organization URI of the sync (``None`` for a user-only sync).
    :param user: User URI of the sync, if it is user-scoped: deliveries of others' meetings are skipped.
    :param clock: The pass's clock (the check time recorded for the next pass).
    :param events: The deliveries it applies (:func:`feed_events`; others are passed over).
    """

    def __init__(
        self,
        *,
        hook: CalendlyHook,
        writer: CalendlyTableWriter,
        inbox: WebhookInbox,
        scope: str,
        organization: str | None,
        user: str | None,
        clock: Callable[[], datetime],
        events: Sequence[str] = FEED_EVENTS,
    ) -> None:
        self.hook = hook
        self.writer = writer
        self.inbox = inbox
        self.scope = scope
        self.organization = organization
        self.user = user
        self.clock = clock
        self.events = tuple(events)
        self.result: FeedPass | None = None
        self._checked: datetime | None = None
        self._tombstones: dict[tuple[str, str], tuple[datetime, datetime]] = {}
        self._own_user: str | None = None

    # -- the consumer's row --

    def _state(self) -> _FeedState | None:
        ph = self.writer.dialect.placeholder
        rows = self.writer.execute(
            f"SELECT position, checked_at, gap_since, gap_reason, latest_delivery_at "
            f"FROM {self.writer.table_name('webhook_feed')} WHERE uri = {ph}",
            [self.scope],
        )
        if not rows:
            return None
        position, checked_at, gap_since, reason, latest = rows[0]
        return _FeedState(int(position or 0), _stamp(checked_at), _stamp(gap_since), reason, _stamp(latest))

    def _state_row(self, state: _FeedState) -> RowsByTable:
        return {
            "webhook_feed": [
                {
                    "uri": self.scope,
                    "position": state.position,
                    "checked_at": state.checked_at,
                    "gap_since": state.gap_since,
                    "gap_reason": state.gap_reason,
                    "updated_at": self.clock(),
                    "latest_delivery_at": state.latest_delivery_at,
                }
            ]
        }

    # -- entry points --

    def consume(self, *, full: bool = False) -> FeedPass:
        """Judge the feed since the previous pass, then apply every new delivery (rows and position together).

        :param full: The pass re-reads everything (``mode="full"``): the feed's gaps do not matter, so they are
            not judged (no subscription call, no warning); deliveries are still applied (a resumed full pass
            does not re-read what its first attempt read), and any open gap closes when the pass is committed.
        """
        now = self.clock()
        state = self._state()
        position, since, open_gap, open_reason, latest = (
            astuple(state) if state is not None else (None, None, None, None, None)
        )
        judged = not full and set(INVITEE_EVENTS) <= set(self.events)
        if not judged:
            reason, gap_since = open_reason, open_gap
        else:
            reason = self._gap(position, since, open_gap, open_reason)
            gap_since = None if reason is None else (open_gap or since or now)
            if reason is not None:
                log.warning(
                    "Webhook feed not gap-free since %s (%s): reconcile re-reads the refresh window", since, reason
                )
        result = FeedPass(covered=judged and reason is None, since=since, reason=reason)
        cursor = position if position is not None else self.inbox.last_id()
        while True:
            batch = self.inbox.fetch(after_id=cursor, events=self.events, limit=BATCH)
            rows: RowsByTable = {}
            self._tombstones = {}
            with self.writer.transaction():
                for delivery in batch:
                    result.deliveries += 1
                    delivered_at = _stamp(delivery.created_at)
                    if delivered_at is not None and (latest is None or delivered_at > latest):
                        latest = delivered_at
                    self._apply(delivery, delivered_at, rows, result)
                if rows:
                    self.writer.write_rows(rows)
                for (key, uri), (deleted_at, as_of) in self._tombstones.items():
                    mark_tombstone(self.writer, key, uri, deleted_at=deleted_at, as_of=as_of)
                cursor = batch[-1].id if batch else cursor
                # The check time moves only when the pass is committed (finish): a crash re-judges from the old one.
                self.writer.write_rows(self._state_row(_FeedState(cursor, since, gap_since, reason, latest)))
            if len(batch) < BATCH:
                break
        result.position = cursor
        # Every read of this pass comes after the deliveries read so far: the rows it writes are at least that new.
        self.writer.read_as_of = max(t for t in (now - READ_MARGIN, latest) if t is not None)
        log.info(
            "Webhook feed: %d deliveries read, %s applied, %s skipped",
            result.deliveries,
            sum(result.applied.values()),
            sum(result.skipped.values()),
        )
        self.result = result
        self._checked = now
        return result

    def finish(self) -> None:
        """Record this pass's check time and close any gap, once the pass that re-read it is committed."""
        state = self._state()
        if state is not None and self._checked is not None:
            self.writer.write_rows(
                self._state_row(replace(state, checked_at=self._checked, gap_since=None, gap_reason=None))
            )

    # -- gap detection --

    def _gap(
        self, position: int | None, since: datetime | None, open_gap: datetime | None, open_reason: str | None
    ) -> str | None:
        """Return why the feed may have missed something since the previous pass (``None``: it did not)."""
        if position is None or since is None:
            return "no previous pass consumed the feed"
        if open_gap is not None:
            return f"a gap since {open_gap.isoformat()} is not re-read yet ({open_reason})"
        oldest = self.inbox.fetch(after_id=0, limit=1)
        if oldest and oldest[0].id > position + 1:
            return "the inbox purged deliveries this sync may never have read"
        subscriptions = self._subscriptions()
        if not subscriptions:
            return "no webhook subscription carries the invitee events"
        for sub in subscriptions:
            if sub.state != "active":
                continue
            if sub.retry_started_at is not None:
                return f"subscription {sub.uri} has failing deliveries since {sub.retry_started_at.isoformat()}"
            if sub.created_at is None or sub.created_at > since:
                continue
            return None
        states = ", ".join(f"{s.uri}: {s.state}, created {s.created_at}" for s in subscriptions)
        return f"no subscription was active for the whole period since {since.isoformat()} ({states})"

    def _subscriptions(self) -> list[WebhookSubscription]:
        if self.organization is not None:
            listing = self.hook.list_webhook_subscriptions(scope="organization", organization=self.organization)
        elif self.user is not None:
            listing = self.hook.list_webhook_subscriptions(scope="user", user=self.user)
        else:
            return []
        return [s for s in listing if set(INVITEE_EVENTS) <= set(s.events)]

    # -- applying deliveries --

    def _apply(self, delivery: Delivery, delivered_at: datetime | None, rows: RowsByTable, result: FeedPass) -> None:
        organization, tag = self.organization, (delivery.organization or "").rstrip("/")
        if organization and tag and tag != organization and not organization.endswith(f"/{tag}"):
            result.count(result.skipped, "other organization")
            return
        try:
            if delivery.event in EVENT_TYPE_EVENTS:
                applied = self._apply_event_type(EventType.model_validate(delivery.payload), delivered_at, rows)
            elif delivery.event in CONTACT_EVENTS:
                payload = ContactWebhookPayload.model_validate(delivery.payload)
                applied = self._apply_contact(delivery.event, payload, delivered_at, rows)
            elif delivery.event in RECAP_EVENTS:
                recap = MeetingRecapWebhookPayload.model_validate(delivery.payload)
                applied = self._apply_recap(delivery.event, recap, delivered_at, rows)
            else:
                applied = self._apply_invitee(InviteePayload.model_validate(delivery.payload), delivered_at, rows)
        except ValidationError:
            log.warning("Skipping webhook delivery %s (%s): its payload does not parse", delivery.id, delivery.event)
            applied = "unreadable"
        if applied is None:
            result.count(result.applied, delivery.event)
        else:
            result.count(result.skipped, applied)

    def _stored(self, key: str, uri: str, rows: RowsByTable) -> Stored | None:
        """What is stored of ``uri`` in table ``key`` (or pending in this batch); ``None`` when it is not."""
        tombstone = self._tombstones.get((key, uri))
        if tombstone is not None:
            return Stored(None, tombstone[1])
        pending = [r for r in rows.get(key, ()) if r["uri"] == uri]
        if pending:
            return Stored(_stamp(pending[-1].get("updated_at")), _stamp(pending[-1].get("_as_of")))
        ph = self.writer.dialect.placeholder
        found = self.writer.execute(
            f"SELECT updated_at, _as_of FROM {self.writer.table_name(key)} WHERE uri = {ph}", [uri]
        )
        return Stored(_stamp(found[0][0]), _stamp(found[0][1])) if found else None

    def _in_scope(self, event: ScheduledEvent | None) -> bool:
        if self.user is None or event is None:
            return True
        return any(m.user == self.user for m in event.event_memberships)

    def _apply_invitee(self, invitee: InviteePayload, delivered_at: datetime | None, rows: RowsByTable) -> str | None:
        event = invitee.scheduled_event
        if not self._in_scope(event):
            return "other user's meeting"
        stored = self._stored("invitees", invitee.uri, rows)
        if event is None and stored is None:
            # Calendly's reference does not say a no-show's payload embeds its scheduled event (it is handled
            # either way): without one, an invitee never stored is left to the listing, which finds it new.
            return "invitee not stored"
        if event is not None and not stored_is_newer(
            self._stored("scheduled_events", event.uri, rows), delivered_at, event.updated_at
        ):
            _merge(rows, scheduled_event_rows(event, as_of=delivered_at))
        if stored_is_newer(stored, delivered_at, invitee.updated_at):
            return "the stored row is newer"
        _merge(rows, invitee_rows(invitee, scheduled_event_uri=event.uri if event else None, as_of=delivered_at))
        return None

    def _apply_event_type(self, item: EventType, delivered_at: datetime | None, rows: RowsByTable) -> str | None:
        if self.user is not None and self.organization is None and item.profile and item.profile.owner != self.user:
            return "other user's event type"
        if stored_is_newer(self._stored("event_types", item.uri, rows), delivered_at, item.updated_at):
            return "the stored row is newer"
        rows.setdefault("event_types", []).append(event_type_row(item, as_of=delivered_at))
        return None

    def _tombstone(
        self, key: str, uri: str, deleted_at: datetime | None, delivered_at: datetime | None, rows: RowsByTable
    ) -> str | None:
        """Mark ``uri`` deleted (after this batch's rows are written), dropping rows of it pending in the batch."""
        if stored_is_newer(self._stored(key, uri, rows), delivered_at, None):
            return "the stored row is newer"
        at = deleted_at or delivered_at
        if at is None or delivered_at is None:
            return "a deletion without a time"
        for table in (key, *CHILD_TABLES.get(key, ())):
            link = "uri" if table == key else str(TABLES[table].parent_column)
            if table in rows:
                rows[table] = [r for r in rows[table] if r[link] != uri]
        self._tombstones[key, uri] = (at, delivered_at)
        return None

    def _upsert(self, key: str, item: Any, delivered_at: datetime | None, rows: RowsByTable) -> str | None:
        """Add ``item``'s rows to the batch unless the stored row is provably newer (a tombstone counts)."""
        if stored_is_newer(self._stored(key, item.uri, rows), delivered_at, item.updated_at):
            return "the stored row is newer"
        self._tombstones.pop((key, item.uri), None)
        _merge(rows, build_rows(key, item, as_of=delivered_at))
        return None

    def _apply_contact(
        self, event: str, payload: ContactWebhookPayload, delivered_at: datetime | None, rows: RowsByTable
    ) -> str | None:
        if payload.user_uuid and payload.user_uuid != self._own_user_uuid():
            return "another user's contact"  # the listing returns the token's user's contacts only
        if event == "contact.deleted":
            return self._tombstone("contacts", payload.uri, payload.contact.deleted_at, delivered_at, rows)
        return self._upsert("contacts", payload.contact, delivered_at, rows)

    def _own_user_uuid(self) -> str:
        if self._own_user is None:
            self._own_user = self.hook.get_current_user().uuid
        return self._own_user

    def _apply_recap(
        self, event: str, payload: MeetingRecapWebhookPayload, delivered_at: datetime | None, rows: RowsByTable
    ) -> str | None:
        if event == "meeting_recap.deleted":
            return self._tombstone("meeting_recaps", payload.uri, payload.recap.deleted_at, delivered_at, rows)
        recap = recap_over_stored(payload, self._stored_raw("meeting_recaps", payload.uri, rows))
        return self._upsert("meeting_recaps", recap, delivered_at, rows)

    def _stored_raw(self, key: str, uri: str, rows: RowsByTable) -> dict[str, Any]:
        """The ``raw`` of the stored (or pending) row of ``uri``: the resource as last written."""
        pending = [r for r in rows.get(key, ()) if r["uri"] == uri]
        if pending:
            return dict(pending[-1]["raw"] or {})
        raw = self.writer.stored(key, [uri], "raw").get(uri, (None,))[0]
        return dict(raw) if isinstance(raw, dict) else {}

    # -- planning the invitee reads --

    def plan(
        self,
        events: Sequence[ScheduledEvent],
        stored: Mapping[str, StoredEvent],
        *,
        now: datetime,
        window: RefreshWindow,
    ) -> InviteePlan:
        """Plan a page's invitee reads: the whole window after a gap, else only its part the feed cannot carry."""
        result = self.result
        if result is None or not result.covered or result.since is None:
            return plan_invitee_reads(events, stored, now=now, window=window, feed="gap")
        # Reconfirmations have no webhook: meetings from the previous check on are still re-read (those that
        # started since may have been reconfirmed before they did); ``after=0`` says none are tracked.
        since = max(timedelta(0), min(window.before, now - result.since)) if window.after else timedelta(0)
        ahead = RefreshWindow(before=since, after=window.after)
        plan = plan_invitee_reads(events, stored, now=now, window=ahead)
        result.covered_by_feed += sum(
            1
            for e in events
            if e.uri not in plan.reads
            and window.contains(e.start_time, now)
            and not (e.invitees_counter is not None and e.invitees_counter.total == 0)
        )
        return plan


def _merge(into: RowsByTable, rows: Mapping[str, Iterable[dict[str, Any]]]) -> None:
    for key, items in rows.items():
        into.setdefault(key, []).extend(items)
