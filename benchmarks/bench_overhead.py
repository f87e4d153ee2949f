"""Goal 6: the hook's CPU per call against a bare ``requests.Session.get``; and the emulator's own capacity.

Run it with ``python -m benchmarks.bench_overhead`` (``--calls``, ``--quick``). The emulator runs in its
own process with no rate limit, so only the client's CPU is counted (``time.process_time()`` of this
process). Both clients fetch ``/users/me`` over one keep-alive connection and parse the JSON body:

* **hook** — ``CalendlyHook.request("GET", "/users/me")``: pacing (a generous limit), retry wrapper,
  error mapping, auth;
* **baseline** — ``requests.Session.get(url).json()`` with the same bearer header, and ``trust_env`` off
  as in the hook's session (a default session spends a third more CPU looking up proxies and netrc on
  every call; that figure is shown in the note).

They alternate in blocks so that a neighbour's CPU load disturbs both alike; the figure is CPU µs per call
(the median block of each). Goal: hook ≤ 1.2 x baseline.

The emulator's capacity is measured as the calls/s it serves to several concurrent bare clients (a lower
bound: the clients share the machine's cores with it), against the fastest rate any API benchmark asks of
it. Goal: at least 3x, so the emulator is at most a third busy when a benchmark is at its fastest and its
queueing adds next to nothing (the fan-out's calls mostly sleep out their emulated latency anyway).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

import requests

from benchmarks.common import EmulatorProcess, hook_for, save
from benchmarks.report import Row, run_standalone

#: The fastest any API benchmark drives the emulator: the fan-out's 16 calls in flight at 100 ms each.
FASTEST_BENCH_RATE = 160.0


def _block(fn: Any, calls: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.process_time() - cpu) / calls, (time.perf_counter() - wall) / calls


def bench_cpu(emulator: EmulatorProcess, calls: int, block: int) -> dict[str, Any]:
    hook = hook_for(emulator.connection_json(rate_limit=1_000_000, rate_limit_period=1))
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {emulator.token}", "Accept": "application/json"})
    session.trust_env = False  # like the hook's session: no proxy/netrc lookup per call (that alone costs ~30 %)
    default_session = requests.Session()
    default_session.headers.update(session.headers)
    url = f"{emulator.base_url}/users/me"

    def bare() -> None:
        response = session.get(url, timeout=30)
        response.raise_for_status()
        response.json()

    def default() -> None:
        response = default_session.get(url, timeout=30)
        response.raise_for_status()
        response.json()

    def ours() -> None:
        hook.request("GET", "/users/me")

    for fn in (bare, ours, default):  # warm up connections, caches and the connection lookup
        _block(fn, 50)
    samples: dict[str, list[tuple[float, float]]] = {"hook": [], "bare": [], "default": []}
    for _ in range(max(1, calls // block)):
        samples["bare"].append(_block(bare, block))
        samples["hook"].append(_block(ours, block))
        samples["default"].append(_block(default, block // 5))
    hook.close()
    session.close()
    default_session.close()
    result: dict[str, Any] = {"calls_each": block * len(samples["hook"]), "block": block}
    for name, values in samples.items():
        result[f"{name}_cpu_us"] = statistics.median(v[0] for v in values) * 1e6
        result[f"{name}_wall_us"] = statistics.median(v[1] for v in values) * 1e6
    result["ratio"] = result["hook_cpu_us"] / result["bare_cpu_us"]
    result["block_ratios"] = [h[0] / b[0] for h, b in zip(samples["hook"], samples["bare"], strict=True)]
    return result


def bench_emulator(emulator: EmulatorProcess, seconds: float, threads: int) -> dict[str, Any]:
    stop = time.perf_counter() + seconds
    counts = [0] * threads

    def client(i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {emulator.token}"
        url = f"{emulator.base_url}/users/me"
        while time.perf_counter() < stop:
            session.get(url, timeout=30).raise_for_status()
            counts[i] += 1
        session.close()

    emulator.reset()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    calls = emulator.calls()
    times = sorted(c.at for c in calls)
    served = len(times) / (times[-1] - times[0])
    return {"threads": threads, "calls": len(times), "calls_per_s": served}


def collect(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=None, help="calls per client (default 3000)")
    parser.add_argument("--quick", action="store_true", help="a few hundred calls (for the test suite)")
    args = parser.parse_args(argv)
    calls = args.calls or (300 if args.quick else 3000)
    block = 100 if args.quick else 250
    with EmulatorProcess(seed=3, scheduled_events=20) as emulator:
        cpu = bench_cpu(emulator, calls, block)
        capacity = bench_emulator(emulator, 1.0 if args.quick else 3.0, 4)
    save("bench_overhead", {"cpu": cpu, "emulator": capacity})
    return [
        Row(
            metric="client CPU per call: CalendlyHook.request vs bare requests.Session.get",
            ours=cpu["hook_cpu_us"],
            baseline=cpu["bare_cpu_us"],
            unit="µs CPU/call",
            goal="ratio ≤ 1.2",
            passed=cpu["ratio"] <= 1.2,
            note=(
                f"median of {len(cpu['block_ratios'])} alternating blocks of {cpu['block']} calls; "
                f"wall {cpu['hook_wall_us']:.0f} vs {cpu['bare_wall_us']:.0f} µs/call; baseline session has "
                f"trust_env=False like the hook's (a default Session: {cpu['default_cpu_us']:.0f} µs); "
                "emulator in another process"
            ),
        ),
        Row(
            metric="emulator capacity (calls/s served to 4 concurrent bare clients)",
            ours=capacity["calls_per_s"],
            baseline=FASTEST_BENCH_RATE,
            unit="calls/s",
            goal="≥ 3x the fastest API benchmark",
            passed=capacity["calls_per_s"] >= 3 * FASTEST_BENCH_RATE,
            note="baseline = the fan-out bench's 16 x (1 / 100 ms); a lower bound (clients share the cores)",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return run_standalone(collect, argv)


if __name__ == "__main__":
    raise SystemExit(main())
