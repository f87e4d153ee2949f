"""Wait for a Calendly webhook delivery, then land it in the warehouse.

Each run waits (deferred, in the triggerer: no worker slot) for the first booking, cancellation or routing form
submission delivered after the run started, and writes it to the warehouse: ``invitee.created`` inserts the
invitee, ``invitee.canceled`` updates it (same ``calendly_invitees`` row, now ``canceled``), and
``routing_form_submission.created`` is stored in ``calendly_routing_form_submissions`` (its answers in
``calendly_routing_form_answers``), the rows the sync's ``routing_form_submissions`` resource writes.

Connections: ``calendly_webhook_inbox`` (where the receiver stores deliveries; default: a SQLite file under
``AIRFLOW_HOME``) and ``calendly_warehouse`` (a supported warehouse: see the README's warehouse table). Trigger with
``{"received_after": "2024-05-01T00:00:00Z"}`` to pick up a delivery that arrived before the run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_calendly.sensors.calendly import CalendlyWebhookSensor

with DAG(
    dag_id="calendly_webhook_sensor",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={
        "received_after": Param(None, type=["null", "string"], description="wait from this time (ISO 8601)"),
    },
    tags=["calendly", "webhooks", "example"],
    doc_md=__doc__,
) as dag:
    wait = CalendlyWebhookSensor(
        task_id="wait_for_calendly_event",
        events=["invitee.created", "invitee.canceled", "routing_form_submission.created"],
        received_after="{{ params.received_after or '' }}",
        inbox_conn_id="calendly_webhook_inbox",
        timeout=timedelta(hours=6).total_seconds(),
        poke_interval=2,
    )

    @task
    def land(delivery: dict[str, Any]) -> dict[str, Any]:
        """Upsert the invitee (or store the submission) with the warehouse transfer's table writer."""
        from airflow_provider_calendly.transfers.webhook_to_sql import land_delivery

        return land_delivery(delivery, "calendly_warehouse")

    land(wait.output)
