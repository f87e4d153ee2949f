"""The BigQuery family's example DAG, run by ``dag.test()`` against the emulator and bqemulator (in .venv/bigquery).

The transfer tests themselves (tests/transfers, ``-k bigquery``) run in the same venv: tests/test_warehouses.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import example_dag
from tests.example_dags.helpers import xcom
from tests.warehouses.standins import PROJECT


@pytest.fixture
def calendly_dataset(bigquery_conn_id: str) -> Iterator[str]:
    """The example DAG's dataset, ``calendly`` (a fixed name, so created here and deleted after)."""
    from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

    client = BigQueryHook(gcp_conn_id=bigquery_conn_id, use_legacy_sql=False).get_client(project_id=PROJECT)
    client.delete_dataset("calendly", delete_contents=True, not_found_ok=True)
    client.create_dataset("calendly")
    try:
        yield "calendly"
    finally:
        client.delete_dataset("calendly", delete_contents=True, not_found_ok=True)


def test_calendly_to_bigquery_dag_test(
    airflow_db: Path, calendly_conn: Any, bigquery_conn_id: str, calendly_dataset: str
) -> None:
    """The tables land (partitioned, clustered, no staging table left), and a query job reads their JSON."""
    from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

    dag = example_dag("calendly_to_bigquery.py", "calendly_to_bigquery")
    run = dag.test()
    assert str(run.state) == "success"
    summary = xcom(run, "calendly_to_bigquery", "land_calendly")
    assert summary["warehouse"]["dialect"] == "bigquery"

    client = BigQueryHook(gcp_conn_id=bigquery_conn_id, use_legacy_sql=False).get_client(project_id=PROJECT)
    tables = {t.table_id for t in client.list_tables(calendly_dataset)}
    assert {"calendly_invitees", "calendly_scheduled_events", "bookings_by_utm_source"} <= tables
    assert not any("__stage_" in t for t in tables)  # the writer deleted its staging tables
    events = client.get_table(f"{PROJECT}.{calendly_dataset}.calendly_scheduled_events")
    assert (events.time_partitioning.type_, events.time_partitioning.field) == ("MONTH", "start_time")
    assert events.clustering_fields == ["uri"]

    by_source = [dict(r) for r in client.list_rows(f"{PROJECT}.{calendly_dataset}.bookings_by_utm_source")]
    assert sum(r["invitees"] for r in by_source) == summary["tables"]["invitees"]["rows"] > 0
    assert len(by_source) > 1  # several UTM sources, read out of the JSON column
    assert json.dumps(summary)  # the XCom is JSON
