"""Benchmark one token shared by many worker processes: a rate budget in Redis vs each worker on its own.

Run it with ``python -m benchmarks.bench_workers`` (``--workers 4,8``, ``--duration 25``, ``--algorithm``).
For each worker count, a fresh emulator (20 calls per 5 s per token, the limit scaled down so a run spans
several windows) is started in this process, and that many worker processes list scheduled events through
:class:`CalendlyHook` (one call per page, ``AIRFLOW_CONN_…`` connection) until ``--duration`` seconds are up:

- **shared**: every worker has ``rate_limit_storage`` pointing at the local Redis, so they pace against one
  budget (:class:`~airflow_provider_calendly.pacing.RedisRateLimiter`);
- **baseline**: no storage, each worker paces with its own in-process limiter at the full limit, so together
  they over-ask and fall back on the server's headers and 429s.

Measured from the emulator's own request log: the sustained rate of successful calls inside the first
``--duration`` seconds, ``(n - limit) / (last - first)``, as a share of ``limit / period`` (a client that
sends exactly ``limit`` calls per window scores 100 %; any time lost per window lowers it), and the share of
all calls answered 429. Goals for the shared budget: >= 90 % of the limit, <= 1 % 429s.

Each configuration's call times (seconds from the start) and statuses are saved to
``benchmarks/.out/bench_workers.json`` for plotting calls/s against the limit line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.common import max_in_window, prepare_airflow, sustained_rate
from benchmarks.report import Row, run_standalone

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / ".out"
REDIS_URL = os.environ.get(
    "CALENDLY_BENCH_REDIS_URL", os.environ.get("CALENDLY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
)
LIMIT = 20
PERIOD = 5.0
PAGE_SIZE = 1  # one call per item: the workers are call-bound, as a large sync is
GOAL_SHARE = 90.0
GOAL_429 = 1.0


def _worker(conn_id: str, ready: Any, go: Any, duration: float, results: Any) -> None:
    """List scheduled events, page after page, for ``duration`` seconds after ``go`` is set."""
    from airflow_provider_calendly.exceptions import CalendlyRateLimitError
    from airflow_provider_calendly.hooks.calendly import CalendlyHook

    out: dict[str, Any] = {"items": 0, "gave_up": 0}
    try:
        hook = CalendlyHook(conn_id)
        _ = hook.rate_limiter  # read and validate the connection before the clock starts
        ready.put(True)
        go.wait()
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            try:
                for page in hook.list_scheduled_events(page_size=PAGE_SIZE).pages():
                    out["items"] += len(page.collection)
                    if time.monotonic() >= deadline:
                        break
            except CalendlyRateLimitError:
                out["gave_up"] += 1  # retries ran out: start the listing again
        out["calls"] = hook.call_count
        out["shared"] = getattr(hook.rate_limiter, "shared", False)
    except Exception as exc:  # report it: the parent shows it in the row's note
        out["error"] = f"{type(exc).__name__}: {exc}"
        ready.put(False)
    results.put(out)


def _redis_problem(url: str) -> str | None:
    from airflow_provider_calendly.pacing import redact_url

    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=3)
        client.ping()
        client.close()
    except Exception as exc:
        return f"Redis not reachable at {redact_url(url)} ({type(exc).__name__})"
    return None


def _forget_budget(url: str, token: str, base_url: str) -> None:
    import redis

    from airflow_provider_calendly.pacing import budget_key

    key = budget_key(token, base_url)
    client = redis.Redis.from_url(url)
    client.delete(f"{{{key}}}:calls", f"{{{key}}}:server")
    client.close()


def run_configuration(workers: int, *, shared: bool, duration: float, algorithm: str, redis_url: str) -> dict[str, Any]:
    """Run ``workers`` processes through one token against a fresh emulator; return what the emulator saw."""
    from airflow_provider_calendly.testing.emulator import CalendlyEmulator

    token = f"bench-workers-{uuid.uuid4().hex}"  # a fresh token: a fresh budget, in the emulator and in Redis
    emulator = CalendlyEmulator(
        token=token,
        rate_limit=LIMIT,
        rate_limit_period=PERIOD,
        rate_limit_algorithm=algorithm,
        scheduled_events=2000,
        users=1,
        event_types=2,
        invitees_per_event=(1, 1),
    ).start()
    conn_id = f"bench_workers_{uuid.uuid4().hex[:12]}"
    extra: dict[str, Any] = {"rate_limit": LIMIT, "rate_limit_period": PERIOD, "max_retries": 50}
    if shared:
        extra["rate_limit_storage"] = redis_url
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = emulator.connection_json(**extra)
    # fork: the workers inherit the imported provider and start in milliseconds, not seconds each
    ctx = multiprocessing.get_context("fork")
    ready, go, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(conn_id, ready, go, duration, results)) for _ in range(workers)]
    try:
        for proc in procs:
            proc.start()
        for _ in procs:
            ready.get(timeout=120)  # every worker has its hook; the clock starts at ``go``
        start = time.monotonic()
        go.set()
        outcomes = [results.get(timeout=duration + 120) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
        records = [(r.at - start, r.status) for r in emulator.requests if r.token_id == 0]
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
        emulator.stop()
        os.environ.pop(f"AIRFLOW_CONN_{conn_id.upper()}", None)
        if shared:
            _forget_budget(redis_url, token, emulator.base_url)
    records.sort()
    ok = [t for t, status in records if status == 200 and 0 <= t < duration]
    throttled = sum(1 for _, status in records if status == 429)
    share = 100.0 * sustained_rate(ok, LIMIT) / (LIMIT / PERIOD)
    errors = [o["error"] for o in outcomes if "error" in o]
    accepted = sorted(t for t, status in records if status == 200)
    return {
        "name": f"{workers} workers, {'shared Redis budget' if shared else 'own limiter each (baseline)'}",
        "workers": workers,
        "shared": shared,
        "algorithm": algorithm,
        "limit": LIMIT,
        "period": PERIOD,
        "duration": duration,
        "share_of_limit": share,
        "calls": len(records),
        "ok_in_window": len(ok),
        "throttled": throttled,
        "throttled_share": 100.0 * throttled / len(records) if records else 0.0,
        "max_ok_in_any_window": max_in_window(accepted, PERIOD),
        "workers_sharing": sum(1 for o in outcomes if o.get("shared")),
        "gave_up": sum(int(o.get("gave_up", 0)) for o in outcomes),
        "errors": errors,
        "times": [round(t, 4) for t, _ in records],
        "statuses": [status for _, status in records],
        "per_second": _per_second(records, duration),
    }


def _per_second(records: list[tuple[float, int]], duration: float) -> dict[str, list[int]]:
    seconds = int(duration) + 1
    ok, throttled = [0] * seconds, [0] * seconds
    for t, status in records:
        second = int(t)
        if 0 <= second < seconds:
            if status == 200:
                ok[second] += 1
            elif status == 429:
                throttled[second] += 1
    return {"ok": ok, "429": throttled}


def _note(config: dict[str, Any]) -> str:
    parts = [
        f"{config['calls']} calls, {config['throttled']} answered 429, {config['ok_in_window']} accepted in "
        f"{config['duration']:g} s",
        f"max {config['max_ok_in_any_window']} accepted in any {PERIOD:g} s",
    ]
    if config["gave_up"]:
        parts.append(f"{config['gave_up']} listings gave up after retries")
    if config["errors"]:
        parts.append(f"worker errors: {config['errors'][0]}")
    return "; ".join(parts)


def collect(argv: list[str] | None = None) -> list[Row]:
    """Run every configuration; return the rows (and save the timelines for plotting)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="4,8", help="comma-separated worker counts")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds per configuration (5 windows)")
    parser.add_argument("--algorithm", choices=["sliding", "fixed"], default="sliding", help="the server's window")
    parser.add_argument("--redis-url", default=REDIS_URL)
    args = parser.parse_args(argv or [])
    prepare_airflow()  # done when common was imported; again in case a caller reset the environment
    from airflow_provider_calendly.pacing import redact_url

    worker_counts = [int(n) for n in args.workers.split(",") if n.strip()]
    problem = _redis_problem(args.redis_url)
    configs: list[dict[str, Any]] = []
    rows: list[Row] = []
    window = f"{LIMIT} calls/{PERIOD:g} s per token, {args.algorithm} window, {args.duration:g} s"
    for workers in worker_counts:
        baseline = run_configuration(
            workers, shared=False, duration=args.duration, algorithm=args.algorithm, redis_url=args.redis_url
        )
        configs.append(baseline)
        if problem:
            for metric, unit, goal in (
                ("sustained aggregate calls/s, share of the limit", "% of limit", f">= {GOAL_SHARE:g} %"),
                ("calls answered 429", "% of calls", f"<= {GOAL_429:g} %"),
            ):
                rows.append(Row(f"{workers} workers, one token: {metric}", 0.0, None, unit, goal, False, note=problem))
            continue
        ours = run_configuration(
            workers, shared=True, duration=args.duration, algorithm=args.algorithm, redis_url=args.redis_url
        )
        configs.append(ours)
        sharing = f"{ours['workers_sharing']} of {workers} workers shared the budget via {redact_url(args.redis_url)}"
        rows.append(
            Row(
                metric=f"{workers} workers, one token: sustained aggregate calls/s, share of the limit",
                ours=ours["share_of_limit"],
                baseline=baseline["share_of_limit"],
                unit="% of limit",
                goal=f">= {GOAL_SHARE:g} %",
                passed=ours["share_of_limit"] >= GOAL_SHARE and not ours["errors"],
                ratio=ours["share_of_limit"] / 100.0,
                note=f"{window}; ours: {_note(ours)}; baseline (each worker its own limiter): {_note(baseline)}",
            )
        )
        rows.append(
            Row(
                metric=f"{workers} workers, one token: calls answered 429",
                ours=ours["throttled_share"],
                baseline=baseline["throttled_share"],
                unit="% of calls",
                goal=f"<= {GOAL_429:g} %",
                passed=ours["throttled_share"] <= GOAL_429 and not ours["errors"],
                note=sharing,
            )
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_workers.json").write_text(
        json.dumps(
            {
                "limit": LIMIT,
                "period": PERIOD,
                "limit_per_second": LIMIT / PERIOD,
                "algorithm": args.algorithm,
                "duration": args.duration,
                "configurations": configs,
            },
            indent=1,
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    status = run_standalone(collect, argv)
    print(f"  timelines: {OUT / 'bench_workers.json'}", flush=True)
    return status


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
