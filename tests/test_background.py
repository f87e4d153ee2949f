"""The background runs (tests/background.py): one at a time, in order, stopped at their timeout or with the session."""

from __future__ import annotations

import contextlib
import sys
import uuid
from pathlib import Path

import psutil

from tests.background import BackgroundRun, BackgroundRuns

TOKEN = f"calendly-background-{uuid.uuid4().hex}"  # names this module's long runs among this session's processes
LONG = [sys.executable, "-c", "import time; time.sleep(600)", TOKEN]  # a run that would outlast every test here


def _long_runs_alive() -> list[int]:
    alive = []
    for process in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a process may end while it is looked at
            if TOKEN in process.cmdline() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process.pid)
    return alive


def _run(name: str, command: list[str], tmp_path: Path) -> BackgroundRun:
    return BackgroundRun(name, command, cwd=str(tmp_path))


def test_runs_start_one_after_another_in_order(tmp_path: Path) -> None:
    first = [sys.executable, "-c", "import pathlib; pathlib.Path('first.done').touch(); print('first')"]
    second = [sys.executable, "-c", "import pathlib, sys; sys.exit(0 if pathlib.Path('first.done').exists() else 3)"]
    runs = BackgroundRuns([_run("first", first, tmp_path), _run("second", second, tmp_path)])
    try:
        assert runs.result("first", timeout=60) == (0, "first\n")
        assert runs.result("second", timeout=60) == (0, "")  # it started once the first had ended
    finally:
        runs.stop()


def test_a_run_is_stopped_at_its_timeout_and_leaves_nothing(tmp_path: Path) -> None:
    runs = BackgroundRuns([_run("long", LONG, tmp_path)])
    try:
        returncode, _ = runs.result("long", timeout=0.5)
        assert returncode is None
        assert _long_runs_alive() == []
    finally:
        runs.stop()


def test_an_uncollected_earlier_run_is_stopped_so_the_next_one_runs(tmp_path: Path) -> None:
    """Its test failed before collecting it: asking for the next run stops it, and the next one gets its turn."""
    runs = BackgroundRuns([_run("stuck", LONG, tmp_path), _run("next", [sys.executable, "-c", "print(1)"], tmp_path)])
    try:
        assert runs.result("next", timeout=60) == (0, "1\n")
    finally:
        runs.stop()


def test_stopping_the_queue_starts_nothing_more(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    later = [sys.executable, "-c", f"import pathlib; pathlib.Path({str(marker)!r}).touch()"]
    runs = BackgroundRuns([_run("long", LONG, tmp_path), _run("later", later, tmp_path)])
    runs.stop()
    assert not marker.exists()
