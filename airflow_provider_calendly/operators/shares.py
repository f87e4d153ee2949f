"""Share actions: create a customized single-use link (looked for before sending again), update, delete."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.operators.base import CalendlyBaseOperator, try_number

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["CalendlyCreateShareOperator", "CalendlyDeleteShareOperator", "CalendlyUpdateShareOperator"]


class CalendlyCreateShareOperator(CalendlyBaseOperator):
    """Create a Share: a single-use link of a one-on-one event type with some settings overridden.

    Creating one is not idempotent at Calendly: after a lost answer, and on an Airflow retry, the hook looks for
    a Share of the event type created since with the same settings before sending again (``shares:read``).

    :param event_type: The event type's UUID or URI. (templated)
    :param settings: Overrides: ``name``, ``duration``, ``duration_options``, ``period_type``, ``start_date``,
        ``end_date``, ``max_booking_time``, ``min_booking_time``, ``hide_location``,
        ``location_configurations``, ``availability_rule``. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("event_type", "settings", "calendly_conn_id")

    def __init__(self, *, event_type: str, settings: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_type = event_type
        self.settings = settings

    def execute(self, context: Context) -> dict[str, Any]:
        share, created = self.hook.create_share_once(
            self.event_type, look_first=try_number(context) > 1, **(self.settings or {})
        )
        self.log.info("%s share %s: %s", "Created" if created else "Found the created", share.uri, share.booking_url)
        return {"share": share.model_dump(mode="json"), "booking_url": share.booking_url, "created": created}


class CalendlyUpdateShareOperator(CalendlyBaseOperator):
    """Change an active, unbooked Share (``None`` restores the event type's value); harmless to repeat.

    :param share: The Share's UUID or URI. (templated)
    :param changes: Settings (see :class:`CalendlyCreateShareOperator`) or ``contact`` (a contact URI). (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("share", "changes", "calendly_conn_id")

    def __init__(self, *, share: str, changes: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.share = share
        self.changes = changes

    def execute(self, context: Context) -> dict[str, Any]:
        return self.hook.update_share(self.share, **self.changes).model_dump(mode="json")


class CalendlyDeleteShareOperator(CalendlyBaseOperator):
    """Delete an unbooked Share; one already gone is success (a booked one fails with Calendly's 409).

    :param share: The Share's UUID or URI. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("share", "calendly_conn_id")

    def __init__(self, *, share: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.share = share

    def execute(self, context: Context) -> dict[str, Any]:
        uri = self.hook.resource_uri("shares", self.share)
        return {"share": uri, "deleted": self.hook.remove_share(uri)}
