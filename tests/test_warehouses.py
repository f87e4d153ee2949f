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


#: The transfer tests each warehouse venv runs (their ``-k <warehouse>`` parameters) beside tests/warehouses/<name>:
#: landing, reruns, faults, a run killed mid-way, deletions, schema upgrades, webhook change capture.
TRANSFER_TESTS = (
    "tests/transfers/test_sql_writer.py",
    "tests/transfers/test_calendly_to_sql.py",
    "tests/transfers/test_schema_evolution.py",
    "tests/transfers/test_resources.py",
    "tests/transfers/test_change_capture.py",
)


def _warehouse(name: str, *pytest_args: str) -> object:
    run = pytest.mark.background_run(name, "scripts/warehouse.sh", "test", name, *pytest_args, timeout=TIMEOUT)
    return pytest.param(name, marks=[SKIP, run], id=name)


@pytest.mark.parametrize(
    "warehouse",
    [
        _warehouse("snowflake", "tests/warehouses/snowflake", *TRANSFER_TESTS, "-k", "snowflake", "-q"),
        _warehouse("bigquery"),
    ],
)
@pytest.mark.timeout(0)  # each run has its own timeout, counted from its start
def test_warehouse_tests_pass_in_the_providers_venv(warehouse: str, background_runs: BackgroundRuns | None) -> None:
    assert background_runs is not None
    returncode, output = background_runs.result(warehouse)
    assert f"warehouse: {warehouse} venv, Apache Airflow 3." in output, output[-3000:]
    assert returncode == 0, f"exit code {returncode} (None: stopped after {TIMEOUT} s)\n{output[-6000:]}"
