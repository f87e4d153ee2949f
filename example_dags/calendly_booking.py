"""Book through Calendly from a DAG: find a slot, book it, send a single-use link, cancel the booking.

Connection: ``calendly_default`` (e.g. ``AIRFLOW_CONN_CALENDLY_DEFAULT``); the token needs the
``scheduled_events:write``, ``scheduling_links:write`` and ``availability:read`` scopes. The invitee comes
from the run's params. Booking goes through Calendly's Scheduling API, whose own limits (10/min, 50/h,
100/day on paid plans) the hook paces; a retried task never books twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_calendly.operators.calendly import (
    CalendlyBookMeetingOperator,
    CalendlyCancelEventOperator,
    CalendlyCreateSchedulingLinkOperator,
    CalendlyListAvailableTimesOperator,
    CalendlyListEventTypesOperator,
)

with DAG(
    dag_id="calendly_booking",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"invitee_name": "Ada Lovelace", "invitee_email": "ada@example.org", "invitee_timezone": "UTC"},
    tags=["calendly", "example"],
    doc_md=__doc__,
) as dag:
    list_event_types = CalendlyListEventTypesOperator(task_id="list_event_types", active=True)

    @task
    def pick_event_type(event_types: list[dict[str, Any]]) -> str:
        """Use the first active event type."""
        if not event_types:
            raise ValueError("the organization has no active event types")
        return str(event_types[0]["uri"])

    @task
    def booking_window() -> dict[str, str]:
        """Look for slots over the next two weeks."""
        now = datetime.now(timezone.utc)
        return {"start": now.isoformat(), "end": (now + timedelta(days=14)).isoformat()}

    event_type = pick_event_type(list_event_types.output)
    window = booking_window()

    find_slot = CalendlyListAvailableTimesOperator(
        task_id="find_slot",
        event_type=event_type,
        start="{{ ti.xcom_pull(task_ids='booking_window')['start'] }}",
        end="{{ ti.xcom_pull(task_ids='booking_window')['end'] }}",
        limit=1,
    )
    book = CalendlyBookMeetingOperator(
        task_id="book",
        event_type=event_type,
        start_time="{{ ti.xcom_pull(task_ids='find_slot')[0]['start_time'] }}",
        invitee={
            "name": "{{ params.invitee_name }}",
            "email": "{{ params.invitee_email }}",
            "timezone": "{{ params.invitee_timezone }}",
        },
    )
    send_link = CalendlyCreateSchedulingLinkOperator(task_id="send_link", event_type=event_type)
    cancel = CalendlyCancelEventOperator(
        task_id="cancel",
        event="{{ ti.xcom_pull(task_ids='book')['invitee']['event'] }}",
        reason="Booked by the calendly_booking example DAG",
    )

    window >> find_slot >> book >> send_link >> cancel
