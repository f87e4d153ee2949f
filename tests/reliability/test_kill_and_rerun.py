"""A transfer killed with SIGKILL mid-run, then rerun, leaves exactly the tables of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.testing import CalendlyEmulator
from tests import processes
from tests.reliability.conftest import EVENTS, run_transfer, sqlite_warehouse, tables

SCRIPT = Path(__file__).with_name("transfer_subprocess.py")


def _committed_events(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM calendly_scheduled_events").fetchone()[0])
    except sqlite3.Error:  # not created yet, or locked by the writer this instant
        return 0


def _unfinished_passes(db: Path) -> list[Any]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT table_name FROM calendly_sync_state WHERE pass_started_at IS NOT NULL").fetchall()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_mid_transfer_then_rerun_gives_identical_tables(
    emulator: CalendlyEmulator, reference: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = sqlite_warehouse(tmp_path, monkeypatch, "killed_wh")
    db = tmp_path / "killed_wh.db"
    emulator.set_faults(latency=0.05)  # slow enough to land the kill between the first and the last chunk
    proc = processes.spawn(
        [sys.executable, str(SCRIPT), wh.conn_id],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while _committed_events(db) < 10:  # two chunks of five committed
            assert proc.poll() is None, f"the transfer ended before it could be killed: {proc.stdout.read()!r}"  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "no chunk was committed within 60 s"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        processes.stop(proc)
    assert proc.returncode == -signal.SIGKILL
    killed_at = _committed_events(db)
    assert 10 <= killed_at < EVENTS, "the kill did not land mid-run"
    assert _unfinished_passes(db), "the killed pass should be recorded as unfinished"

    emulator.clear_faults()
    summary = run_transfer(wh)

    assert summary["resumed"] is True  # picked up from the last committed chunk, not from scratch
    assert tables(wh) == reference["tables"]
    assert _unfinished_passes(db) == []
