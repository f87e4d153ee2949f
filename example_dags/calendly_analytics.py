"""Answers, not only tables: the Calendly dbt project, built whenever the main job has landed new data.

``calendly_analytics`` is scheduled on the Assets that ``calendly_to_warehouse``'s sync emits (its scheduled
events and invitees tables). It runs ``dbt build`` of the dbt project the provider ships
(``airflow_provider_calendly.dbt.PROJECT_DIR``) against the same ``calendly_warehouse`` connection: staging
views over the synced tables, then the marts ``calendly__meetings``, ``calendly__no_show_rates``,
``calendly__routing_funnel`` and ``calendly__host_activity``, then every data test. A failing test fails the
task; dbt's log is the task's log, and the XCom is a count of models and tests by status.

dbt comes with ``pip install "airflow-provider-calendly[dbt]" dbt-duckdb`` (or ``dbt-postgres``, …). When dbt
lives in a venv of its own, set ``CALENDLY_DBT_EXECUTABLE`` to its ``dbt`` on the workers.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from airflow.sdk import DAG, BaseHook, task

from airflow_provider_calendly.transfers.calendly_to_sql import calendly_table_asset

WAREHOUSE_CONN_ID = "calendly_warehouse"
TABLE_PREFIX = "calendly_"

with DAG(
    dag_id="calendly_analytics",
    schedule=[
        calendly_table_asset(WAREHOUSE_CONN_ID, f"{TABLE_PREFIX}scheduled_events"),
        calendly_table_asset(WAREHOUSE_CONN_ID, f"{TABLE_PREFIX}invitees"),
    ],
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,  # one writer at a time (a DuckDB file has one)
    tags=["calendly", "dbt", "analytics", "example"],
    doc_md=__doc__,
) as dag:

    @task
    def dbt_build() -> dict[str, Any]:
        """Build the models and run their tests; raises (so the task fails) when any of them does not pass."""
        from airflow_provider_calendly.dbt.runner import run_dbt

        return run_dbt(
            BaseHook.get_connection(WAREHOUSE_CONN_ID),
            dbt_vars={"calendly_table_prefix": TABLE_PREFIX},
            dbt_executable=os.environ.get("CALENDLY_DBT_EXECUTABLE"),
        )

    dbt_build()
