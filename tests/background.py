"""Test runs in other venvs, in the background on the second core, one at a time, while this session runs.

A test that collects such a run carries ``@pytest.mark.background_run(name, *command, timeout=seconds)`` (the
command runs from the repository root and is stopped ``timeout`` seconds after it started). Collecting tests starts nothing: the session fixture ``background_runs`` (tests/conftest.py)
queues the runs of the selected tests in their order and starts the first with the session's first test; each
starts when the one before it has ended. The marked tests run last and collect their run's outcome with
:meth:`BackgroundRuns.result`. Every run is stopped with the session, however it ends (tests/processes.py).

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
    """A command in a process group of its own, its output spooled to a file; started when its turn comes and
    stopped ``timeout`` seconds later if it has not ended by then."""

    def __init__(self, name: str, command: Sequence[str], *, cwd: str, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self._command = list(command)
        self._cwd = cwd
        self._output: IO[str] = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the run
        self._proc: subprocess.Popen[str] | None = None
        self._returncode: int | None = None
        self.ended = threading.Event()

    def start(self) -> None:
        # The run sets up its own Airflow (tests/conftest.py in its own session): none of this session's AIRFLOW_*.
        self._proc = processes.spawn(
            self._command,
            cwd=self._cwd,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
        )

    def finish(self) -> None:
        """Wait for the run to end, stopping it after its ``timeout``; then its outcome is known."""
        assert self._proc is not None
        try:
            self._returncode = self._proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self._returncode = None
        finally:
            processes.stop(self._proc)
            self.ended.set()

    def result(self) -> tuple[int | None, str]:
        """Wait for the run to end; return its exit code (None if it was stopped at its timeout) and output."""
        self.ended.wait()
        self._output.seek(0)
        return self._returncode, self._output.read()

    def stop(self) -> None:
        if self._proc is not None:
            processes.stop(self._proc)
        self.ended.set()
        self._output.close()


class BackgroundRuns:
    """The queued runs, started one after another by a thread: one core runs them while the suite uses the other."""

    def __init__(self, runs: Sequence[BackgroundRun]) -> None:
        self._runs = {run.name: run for run in runs}
        self._lock = threading.Lock()
        self._stopping = False
        self._thread = threading.Thread(target=self._run_in_turn, name="background runs", daemon=True)
        self._thread.start()

    def _run_in_turn(self) -> None:
        for run in self._runs.values():
            with self._lock:
                if self._stopping:
                    return
                run.start()
            run.finish()

    def result(self, name: str) -> tuple[int | None, str]:
        """The exit code (None: stopped at its timeout) and output of the run ``name``, once it has ended."""
        return self._runs[name].result()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        for run in self._runs.values():  # the thread starts no other: the one it waits for ends now
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
        runs.setdefault(name, BackgroundRun(name, command, cwd=cwd, timeout=marker.kwargs["timeout"]))
    return list(runs.values())


def _skipped(item: pytest.Item) -> bool:
    return any(m.args and m.args[0] is True for m in item.iter_markers("skipif"))
