"""Scheduling's writes that take effect once: cancel an event, book a meeting, mark and undo a no-show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any

from airflow_provider_calendly.client.params import check_invitee, parse_instant, timestamp_param
from airflow_provider_calendly.client.recovery.once import answer_lost, delete_once, lost_or_refused_twice, write_once
from airflow_provider_calendly.client.scheduling import SchedulingAPI
from airflow_provider_calendly.exceptions import (
    CalendlyAPIError,
    CalendlyAuthError,
    CalendlyConfigError,
    CalendlyEventInPastError,
    CalendlyNotFoundError,
)
from airflow_provider_calendly.models import Cancellation, Invitee, NoShow

__all__ = ["SchedulingRecovery", "UndoneNoShow"]


@dataclass(frozen=True)
class UndoneNoShow:
    """What :meth:`SchedulingRecovery.undo_invitee_no_show` did, with canonical URIs.

    :param no_show: The no-show's URI (``None``: the invitee had none).
    :param invitee: The invitee's URI, when the no-show was found through it.
    :param deleted: Whether this call deleted it (``False``: already undone).
    """

    no_show: str | None
    invitee: str | None
    deleted: bool


def _may_have_canceled(exc: CalendlyAPIError) -> bool:
    # Calendly refuses to cancel a canceled event with a 403; a 404 or a bad token changed nothing.
    return not (isinstance(exc, CalendlyNotFoundError | CalendlyAuthError) and exc.status_code != 403)


class SchedulingRecovery(SchedulingAPI):
    """Cancel, book, mark and undo a no-show, each once however its answer is lost."""

    def cancel_scheduled_event(
        self, uuid_or_uri: str, *, reason: str | None = None, now: datetime | None = None
    ) -> tuple[Cancellation, bool]:
        """Cancel a scheduled event; return ``(cancellation, canceled_by_this_call)``.

        When the POST fails in a way that may mean "already done" (refused, dropped, 5xx), the event is read
        once: an already canceled event is success (``False``: nothing new was canceled), an event that has
        started raises :class:`CalendlyEventInPastError`, anything else re-raises the POST's error.

        :param uuid_or_uri: The scheduled event's UUID or URI.
        :param reason: Reason for the cancellation, shown to the invitees.
        :param now: The current time (injectable for tests).
        """
        path = f"{self.resource_path('scheduled_events', uuid_or_uri)}/cancellation"

        def look(failure: CalendlyAPIError | None) -> Cancellation | None:
            event = self.get_scheduled_event(uuid_or_uri)
            if event.status == "canceled":
                self.log.info("Scheduled event %s is already canceled (%s)", event.uri, failure)
                return event.cancellation or Cancellation()
            if event.start_time is not None and event.start_time <= (now or datetime.now(timezone.utc)):
                raise CalendlyEventInPastError(
                    f"scheduled event {event.uri} started at {event.start_time.isoformat()}: "
                    "Calendly cancels only events that have not started",
                    status_code=failure.status_code if failure else None,
                    title=failure.title if failure else None,
                    method="POST",
                    path=path,
                ) from None
            return None

        send = partial(self.create_cancellation, uuid_or_uri, reason=reason)
        return write_once(send, look, may_have_applied=_may_have_canceled)

    def book_meeting(
        self,
        event_type: str,
        start_time: datetime | str,
        invitee: Mapping[str, Any],
        *,
        location: Mapping[str, Any] | None = None,
        questions_and_answers: Iterable[Mapping[str, Any]] | None = None,
        tracking: Mapping[str, Any] | None = None,
        look_first: bool = False,
    ) -> tuple[Invitee, bool]:
        """Book a meeting through the Scheduling API (``POST /invitees``); return ``(invitee, booked_by_this_call)``.

        The endpoint has its own strict limits, paced by :attr:`scheduling_rate_limiter`. A POST whose answer
        was lost (dropped connection, 5xx) may have booked: before sending again, the invitee is looked up (an
        active invitee with that email on an event of that event type at that start time) and returned if found,
        so a meeting is booked once. ``look_first`` looks before the first POST too (an Airflow retry).

        :param event_type: The event type's UUID or URI.
        :param start_time: The slot's start (from :meth:`list_available_times`).
        :param invitee: ``email``, ``timezone`` and ``name`` (or ``first_name``/``last_name``); optionally
            ``text_reminder_number``.
        :param location: Calendly's location object, e.g. ``{"kind": "zoom_conference"}``.
        :param questions_and_answers: Answers to the event type's questions (``question``, ``answer``, ``position``).
        :param tracking: UTM parameters.
        :param look_first: Look for the booking before the first POST too.
        """
        uri = self.resource_uri("event_types", event_type)
        start = parse_instant("start_time", start_time)
        person = check_invitee(invitee)
        payload: dict[str, Any] = {
            "event_type": uri,
            "start_time": timestamp_param("start_time", start),
            "invitee": person,
        }
        if location:
            payload["location"] = dict(location)
        if questions_and_answers:
            payload["questions_and_answers"] = [dict(qa) for qa in questions_and_answers]
        if tracking:
            payload["tracking"] = dict(tracking)

        def look(failure: CalendlyAPIError | None) -> Invitee | None:
            found = self.find_booking(uri, start, person["email"])
            if found is not None:
                self.log.info("The meeting at %s is already booked (invitee %s): not booking again", start, found.uri)
            return found

        return write_once(
            partial(self.create_invitee, payload),
            look,
            may_have_applied=answer_lost,
            look_first=look_first,
            resends=self.settings.max_retries,
            sleep=self._sleep,
        )

    def mark_invitee_no_show(self, invitee_uri: str) -> tuple[NoShow, bool]:
        """Mark an invitee as a no-show once; return ``(no_show, marked_by_this_call)``.

        The invitee is read first: if it is already marked, its no-show is returned without a POST. If the POST
        fails in a way that may still have applied it (dropped connection, 5xx, a conflict from a concurrent
        mark), the invitee is read again and an existing no-show counts as success.

        :param invitee_uri: The invitee's URI.
        """

        def look(failure: CalendlyAPIError | None) -> NoShow | None:
            invitee = self.get_invitee(invitee_uri)
            ref = invitee.no_show
            if ref is None or not ref.uri:
                return None
            return NoShow(uri=ref.uri, invitee=invitee.uri, created_at=ref.created_at)

        send = partial(self.create_invitee_no_show, invitee_uri)
        return write_once(send, look, may_have_applied=lost_or_refused_twice, look_first=True)

    def undo_invitee_no_show(self, *, no_show: str | None = None, invitee: str | None = None) -> UndoneNoShow:
        """Undo a no-show, by its UUID/URI or by the invitee's URI; an already undone one counts as success.

        :param no_show: The no-show's UUID or URI.
        :param invitee: Or the invitee's URI: its current no-show, if any, is undone.
        """
        if (no_show is None) == (invitee is None):
            raise CalendlyConfigError("pass exactly one of no_show or invitee")
        invitee_uri = self.identity.invitee_uri(invitee) if invitee is not None else None
        if no_show is None:
            ref = self.get_invitee(invitee_uri)  # type: ignore[arg-type]
            if ref.no_show is None or not ref.no_show.uri:
                self.log.info("Invitee %s has no no-show: nothing to undo", invitee_uri)
                return UndoneNoShow(None, invitee_uri, deleted=False)
            no_show = ref.no_show.uri
        uri = self.resource_uri("invitee_no_shows", no_show)
        deleted = delete_once(partial(self.delete_invitee_no_show, uri))
        self.log.info("Undid no-show %s" if deleted else "No-show %s does not exist (already undone)", uri)
        return UndoneNoShow(uri, invitee_uri, deleted=deleted)
