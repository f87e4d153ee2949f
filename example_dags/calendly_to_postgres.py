"""The Calendly transfer on a server warehouse: PostgreSQL, into its own ``calendly`` schema.

Connections: ``calendly_default`` (``AIRFLOW_CONN_CALENDLY_DEFAULT``) and ``calendly_postgres``
(``AIRFLOW_CONN_CALENDLY_POSTGRES``, e.g. ``postgresql://user:pass@host:5432/analytics``). Needs
``apache-airflow-providers-postgres``.

Timestamps land as ``TIMESTAMPTZ``, booleans as ``BOOLEAN`` and nested objects as ``JSONB``. A second DAG,
``calendly_no_show_report``, is scheduled on the invitees table's Asset: it runs whenever the sync has
landed new invitees.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator, calendly_table_asset

POSTGRES_CONN_ID = "calendly_postgres"
SCHEMA = "calendly"

with DAG(
    dag_id="calendly_to_postgres",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["calendly", "etl", "postgres", "example"],
    doc_md=__doc__,
) as dag:
    create_schema = SQLExecuteQueryOperator(
        task_id="create_schema", conn_id=POSTGRES_CONN_ID, sql=f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"
    )
    land = CalendlyToSqlOperator(
        task_id="land_calendly",
        sql_conn_id=POSTGRES_CONN_ID,
        schema=SCHEMA,
        table_prefix="calendly_",
        mode="incremental",
    )
    create_schema >> land

with DAG(
    dag_id="calendly_no_show_report",
    schedule=[calendly_table_asset(POSTGRES_CONN_ID, "calendly_invitees", schema=SCHEMA)],
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["calendly", "example"],
) as report_dag:
    SQLExecuteQueryOperator(
        task_id="no_show_rate_by_event_type",
        conn_id=POSTGRES_CONN_ID,
        sql=f"""
            SELECT e.event_type,
                   COUNT(*) AS invitees,
                   AVG(CASE WHEN i.is_no_show THEN 1.0 ELSE 0.0 END) AS no_show_rate
            FROM {SCHEMA}.calendly_invitees i
            JOIN {SCHEMA}.calendly_scheduled_events e ON e.uri = i.scheduled_event_uri
            WHERE e.start_time < NOW()
            GROUP BY e.event_type
            ORDER BY no_show_rate DESC
        """,
    )
