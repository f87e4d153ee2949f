"""Webhook change capture: an incremental pass first applies the webhook inbox's deliveries, without API calls.

With ``webhook_inbox_conn_id`` set, an incremental pass starts by reading the deliveries the receiver stored
since this sync's own consumer position and applying the ones whose payload carries the data; it also judges
whether the feed covered the period since the previous pass, or the pass must reconcile. In three parts:

* :mod:`~.feed`: :class:`ChangeCapture`, the consumer position, each batch applied exactly once (its rows and
  its position in one transaction), and the judgment "gap-free, or reconcile";
* :mod:`~.ordering`: the ordering rule, "order by what is known, never miss, never regress" (``_as_of``,
  :data:`READ_MARGIN`, :func:`stored_is_newer`), and what Calendly's reference leaves open about it;
* :mod:`~.appliers`: what each kind of delivery applies, one applier per event family in one table
  (adding a webhook kind touches only that module).
"""

from __future__ import annotations

from airflow_provider_calendly.transfers.change_capture.appliers import (
    CONTACT_EVENTS,
    EVENT_TYPE_EVENTS,
    FEED_EVENTS,
    INVITEE_EVENTS,
    RECAP_EVENTS,
    feed_events,
    recap_over_stored,
)
from airflow_provider_calendly.transfers.change_capture.feed import BATCH, ChangeCapture, FeedPass
from airflow_provider_calendly.transfers.change_capture.ordering import READ_MARGIN, Stored, stored_is_newer

__all__ = [
    "BATCH",
    "CONTACT_EVENTS",
    "EVENT_TYPE_EVENTS",
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
