"""The harness leaves nothing behind: collecting starts nothing, and what a test starts dies with its session.

Each case runs a pytest session of its own and looks at it from outside with psutil. This session is a child
subreaper (``tests/processes.py``), so a process the inner session leaves behind is re-parented here and
found, instead of escaping to init.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests import processes
from tests.conftest import REPO_ROOT

#: Started by the inner test: one process through the helper, one orphaned by a shell the helper never saw.
INNER_TEST = """
import os
import subprocess

import pytest

from tests import processes


@pytest.fixture
def server():
    proc = processes.spawn(["sleep", "600"])
    yield proc
    processes.stop(proc)


def test_runs_until_stopped(server):
    orphan = subprocess.run(["bash", "-c", "sleep 600 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True, check=True)
    os.write(int(os.environ["PIDS_FD"]), f"{server.pid} {orphan.stdout.strip()}\\n".encode())
    if os.environ["ENDING"] == "failure":
        pytest.fail("failing on purpose")
    server.wait()  # until the session is stopped
"""


#: pytest, with Ctrl-C's usual handler even when this session was started with SIGINT ignored (a background job).
PYTEST = [
    sys.executable,
    "-c",
    "import signal, sys, pytest; signal.signal(signal.SIGINT, signal.default_int_handler); sys.exit(pytest.main())",
]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _children() -> set[int]:
    """This session's direct children: where a process an inner session left behind ends up."""
    return {p.pid for p in psutil.Process().children() if _alive(p.pid)}


def _read_line(fd: int, timeout: float) -> str:
    """One line from a pipe, or a failure after ``timeout`` seconds (waiting on the pipe, not sleeping)."""
    data = b""
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], timeout)
        assert ready, f"nothing read in {timeout:.0f} s"
        chunk = os.read(fd, 4096)
        assert chunk, "the pipe closed before a whole line"
        data += chunk
    return data.decode()


@pytest.fixture
def inner_env() -> Iterator[dict[str, str]]:
    """The environment of an inner pytest session: this repository importable, no compat-run switch."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k != "CALENDLY_SKIP_COMPAT"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    yield env


def test_collecting_the_background_runs_starts_nothing(inner_env: dict[str, str]) -> None:
    """Collecting the tests that collect background runs (tests/background.py) starts none of them."""
    before = _children()
    # Without this harness's safety net: a process collection started would outlive the session, and be found.
    collected = ["tests/test_compat.py", "tests/test_warehouses.py"]
    proc = processes.spawn(
        [*PYTEST, "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:tests.processes", *collected],
        cwd=REPO_ROOT,
        env=inner_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = proc.communicate(timeout=180)
        assert proc.returncode == 0, output[-3000:]
        assert "test_unit_tests_pass_on_lowest_supported_airflow" in output
        assert "test_warehouse_tests_pass_in_the_providers_venv[bigquery]" in output
        # This session's own background runs start when their turn comes, whatever this test does: not counted.
        started = _children() - before - {proc.pid} - processes.spawned()
        assert not started, [psutil.Process(pid).cmdline() for pid in started]
    finally:
        processes.stop(proc)


@pytest.mark.parametrize("ending", ["SIGTERM", "SIGINT", "failure"])
def test_what_a_test_starts_dies_with_its_session(ending: str, tmp_path: Path, inner_env: dict[str, str]) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    read_fd, write_fd = os.pipe()
    proc = processes.spawn(
        [*PYTEST, "-q", "-p", "no:cacheprovider", "-p", "tests.processes", "test_inner.py"],
        cwd=tmp_path,
        env={**inner_env, "PIDS_FD": str(write_fd), "ENDING": ending},
        pass_fds=(write_fd,),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    os.close(write_fd)
    pids: list[int] = []
    try:
        pids = [int(pid) for pid in _read_line(read_fd, 120).split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids), pids
        if ending != "failure":
            proc.send_signal(getattr(signal, ending))
        output, _ = proc.communicate(timeout=120)
        expected = pytest.ExitCode.TESTS_FAILED if ending == "failure" else pytest.ExitCode.INTERRUPTED
        assert proc.returncode == expected, output[-3000:]
        assert [pid for pid in pids if _alive(pid)] == [], output[-3000:]
        # The orphan no fixture knew of was found by the safety net, and named.
        assert f"killed 1 process(es) a test left running: {pids[1]}" in output, output[-3000:]
    finally:
        os.close(read_fd)
        processes.stop(proc)
        for pid in pids:  # should the test fail, it leaves nothing either
            if _alive(pid):
                psutil.Process(pid).kill()


def test_compat_script_stops_when_its_parent_is_gone(tmp_path: Path) -> None:
    """``scripts/compat.sh`` started by a process that is then SIGKILLed stops, with all it started."""
    starter = processes.spawn(
        [sys.executable, "-c", "import subprocess, sys; subprocess.run(sys.argv[1:])", "scripts/compat.sh", "3.2.*"],
        cwd=REPO_ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}, "TMPDIR": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert starter.stdout is not None
        first = starter.stdout.readline()
        assert first.startswith("compat: testing against Apache Airflow 3.2.*"), first
        [script] = psutil.Process(starter.pid).children()
        assert "compat.sh" in " ".join(script.cmdline())
        started = [script, *script.children(recursive=True)]
        starter.kill()  # SIGKILL: no chance to clean up; the script is re-parented to this session
        starter.wait(timeout=30)
        _, alive = psutil.wait_procs(started, timeout=60)
        assert not [p for p in alive if _alive(p.pid)], [p.cmdline() for p in alive]
        assert not list(tmp_path.glob("calendly-compat-*")), "the throwaway venv was left behind"
    finally:
        processes.stop(starter)
