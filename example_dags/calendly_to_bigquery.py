"""The Calendly transfer into BigQuery, through the official ``BigQueryHook``.

Connections: ``calendly_default`` (``AIRFLOW_CONN_CALENDLY_DEFAULT``) and ``calendly_bigquery`` (a
``google_cloud_platform`` connection: its ``project`` and credentials in the extra, as for every Google operator).
The tables land in the dataset ``calendly`` (the operator's ``schema``; it must exist). Needs ``pip install
"airflow-provider-calendly[bigquery]"``.

Nested objects land as ``JSON`` (read with ``JSON_VALUE(tracking, '$.utm_source')``), timestamps as
``TIMESTAMP``. The tables are created through the API, partitioned by month on the time they are filtered by
(``start_time`` of scheduled events, ``created_at`` of invitees) and clustered by their key. Each chunk is loaded
into a staging table by a load job and merged by one ``MERGE``. The second task materializes a small summary table
with a query job, the way BigQuery users hand results to dashboards.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator
from airflow.sdk import DAG

from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator

BIGQUERY_CONN_ID = "calendly_bigquery"
DATASET = "calendly"

with DAG(
    dag_id="calendly_to_bigquery",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["calendly", "etl", "bigquery", "example"],
    doc_md=__doc__,
) as dag:
    land = CalendlyToSqlOperator(
        task_id="land_calendly",
        sql_conn_id=BIGQUERY_CONN_ID,
        schema=DATASET,
        table_prefix="calendly_",
        resources=["event_types", "scheduled_events", "invitees"],
        mode="incremental",
    )
    bookings_by_source = BigQueryInsertJobOperator(
        task_id="bookings_by_utm_source",
        gcp_conn_id=BIGQUERY_CONN_ID,
        configuration={
            "query": {
                "query": f"""
                    CREATE OR REPLACE TABLE {DATASET}.bookings_by_utm_source AS
                    SELECT COALESCE(JSON_VALUE(tracking, '$.utm_source'), '(none)') AS utm_source,
                           COUNT(*) AS invitees
                    FROM {DATASET}.calendly_invitees
                    WHERE _deleted_at IS NULL
                    GROUP BY utm_source
                """,
                "useLegacySql": False,
            }
        },
    )
    land >> bookings_by_source
