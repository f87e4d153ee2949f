"""Shared pieces of the reliability and security suite: an emulator with a distinctive token, warehouses
on SQLite files, a thread-safe fake clock so retries never really sleep, and a transfer runner."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator
from tests.transfers.helpers import Warehouse, dump_all

TOKEN = "tok-SECRET-9f8e7d"
SIGNING_KEY = "whkey-SECRET-4c3b2a"
EVENTS = 30
#: Instant retries: many attempts, a short timeout (the slow-response fault outlasts it), no real pacing.
CONN_EXTRA: dict[str, Any] = {"max_retries": 8, "timeout": 1.0, "rate_limit": 10_000}


class ThreadSafeClock:
    """Monotonic clock whose ``sleep`` advances time instantly (the transfer's invitee threads share it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)


def instant_hook(conn_id: str = "calendly_default") -> tuple[CalendlyHook, ThreadSafeClock]:
    clock = ThreadSafeClock()
    return CalendlyHook(conn_id, clock=clock, sleep=clock.sleep), clock


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[CalendlyEmulator]:
    """An emulator (seed 11, 30 scheduled events) with the secret token, as ``calendly_default``."""
    with CalendlyEmulator(seed=11, token=TOKEN, scheduled_events=EVENTS) as emu:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emu.connection_json(**CONN_EXTRA))
        yield emu


def sqlite_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> Warehouse:
    """A fresh SQLite warehouse connection ``name`` (a file in ``tmp_path``)."""
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{name.upper()}", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / f"{name}.db")})
    )
    return Warehouse(kind="sqlite", conn_id=name, prefix="calendly_")


def run_transfer(warehouse: Warehouse, **kwargs: Any) -> dict[str, Any]:
    """Run CalendlyToSqlOperator.execute into ``warehouse`` with an instant-retry hook; return its XCom."""
    options: dict[str, Any] = {"chunk_size": 10, "page_size": 10, "mode": "full", **kwargs}
    op = CalendlyToSqlOperator(task_id="land", sql_conn_id=warehouse.conn_id, **options)
    op.hook, _clock = instant_hook(op.calendly_conn_id)
    return op.execute({})  # type: ignore[arg-type]


def tables(warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    writer = warehouse.writer()
    try:
        return dump_all(writer)
    finally:
        writer.close()


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """The parts of the transfer's XCom that must not depend on faults (row counts, mode, scope)."""
    return {
        "mode": summary["mode"],
        "effective_mode": summary.get("effective_mode"),
        "scope": summary["scope"],
        "tables": {
            key: {k: v for k, v in table.items() if k not in {"api_calls", "seconds"}}
            for key, table in summary["tables"].items()
        },
    }


@pytest.fixture
def reference(emulator: CalendlyEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A fault-free transfer of the emulator's data: its tables and XCom, to compare faulty runs with."""
    wh = sqlite_warehouse(tmp_path, monkeypatch, "reference_wh")
    summary = run_transfer(wh)
    dump = tables(wh)
    calls = emulator.count()
    assert all(dump[t] for t in ("event_types", "scheduled_events", "invitees"))
    emulator.reset_stats()
    return {"tables": dump, "xcom": comparable(summary), "calls": calls}
