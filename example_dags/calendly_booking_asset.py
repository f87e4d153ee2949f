"""Run a DAG per Calendly booking: Asset-driven scheduling from webhook deliveries (``AssetWatcher``).

The triggerer runs :class:`~airflow_provider_calendly.triggers.calendly.CalendlyWebhookTrigger` for each
watched asset; every matching delivery the receiver stores becomes an asset event whose ``extra`` is
``{"from_trigger": true, "payload": <the delivery>}``, and each asset event schedules a run of the DAG below.
The DAG reads the delivery from ``triggering_asset_events`` and lands it in the warehouse.

The watcher's ``consumer`` name keeps its position in the inbox database, so a triggerer restart neither
skips nor repeats a booking. A new consumer starts at the end of the inbox (only deliveries stored from then
on); pass ``after_id=0`` to replay everything the inbox still holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_calendly.triggers.calendly import CalendlyWebhookTrigger

calendly_bookings = Asset(
    name="calendly_invitee_events",
    uri="calendly://webhooks/invitee",
    group="calendly",
    watchers=[
        AssetWatcher(
            name="calendly_invitee_watcher",
            trigger=CalendlyWebhookTrigger(
                inbox_conn_id="calendly_webhook_inbox",
                events=["invitee.created", "invitee.canceled"],
                consumer="calendly_booking_asset",
                poll_interval=2.0,
            ),
        )
    ],
)

calendly_routing_forms = Asset(
    name="calendly_routing_form_submissions",
    uri="calendly://webhooks/routing_form_submission",
    group="calendly",
    watchers=[
        AssetWatcher(
            name="calendly_routing_form_watcher",
            trigger=CalendlyWebhookTrigger(
                inbox_conn_id="calendly_webhook_inbox",
                events=["routing_form_submission.created"],
                consumer="calendly_routing_form_asset",
                poll_interval=2.0,
            ),
        )
    ],
)


def deliveries_from(triggering_asset_events: Any) -> list[dict[str, Any]]:
    """Return the deliveries carried by the asset events that triggered this run (oldest first)."""
    deliveries = []
    for events in triggering_asset_events.values():
        for event in events:
            payload = (event.extra or {}).get("payload")
            if isinstance(payload, dict) and "event" in payload:
                deliveries.append(payload)
    return sorted(deliveries, key=lambda d: d.get("id") or 0)


@task
def land_deliveries(triggering_asset_events: Any = None) -> list[dict[str, Any]]:
    """Land each triggering delivery: insert or update the invitee, or store the submission."""
    from airflow_provider_calendly.transfers.webhook_to_sql import land_delivery

    return [land_delivery(d, "calendly_warehouse") for d in deliveries_from(triggering_asset_events or {})]


with DAG(
    dag_id="calendly_booking_asset",
    schedule=[calendly_bookings],
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["calendly", "webhooks", "assets", "example"],
    doc_md=__doc__,
):
    land_deliveries()

with DAG(
    dag_id="calendly_routing_form_asset",
    schedule=[calendly_routing_forms],
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["calendly", "webhooks", "assets", "example"],
    doc_md=__doc__,
):
    land_deliveries()
