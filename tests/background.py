"""Test runs in other venvs, in the background on the second core, one at a time, while this session runs.

A test that collects such a run carries ``@pytest.mark.background_run(name, *command)`` (the command runs from the
repository root). Collecting tests starts nothing: the session fixture ``background_runs`` (tests/conftest.py)
queues the runs of the selected tests in their order and starts the first with the session's first test; each
starts when the one before it has ended. The marked tests run last and collect their run's outcome with
:meth:`BackgroundRuns.result`, which gives a run a timeout counted from when its test asks (as the suite ran, the
run had the second core all along). Every run is stopped with the session, however it ends (tests/processes.py).

A marked test that a true ``skipif(bool, ...)`` skips starts no run (``CALENDLY_SKIP_COMPAT=1`` and the like).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from typing import IO

import pytest

from tests import processes

MARKER = "background_run"


class BackgroundRun:
    """A command in a process group of its own, its output spooled to a file; started when its turn comes."""

    def __init__(self, name: str, command: Sequence[str], *, cwd: str) -> None:
        self.name = name
        self._command = list(command)
        self._cwd = cwd
        self._output: IO[str] = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the run
        self._proc: subprocess.Popen[str] | None = None
        self._stopped = False
        self._lock = threading.Lock()  # start and stop exclude each other: a run is never started once stopped
        self.started = threading.Event()

    def start(self) -> None:
        with self._lock:
            if self._stopped:  # stopped before its turn came: it never starts
                return
            # The run sets up its own Airflow (tests/conftest.py in its own session): none of this session's AIRFLOW_*.
            self._proc = processes.spawn(
                self._command,
                cwd=self._cwd,
                stdout=self._output,
                stderr=subprocess.STDOUT,
                text=True,
                env={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
            )
            self.started.set()

    def wait(self) -> None:
        """Wait until the run has ended (or was stopped)."""
        if self._proc is not None:
            self._proc.wait()

    def result(self, timeout: float) -> tuple[int | None, str]:
        """Wait for the run, stopping it ``timeout`` seconds from now; its exit code (None: stopped) and output."""
        self.started.wait()
        assert self._proc is not None
        try:
            returncode: int | None = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            processes.stop(self._proc)
        self._output.seek(0)
        return returncode, self._output.read()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        if self._proc is not None:
            processes.stop(self._proc)
        self._output.close()


class BackgroundRuns:
    """The queued runs, started one after another by a thread: one core runs them while the suite uses the other."""

    def __init__(self, runs: Sequence[BackgroundRun]) -> None:
        self._runs = list(runs)
        self._thread = threading.Thread(target=self._run_in_turn, name="background runs", daemon=True)
        self._thread.start()

    def _run_in_turn(self) -> None:
        for run in self._runs:
            run.start()
            run.wait()

    def result(self, name: str, timeout: float) -> tuple[int | None, str]:
        """The exit code (None: stopped ``timeout`` seconds after this call) and output of the run ``name``.

        The runs queued before it, whose tests are over (they run in queue order), are stopped first should one still
        run (its test failed before collecting it): its turn comes.
        """
        names = [run.name for run in self._runs]
        for earlier in self._runs[: names.index(name)]:
            earlier.stop()
        return self._runs[names.index(name)].result(timeout)

    def stop(self) -> None:
        for run in self._runs:  # a stopped run never starts: the thread's wait ends at once for each
            run.stop()
        self._thread.join()


def queued(items: Sequence[pytest.Item], cwd: str) -> list[BackgroundRun]:
    """The runs the selected ``items`` collect, in their order (one run per name)."""
    runs: dict[str, BackgroundRun] = {}
    for item in items:
        marker = item.get_closest_marker(MARKER)
        if marker is None or _skipped(item):
            continue
        name, *command = marker.args
        runs.setdefault(name, BackgroundRun(name, command, cwd=cwd))
    return list(runs.values())


def _skipped(item: pytest.Item) -> bool:
    return any(m.args and m.args[0] is True for m in item.iter_markers("skipif"))
