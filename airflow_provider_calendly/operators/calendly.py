"""Action operators: thin wrappers that make one hook call and push a JSON-safe result to XCom."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyConfigError, CalendlyNotFoundError
from airflow_provider_calendly.hooks.calendly import CalendlyHook

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_calendly.models import Invitee


class _CalendlyOperator(BaseOperator):
    """Shared plumbing: the connection id and a lazily built hook."""

    def __init__(self, *, calendly_conn_id: str = CalendlyHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calendly_conn_id = calendly_conn_id

    @cached_property
    def hook(self) -> CalendlyHook:
        return CalendlyHook(calendly_conn_id=self.calendly_conn_id)


class CalendlyListEventTypesOperator(_CalendlyOperator):
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


class CalendlyGetEventTypeOperator(_CalendlyOperator):
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


def _no_show_of(invitee: Invitee) -> dict[str, Any] | None:
    """The no-show embedded in an invitee, shaped like ``GET /invitee_no_shows/{uuid}``'s resource."""
    if invitee.no_show is None or not invitee.no_show.uri:
        return None
    return {
        "uri": invitee.no_show.uri,
        "invitee": invitee.uri,
        "created_at": invitee.no_show.created_at.isoformat() if invitee.no_show.created_at else None,
    }


class CalendlyMarkNoShowOperator(_CalendlyOperator):
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
        existing = _no_show_of(self.hook.get_invitee(self.invitee_uri))
        if existing is not None:
            self.log.info("Invitee %s is already marked as a no-show (%s)", self.invitee_uri, existing["uri"])
            return existing
        try:
            no_show = self.hook.create_invitee_no_show(self.invitee_uri)
        except CalendlyAPIError as exc:
            if exc.status_code is not None and exc.status_code < 500 and exc.status_code not in (400, 409, 422):
                raise
            recovered = _no_show_of(self.hook.get_invitee(self.invitee_uri))
            if recovered is None:
                raise
            self.log.info("Marking failed (%s) but the invitee is marked: treating as done", exc)
            return recovered
        self.log.info("Marked invitee %s as a no-show (%s)", self.invitee_uri, no_show.uri)
        return no_show.model_dump(mode="json")


class CalendlyUndoNoShowOperator(_CalendlyOperator):
    """Undo a no-show, by the no-show's UUID/URI or by the invitee's URI; already undone counts as success.

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
        no_show = self.no_show
        if not no_show:
            if not self.invitee_uri:
                raise CalendlyConfigError("pass exactly one of no_show or invitee_uri")
            existing = _no_show_of(self.hook.get_invitee(self.invitee_uri))
            if existing is None:
                self.log.info("Invitee %s has no no-show: nothing to undo", self.invitee_uri)
                return {"no_show": None, "invitee": self.invitee_uri, "deleted": False}
            no_show = existing["uri"]
        try:
            self.hook.delete_invitee_no_show(no_show)
        except CalendlyNotFoundError:
            self.log.info("No-show %s does not exist (already undone): nothing to do", no_show)
            return {"no_show": no_show, "invitee": self.invitee_uri, "deleted": False}
        self.log.info("Undid no-show %s", no_show)
        return {"no_show": no_show, "invitee": self.invitee_uri, "deleted": True}
