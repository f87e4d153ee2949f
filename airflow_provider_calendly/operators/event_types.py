"""Operators that make and change event types: one-on-one (once per owner and name), updates, one-off meetings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.client.params import check_event_type_fields, is_templated
from airflow_provider_calendly.operators.base import CalendlyBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = [
    "CalendlyCreateEventTypeOperator",
    "CalendlyCreateOneOffEventTypeOperator",
    "CalendlyUpdateEventTypeOperator",
]


def _checked(fields: Any) -> Any:
    """The event type fields an operator was given, checked now unless a template renders them later."""
    if fields is None:
        return {}
    if not is_templated(fields):
        check_event_type_fields(fields)  # type: ignore[arg-type]
    return fields


class CalendlyCreateEventTypeOperator(CalendlyBaseOperator):
    """Create a one-on-one event type, once: if its owner has an event type of that name, it is returned as it
    is (change it with :class:`CalendlyUpdateEventTypeOperator`). Returns ``{"event_type", "created_now"}``.

    :param name: The event type's name (what makes it the same one on a rerun). (templated)
    :param user: The owning user's UUID or URI; default: the token's user. (templated)
    :param fields: Its settings: ``active``, ``description``, ``duration``, ``duration_options``,
        ``locations``, ``color``, ``locale``, ``start_time_increment``, ``before_buffer``, ``after_buffer``.
        (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("name", "user", "fields", "calendly_conn_id")

    def __init__(
        self, *, name: str, user: str | None = None, fields: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.user = user
        self.fields = _checked(fields)

    def execute(self, context: Context) -> dict[str, Any]:
        event_type, created = self.hook.ensure_event_type(self.name, owner=self.user or None, **dict(self.fields))
        self.log.info("%s event type %s", "Created" if created else "Found the existing", event_type.uri)
        return {"event_type": event_type.model_dump(mode="json"), "created_now": created}


class CalendlyUpdateEventTypeOperator(CalendlyBaseOperator):
    """Change some settings of a one-on-one event type; the others stay (resending them changes nothing).

    :param event_type: The event type's UUID or URI. (templated)
    :param fields: The settings to change: ``name`` and those :class:`CalendlyCreateEventTypeOperator` takes.
        (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("event_type", "fields", "calendly_conn_id")

    def __init__(self, *, event_type: str, fields: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.event_type = event_type
        self.fields = _checked(fields)

    def execute(self, context: Context) -> dict[str, Any]:
        return self.hook.update_event_type(self.event_type, **dict(self.fields)).model_dump(mode="json")


class CalendlyCreateOneOffEventTypeOperator(CalendlyBaseOperator):
    """Create a one-off meeting's event type (``POST /one_off_event_types``) and return it (its
    ``scheduling_url`` is what to send).

    Calendly cannot list one-off event types, so nothing can tell whether an earlier attempt made one: a
    lost answer, or an Airflow retry, makes a second. Keep ``retries`` at 0 for this task.

    :param name: The meeting's name (at most 55 characters). (templated)
    :param duration: Minutes (1-720).
    :param date_setting: When it can be booked, e.g. ``{"type": "date_range", "start_date": "2026-12-01",
        "end_date": "2026-12-05"}``. (templated)
    :param host: The host's UUID or URI; default: the token's user. (templated)
    :param co_hosts: Up to 9 co-hosts' UUIDs or URIs. (templated)
    :param timezone: IANA time zone of the meeting; default: the host's. (templated)
    :param location: Calendly's location object, e.g. ``{"kind": "zoom_conference"}``. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = (
        "name",
        "date_setting",
        "host",
        "co_hosts",
        "timezone",
        "location",
        "calendly_conn_id",
    )

    def __init__(
        self,
        *,
        name: str,
        duration: int,
        date_setting: dict[str, Any],
        host: str | None = None,
        co_hosts: list[str] | None = None,
        timezone: str | None = None,
        location: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.duration = duration
        self.date_setting = date_setting
        self.host = host
        self.co_hosts = co_hosts
        self.timezone = timezone
        self.location = location

    def execute(self, context: Context) -> dict[str, Any]:
        one_off = self.hook.create_one_off_event_type(
            self.name,
            duration=self.duration,
            date_setting=self.date_setting,
            host=self.host or None,
            co_hosts=self.co_hosts or (),
            timezone=self.timezone or None,
            location=self.location or None,
        )
        self.log.info("Created one-off event type %s (%s)", one_off.uri, one_off.scheduling_url)
        return one_off.model_dump(mode="json")
