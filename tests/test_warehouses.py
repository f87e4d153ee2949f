"""Snowflake and BigQuery: their tests pass in the venvs of their official providers.

The Snowflake and Google providers cannot share the main lock (SQLAlchemy < 2.1, protobuf < 7), so their tests,
``tests/warehouses/<warehouse>``, run in ``.venv/<warehouse>`` (``scripts/warehouse.sh test``, which builds the venv
from ``constraints-<warehouse>.txt`` when it is missing or stale), against the warehouse's local stand-in. Each is a
background run (tests/background.py): queued with the session's first test on the second core, collected here.
Set ``CALENDLY_SKIP_WAREHOUSES=1`` to leave them out of a quick local run.
"""

from __future__ import annotations

import os

import pytest

from tests.background import BackgroundRuns

pytestmark = pytest.mark.integration

TIMEOUT = 900
SKIP = pytest.mark.skipif(bool(os.environ.get("CALENDLY_SKIP_WAREHOUSES")), reason="CALENDLY_SKIP_WAREHOUSES is set")
#: The pytest arguments of each warehouse's run. Tests elsewhere that are parametrized with the warehouse's name
#: where its stand-in is installed join with ``-k``: ``["tests/warehouses/snowflake", "tests/transfers", "-k",
#: "snowflake", "-q"]`` keeps every stand-in test (their package is named after the warehouse) and those cases.
#: The transfer tests a stand-in's run selects (its ``-k <warehouse>`` cases): landing and reruns, faults and a run
#: killed mid-way, deletions, schema upgrades, typed columns and upserts.
TRANSFER_TESTS = [
    "tests/transfers/test_sql_writer.py",
    "tests/transfers/test_calendly_to_sql.py",
    "tests/transfers/test_schema_evolution.py",
    "tests/transfers/test_resources.py",
]
RUNS = {
    "snowflake": ["tests/warehouses/snowflake", *TRANSFER_TESTS, "-k", "snowflake", "-q"],
    "bigquery": ["tests/warehouses/bigquery", *TRANSFER_TESTS, "-k", "bigquery", "-q"],
}


def _warehouse(name: str) -> object:
    run = pytest.mark.background_run(name, "scripts/warehouse.sh", "test", name, *RUNS[name])
    return pytest.param(name, marks=[SKIP, run], id=name)


@pytest.mark.parametrize("warehouse", [_warehouse(name) for name in RUNS])
@pytest.mark.timeout(TIMEOUT + 30)
def test_warehouse_tests_pass_in_the_providers_venv(warehouse: str, background_runs: BackgroundRuns | None) -> None:
    assert background_runs is not None
    returncode, output = background_runs.result(warehouse, timeout=TIMEOUT)
    assert f"warehouse: {warehouse} venv, Apache Airflow 3." in output, output[-3000:]
    assert returncode == 0, f"exit code {returncode} (None: stopped after {TIMEOUT} s)\n{output[-6000:]}"
