"""Operators that set availability: an event type's bookable hours, and the token's user's meeting limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.client.params import check_availability_rules, check_meeting_limits, is_templated
from airflow_provider_calendly.operators.base import CalendlyBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["CalendlyUpdateEventTypeAvailabilityOperator", "CalendlyUpdateMeetingLimitsOperator"]


class CalendlyUpdateEventTypeAvailabilityOperator(CalendlyBaseOperator):
    """Replace an event type's availability rules (every host gets them); sending the same rules again changes
    nothing. Returns the event type's availability schedule.

    :param event_type: The event type's UUID or URI. (templated)
    :param rules: ``wday``/``date`` rules, e.g. ``[{"type": "wday", "wday": "monday", "intervals":
        [{"from": "09:00", "to": "12:00"}]}]``; a rule without intervals makes that day unavailable. (templated)
    :param timezone: The IANA time zone of the rules' hours. (templated)
    :param user: The host whose schedule this is; default: Calendly's, the event type's owner. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("event_type", "rules", "timezone", "user", "calendly_conn_id")

    def __init__(
        self,
        *,
        event_type: str,
        rules: list[dict[str, Any]],
        timezone: str,
        user: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not is_templated(rules):
            check_availability_rules(rules)
        self.event_type = event_type
        self.rules = rules
        self.timezone = timezone
        self.user = user

    def execute(self, context: Context) -> dict[str, Any]:
        schedule = self.hook.update_event_type_availability(
            self.event_type, rules=self.rules, timezone=self.timezone, user=self.user or None
        )
        return schedule.model_dump(mode="json")


class CalendlyUpdateMeetingLimitsOperator(CalendlyBaseOperator):
    """Set or remove the token's user's meeting limits (Calendly lets a user change only their own); limits
    not given stay as they are. Returns the limits in force.

    :param limits: Any of ``daily_limit``, ``weekly_limit``, ``monthly_limit``: a whole number from 1 to 9999,
        or ``None`` to remove that limit. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("limits", "calendly_conn_id")

    def __init__(self, *, limits: dict[str, int | None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not is_templated(limits):
            check_meeting_limits(limits)
        self.limits = limits

    def execute(self, context: Context) -> dict[str, Any]:
        return self.hook.update_user_meeting_limits(self.limits).model_dump(mode="json")
