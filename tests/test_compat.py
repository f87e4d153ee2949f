"""Compatibility: the unit tests also pass on the lowest supported Airflow line (3.2.x).

``scripts/compat.sh`` builds a throwaway venv with ``apache-airflow==3.2.*`` and this project, and runs every
non-integration test there. The newest line (3.3.x) is the main venv, which the rest of the suite runs on.
Set ``CALENDLY_SKIP_COMPAT=1`` to leave it out of a quick local run.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

LOWEST_SUPPORTED = "3.2.*"


@pytest.mark.skipif(bool(os.environ.get("CALENDLY_SKIP_COMPAT")), reason="CALENDLY_SKIP_COMPAT is set")
@pytest.mark.timeout(600)
def test_unit_tests_pass_on_lowest_supported_airflow() -> None:
    proc = subprocess.run(
        [str(REPO_ROOT / "scripts" / "compat.sh"), LOWEST_SUPPORTED],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=590,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
    )
    output = proc.stdout + proc.stderr
    assert "compat: Apache Airflow 3.2." in output, output[-3000:]
    assert proc.returncode == 0, output[-6000:]
