"""The one shape of idempotent recovery: look before re-sending a write whose answer may be lost.

A write that fails in a way that may still have applied (a dropped connection, a 5xx, a conflict with an
earlier attempt) is never blindly sent again: the client *looks* for its effect first, and an effect found
is success (``False``: nothing new was done by this call). :func:`write_once` is that shape; a delete's lost
answer shows as "already gone" (:func:`delete_once`). The failures several writes read the same way are here too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import tenacity

from airflow_provider_calendly.client.requestor import BACKOFF
from airflow_provider_calendly.exceptions import (
    CalendlyAPIError,
    CalendlyConnectionError,
    CalendlyNotFoundError,
    CalendlyServerError,
)
from airflow_provider_calendly.pacing import Sleep

__all__ = ["answer_lost", "delete_once", "lost_or_refused_twice", "write_once"]

T = TypeVar("T")


def write_once(
    send: Callable[[], T],
    look: Callable[[CalendlyAPIError | None], T | None],
    *,
    may_have_applied: Callable[[CalendlyAPIError], bool],
    look_first: bool = False,
    resends: int = 0,
    sleep: Sleep = time.sleep,
) -> tuple[T, bool]:
    """Make a write take effect once; return ``(result, sent_by_this_call)``.

    With ``look_first`` (an Airflow retry, or a write that is cheap to check) the effect is looked for before
    anything is sent. A failure that cannot have applied is raised as it is. After one that may have applied,
    the effect is looked for before sending again (after a backoff, at most ``resends`` times) and once more
    before the last failure is raised.

    :param send: Sends the write once; returns its result.
    :param look: Returns the write's effect if it is there, else ``None``; it is given the failure that made it
        look (``None`` when looking first) and may raise a clearer error of its own.
    :param may_have_applied: Whether a failure leaves the write's outcome unknown.
    :param look_first: Look before the first send too.
    :param resends: How many times the write may be sent again when it is not found.
    :param sleep: Sleep function for the backoff (injectable for tests).
    """
    failure: CalendlyAPIError | None = None
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(resends + 1),
        retry=tenacity.retry_if_exception(lambda exc: exc is failure and may_have_applied(exc)),
        wait=BACKOFF,
        sleep=sleep,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                if look_first or failure is not None:
                    found = look(failure)
                    if found is not None:
                        return found, False
                try:
                    return send(), True
                except CalendlyAPIError as exc:
                    failure = exc
                    raise
    except CalendlyAPIError as exc:
        if exc is failure and may_have_applied(exc):
            found = look(exc)
            if found is not None:
                return found, False
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def delete_once(delete: Callable[[], None]) -> bool:
    """Delete; return ``False`` if it was already gone (a 404: an earlier attempt, or someone else, deleted it)."""
    try:
        delete()
    except CalendlyNotFoundError:
        return False
    return True


def answer_lost(exc: CalendlyAPIError) -> bool:
    """No answer (a dropped connection) or a 5xx: the write may have landed."""
    return isinstance(exc, CalendlyConnectionError | CalendlyServerError)


def lost_or_refused_twice(exc: CalendlyAPIError) -> bool:
    """No answer, a 5xx, or a refusal because it is done already (a concurrent or earlier attempt: the invitee is
    marked, the email invited)."""
    return exc.status_code is None or exc.status_code >= 500 or exc.status_code in (400, 409, 422)
