"""The BigQuery stand-in works behind the official BigQueryHook, for the calls the transfer's dialect uses.

Runs in .venv/bigquery (tests/test_warehouses.py). bqemulator translates GoogleSQL to DuckDB's SQL and keeps table
metadata in a catalog of its own: these tests prove the hook, the API calls, the statements' syntax and the data's
round trip, not BigQuery's semantics (REQUIRED enforcement, partition pruning, quotas, DML concurrency).
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook
from google.cloud import bigquery

from tests.warehouses.helpers import dag_test_task
from tests.warehouses.standins import BIGQUERY_CONN_ID, PROJECT

SCHEMA = [
    {"name": "uri", "type": "STRING", "mode": "REQUIRED", "description": "canonical URI"},
    {"name": "start_time", "type": "TIMESTAMP", "description": "when it starts"},
    {"name": "payload", "type": "JSON", "description": "the API object as returned"},
    {"name": "n", "type": "INT64"},
]
# The source is the staging table as loaded; the target's columns are listed (bqemulator has no INSERT ROW).
MERGE = """MERGE `{dataset}.events` T USING `{dataset}.events_stage` S ON T.uri = S.uri
WHEN MATCHED THEN UPDATE SET start_time = S.start_time, payload = S.payload, n = S.n
WHEN NOT MATCHED THEN INSERT (uri, start_time, payload, n) VALUES (S.uri, S.start_time, S.payload, S.n)"""


def _client(conn_id: str) -> bigquery.Client:
    return BigQueryHook(gcp_conn_id=conn_id, use_legacy_sql=False).get_client(project_id=PROJECT)


def _create_events(conn_id: str, dataset: str) -> None:
    BigQueryHook(gcp_conn_id=conn_id, use_legacy_sql=False).create_table(
        project_id=PROJECT,
        dataset_id=dataset,
        table_id="events",
        table_resource={
            "schema": {"fields": SCHEMA},
            "description": "Calendly scheduled events",
            "timePartitioning": {"type": "DAY", "field": "start_time"},
            "clustering": {"fields": ["uri"]},
        },
        exists_ok=True,
    )


def _stage(client: bigquery.Client, dataset: str, rows: list[dict[str, Any]]) -> int:
    """Load ``rows`` into the staging table with a load job (NDJSON, JSON values as objects), replacing it."""
    body = "\n".join(json.dumps(row) for row in rows).encode()
    config = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
        schema=[bigquery.SchemaField.from_api_repr(field) for field in SCHEMA],
        write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
    )
    # No `size`: the client then makes a resumable upload; bqemulator refuses the multipart one `size` (and
    # load_table_from_json) makes: "multipart upload's second part has unsupported Content-Type '*/*'".
    job = client.load_table_from_file(io.BytesIO(body), f"{PROJECT}.{dataset}.events_stage", job_config=config)
    job.result()
    return int(job.output_rows or 0)


def _rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "uri": f"https://api.calendly.com/scheduled_events/E{i}",
            "start_time": f"2026-01-0{i + 1}T10:00:00.123456Z",
            "payload": {"name": f"event {i}", "location": {"kind": "zoom"}},
            "n": n + i,
        }
        for i in range(3)
    ]


def test_hook_client_reaches_the_standin(bigquery_emulator: str, bigquery_conn_id: str, bigquery_dataset: str) -> None:
    client = _client(bigquery_conn_id)
    assert bigquery_emulator == client._connection.API_BASE_URL
    assert bigquery_dataset in [d.dataset_id for d in client.list_datasets()]


def test_table_metadata_round_trips(bigquery_conn_id: str, bigquery_dataset: str) -> None:
    _create_events(bigquery_conn_id, bigquery_dataset)
    table = _client(bigquery_conn_id).get_table(f"{PROJECT}.{bigquery_dataset}.events")
    assert [f.to_api_repr() for f in table.schema] == [{"mode": "NULLABLE", **field} for field in SCHEMA]
    assert table.description == "Calendly scheduled events"
    assert table.time_partitioning.field == "start_time"
    assert table.clustering_fields == ["uri"]


def test_staged_batch_merges_idempotently(bigquery_conn_id: str, bigquery_dataset: str) -> None:
    client = _client(bigquery_conn_id)
    _create_events(bigquery_conn_id, bigquery_dataset)
    affected = []
    for n in (1, 10):  # the same keys twice: inserted, then updated in place
        assert _stage(client, bigquery_dataset, _rows(n)) == 3
        job = client.query(MERGE.format(dataset=bigquery_dataset))
        job.result()
        affected.append(job.num_dml_affected_rows)

    assert affected == [3, 3]
    rows = client.query(
        f"SELECT uri, start_time, JSON_VALUE(payload, '$.name') AS name, JSON_TYPE(payload) AS kind, n "
        f"FROM `{bigquery_dataset}.events` ORDER BY uri"
    ).result()
    assert [(r.uri[-2:], r.name, r.kind, r.n) for r in rows] == [
        ("E0", "event 0", "object", 10),
        ("E1", "event 1", "object", 11),
        ("E2", "event 2", "object", 12),
    ]
    first = next(iter(client.query(f"SELECT MIN(start_time) AS t FROM `{bigquery_dataset}.events`").result()))
    assert first.t == datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)


def test_additive_column_lands_in_storage_and_metadata(bigquery_conn_id: str, bigquery_dataset: str) -> None:
    """A new column: ALTER TABLE adds it to the data, the table update records its type and description; both are
    valid on BigQuery, and bqemulator needs both (each alone changes only one of its data and its catalog)."""
    client = _client(bigquery_conn_id)
    _create_events(bigquery_conn_id, bigquery_dataset)
    table_id = f"{PROJECT}.{bigquery_dataset}.events"
    client.query(
        f"ALTER TABLE `{bigquery_dataset}.events` ADD COLUMN IF NOT EXISTS cancel_reason STRING "
        "OPTIONS(description='why it was canceled')"
    ).result()
    table = client.get_table(table_id)
    table.schema = [*table.schema, bigquery.SchemaField("cancel_reason", "STRING", description="why it was canceled")]
    client.update_table(table, ["schema"])
    client.query(
        f"INSERT INTO `{bigquery_dataset}.events` (uri, cancel_reason) VALUES ('https://api.calendly.com/x', 'moved')"
    ).result()

    assert [(f.name, f.description) for f in client.get_table(table_id).schema][-1] == (
        "cancel_reason",
        "why it was canceled",
    )
    assert [dict(r) for r in client.list_rows(table_id, selected_fields=client.get_table(table_id).schema[-1:])] == [
        {"cancel_reason": "moved"}
    ]


DAG_TEST_DATASET = "calendly_dag_test"


def create_dataset() -> None:
    """A task: create a dataset through the hook (the fixture's connection, from the environment)."""
    BigQueryHook(gcp_conn_id=BIGQUERY_CONN_ID, use_legacy_sql=False).create_empty_dataset(
        dataset_id=DAG_TEST_DATASET, project_id=PROJECT
    )


def test_dag_test_task_reaches_the_standin(
    airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bigquery_conn_id: str
) -> None:
    """``dag.test()`` runs tasks in this process, where BIGQUERY_EMULATOR_HOST points the hook's client here."""
    client = _client(bigquery_conn_id)
    try:
        assert dag_test_task(tmp_path, monkeypatch, create_dataset) == {"create_dataset": "success"}
        assert client.get_dataset(DAG_TEST_DATASET).dataset_id == DAG_TEST_DATASET
    finally:
        client.delete_dataset(DAG_TEST_DATASET, not_found_ok=True)
