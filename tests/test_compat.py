"""Compatibility: the unit tests also pass on the lowest supported Airflow line (3.2.x).

``scripts/compat.sh`` builds a throwaway venv with ``apache-airflow==3.2.*`` and this project, and runs every
non-integration test there. The newest line (3.3.x) is the main venv, which the rest of the suite runs on.
The run is a background run (tests/background.py): it starts with the session's first test, so it uses the second
core while the main suite runs, and this test, run last, collects its outcome. Collecting tests starts nothing,
and the run is stopped with the session however it ends. Set ``CALENDLY_SKIP_COMPAT=1`` to leave it out of a quick
local run.
"""

from __future__ import annotations

import os

import pytest

from tests.background import BackgroundRuns

pytestmark = pytest.mark.integration

LOWEST_SUPPORTED = "3.2.*"
TIMEOUT = 900


@pytest.mark.skipif(bool(os.environ.get("CALENDLY_SKIP_COMPAT")), reason="CALENDLY_SKIP_COMPAT is set")
@pytest.mark.background_run("compat", "scripts/compat.sh", LOWEST_SUPPORTED)
@pytest.mark.timeout(TIMEOUT + 30)
def test_unit_tests_pass_on_lowest_supported_airflow(background_runs: BackgroundRuns | None) -> None:
    assert background_runs is not None
    returncode, output = background_runs.result("compat", timeout=TIMEOUT)
    assert "compat: Apache Airflow 3.2." in output, output[-3000:]
    assert returncode == 0, f"exit code {returncode} (None: stopped after {TIMEOUT} s)\n{output[-6000:]}"
