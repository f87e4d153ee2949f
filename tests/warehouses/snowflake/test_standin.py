"""The Snowflake stand-in works behind the official SnowflakeHook, for the statements the transfer's dialect uses.

Runs in .venv/snowflake (tests/test_warehouses.py). fakesnow translates Snowflake's SQL to DuckDB's: these tests
prove the hook, the statements' syntax and the data's round trip, not Snowflake's own semantics (time zones kept
per value, VARIANT typing, micro-partitions, stages, transactions across sessions).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook

from tests.warehouses.helpers import dag_test_task
from tests.warehouses.standins import DATABASE, SCHEMA, SNOWFLAKE_CONN_ID

TARGET = """CREATE TABLE IF NOT EXISTS calendly_events (
    uri VARCHAR NOT NULL PRIMARY KEY,
    start_time TIMESTAMP_TZ,
    payload VARIANT,
    n NUMBER(38, 0)
) COMMENT = 'Calendly scheduled events'"""
STAGING = (
    "CREATE TEMPORARY TABLE calendly_events_stage (uri VARCHAR, start_time TIMESTAMP_TZ, payload VARCHAR, n NUMBER)"
)
# The form fakesnow runs: every conversion in the source subquery, plain `s.column` references in the branches.
MERGE = """MERGE INTO calendly_events t
USING (SELECT uri, start_time, PARSE_JSON(payload) AS payload, n FROM calendly_events_stage) s
ON t.uri = s.uri
WHEN MATCHED THEN UPDATE SET start_time = s.start_time, payload = s.payload, n = s.n
WHEN NOT MATCHED THEN INSERT (uri, start_time, payload, n) VALUES (s.uri, s.start_time, s.payload, s.n)"""


def _batch(n: int) -> pd.DataFrame:
    """A batch as the writer stages it: upper-case column names, JSON as text, aware timestamps."""
    return pd.DataFrame(
        {
            "URI": [f"https://api.calendly.com/scheduled_events/E{i}" for i in range(3)],
            "START_TIME": [datetime(2026, 1, 1 + i, 10, 0, 0, 123456, tzinfo=timezone.utc) for i in range(3)],
            "PAYLOAD": [json.dumps({"name": f"event {i}", "location": {"kind": "zoom"}}) for i in range(3)],
            "N": [n + i for i in range(3)],
        }
    )


def test_hook_reaches_the_standin(snowflake_conn_id: str) -> None:
    hook = SnowflakeHook(snowflake_conn_id=snowflake_conn_id)
    assert hook.get_first("SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()") == (DATABASE, SCHEMA)


def test_staged_batch_merges_idempotently(snowflake_conn_id: str) -> None:
    from snowflake.connector.pandas_tools import write_pandas  # looked up now: fakesnow's while it patches

    hook = SnowflakeHook(snowflake_conn_id=snowflake_conn_id)
    conn = hook.get_conn()
    cur = conn.cursor()
    cur.execute(TARGET)
    counts = []
    for n in (1, 10):  # the same keys twice: inserted, then updated in place
        cur.execute(STAGING)
        success, _, rows, _ = write_pandas(conn, _batch(n), "CALENDLY_EVENTS_STAGE")
        assert success and rows == 3
        cur.execute(MERGE)
        counts.append(cur.fetchone())
        cur.execute("DROP TABLE calendly_events_stage")

    assert counts == [(3, 0), (0, 3)]  # (rows inserted, rows updated)
    cur.execute(
        "SELECT uri, start_time, payload:name::string, payload:location.kind::string, TYPEOF(payload), n "
        "FROM calendly_events ORDER BY uri"
    )
    rows = cur.fetchall()
    assert [(r[0][-2:], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("E0", "event 0", "zoom", "JSON", 10),
        ("E1", "event 1", "zoom", "JSON", 11),
        ("E2", "event 2", "zoom", "JSON", 12),
    ]
    assert rows[0][1] == datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)


def test_reflection_and_additive_change(snowflake_conn_id: str) -> None:
    hook = SnowflakeHook(snowflake_conn_id=snowflake_conn_id)
    hook.run(
        [
            TARGET,
            "ALTER TABLE calendly_events ADD COLUMN IF NOT EXISTS cancel_reason VARCHAR",
            "COMMENT ON COLUMN calendly_events.cancel_reason IS 'why it was canceled'",
        ]
    )
    columns = hook.get_records(
        "SELECT column_name, data_type, comment FROM information_schema.columns "
        "WHERE table_schema = %(schema)s AND table_name = 'CALENDLY_EVENTS' ORDER BY ordinal_position",
        parameters={"schema": SCHEMA},
    )
    assert [tuple(c) for c in columns] == [
        ("URI", "TEXT", None),
        ("START_TIME", "TIMESTAMP_TZ", None),
        ("PAYLOAD", "VARIANT", None),
        ("N", "NUMBER", None),
        ("CANCEL_REASON", "TEXT", "why it was canceled"),
    ]
    assert hook.get_first("SELECT comment FROM information_schema.tables WHERE table_name = 'CALENDLY_EVENTS'") == (
        "Calendly scheduled events",
    )
    inspector = sa.inspect(hook.get_sqlalchemy_engine())  # the snowflake-sqlalchemy dialect, lower-case names
    assert [c["name"] for c in inspector.get_columns("calendly_events", schema=SCHEMA.lower())] == [
        "uri",
        "start_time",
        "payload",
        "n",
        "cancel_reason",
    ]


def land_one_row() -> None:
    """A task: land a row through the hook (the fixture's connection, from the environment)."""
    SnowflakeHook(snowflake_conn_id=SNOWFLAKE_CONN_ID).run(
        [TARGET, "INSERT INTO calendly_events (uri, n) VALUES ('https://api.calendly.com/x', 1)"]
    )


def test_dag_test_task_reaches_the_standin(
    airflow_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snowflake_conn_id: str
) -> None:
    """``dag.test()`` runs tasks in this process, so a task's SnowflakeHook reaches fakesnow too."""
    assert dag_test_task(tmp_path, monkeypatch, land_one_row) == {"land_one_row": "success"}
    assert SnowflakeHook(snowflake_conn_id=snowflake_conn_id).get_first("SELECT n FROM calendly_events") == (1,)
