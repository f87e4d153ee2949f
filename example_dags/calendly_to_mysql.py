"""The Calendly transfer into MySQL or MariaDB, through the official ``MySqlHook``.

Connections: ``calendly_default`` (``AIRFLOW_CONN_CALENDLY_DEFAULT``) and ``calendly_mysql``
(``AIRFLOW_CONN_CALENDLY_MYSQL``, e.g. ``mysql://user:pass@host:3306/analytics``: the tables land in that
database). Needs ``pip install "airflow-provider-calendly[mysql]"`` (``apache-airflow-providers-mysql``; its
driver, ``mysqlclient``, builds against the MariaDB/MySQL client headers: Debian's ``libmariadb-dev``).

Keys are ``VARCHAR(384)`` with a binary collation, timestamps ``DATETIME(6)`` in UTC, nested objects ``JSON``
(read with ``JSON_VALUE``/``JSON_EXTRACT``), and each chunk is upserted by multi-row ``INSERT … ON DUPLICATE KEY
UPDATE``. The second task answers a question from a JSON column, which MySQL's own JSON functions read.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator

MYSQL_CONN_ID = "calendly_mysql"

with DAG(
    dag_id="calendly_to_mysql",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["calendly", "etl", "mysql", "example"],
    doc_md=__doc__,
) as dag:
    land = CalendlyToSqlOperator(
        task_id="land_calendly",
        sql_conn_id=MYSQL_CONN_ID,
        table_prefix="calendly_",
        resources=["event_types", "scheduled_events", "invitees"],
        mode="incremental",
    )
    bookings_by_source = SQLExecuteQueryOperator(
        task_id="bookings_by_utm_source",
        conn_id=MYSQL_CONN_ID,
        sql="""
            SELECT COALESCE(JSON_VALUE(tracking, '$.utm_source'), '(none)') AS utm_source, COUNT(*) AS invitees
            FROM calendly_invitees
            WHERE _deleted_at IS NULL
            GROUP BY 1
            ORDER BY invitees DESC
        """,
    )
    land >> bookings_by_source
