"""Idempotent recovery: every write whose answer may be lost takes effect once, always the same way.

A write that fails in a way that may still have applied (a dropped connection, a 5xx, a conflict with an
earlier attempt) is never blindly sent again: the client *looks* for its effect first, and an effect found
is success (``False``: nothing new was done by this call). :func:`~.once.write_once` is that shape, and every
action here is one use of it; a delete's lost answer shows as "already gone" (:func:`~.once.delete_once`).
Operators stay thin: one call here each.

* :mod:`~.once`: the shape itself, and the failures several writes read alike;
* one module per Calendly area, beside the area it recovers: :mod:`~.scheduling` (cancel, book, no-shows),
  :mod:`~.webhooks` (ensure and delete subscriptions), :mod:`~.organization` (invitations, event type
  creation), :mod:`~.people` (contacts, meeting recaps, Shares).

:class:`IdempotentActions` composes them, as :class:`~airflow_provider_calendly.client.CalendlyAPI` composes the
areas.
"""

from __future__ import annotations

from airflow_provider_calendly.client.recovery.once import delete_once, write_once
from airflow_provider_calendly.client.recovery.organization import OrganizationRecovery
from airflow_provider_calendly.client.recovery.people import SHARE_LOOK_MARGIN, PeopleRecovery
from airflow_provider_calendly.client.recovery.scheduling import SchedulingRecovery, UndoneNoShow
from airflow_provider_calendly.client.recovery.webhooks import EnsuredSubscription, WebhooksRecovery

__all__ = [
    "SHARE_LOOK_MARGIN",
    "EnsuredSubscription",
    "IdempotentActions",
    "UndoneNoShow",
    "delete_once",
    "write_once",
]


class IdempotentActions(SchedulingRecovery, WebhooksRecovery, OrganizationRecovery, PeopleRecovery):
    """The write actions that survive a lost answer and Airflow's retries without doubling anything."""
