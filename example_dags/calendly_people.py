"""Contacts, Notetaker recaps and Shares in a DAG: create a contact, make a Share for them, tidy up.

Connection: ``calendly_default``. The DAG run's conf names the contact (``contact_email``, ``contact_name``),
the one-on-one event type to share (``event_type``: UUID or URI) and a meeting recap to edit and then delete
(``meeting_recap``); without an event type, or a recap, those tasks are skipped. Every task can be rerun:
creating the contact finds it by email, a retried Share is looked for before it is sent again, and deleting
what is already gone succeeds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_calendly.operators.contacts import (
    CalendlyCreateContactOperator,
    CalendlyDeleteContactOperator,
    CalendlyUpdateContactOperator,
)
from airflow_provider_calendly.operators.meeting_recaps import (
    CalendlyDeleteMeetingRecapOperator,
    CalendlyUpdateMeetingRecapOperator,
)
from airflow_provider_calendly.operators.shares import (
    CalendlyCreateShareOperator,
    CalendlyDeleteShareOperator,
    CalendlyUpdateShareOperator,
)

with DAG(
    dag_id="calendly_people",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"contact_email": "", "contact_name": "", "event_type": "", "meeting_recap": ""},
    tags=["calendly", "example"],
    doc_md=__doc__,
) as dag:
    create_contact = CalendlyCreateContactOperator(
        task_id="create_contact",
        contact_email="{{ params.contact_email }}",
        name="{{ params.contact_name }}",
        fields={"company": "Acme Inc.", "job_title": "Head of Sales"},
    )
    update_contact = CalendlyUpdateContactOperator(
        task_id="update_contact", contact_email="{{ params.contact_email }}", changes={"city": "London"}
    )

    @task.short_circuit
    def has(param: str, params: dict[str, Any] | None = None) -> bool:
        """Run the tasks after it only when the run's conf names ``param``."""
        return bool(params and params.get(param))

    create_share = CalendlyCreateShareOperator(
        task_id="create_share",
        event_type="{{ params.event_type }}",
        settings={"name": "A call for {{ params.contact_name }}", "duration": 30},
    )
    share_uri = "{{ ti.xcom_pull(task_ids='create_share')['share']['uri'] }}"
    contact_uri = "{{ ti.xcom_pull(task_ids='create_contact')['contact']['uri'] }}"
    update_share = CalendlyUpdateShareOperator(
        task_id="update_share", share=share_uri, changes={"contact": contact_uri}
    )
    delete_share = CalendlyDeleteShareOperator(task_id="delete_share", share=share_uri)
    delete_contact = CalendlyDeleteContactOperator(task_id="delete_contact", contact_email="{{ params.contact_email }}")

    update_recap = CalendlyUpdateMeetingRecapOperator(
        task_id="update_recap",
        meeting_recap="{{ params.meeting_recap }}",
        highlights={"action_items_md": "- Send {{ params.contact_name }} the quote"},
    )
    delete_recap = CalendlyDeleteMeetingRecapOperator(
        task_id="delete_recap", meeting_recap="{{ params.meeting_recap }}"
    )

    shared = has.override(task_id="has_event_type")("event_type")
    create_contact >> update_contact >> shared >> create_share >> update_share >> delete_share >> delete_contact
    has.override(task_id="has_meeting_recap")("meeting_recap") >> update_recap >> delete_recap
