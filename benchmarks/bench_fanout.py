"""Goal 4: with a slow API and a generous limit, the invitee fan-out is bound by concurrency / latency.

Run it with ``python -m benchmarks.bench_fanout`` (``--events``, ``--latency``, ``--concurrency``,
``--quick``). The emulator (its own process) adds ``--latency`` (default 100 ms) to every call and
enforces no limit; the connection allows 10,000 calls per 60 s. A full :class:`CalendlySqlSync` lists each
scheduled event's invitees on ``max_concurrency`` threads; the sequential baseline is the same sync with
``max_concurrency=1``, in the same run (on the first 100 events: its rate does not depend on the size).
The default organization has 400 events, four pages, so page boundaries are part of the measurement.

The bound is ``min(concurrency / latency, rate_limit / period)`` calls/s. The figure is the invitee
listings' rate, ``n / (last response - first response + latency)`` from the emulator's records, so a
perfectly sequential client scores exactly ``1 / latency``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import MEETINGS, EmulatorProcess, hook_for, save, sqlite_writer
from benchmarks.report import Row, run_standalone

CLIENT_LIMIT, CLIENT_PERIOD = 10_000, 60.0


def run(emulator: EmulatorProcess, concurrency: int, latency: float, workdir: Path) -> dict[str, Any]:
    from airflow_provider_calendly.transfers.calendly_to_sql import CalendlySqlSync

    hook = hook_for(emulator.connection_json(rate_limit=CLIENT_LIMIT, rate_limit_period=CLIENT_PERIOD))
    writer = sqlite_writer(workdir / f"fanout-{concurrency}.db")
    emulator.reset()
    kwargs = {} if concurrency == 0 else {"max_concurrency": concurrency}
    sync = CalendlySqlSync(hook=hook, writer=writer, mode="full", resources=MEETINGS, **kwargs)
    workers = sync.max_concurrency
    summary = sync.run()
    writer.close()
    hook.close()
    calls = emulator.calls()
    invitee_calls = sorted(c.at for c in calls if c.path.endswith("/invitees"))
    span = invitee_calls[-1] - invitee_calls[0] + latency
    rate = len(invitee_calls) / span
    bound = min(workers / latency, CLIENT_LIMIT / CLIENT_PERIOD)
    first = min(c.at for c in calls)
    return {
        "concurrency": workers,
        "default": concurrency == 0,
        "invitee_calls": len(invitee_calls),
        "rate": rate,
        "bound": bound,
        "share_of_bound": rate / bound,
        "sync_seconds": summary["seconds"],
        "timeline": [[round(c.at - first, 4), c.status, c.path.endswith("/invitees")] for c in calls],
    }


def collect(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=None, help="scheduled events (default 400: 4 pages)")
    parser.add_argument("--baseline-events", type=int, default=None, help="events of the sequential run (100)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every call")
    parser.add_argument("--concurrency", default="0,16", help="0 = the sync's default max_concurrency")
    parser.add_argument("--quick", action="store_true", help="30 events, default concurrency only")
    args = parser.parse_args(argv)
    events = args.events or (30 if args.quick else 400)
    baseline_events = args.baseline_events or min(events, 100)
    levels = [0] if args.quick else [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory(prefix="calendly-bench-fanout-") as tmp:
        # The sequential rate does not depend on the size: a smaller organization keeps it short.
        with EmulatorProcess(seed=5, scheduled_events=baseline_events, latency=args.latency) as emulator:
            sequential = run(emulator, 1, args.latency, Path(tmp))
        with EmulatorProcess(seed=5, scheduled_events=events, latency=args.latency) as emulator:
            results = [run(emulator, level, args.latency, Path(tmp)) for level in levels]
    save("bench_fanout", {"latency": args.latency, "sequential": sequential, "concurrent": results})
    rows = [
        Row(
            metric=f"invitee fan-out, {args.latency * 1000:.0f} ms latency, sequential baseline",
            ours=sequential["rate"],
            baseline=sequential["bound"],
            unit="calls/s",
            goal="≥ 90 % of 1/latency",
            passed=sequential["share_of_bound"] >= 0.90,
            ratio=sequential["share_of_bound"],
            note=f"{sequential['invitee_calls']} listings; the bound is 1 / latency",
        )
    ]
    for result in results:
        label = "default" if result["default"] else "configured"
        rows.append(
            Row(
                metric=(
                    f"invitee fan-out, {args.latency * 1000:.0f} ms latency, "
                    f"max_concurrency={result['concurrency']} ({label})"
                ),
                ours=result["rate"],
                baseline=sequential["rate"],
                unit="calls/s",
                goal="≥ 90 % of min(concurrency/latency, limit)",
                passed=result["share_of_bound"] >= 0.90,
                ratio=result["share_of_bound"],
                note=(
                    f"ratio = share of the bound {result['bound']:.0f} calls/s; "
                    f"{result['rate'] / sequential['rate']:.1f}x the sequential baseline; "
                    f"{result['invitee_calls']} listings"
                ),
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    return run_standalone(collect, argv)


if __name__ == "__main__":
    raise SystemExit(main())
