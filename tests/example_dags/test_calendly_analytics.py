"""The analytics example: scheduled on the sync's Assets, and ``dag.test()`` of sync then dbt on DuckDB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import example_dag
from tests.dbt.conftest import MARTS, dbt_executable
from tests.example_dags.helpers import load_example_dag, xcom


def test_analytics_is_scheduled_on_the_assets_the_sync_emits(airflow_db: Path) -> None:
    land = load_example_dag("calendly_to_warehouse.py", "calendly_to_warehouse").get_task("land_calendly")
    analytics = load_example_dag("calendly_analytics.py", "calendly_analytics")
    condition = analytics.timetable.asset_condition
    scheduled_on = list(getattr(condition, "objects", [condition]))
    assert len(scheduled_on) == 2
    assert all(asset in land.outlets for asset in scheduled_on)


@pytest.mark.integration  # runs dbt, a program of its own
def test_sync_then_dbt_build_with_dag_test(
    airflow_db: Path, calendly_conn: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The main job lands the emulator's organization; the analytics DAG then builds and tests every model."""
    import duckdb

    monkeypatch.setenv("CALENDLY_DBT_EXECUTABLE", dbt_executable())
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_WAREHOUSE", json.dumps({"conn_type": "duckdb", "host": str(warehouse)}))
    sync = example_dag("calendly_to_warehouse.py", "calendly_to_warehouse").test()
    assert str(sync.state) == "success"

    run = example_dag("calendly_analytics.py", "calendly_analytics").test()
    assert str(run.state) == "success"
    summary = xcom(run, "calendly_analytics", "dbt_build")
    assert set(summary["results"]) <= {"success", "pass"} and summary["results"]["pass"] > 0, summary

    with duckdb.connect(str(warehouse), read_only=True) as db:
        (events,) = db.execute("SELECT COUNT(*) FROM calendly_scheduled_events").fetchone()  # type: ignore[misc]
        rows = {m: db.execute(f"SELECT COUNT(*) FROM {m}").fetchone()[0] for m in MARTS}  # type: ignore[index]
    assert rows["calendly__meetings"] == events > 0
    assert all(n > 0 for n in rows.values()), rows
