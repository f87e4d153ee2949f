"""The main job: land the organization's Calendly data in the warehouse, daily and incrementally.

Connections (from the environment, or the UI):

* ``calendly_default`` — the Calendly token (``AIRFLOW_CONN_CALENDLY_DEFAULT``);
* ``calendly_warehouse`` — any common-sql warehouse: a DuckDB or SQLite file, PostgreSQL, …
  (``AIRFLOW_CONN_CALENDLY_WAREHOUSE``, e.g. ``{"conn_type": "duckdb", "host": "/data/calendly.duckdb"}``).

Each run upserts the default resources the token can read into ``calendly_*`` tables: event types, scheduled
events (with hosts and guests), invitees (with answers and no-show status), users and memberships, groups,
routing forms and their submissions, the activity log, availability schedules, event type hosts, the
organization, its invitations and the members' meeting locations (busy times and outgoing communications are
opt-in: ``calendly_warehouse_extras.py``). A resource the plan does not include (e.g. the activity log below
Enterprise) is skipped with a warning. Runs are
incremental: they re-read the meetings starting from the previous run minus a 30-day lookback, which catches
new bookings, cancellations and no-shows. Trigger the DAG with ``{"mode": "full"}`` to re-read everything
(e.g. after changing the lookback); rows Calendly no longer returns get ``_deleted_at`` set.

Downstream DAGs can be scheduled on the tables: every table is an outlet Asset, e.g.
``calendly_table_asset("calendly_warehouse", "calendly_invitees")``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param, task

from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator

with DAG(
    dag_id="calendly_to_warehouse",
    schedule="@daily",
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,  # two overlapping syncs would only redo each other's work
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    params={"mode": Param("incremental", enum=["incremental", "full"], description="full re-reads everything")},
    tags=["calendly", "etl", "example"],
    doc_md=__doc__,
) as dag:
    land = CalendlyToSqlOperator(
        task_id="land_calendly",
        calendly_conn_id="calendly_default",
        sql_conn_id="calendly_warehouse",
        table_prefix="calendly_",
        mode="{{ params.mode }}",
        lookback=timedelta(days=30),
    )

    @task
    def report(summary: dict[str, Any]) -> dict[str, int]:
        """Log what landed; the XCom is the operator's small summary, never the data itself."""
        rows = {key: int(table["rows"]) for key, table in summary["tables"].items()}
        print(f"Calendly sync ({summary['effective_mode']}): {summary['api_calls']} API calls, rows written: {rows}")
        return rows

    report(land.output)
