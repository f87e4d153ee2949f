"""Compatibility: the unit tests also pass on the lowest supported Airflow line (3.2.x).

``scripts/compat.sh`` builds a throwaway venv with ``apache-airflow==3.2.*`` and this project, and runs every
non-integration test there. The newest line (3.3.x) is the main venv, which the rest of the suite runs on.
The run is started in the background as soon as collection ends (``tests/conftest.py``), so it uses the
second core while the main suite runs, and this test only collects its outcome.
Set ``CALENDLY_SKIP_COMPAT=1`` to leave it out of a quick local run.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import IO

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

LOWEST_SUPPORTED = "3.2.*"
TIMEOUT = 900


class CompatRun:
    """``scripts/compat.sh`` running in the background, its output spooled to a temporary file."""

    def __init__(self) -> None:
        self._output: IO[str] = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the run
        self.proc = subprocess.Popen(
            [str(REPO_ROOT / "scripts" / "compat.sh"), LOWEST_SUPPORTED],
            cwd=REPO_ROOT,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        )

    def result(self, timeout: float) -> tuple[int, str]:
        try:
            returncode = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self._output.seek(0)
        return returncode, self._output.read()


_run: CompatRun | None = None


def start_compat_run() -> None:
    """Start the compat run once (called when collection has selected this test)."""
    global _run
    if _run is None and not os.environ.get("CALENDLY_SKIP_COMPAT"):
        _run = CompatRun()


@pytest.mark.skipif(bool(os.environ.get("CALENDLY_SKIP_COMPAT")), reason="CALENDLY_SKIP_COMPAT is set")
@pytest.mark.timeout(TIMEOUT + 30)
def test_unit_tests_pass_on_lowest_supported_airflow() -> None:
    start_compat_run()  # already running unless this test was collected some other way
    assert _run is not None
    returncode, output = _run.result(timeout=TIMEOUT)
    assert "compat: Apache Airflow 3.2." in output, output[-3000:]
    assert returncode == 0, output[-6000:]
