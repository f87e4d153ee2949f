"""Action operators: thin wrappers that make one hook call and push a JSON-safe result to XCom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.operators.base import CalendlyBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


class CalendlyListEventTypesOperator(CalendlyBaseOperator):
    """List event types (default: the token owner's organization) and return them as a list of dicts.

    :param user: Only this user's event types (UUID or URI). (templated)
    :param organization: Only this organization's event types (UUID or URI). (templated)
    :param active: Only active (``True``) or inactive (``False``) event types.
    :param admin_managed: Only admin-managed (``True``) or not (``False``) event types.
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("user", "organization", "calendly_conn_id")

    def __init__(
        self,
        *,
        user: str | None = None,
        organization: str | None = None,
        active: bool | None = None,
        admin_managed: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.organization = organization
        self.active = active
        self.admin_managed = admin_managed

    def execute(self, context: Context) -> list[dict[str, Any]]:
        event_types = [
            event_type.model_dump(mode="json")
            for event_type in self.hook.list_event_types(
                user=self.user or None,
                organization=self.organization or None,
                active=self.active,
                admin_managed=self.admin_managed,
            )
        ]
        self.log.info("Listed %d Calendly event types", len(event_types))
        return event_types


class CalendlyGetEventTypeOperator(CalendlyBaseOperator):
    """Fetch one event type and return it as a dict.

    :param event_type: The event type's UUID or URI. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("event_type", "calendly_conn_id")

    def __init__(self, *, event_type: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_type = event_type

    def execute(self, context: Context) -> dict[str, Any]:
        return self.hook.get_event_type(self.event_type).model_dump(mode="json")


class CalendlyMarkNoShowOperator(CalendlyBaseOperator):
    """Mark an invitee as a no-show; idempotent, so Airflow retries and reruns cause exactly one no-show.

    The invitee is read first: if it is already marked, its existing no-show is returned without a POST.
    If the POST fails in a way that may still have applied it (dropped connection, 5xx, a conflict from a
    concurrent mark), the invitee is read again and an existing no-show counts as success.

    :param invitee_uri: The invitee's URI. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("invitee_uri", "calendly_conn_id")

    def __init__(self, *, invitee_uri: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.invitee_uri = invitee_uri

    def execute(self, context: Context) -> dict[str, Any]:
        no_show, marked_now = self.hook.mark_invitee_no_show(self.invitee_uri)
        if marked_now:
            self.log.info("Marked invitee %s as a no-show (%s)", no_show.invitee, no_show.uri)
        else:
            self.log.info("Invitee %s is already marked as a no-show (%s)", no_show.invitee, no_show.uri)
        return no_show.model_dump(mode="json")


class CalendlyUndoNoShowOperator(CalendlyBaseOperator):
    """Undo a no-show, by the no-show's UUID/URI or by the invitee's URI; already undone counts as success.

    Returns the canonical URIs of the no-show (``None`` if the invitee had none) and of the invitee (``None``
    when given the no-show), and whether this run deleted it.

    :param no_show: The no-show's UUID or URI. (templated)
    :param invitee_uri: Or the invitee's URI: its current no-show, if any, is undone. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("no_show", "invitee_uri", "calendly_conn_id")

    def __init__(self, *, no_show: str | None = None, invitee_uri: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if (no_show is None) == (invitee_uri is None):
            raise CalendlyConfigError("pass exactly one of no_show or invitee_uri")
        self.no_show = no_show
        self.invitee_uri = invitee_uri

    def execute(self, context: Context) -> dict[str, Any]:
        undone = self.hook.undo_invitee_no_show(no_show=self.no_show or None, invitee=self.invitee_uri or None)
        return asdict(undone)


# --- actions: cancel, single-use links, available times, booking, data deletion (invitees, meetings) -------


def _try_number(context: Context) -> int:
    ti = context.get("ti") if hasattr(context, "get") else None
    number = getattr(ti, "try_number", 1) if ti is not None else 1
    return number if isinstance(number, int) else 1


class CalendlyCancelEventOperator(CalendlyBaseOperator):
    """Cancel a scheduled event; an event already canceled counts as done (logged), one that started fails.

    :param event: The scheduled event's UUID or URI. (templated)
    :param reason: Reason for the cancellation, shown to the invitees. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("event", "reason", "calendly_conn_id")

    def __init__(self, *, event: str, reason: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event = event
        self.reason = reason

    def execute(self, context: Context) -> dict[str, Any]:
        event = self.hook.resource_uri("scheduled_events", self.event)
        cancellation, canceled_now = self.hook.cancel_scheduled_event(event, reason=self.reason or None)
        if canceled_now:
            self.log.info("Canceled scheduled event %s", event)
        else:
            self.log.info("Scheduled event %s was already canceled: nothing to do", event)
        return {
            "event": event,
            "canceled_now": canceled_now,
            "cancellation": cancellation.model_dump(mode="json"),
        }


class CalendlyCreateSchedulingLinkOperator(CalendlyBaseOperator):
    """Create a single-use scheduling link for an event type and return it (``booking_url`` is the link).

    Calendly cannot list or look up scheduling links, so a response lost in transit leaves one unused link
    behind; the link that is returned is the only one anybody receives.

    :param event_type: The event type's UUID or URI. (templated)
    :param max_event_count: Events the link can book (Calendly allows only 1).
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("event_type", "calendly_conn_id")

    def __init__(self, *, event_type: str, max_event_count: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_type = event_type
        self.max_event_count = max_event_count

    def execute(self, context: Context) -> dict[str, Any]:
        link = self.hook.create_scheduling_link(self.event_type, max_event_count=self.max_event_count)
        self.log.info("Created single-use scheduling link %s", link.booking_url)
        return link.model_dump(mode="json")


class CalendlyListAvailableTimesOperator(CalendlyBaseOperator):
    """List an event type's bookable start times in a range (longer ranges are split into 31-day calls).

    :param event_type: The event type's UUID or URI. (templated)
    :param start: Start of the range, ISO 8601 or datetime; a start in the past means now. (templated)
    :param end: End of the range, ISO 8601 or datetime. (templated)
    :param limit: Return at most this many slots (and stop calling once they are found).
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("event_type", "start", "end", "calendly_conn_id")

    def __init__(
        self,
        *,
        event_type: str,
        start: datetime | str,
        end: datetime | str,
        limit: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise CalendlyConfigError(f"limit must be a positive integer, got {limit!r}")
        self.event_type = event_type
        self.start = start
        self.end = end
        self.limit = limit

    def execute(self, context: Context) -> list[dict[str, Any]]:
        slots = self.hook.list_available_times(self.event_type, start_time=self.start, end_time=self.end)
        found = [slot.model_dump(mode="json") for slot in islice(slots, self.limit)]
        self.log.info("Found %d available start times", len(found))
        return found


class CalendlyBookMeetingOperator(CalendlyBaseOperator):
    """Book a meeting through Calendly's Scheduling API (``POST /invitees``), exactly once.

    A lost response is never booked twice (the hook looks the booking up before sending again), and an
    Airflow retry looks first too. The Scheduling API's own limits (10/min, 50/h, 100/day on paid plans) are
    paced by the hook.

    :param event_type: The event type's UUID or URI. (templated)
    :param start_time: The slot's start, e.g. from :class:`CalendlyListAvailableTimesOperator`. (templated)
    :param invitee: ``{"name", "email", "timezone"}`` (``first_name``/``last_name`` instead of ``name``).
        (templated)
    :param location: Calendly's location object, e.g. ``{"kind": "zoom_conference"}``. (templated)
    :param questions_and_answers: Answers to the event type's questions. (templated)
    :param tracking: UTM parameters. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = (
        "event_type",
        "start_time",
        "invitee",
        "location",
        "questions_and_answers",
        "tracking",
        "calendly_conn_id",
    )

    def __init__(
        self,
        *,
        event_type: str,
        start_time: datetime | str,
        invitee: dict[str, str],
        location: dict[str, Any] | None = None,
        questions_and_answers: list[dict[str, Any]] | None = None,
        tracking: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.event_type = event_type
        self.start_time = start_time
        self.invitee = invitee
        self.location = location
        self.questions_and_answers = questions_and_answers
        self.tracking = tracking

    def execute(self, context: Context) -> dict[str, Any]:
        booked, created = self.hook.book_meeting(
            self.event_type,
            self.start_time,
            self.invitee,
            location=self.location,
            questions_and_answers=self.questions_and_answers,
            tracking=self.tracking,
            look_first=_try_number(context) > 1,
        )
        self.log.info("%s meeting: invitee %s", "Booked" if created else "Found the already booked", booked.uri)
        return {"invitee": booked.model_dump(mode="json"), "booked_now": created}


class CalendlyDeleteInviteeDataOperator(CalendlyBaseOperator):
    """Ask Calendly to delete all data of invitees by email (Enterprise; irreversible, so ``confirm=True``).

    Resending the same request is harmless, so retries are safe. Calendly completes it within 7 days.

    :param emails: The invitees' email addresses. (templated)
    :param confirm: Must be ``True``: the deletion cannot be undone.
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("emails", "calendly_conn_id")

    def __init__(self, *, emails: list[str] | str, confirm: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _require_confirm(self, confirm)
        self.emails = emails
        self.confirm = confirm

    def execute(self, context: Context) -> dict[str, Any]:
        _require_confirm(self, self.confirm)
        emails = [self.emails] if isinstance(self.emails, str) else list(self.emails)
        sent = self.hook.delete_invitee_data(emails)
        self.log.info("Requested deletion of the data of %d invitee email(s)", len(sent))
        return {"emails": sent, "requested": True}


class CalendlyDeleteEventDataOperator(CalendlyBaseOperator):
    """Ask Calendly to delete the data of the organization's meetings in a past range of at most 24 months
    (Enterprise; irreversible, so ``confirm=True``).

    Resending the same request is harmless, so retries are safe. Calendly completes it within 7 days.

    :param start: Start of the range, ISO 8601 or datetime. (templated)
    :param end: End of the range, in the past. (templated)
    :param confirm: Must be ``True``: the deletion cannot be undone.
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("start", "end", "calendly_conn_id")

    def __init__(self, *, start: datetime | str, end: datetime | str, confirm: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _require_confirm(self, confirm)
        self.start = start
        self.end = end
        self.confirm = confirm

    def execute(self, context: Context) -> dict[str, Any]:
        _require_confirm(self, self.confirm)
        sent = self.hook.delete_scheduled_event_data(self.start, self.end)
        self.log.info("Requested deletion of the meetings' data from %s to %s", sent["start_time"], sent["end_time"])
        return {**sent, "requested": True}


def _require_confirm(operator: CalendlyBaseOperator, confirm: bool) -> None:
    if confirm is not True:
        raise CalendlyConfigError(f"{type(operator).__name__} deletes data irreversibly: pass confirm=True to run it")
