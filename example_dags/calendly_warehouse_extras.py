"""The opt-in resources: the members' busy times (a week ahead, every day) and the emails and SMS Calendly sent.

``CalendlyToSqlOperator`` leaves ``busy_times`` and ``outgoing_communications`` out of its default resources (see
the README's *Resources, skips and deletions*): busy times cost one call per member per 7 days of horizon on
every run and hold when the members' own calendars are busy; outgoing communications are Enterprise only and
hold what was sent to invitees. This DAG reads them with the default ones. Calendly answers busy times only from
now on, so each daily run reads the next ``busy_times_horizon`` and ``calendly_user_busy_times`` keeps the past
as the last run before it saw it: the history builds up run by run (the dbt project's ``busy_minutes`` reads it).

Connections: ``calendly_default`` (``availability:read`` and ``outgoing_communications:read`` besides a default
sync's scopes) and ``calendly_warehouse``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from airflow_provider_calendly.transfers.calendly_to_sql import DEFAULT_RESOURCES, CalendlyToSqlOperator

with DAG(
    dag_id="calendly_warehouse_extras",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["calendly", "etl", "example"],
    doc_md=__doc__,
) as dag:
    CalendlyToSqlOperator(
        task_id="land_calendly",
        sql_conn_id="calendly_warehouse",
        resources=[*DEFAULT_RESOURCES, "busy_times", "outgoing_communications"],
        busy_times_horizon=timedelta(days=14),
    )
