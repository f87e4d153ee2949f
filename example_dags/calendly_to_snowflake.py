"""The Calendly transfer into Snowflake, through the official ``SnowflakeHook``.

Connections: ``calendly_default`` (``AIRFLOW_CONN_CALENDLY_DEFAULT``) and ``calendly_snowflake`` (a ``snowflake``
connection: account, user, password or key pair, and the ``database`` and ``warehouse`` in its extra; the tables
land in the connection's schema). Needs ``pip install "airflow-provider-calendly[snowflake]"``.

Nested objects land as ``VARIANT`` (read with Snowflake's path syntax, ``tracking:utm_source::string``),
timestamps as ``TIMESTAMP_TZ``. Names are created unquoted, so Snowflake stores them upper-case and
``SELECT * FROM calendly_invitees`` works as written. Each chunk is staged by the connector's ``write_pandas`` and
merged by one ``MERGE``. The second task answers a question from a ``VARIANT`` column.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator

SNOWFLAKE_CONN_ID = "calendly_snowflake"

with DAG(
    dag_id="calendly_to_snowflake",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["calendly", "etl", "snowflake", "example"],
    doc_md=__doc__,
) as dag:
    land = CalendlyToSqlOperator(
        task_id="land_calendly",
        sql_conn_id=SNOWFLAKE_CONN_ID,
        table_prefix="calendly_",
        resources=["event_types", "scheduled_events", "invitees"],
        mode="incremental",
    )
    bookings_by_source = SQLExecuteQueryOperator(
        task_id="bookings_by_utm_source",
        conn_id=SNOWFLAKE_CONN_ID,
        sql="""
            SELECT COALESCE(tracking:utm_source::string, '(none)') AS utm_source, COUNT(*) AS invitees
            FROM calendly_invitees
            WHERE _deleted_at IS NULL
            GROUP BY 1
            ORDER BY invitees DESC
        """,
    )
    land >> bookings_by_source
