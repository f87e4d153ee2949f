"""The main job end to end: the example ETL DAGs load cleanly, and ``dag.test()`` lands Calendly in a warehouse."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_DAGS, example_dag
from tests.example_dags.helpers import xcom
from tests.transfers.helpers import Warehouse, counts

DAG_FILES = ("calendly_to_warehouse.py", "calendly_to_postgres.py", "calendly_to_mysql.py")


def _bag(name: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(EXAMPLE_DAGS / name))
    assert bag.import_errors == {}
    return bag


@pytest.mark.parametrize("name", DAG_FILES)
def test_example_dag_imports_cleanly(name: str) -> None:
    bag = _bag(name)
    assert bag.dags


def test_postgres_report_is_scheduled_on_the_invitees_asset() -> None:
    from airflow_provider_calendly.transfers.calendly_to_sql import calendly_table_asset

    bag = _bag("calendly_to_postgres.py")
    land = bag.dags["calendly_to_postgres"].get_task("land_calendly")
    asset = calendly_table_asset("calendly_postgres", "calendly_invitees", schema="calendly")
    assert asset in land.outlets
    report = bag.dags["calendly_no_show_report"]
    condition = report.timetable.asset_condition
    assert asset in getattr(condition, "objects", [condition])


def test_calendly_to_warehouse_dag_test(
    airflow_db: Path, calendly_conn: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dag.test()`` of the main job into a DuckDB file: success, every table filled, a small XCom."""
    warehouse_file = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WAREHOUSE", json.dumps({"conn_type": "duckdb", "host": str(warehouse_file)})
    )
    dag = example_dag("calendly_to_warehouse.py", "calendly_to_warehouse")

    first_run = dag.test()
    assert str(first_run.state) == "success"
    first = xcom(first_run, "calendly_to_warehouse", "land_calendly")
    assert first["effective_mode"] == "full"
    # A summary (a few counts per table, ~200 bytes each), never the data: its size follows the tables, not the rows.
    assert len(json.dumps(first)) < 1000 + 250 * len(first["tables"])

    wh = Warehouse(kind="duckdb", conn_id="calendly_warehouse", prefix="calendly_")
    writer = wh.writer()
    try:
        landed = counts(writer)
    finally:
        writer.close()
    assert all(landed[t] > 0 for t in ("event_types", "scheduled_events", "invitees", "invitee_answers"))
    assert landed["invitees"] == first["tables"]["invitees"]["rows"]

    second_run = dag.test()
    assert str(second_run.state) == "success"
    second = xcom(second_run, "calendly_to_warehouse", "land_calendly")
    assert second["effective_mode"] == "incremental"
    assert second["api_calls"] < first["api_calls"]
    writer = wh.writer()
    try:
        assert counts(writer) == landed
    finally:
        writer.close()


@pytest.fixture
def mysql_database(mysql_uri: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database of its own on the MariaDB server as ``calendly_mysql`` (the DAG's fixed table names are safe)."""
    import MySQLdb
    from sqlalchemy.engine import make_url

    url = make_url(mysql_uri)
    name = f"calendly_dag_{uuid.uuid4().hex[:10]}"
    server = MySQLdb.connect(host=url.host, port=url.port or 3306, user=url.username, passwd=url.password or "")
    try:
        server.cursor().execute(f"CREATE DATABASE {name}")
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_MYSQL", url.set(database=name).render_as_string(hide_password=False))
        yield name
    finally:
        server.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
        server.close()


@pytest.mark.integration
def test_calendly_to_mysql_dag_test(airflow_db: Path, calendly_conn: Any, mysql_database: str) -> None:
    """``dag.test()`` of the MySQL family's DAG on MariaDB: the tables land, and MariaDB's JSON functions read them."""
    from airflow.serialization.serde import deserialize

    dag = example_dag("calendly_to_mysql.py", "calendly_to_mysql")
    run = dag.test()
    assert str(run.state) == "success"
    summary = xcom(run, "calendly_to_mysql", "land_calendly")
    by_source = deserialize(xcom(run, "calendly_to_mysql", "bookings_by_utm_source"))  # rows, as tuples
    assert sum(n for _source, n in by_source) == summary["tables"]["invitees"]["rows"] > 0
    assert len(by_source) > 1  # the emulator's invitees carry several UTM sources, read out of the JSON column
