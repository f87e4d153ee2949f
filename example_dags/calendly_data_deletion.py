"""Answer a data-deletion request: ask Calendly to delete everything it holds about some invitees.

Triggered by hand (or by your privacy tooling) with ``{"emails": ["ada@example.org"]}``. Calendly's
data-compliance deletion is Enterprise-only, irreversible and can take up to 7 days; the operator refuses to run
without ``confirm=True``, which this DAG sets on purpose. Connection: ``calendly_default``; the token needs the
``data_compliance:write`` scope.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_calendly.operators.calendly import CalendlyDeleteInviteeDataOperator

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
