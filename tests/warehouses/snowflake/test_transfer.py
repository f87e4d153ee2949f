"""The Snowflake family's example DAG, run by ``dag.test()`` against the emulator and fakesnow (in .venv/snowflake).

The transfer tests themselves (tests/transfers, ``-k snowflake``) run in the same venv: tests/test_warehouses.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import example_dag
from tests.example_dags.helpers import xcom


def test_calendly_to_snowflake_dag_test(airflow_db: Path, calendly_conn: Any, snowflake_conn_id: str) -> None:
    """The tables land, and Snowflake's VARIANT path syntax reads them, unquoted names and all."""
    from airflow.serialization.serde import deserialize

    dag = example_dag("calendly_to_snowflake.py", "calendly_to_snowflake")
    run = dag.test()
    assert str(run.state) == "success"
    summary = xcom(run, "calendly_to_snowflake", "land_calendly")
    by_source = deserialize(xcom(run, "calendly_to_snowflake", "bookings_by_utm_source"))
    assert sum(row[1] for row in by_source) == summary["tables"]["invitees"]["rows"] > 0
    assert len(by_source) > 1  # several UTM sources, read out of the VARIANT column
