"""Webhooks across processes: two receivers on one PostgreSQL inbox, a watcher SIGKILLed mid-stream.

Real processes over loopback: the emulator sends every signed delivery to two receiver processes (two
subscriptions, as two load-balanced API servers would both be reachable), each delivery is stored once in a
fresh PostgreSQL database, and a watcher process (the AssetWatcher's trigger plus the consuming task's
claim) is killed with SIGKILL while deliveries stream in, then restarted: no delivery lost, none acted on
twice. Runs under CI=true or ``make distributed``; skipped otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import processes
from tests.conftest import IN_CI, REPO_ROOT
from tests.distributed import deployment

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (IN_CI or os.environ.get("CALENDLY_DISTRIBUTED")),
        reason="multi-process deployment test: runs under CI=true or `make distributed`",
    ),
]

SIGNING_KEY = "distributed-test-signing-key"
DELIVERIES = 40


@pytest.fixture
def fresh_database(postgres_uri: str) -> Iterator[str]:
    """A PostgreSQL database of its own for this run, dropped afterwards."""
    with deployment.fresh_database(postgres_uri, "dist") as uri:
        yield uri


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return processes.spawn([sys.executable, *args], env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen[str]) -> None:
    processes.stop(proc, grace=0, first=signal.SIGKILL)


def test_two_receivers_and_a_killed_watcher_lose_and_double_nothing(fresh_database: str, tmp_path: Path) -> None:
    import requests
    from sqlalchemy.engine import make_url

    from airflow_provider_calendly.testing.emulator import CalendlyEmulator
    from airflow_provider_calendly.webhooks.inbox import WebhookInbox

    started = time.monotonic()
    url = make_url(fresh_database)
    conn = {"conn_type": "postgres", "host": url.host, "port": url.port, "login": url.username, "schema": url.database}
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW_CONN_CALENDLY_WEBHOOK_INBOX": json.dumps(conn),
        "CALENDLY_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
    }
    procs: list[subprocess.Popen[str]] = []
    inbox = WebhookInbox(fresh_database.replace("postgresql://", "postgresql+psycopg2://"))
    inbox.create_tables()
    try:
        receivers = []
        for _ in range(2):
            proc = _spawn(["-m", "airflow_provider_calendly.webhooks", "--port", "0", "--log-level", "warning"], env)
            procs.append(proc)
            assert proc.stdout is not None
            line = ""
            while not line.startswith("Calendly webhook receiver on "):  # printed once the socket is bound
                line = proc.stdout.readline()
                assert line, "the receiver exited before binding"
            receivers.append(line.rsplit(" ", 1)[-1].strip())
        for receiver in receivers:
            health = requests.get(f"{receiver}/health", timeout=10)
            assert health.status_code == 200
        watcher = _spawn(["-m", "tests.distributed.consumer", "dist"], env)
        procs.append(watcher)
        with CalendlyEmulator(scheduled_events=5) as emulator:
            for receiver in receivers:
                emulator.webhooks.subscribe(receiver, ["invitee.created"], signing_key=SIGNING_KEY)
            lines: list[str] = []
            for i in range(DELIVERIES):
                emulator.book(invitee_email=f"dist{i}@example.com")
                if i == DELIVERIES // 2:
                    assert watcher.stdout is not None
                    while not lines or not lines[-1][:1].isdigit():  # the watcher is mid-stream: kill it
                        lines.append(watcher.stdout.readline())
                        assert lines[-1], "the watcher exited"
                    _stop(watcher)
                    lines += watcher.stdout.read().splitlines()
                    watcher = _spawn(["-m", "tests.distributed.consumer", "dist"], env)
                    procs.append(watcher)
            assert emulator.webhooks.wait_idle(timeout=60)
            attempts = list(emulator.webhooks.attempts)
        assert inbox.count() == DELIVERIES  # every delivery stored once, though both receivers got each
        deadline = time.monotonic() + 60
        claims = 0
        while time.monotonic() < deadline:
            with inbox.engine.connect() as db:
                claims = db.exec_driver_sql("SELECT count(*) FROM calendly_webhook_claims").scalar_one()
            if claims >= DELIVERIES:
                break
            time.sleep(0.1)  # polling the database for the outcome, not waiting a fixed time
        with inbox.engine.connect() as db:
            claimed = db.exec_driver_sql("SELECT delivery_id FROM calendly_webhook_claims").scalars().all()
        stored = {d.delivery_id for d in inbox.fetch(limit=1000)}
        lost = len(stored - set(claimed))
        duplicates = len(claimed) - len(set(claimed))
        ok = sum(1 for a in attempts if a.delivered)
        figures = (
            f"distributed webhooks: {DELIVERIES} bookings, {ok} deliveries accepted by 2 receivers, "
            f"{inbox.count()} stored, {len(set(claimed))} acted on, lost={lost}, duplicates={duplicates}, "
            f"watcher SIGKILLed once, wall {time.monotonic() - started:.1f} s"
        )
        print("\n" + figures)
        assert lost == 0 and duplicates == 0 and len(claimed) == DELIVERIES
        if os.environ.get("CALENDLY_DISTRIBUTED_RESULTS"):
            from benchmarks.report import write_section

            write_section(
                "distributed",
                "## Distributed: webhooks across processes (`make distributed`)\n\n"
                f"Measured on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {figures}.\n",
            )
    finally:
        for proc in procs:
            _stop(proc)
        inbox.engine.dispose()
