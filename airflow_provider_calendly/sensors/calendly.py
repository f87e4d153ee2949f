"""Sensors that wait for Calendly webhook deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_calendly.exceptions import CalendlyError
from airflow_provider_calendly.triggers.calendly import CalendlyWebhookTrigger, parse_received_after
from airflow_provider_calendly.webhooks.inbox import DEFAULT_INBOX_CONN_ID, WebhookInbox

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["CalendlyWebhookSensor"]


class CalendlyWebhookSensor(BaseSensorOperator):
    """Wait for the first Calendly webhook delivery matching the filters and return it.

    Deliveries are read from the webhook inbox the receiver writes to. The sensor returns (pushes to XCom) the
    delivery as a dict: ``event``, ``created_at``, ``delivery_id``, ``received_at``… and ``payload``, the
    Calendly payload (for ``invitee.*`` events the invitee with its ``scheduled_event``).

    By default it defers to :class:`~airflow_provider_calendly.triggers.calendly.CalendlyWebhookTrigger`
    and holds no worker slot while waiting; ``deferrable=False`` pokes the inbox every ``poke_interval``.

    :param events: Event names to wait for (e.g. ``["invitee.created"]``); ``None``: any event. (templated)
    :param event_type: Only deliveries about this event type (URI or UUID). (templated)
    :param organization: Only deliveries tagged with this organization (URI or UUID). (templated)
    :param received_after: Only deliveries received at or after this time (ISO 8601). Default: when the DAG
        run started, so each run waits for a delivery of its own. (templated)
    :param inbox_conn_id: Connection of the webhook inbox database. (templated)
    :param deferrable: Wait in the triggerer (default) rather than in a worker slot.
    :param poke_interval: Seconds between inbox queries (in both modes); default 5.
    """

    template_fields: Sequence[str] = ("events", "event_type", "organization", "received_after", "inbox_conn_id")
    ui_color = "#006bff"

    def __init__(
        self,
        *,
        events: Sequence[str] | str | None = None,
        event_type: str | None = None,
        organization: str | None = None,
        received_after: str | None = None,
        inbox_conn_id: str = DEFAULT_INBOX_CONN_ID,
        deferrable: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("poke_interval", 5.0)
        super().__init__(**kwargs)
        self.events = [events] if isinstance(events, str) else (list(events) if events is not None else None)
        self.event_type = event_type
        self.organization = organization
        self.received_after = received_after
        self.inbox_conn_id = inbox_conn_id
        self.deferrable = deferrable

    @cached_property
    def inbox(self) -> WebhookInbox:
        return WebhookInbox.from_conn_id(self.inbox_conn_id)

    def _received_after(self, context: Context) -> str:
        if self.received_after:
            value = parse_received_after(self.received_after)
            assert value is not None
            return datetime.fromtimestamp(value, timezone.utc).isoformat()
        dag_run = context.get("dag_run")
        start = getattr(dag_run, "start_date", None) if dag_run is not None else None
        if not isinstance(start, datetime):
            raise CalendlyError("received_after is not set and the DAG run has no start date to wait from")
        return (start if start.tzinfo else start.replace(tzinfo=timezone.utc)).isoformat()

    def poke(self, context: Context) -> PokeReturnValue:
        deliveries = self.inbox.fetch(
            events=self.events,
            event_type=self.event_type or None,
            organization=self.organization or None,
            received_after=parse_received_after(self._received_after(context)),
            limit=1,
        )
        if not deliveries:
            self.log.info("No matching Calendly webhook delivery yet")
            return PokeReturnValue(is_done=False)
        delivery = deliveries[0]
        self.log.info("Calendly %s delivery #%d received", delivery.event, delivery.id)
        return PokeReturnValue(is_done=True, xcom_value=delivery.as_event())

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        found = self.poke(context)
        if found.is_done:
            return found.xcom_value
        self.defer(
            trigger=CalendlyWebhookTrigger(
                inbox_conn_id=self.inbox_conn_id,
                events=self.events,
                event_type=self.event_type or None,
                organization=self.organization or None,
                received_after=self._received_after(context),
                poll_interval=max(0.1, float(self.poke_interval)),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Return the delivery the trigger found."""
        self.log.info("Calendly %s delivery #%s received", event.get("event"), event.get("id"))
        return event
