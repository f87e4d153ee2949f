"""Change capture's feed: the consumer position, each batch applied exactly once, and the gap judgment.

With ``webhook_inbox_conn_id`` set, an incremental pass starts by reading the deliveries the receiver stored
since this sync's own **consumer position** (one per sync scope, in ``<prefix>webhook_feed``) and applying
them (:mod:`~airflow_provider_calendly.transfers.change_capture.appliers`). The gap judgment below is about
invitee-only changes, so it runs only when the sync writes invitees.

**Exactly once.** The rows a batch of deliveries produced and the position after that batch are committed
in one transaction of the warehouse, so a crash neither loses a delivery nor applies one twice (and the
ordering rule, :mod:`~airflow_provider_calendly.transfers.change_capture.ordering`, would make a second
application harmless anyway).

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
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import astuple, dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.transfers.change_capture.appliers import (
    FEED_EVENTS,
    INVITEE_EVENTS,
    Batch,
    DeliveryApplier,
)
from airflow_provider_calendly.transfers.change_capture.ordering import READ_MARGIN, stamp
from airflow_provider_calendly.transfers.reconcile import (
    InviteePlan,
    RefreshWindow,
    StoredEvent,
    plan_invitee_reads,
)
from airflow_provider_calendly.transfers.tables import RowsByTable

if TYPE_CHECKING:
    from airflow_provider_calendly.hooks.calendly import CalendlyHook
    from airflow_provider_calendly.models import ScheduledEvent, WebhookSubscription
    from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
    from airflow_provider_calendly.webhooks.inbox import WebhookInbox

__all__ = ["BATCH", "ChangeCapture", "FeedPass"]

log = logging.getLogger(__name__)

#: Deliveries read from the inbox per batch (each batch is committed with its position).
BATCH = 500


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


class ChangeCapture:
    """Consume one sync scope's webhook deliveries into the warehouse and judge whether the feed had a gap.

    :param hook: The Calendly hook (one call: the subscription list).
    :param writer: The table writer (its public methods only).
    :param inbox: The receiver's inbox.
    :param scope: The sync scope (the consumer's name in ``<prefix>webhook_feed``).
    :param organization: Organization URI of the sync (``None`` for a user-only sync).
    :param user: User URI of the sync, if it is user-scoped: deliveries of others' meetings are skipped.
    :param clock: The pass's clock (the check time recorded for the next pass).
    :param events: The deliveries it applies
        (:func:`~airflow_provider_calendly.transfers.change_capture.appliers.feed_events`; others are passed over).
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
        self._applier = DeliveryApplier(hook=hook, organization=organization, user=user)

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
        return _FeedState(int(position or 0), stamp(checked_at), stamp(gap_since), reason, stamp(latest))

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
            deliveries = self.inbox.fetch(after_id=cursor, events=self.events, limit=BATCH)
            batch = Batch(self.writer)
            with self.writer.transaction():
                for delivery in deliveries:
                    result.deliveries += 1
                    delivered_at = stamp(delivery.created_at)
                    if delivered_at is not None and (latest is None or delivered_at > latest):
                        latest = delivered_at
                    skipped = self._applier.apply(delivery, delivered_at, batch)
                    if skipped is None:
                        result.count(result.applied, delivery.event)
                    else:
                        result.count(result.skipped, skipped)
                batch.write()
                cursor = deliveries[-1].id if deliveries else cursor
                # The check time moves only when the pass is committed (finish): a crash re-judges from the old one.
                self.writer.write_rows(self._state_row(_FeedState(cursor, since, gap_since, reason, latest)))
            if len(deliveries) < BATCH:
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
