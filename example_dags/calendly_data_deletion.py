"""Answer data-deletion requests: ask Calendly to delete everything it holds about some invitees, or about the
organization's meetings in a past range.

``calendly_data_deletion`` is triggered by hand (or by your privacy tooling) with ``{"emails":
["ada@example.org"]}``; ``calendly_event_data_deletion`` with ``{"start": "2024-01-01T00:00:00Z", "end":
"2024-07-01T00:00:00Z"}`` (a past range of at most 24 months). Calendly's data-compliance deletion is
Enterprise-only, irreversible and can take up to 7 days; the operators refuse to run without ``confirm=True``,
which these DAGs set on purpose. Connection: ``calendly_default``; the token needs the
``data_compliance:write`` scope.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_calendly.operators.calendly import (
    CalendlyDeleteEventDataOperator,
    CalendlyDeleteInviteeDataOperator,
)

with DAG(
    dag_id="calendly_data_deletion",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={"emails": Param([], type="array", items={"type": "string"}, description="invitee emails to delete")},
    render_template_as_native_obj=True,
    tags=["calendly", "example", "compliance"],
    doc_md=__doc__,
) as dag:
    CalendlyDeleteInviteeDataOperator(task_id="delete_invitee_data", emails="{{ params.emails }}", confirm=True)

with DAG(
    dag_id="calendly_event_data_deletion",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    params={
        "start": Param(type="string", format="date-time", description="start of the range (UTC)"),
        "end": Param(type="string", format="date-time", description="end of the range (UTC), in the past"),
    },
    tags=["calendly", "example", "compliance"],
    doc_md=__doc__,
) as event_dag:
    CalendlyDeleteEventDataOperator(
        task_id="delete_event_data", start="{{ params.start }}", end="{{ params.end }}", confirm=True
    )
