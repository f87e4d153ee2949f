"""Every process a test starts dies with the session: one way to start and stop them, and a safety net.

- :func:`spawn` starts a process alone in a new process group (a new session), registered with the session.
- :func:`stop` stops that whole group (the process and whatever it forked): a signal, a grace period, then
  SIGKILL, and always reaps the process. Tests stop what they start with it, in a ``finally`` or a fixture.

As a pytest plugin (``pytest_plugins`` in ``tests/conftest.py``) this module also:

- makes the pytest process a child subreaper (Linux): a process whose parent exits (a daemon, a shell's
  background job) is re-parented to pytest instead of init, so it is still one of pytest's descendants;
- turns SIGTERM into the KeyboardInterrupt Ctrl-C raises, so pytest tears the session down the same way and
  every fixture stops what it started (a second SIGTERM kills every descendant at once and exits);
- at the end of the session stops every group still registered and kills every descendant still running,
  naming them on stderr: a leak is then reported, never left behind.

It imports nothing of the project, so a pytest run of its own can load it with ``-p tests.processes``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import Any

import psutil
import pytest

__all__ = ["spawn", "spawned", "stop"]

#: How long a group gets to stop after the first signal before it is killed.
GRACE_SECONDS = 20.0
_PR_SET_CHILD_SUBREAPER = 36

_registered: list[subprocess.Popen[Any]] = []
_interrupted = False


def spawn(args: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
    """Start ``args`` alone in a new process group, to be stopped with :func:`stop` (or at the session's end).

    :param popen: Any other :class:`subprocess.Popen` argument (``env``, ``cwd``, ``stdout``, ``text``, …).
    """
    proc: subprocess.Popen[Any] = subprocess.Popen(args, start_new_session=True, **popen)
    _registered.append(proc)
    return proc


def spawned() -> set[int]:
    """The pids of the processes :func:`spawn` started that are not stopped yet (each leads its process group)."""
    return {proc.pid for proc in _registered}


def stop(proc: subprocess.Popen[Any], *, grace: float = GRACE_SECONDS, first: int = signal.SIGTERM) -> None:
    """Stop the process group of ``proc`` (from :func:`spawn`): ``first``, then SIGKILL after ``grace`` seconds.

    Whatever is left of the group once its leader has exited (a child that outlived it) is killed too, and the
    leader is reaped. Stopping a group that has already ended is harmless.
    """
    if proc.poll() is None:
        _signal_group(proc.pid, first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    _signal_group(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait()
    with contextlib.suppress(ValueError):
        _registered.remove(proc)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _become_subreaper() -> None:
    """Adopt the orphans of this process's descendants (Linux ``PR_SET_CHILD_SUBREAPER``; elsewhere a no-op)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _kill_descendants(*, report: bool) -> None:
    """SIGKILL every process still descending from this one (adopted orphans included) and reap them."""
    try:
        left = [p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]
    except psutil.Error:
        left = []
    if report and left:
        names = ", ".join(f"{p.pid} {' '.join(_cmdline(p))[:120]!r}" for p in left)
        sys.stderr.write(f"\ntests/processes: killed {len(left)} process(es) a test left running: {names}\n")
    for process in left:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(left, timeout=10)
    for child in psutil.Process().children():  # reap adopted orphans that ended on their own
        with contextlib.suppress(psutil.Error, ChildProcessError):
            if child.status() == psutil.STATUS_ZOMBIE:
                child.wait(timeout=0)


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return ["?"]


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM: stop like Ctrl-C (fixtures tear down); on a second one, kill everything now and exit."""
    global _interrupted
    if _interrupted:
        _kill_descendants(report=False)
        os._exit(128 + signum)
    _interrupted = True
    for proc in list(_registered):  # told at once, whatever the teardown does next
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    _become_subreaper()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def pytest_unconfigure(config: pytest.Config) -> None:
    for proc in list(_registered):
        stop(proc, grace=5.0)
    _kill_descendants(report=True)
