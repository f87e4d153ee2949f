"""Goal 2: the hook sits at Calendly's rate limit, whether or not the connection knows the limit.

Run it with ``python -m benchmarks.bench_ratelimit`` (``--limit``/``--period``/``--windows`` to change
the scale, ``--algorithms fixed,sliding``, ``--quick`` for a short run). Calendly allows 100 calls per
60 s per token; the benchmark scales that down (default 20 per 5 s) so a run several windows long takes
half a minute. In each scenario 4 threads share one :class:`CalendlyHook` (as the sync's invitee fan-out
does) and list scheduled events' invitees, one call each, as fast as the hook lets them, for
``--windows`` windows, against an emulator (its own process) enforcing the limit with a fixed or a
sliding window:

* **known** — the connection's ``rate_limit``/``rate_limit_period`` match the server's. Goal: ≥ 95 % of
  the limit sustained, ≤ 1 % of calls answered 429.
* **not configured** — the connection says nothing, so the hook believes the default 100 per 60 s while
  the server enforces 20 per 5 s (a smaller burst, but a larger rate than 100/60 s). The hook must learn
  from ``X-RateLimit-*`` headers. Goal: ≥ 90 %, and no 429 after the first window.
* **looser belief** — a diagnostic variant that isolates learning from headers: the connection claims
  100 per 5 s, five times the server's limit in both burst and rate, so only the headers can hold the hook
  to the real limit. Same goal as *not configured*.

The scenarios are rate-bound, not CPU-bound, so they run at the same time (each against its own emulator
process), which keeps the whole benchmark about as long as its longest scenario.

"Sustained" excludes the opening burst: ``(accepted calls - limit) / (last - first accepted call)``,
against ``limit / period``, both measured from the times the emulator recorded — or, if smaller,
``(accepted calls - limit) / ((windows - 1) * period)``, so that a client that stalls before the run's end
is not flattered by its last call coming early. The threads stop sending
half-way through the last window (after its burst, before the next), so the run ends on a whole window.
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.common import EmulatorProcess, hook_for, max_in_window, save, sustained_rate
from benchmarks.report import Row, run_standalone

THREADS = 4


BELIEFS = {
    "known": "limit configured",
    "default": "limit not configured (client assumes 100/60 s)",
    "looser": "client told 5x the limit (100/5 s scaled)",
}


def run_scenario(*, limit: int, period: float, windows: int, algorithm: str, belief: str) -> dict[str, Any]:
    """Run one rate-bound sync and return its figures and per-call timeline."""
    events = 50
    options = {
        "seed": 11,
        "scheduled_events": events,
        "rate_limit": limit,
        "rate_limit_period": period,
        "rate_limit_algorithm": algorithm,
    }
    with EmulatorProcess(**options) as emulator:
        extra: dict[str, Any] = {}
        if belief == "known":
            extra = {"rate_limit": limit, "rate_limit_period": period}
        elif belief == "looser":
            extra = {"rate_limit": 5 * limit, "rate_limit_period": period}
        hook = hook_for(emulator.connection_json(**extra))
        uris = [uri for uri, _total in emulator.command("data")["scheduled_events"]]
        started: list[float] = []
        errors: list[str] = []
        counter = iter(range(10**9))
        lock = threading.Lock()

        def worker() -> None:
            while True:
                with lock:
                    n = next(counter)
                    if started and time.monotonic() >= started[0] + (windows - 0.5) * period:
                        return
                try:
                    invitees = list(hook.list_event_invitees(uris[n % len(uris)]))
                except Exception as exc:  # a call that failed after its retries is a finding, not a crash
                    errors.append(f"{type(exc).__name__}: {exc}")
                    return
                with lock:
                    if not started:
                        started.append(time.monotonic())
                assert invitees

        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        hook_calls = hook.call_count
        hook.close()
        calls = emulator.calls()
    first = min(c.at for c in calls)
    ok_times = sorted(c.at for c in calls if c.status != 429)
    longest_pause = max((b - a for a, b in itertools.pairwise(ok_times)), default=0.0)
    # Threads already waiting for a slot when the run ended still send one call each: leave those out.
    cut = first + (windows - 0.5) * period
    timeline = [[round(c.at - first, 4), c.status] for c in calls]
    calls = [c for c in calls if c.at <= cut]
    accepted = [c.at for c in calls if c.status != 429]
    rejected = [c.at for c in calls if c.status == 429]
    # After the opening burst, a client at the limit sends `limit` more calls per window: judge the calls it
    # made against the run's nominal span as well, so a stall before the end is not hidden by the early end.
    nominal = (len(accepted) - limit) / ((windows - 1) * period)
    rate = min(sustained_rate(accepted, limit), nominal)
    return {
        "algorithm": algorithm,
        "belief": belief,
        "limit": limit,
        "period": period,
        "threads": THREADS,
        "errors": errors,
        "calls": len(calls),
        "accepted": len(accepted),
        "rejected": len(rejected),
        "rejected_after_first_window": sum(1 for t in rejected if t > first + period),
        "duration": max(c.at for c in calls) - first,
        "sustained_per_s": rate,
        "share_of_limit": rate / (limit / period),
        "max_accepted_in_any_window": max_in_window(accepted, period),
        "hook_calls": hook_calls,
        "longest_pause": longest_pause,
        "measured_until": round(cut - first, 4),
        "timeline": timeline,
    }


def _row(result: dict[str, Any]) -> Row:
    limit, period = result["limit"], result["period"]
    share = result["share_of_limit"]
    rejected_share = result["rejected"] / max(1, result["calls"])
    what = BELIEFS[result["belief"]]
    if result["belief"] == "known":
        passed = share >= 0.95 and rejected_share <= 0.01 and not result["errors"]
        goal = "≥ 95 % of limit, ≤ 1 % 429s"
    else:
        passed = share >= 0.90 and result["rejected_after_first_window"] == 0 and not result["errors"]
        goal = "≥ 90 % of limit, 429s only in 1st window"
    return Row(
        metric=f"rate-bound hook ({result['threads']} threads), {what}, {result['algorithm']}-window server {limit}/{period:g} s",
        ours=result["sustained_per_s"],
        baseline=limit / period,
        unit="calls/s",
        goal=goal,
        passed=passed,
        ratio=share,
        note=(
            f"{result['accepted']} calls accepted, {result['rejected']} answered 429 "
            f"({result['rejected_after_first_window']} after the 1st window) over {result['duration']:.1f} s; "
            f"most in any {period:g} s: {result['max_accepted_in_any_window']}; "
            f"longest pause between accepted calls {result['longest_pause']:.1f} s"
            + (f"; {len(result['errors'])} calls failed: {result['errors'][0]}" if result["errors"] else "")
        ),
    )


def collect(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="server limit: calls per period (default 20)")
    parser.add_argument("--period", type=float, default=None, help="server window in seconds (default 5)")
    parser.add_argument("--windows", type=int, default=None, help="windows' worth of calls per run (default 6)")
    parser.add_argument("--algorithms", default="fixed,sliding")
    parser.add_argument("--beliefs", default="known,default,looser", help=f"any of {','.join(BELIEFS)}")
    parser.add_argument("--quick", action="store_true", help="10 calls per 1 s, 4 windows (for the test suite)")
    args = parser.parse_args(argv)
    limit = args.limit or (10 if args.quick else 20)
    period = args.period or (1.0 if args.quick else 5.0)
    windows = args.windows or (4 if args.quick else 6)
    scenarios = [(a, b) for b in args.beliefs.split(",") for a in args.algorithms.split(",")]
    with ThreadPoolExecutor(len(scenarios)) as pool:
        futures = [
            pool.submit(
                run_scenario,
                limit=limit,
                period=period,
                windows=windows,
                algorithm=algorithm,
                belief=belief,
            )
            for algorithm, belief in scenarios
        ]
        results = [f.result() for f in futures]
    save("bench_ratelimit", results)
    return [_row(r) for r in results]


def main(argv: list[str] | None = None) -> int:
    return run_standalone(collect, argv)


if __name__ == "__main__":
    raise SystemExit(main())
