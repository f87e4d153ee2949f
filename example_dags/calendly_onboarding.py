"""Set a new team member up in Calendly from a DAG: invite them, make and open an event type, set its hours and
the meeting limits, and send a one-off kick-off meeting; withdraw an invitation sent by mistake.

Connection: ``calendly_default``; the token needs ``organizations:write`` (invitations), ``event_types:write``
(event types, one-off meetings) and ``availability:write`` (hours, meeting limits): see the README's scope
table. Everything but the one-off meeting is idempotent, so the DAG keeps Airflow's retries: the invitation is
sent once per email, the event type made once per owner and name, and setting hours or limits twice changes
nothing. Calendly cannot list one-off event types, so that task runs once (``retries=0``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_calendly.operators.availability import (
    CalendlyUpdateEventTypeAvailabilityOperator,
    CalendlyUpdateMeetingLimitsOperator,
)
from airflow_provider_calendly.operators.event_types import (
    CalendlyCreateEventTypeOperator,
    CalendlyCreateOneOffEventTypeOperator,
    CalendlyUpdateEventTypeOperator,
)
from airflow_provider_calendly.operators.organization import (
    CalendlyInviteUserOperator,
    CalendlyRevokeInvitationOperator,
)

EVENT_TYPE_URI = "{{ ti.xcom_pull(task_ids='create_event_type')['event_type']['uri'] }}"
WEEKDAY_MORNINGS = [
    {"type": "wday", "wday": day, "intervals": [{"from": "09:00", "to": "12:00"}]}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
]

with DAG(
    dag_id="calendly_onboarding",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    params={
        "new_member_email": "new.member@example.org",
        "withdrawn_email": "wrong.address@example.org",
        "event_type_name": "Onboarding call",
    },
    tags=["calendly", "example"],
    doc_md=__doc__,
) as dag:
    invite = CalendlyInviteUserOperator(task_id="invite_member", invitee_email="{{ params.new_member_email }}")
    withdraw = CalendlyRevokeInvitationOperator(
        task_id="withdraw_invitation", invitee_email="{{ params.withdrawn_email }}"
    )
    create = CalendlyCreateEventTypeOperator(
        task_id="create_event_type",
        name="{{ params.event_type_name }}",
        fields={
            "duration": 30,
            "description": "Meet your onboarding buddy",
            "locations": [{"kind": "zoom_conference"}],
        },
    )
    open_it = CalendlyUpdateEventTypeOperator(
        task_id="open_event_type", event_type=EVENT_TYPE_URI, fields={"active": True, "duration_options": [30, 45]}
    )
    hours = CalendlyUpdateEventTypeAvailabilityOperator(
        task_id="set_hours", event_type=EVENT_TYPE_URI, rules=WEEKDAY_MORNINGS, timezone="Europe/London"
    )
    limits = CalendlyUpdateMeetingLimitsOperator(
        task_id="set_meeting_limits", limits={"daily_limit": 6, "weekly_limit": 25}
    )
    kick_off = CalendlyCreateOneOffEventTypeOperator(
        task_id="send_kick_off",
        name="Kick-off with {{ params.new_member_email }}",
        duration=30,
        date_setting={
            "type": "date_range",
            "start_date": "{{ macros.ds_add(ds, 1) }}",
            "end_date": "{{ macros.ds_add(ds, 5) }}",
        },
        retries=0,
    )

    [invite, withdraw] >> create >> open_it >> hours >> limits >> kick_off
