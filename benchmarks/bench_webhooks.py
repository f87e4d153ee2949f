"""Benchmark the webhook receiver: signed deliveries per second and latency, with durable inbox writes.

Run it with ``python -m benchmarks.bench_webhooks`` (``--deliveries``, ``--concurrency``, ``--inbox``). The
receiver runs as it would in production — uvicorn in its own process, storing into a SQLite file (WAL,
``synchronous=FULL``: every 2xx is fsynced) or PostgreSQL — and a client in this process sends distinct,
signed ``invitee.created`` deliveries over ``--concurrency`` keep-alive connections on loopback. Reported:
deliveries/s, p50/p99 latency (send → 2xx), and that the inbox holds exactly one row per delivery.

:func:`bench_receiver` returns the figures as a dict; :func:`collect` turns them into
:class:`~benchmarks.report.Row` objects (goals: ≥ 1,000 deliveries/s on SQLite, p99 ≤ 100 ms, every
delivery stored exactly once). Results are also saved to ``benchmarks/.out/bench_webhooks.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.report import Row, run_standalone

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / ".out"
KEY = "bench-signing-key"
RATE_GOAL = 1000.0
P99_GOAL_MS = 100.0
POSTGRES_URI = os.environ.get("CALENDLY_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")

_SERVER = """
import sys, uvicorn
from airflow_provider_calendly.webhooks.app import create_app
from airflow_provider_calendly.webhooks.inbox import WebhookInbox
url, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
inbox = WebhookInbox(url, table_prefix="bench_webhook_")
inbox.create_tables()
app = create_app(signing_keys=[key], inbox=inbox)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
            loop="uvloop", http="httptools", lifespan="off")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bodies(n: int) -> list[bytes]:
    fixture = json.loads((REPO / "tests" / "fixtures" / "webhook_invitee_created.json").read_text())
    bodies = []
    for i in range(n):
        doc = json.loads(json.dumps(fixture))
        doc["payload"]["uri"] = f"https://api.calendly.com/scheduled_events/BENCH/invitees/{i:08d}"
        doc["payload"]["email"] = f"bench{i}@example.com"
        bodies.append(json.dumps(doc).encode())
    return bodies


def _request(port: int, body: bytes) -> bytes:
    from airflow_provider_calendly.webhooks.signature import sign

    return (
        f"POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Calendly-Webhook-Signature: {sign(KEY, body)}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _client(port: int, requests: list[bytes], concurrency: int) -> tuple[list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                try:
                    request = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                status = int(head.split(b" ", 2)[1])
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, statuses


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_receiver(
    deliveries: int = 5000, concurrency: int = 16, inbox: str = "sqlite", workdir: Path | None = None
) -> dict[str, Any]:
    """Run the receiver in a subprocess and send ``deliveries`` signed deliveries; return the figures.

    :param deliveries: Distinct deliveries to send.
    :param concurrency: Concurrent keep-alive connections.
    :param inbox: ``sqlite`` (a file in ``workdir``) or ``postgres`` (``CALENDLY_TEST_POSTGRES_URI``).
    :returns: ``deliveries_per_s``, ``p50_ms``, ``p99_ms``, ``statuses``, ``stored`` and the settings.
    """
    from airflow_provider_calendly.webhooks.inbox import WebhookInbox

    tmp = tempfile.TemporaryDirectory(prefix="bench-webhooks-") if workdir is None else None
    root = Path(tmp.name) if tmp else Path(workdir)  # type: ignore[arg-type]
    if inbox == "sqlite":
        url = f"sqlite:///{root / 'inbox.db'}"
    else:
        url = POSTGRES_URI.replace("postgresql://", "postgresql+psycopg2://")
        box = WebhookInbox(url, table_prefix="bench_webhook_")
        box.create_tables()
        with box.engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE bench_webhook_deliveries")
    port = _free_port()
    env = {**os.environ, "AIRFLOW_HOME": str(root), "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-c", _SERVER, url, str(port), KEY], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/health", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the receiver did not start") from None
                time.sleep(0.1)
        warmup = [_request(port, b) for b in _bodies(200)]
        asyncio.run(_client(port, warmup, concurrency))
        bodies = [b.replace(b"BENCH/", b"BENCH2/") for b in _bodies(deliveries)]
        requests = [_request(port, b) for b in bodies]
        started = time.perf_counter()
        latencies, statuses = asyncio.run(_client(port, requests, concurrency))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = WebhookInbox(url, table_prefix="bench_webhook_").count() - 200
    if tmp:
        tmp.cleanup()
    return {
        "inbox": inbox,
        "deliveries": deliveries,
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "deliveries_per_s": round(deliveries / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "stored": stored,
        "durability": "SQLite WAL, synchronous=FULL, group commit" if inbox == "sqlite" else "PostgreSQL commit",
    }


def collect(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=None, help="deliveries to send (default 5000)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--inbox", choices=["sqlite", "postgres"], action="append")
    parser.add_argument("--quick", action="store_true", help="500 deliveries (for the test suite)")
    args = parser.parse_args(argv)
    deliveries = args.deliveries or (500 if args.quick else 5000)
    results = []
    rows = []
    for kind in args.inbox or ["sqlite"]:
        result = bench_receiver(deliveries, args.concurrency, kind)
        results.append(result)
        name = "SQLite" if kind == "sqlite" else "PostgreSQL"
        exact = result["stored"] == result["deliveries"] and result["statuses"] == {"200": deliveries}
        setting = (
            f"{deliveries:,} signed deliveries over {args.concurrency} keep-alive connections; {result['durability']}"
        )
        rows.append(
            Row(
                metric=f"webhook receiver deliveries/s, durable {name} inbox",
                ours=result["deliveries_per_s"],
                baseline=None,
                unit="deliveries/s",
                goal=f"≥ {RATE_GOAL:,.0f}/s" + (" (SQLite)" if kind == "sqlite" else " (informative)"),
                passed=(result["deliveries_per_s"] >= RATE_GOAL or kind != "sqlite") and exact,
                note=f"{setting}; stored {result['stored']:,}, statuses {result['statuses']}",
            )
        )
        rows.append(
            Row(
                metric=f"webhook receiver p99 latency, durable {name} inbox",
                ours=result["p99_ms"],
                baseline=None,
                unit="ms",
                goal=f"≤ {P99_GOAL_MS:g} ms",
                passed=result["p99_ms"] <= P99_GOAL_MS,
                note=f"p50 {result['p50_ms']} ms; send → 2xx, at {args.concurrency} deliveries in flight",
            )
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_webhooks.json").write_text(json.dumps(results, indent=2))
    return rows


def main(argv: list[str] | None = None) -> int:
    return run_standalone(collect, argv)


if __name__ == "__main__":
    raise SystemExit(main())
