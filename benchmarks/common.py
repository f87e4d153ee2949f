"""Helpers shared by the API benchmarks: an emulator in its own process, hooks pointed at it, timelines.

The emulator runs in a child process (:class:`EmulatorProcess`) so that its CPU time never counts against
the client being measured and the two do not share a GIL. The child prints its base URL, then answers
one-line commands on stdin (``records``, ``stats``, ``reset``, ``faults {...}``, ``quit``) with one JSON
line each. Request times are ``time.monotonic()`` of the child, which on Linux is the same clock as the
parent's, so the parent can line them up with its own measurements.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / ".out"
#: The meeting resources: what the throughput, memory, fan-out and incremental benchmarks measure (the other
#: resources add a fixed number of calls, measured by ``bench_calls``).
MEETINGS = ("event_types", "scheduled_events", "invitees")

_CHILD = r"""
import json, sys
from dataclasses import asdict
from airflow_provider_calendly.testing.emulator import CalendlyEmulator

options = json.loads(sys.argv[1])
emulator = CalendlyEmulator(**options).start()
print(json.dumps({"base_url": emulator.base_url, "token": emulator.token}), flush=True)
for line in sys.stdin:
    command, _, arg = line.strip().partition(" ")
    if command == "records":
        out = [[r.method, r.path, r.status, r.at] for r in emulator.requests]
    elif command == "stats":
        out = emulator.stats()
    elif command == "reset":
        emulator.reset_stats()
        out = {}
    elif command == "faults":
        out = asdict(emulator.set_faults(**json.loads(arg or "{}")))
    elif command == "counts":
        out = {"event_types": emulator.count_event_types(), "scheduled_events": emulator.count_scheduled_events(),
               "invitees": emulator.count_invitees()}
    elif command == "data":
        data = emulator.data
        out = {"scheduled_events": [[e["uri"], e["invitees_counter"]["total"]] for e in data.scheduled_events.values()],
               "event_types": [e["uri"] for e in data.event_types]}
    else:
        break
    print(json.dumps(out), flush=True)
emulator.stop()
"""


@dataclass(frozen=True)
class Call:
    """One call as the emulator recorded it."""

    method: str
    path: str
    status: int
    at: float


class EmulatorProcess:
    """A :class:`~airflow_provider_calendly.testing.emulator.CalendlyEmulator` in a child process.

    :param options: Keyword arguments of ``CalendlyEmulator`` (JSON-serialisable).
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.token = ""

    def __enter__(self) -> EmulatorProcess:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps(self.options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        hello = json.loads(self._read())
        self.base_url, self.token = hello["base_url"], hello["token"]
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self._proc
        if proc is None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.write("quit\n")
            proc.stdin.flush()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        self._proc = None

    def _read(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator process exited (options {self.options})")
        return line

    def command(self, command: str, arg: Any = None) -> Any:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(command + (f" {json.dumps(arg)}" if arg is not None else "") + "\n")
        self._proc.stdin.flush()
        return json.loads(self._read())

    def calls(self) -> list[Call]:
        return [Call(m, p, int(s), float(t)) for m, p, s, t in self.command("records")]

    def reset(self) -> None:
        self.command("reset")

    def set_faults(self, **faults: Any) -> None:
        self.command("faults", faults)

    def connection_json(self, **extra: Any) -> str:
        conn: dict[str, Any] = {"conn_type": "calendly", "password": self.token, "host": self.base_url}
        if extra:
            conn["extra"] = extra
        return json.dumps(conn)


def prepare_airflow() -> None:
    """Give Airflow a private home (connections come from ``AIRFLOW_CONN_*``) and quiet logs.

    Runs when this module is imported, before anything imports Airflow (which reads these once).
    """
    if "AIRFLOW_HOME" not in os.environ:
        os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="calendly-bench-airflow-")
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")


prepare_airflow()


def hook_for(connection_json: str, **kwargs: Any) -> Any:
    """A fresh :class:`CalendlyHook` on its own connection id (so nothing is cached between scenarios)."""
    prepare_airflow()
    from airflow_provider_calendly.hooks.calendly import CalendlyHook

    conn_id = f"bench_{uuid.uuid4().hex[:12]}"
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = connection_json
    return CalendlyHook(calendly_conn_id=conn_id, **kwargs)


def sqlite_writer(path: Path, prefix: str = "calendly_") -> Any:
    """A :class:`CalendlyTableWriter` on a SQLite file."""
    prepare_airflow()
    from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
    from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook

    conn_id = f"bench_sqlite_{uuid.uuid4().hex[:12]}"
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({"conn_type": "sqlite", "host": str(path)})
    return CalendlyTableWriter(resolve_dbapi_hook(conn_id), prefix)


def sustained_rate(times: list[float], limit: int) -> float:
    """Calls/s after the opening burst: ``(n - limit) / (last - first)`` over the accepted calls' times.

    A client that sends exactly ``limit`` calls per ``period`` scores ``limit / period`` whatever the
    run length, so the figure can be compared with the limit directly.
    """
    times = sorted(times)
    if len(times) <= limit + 1 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - limit) / (times[-1] - times[0])


def max_in_window(times: list[float], period: float) -> int:
    """The most calls inside any window of ``period`` seconds (what a sliding-window server checks)."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - period:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def save(name: str, data: Any) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def wants_quick(argv: list[str] | None) -> bool:
    return bool(argv) and "--quick" in argv  # type: ignore[operator]
