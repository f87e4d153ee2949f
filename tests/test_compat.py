"""Compatibility: the unit tests also pass on the lowest supported Airflow line (3.2.x).

``scripts/compat.sh`` builds a throwaway venv with ``apache-airflow==3.2.*`` and this project, and runs every
non-integration test there. The newest line (3.3.x) is the main venv, which the rest of the suite runs on.
The run starts in the background with the session's first test (the ``compat_run`` fixture of
``tests/conftest.py``), so it uses the second core while the main suite runs; this test, run last, collects
its outcome. Collecting tests starts nothing, and the run is stopped with the session however it ends.
Set ``CALENDLY_SKIP_COMPAT=1`` to leave it out of a quick local run.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import IO

import pytest

from tests import processes
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

LOWEST_SUPPORTED = "3.2.*"
TIMEOUT = 900


class CompatRun:
    """``scripts/compat.sh`` running in the background in a process group of its own, its output spooled to a file."""

    def __init__(self) -> None:
        self._output: IO[str] = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the run
        self.proc = processes.spawn(
            [str(REPO_ROOT / "scripts" / "compat.sh"), LOWEST_SUPPORTED],
            cwd=REPO_ROOT,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        )

    def result(self, timeout: float) -> tuple[int, str]:
        """Wait for the run (stopping it after ``timeout`` seconds); return its exit code and output."""
        try:
            returncode = self.proc.wait(timeout=timeout)
        finally:
            processes.stop(self.proc)
        self._output.seek(0)
        return returncode, self._output.read()

    def stop(self) -> None:
        processes.stop(self.proc)
        self._output.close()


@pytest.mark.skipif(bool(os.environ.get("CALENDLY_SKIP_COMPAT")), reason="CALENDLY_SKIP_COMPAT is set")
@pytest.mark.timeout(TIMEOUT + 30)
def test_unit_tests_pass_on_lowest_supported_airflow(compat_run: CompatRun | None) -> None:
    assert compat_run is not None
    returncode, output = compat_run.result(timeout=TIMEOUT)
    assert "compat: Apache Airflow 3.2." in output, output[-3000:]
    assert returncode == 0, output[-6000:]
