"""Change capture's ordering rule: a delivery is applied unless the stored row provably reflects a later state.

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

**What Calendly's reference leaves open**, and why the rule is right either way (each is tested both ways):

* whether a no-show, a reconfirmation or a cancellation moves ``updated_at`` (of the invitee, or of the
  scheduled event for a cancellation): deliveries are ordered by ``_as_of`` (above); the listing compares an
  event's status and invitee counters as well as its ``updated_at`` (``CalendlyEmulator(updated_at_moved_by=())``
  in the equivalence tests);
* how far Calendly's clock and this host's differ, and how soon a change is readable after its webhook's
  ``created_at``: reads count as of :data:`READ_MARGIN` before the pass's start (a clock ahead of Calendly's);
* in which order deliveries arrive, and how often (duplicates, late and reordered deliveries).

(Whether a no-show's payload embeds its scheduled event is the invitee applier's question:
:mod:`~airflow_provider_calendly.transfers.change_capture.appliers`.)

It relies on what the reference does state: ``updated_at`` is when the resource last changed (so it never goes
back), and a delivery's ``created_at`` is when the change it reports happened (two changes of one resource with
the very same ``created_at`` cannot be ordered: the first applied stands until the row is read again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_calendly.timestamps import parse_utc

__all__ = ["READ_MARGIN", "Stored", "stamp", "stored_is_newer"]

#: How much before this host's clock a pass's API reads are taken to be as of. Calendly's reference states no
#: bound on how its clock and ours differ, nor on how soon a change a webhook announces is visible to reads, so
#: a delivery created up to this long before a read is applied over it (the payload is Calendly's whole resource
#: at that moment; a read in the same pass re-reads what deliveries cannot carry): late by this much, never lost.
READ_MARGIN = timedelta(minutes=5)


def stamp(value: Any) -> datetime | None:
    """A stored or delivered time as an aware UTC ``datetime`` (``None`` when there is none or it is unreadable)."""
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
