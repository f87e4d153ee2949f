"""Calendly actions in a DAG: list event types, look one up, mark an invitee as no-show and undo it.

Connection: ``calendly_default`` (e.g. ``AIRFLOW_CONN_CALENDLY_DEFAULT``). The invitee comes from the DAG
run's conf (``{"invitee_uri": "https://api.calendly.com/scheduled_events/…/invitees/…"}``); with no invitee
the no-show tasks are skipped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_calendly.operators.calendly import (
    CalendlyGetEventTypeOperator,
    CalendlyListEventTypesOperator,
    CalendlyMarkNoShowOperator,
    CalendlyUndoNoShowOperator,
)

with DAG(
    dag_id="calendly_actions",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"invitee_uri": ""},
    tags=["calendly", "example"],
    doc_md=__doc__,
) as dag:
    list_event_types = CalendlyListEventTypesOperator(task_id="list_event_types", active=True)

    @task
    def first_event_type(event_types: list[dict[str, Any]]) -> str:
        """Pick the first active event type's URI for the lookup below."""
        if not event_types:
            raise ValueError("the organization has no active event types")
        return str(event_types[0]["uri"])

    get_event_type = CalendlyGetEventTypeOperator(
        task_id="get_event_type", event_type=first_event_type(list_event_types.output)
    )

    @task.short_circuit
    def has_invitee(params: dict[str, Any] | None = None) -> bool:
        return bool(params and params.get("invitee_uri"))

    mark_no_show = CalendlyMarkNoShowOperator(task_id="mark_no_show", invitee_uri="{{ params.invitee_uri }}")
    undo_no_show = CalendlyUndoNoShowOperator(task_id="undo_no_show", invitee_uri="{{ params.invitee_uri }}")

    get_event_type >> has_invitee() >> mark_no_show >> undo_no_show
