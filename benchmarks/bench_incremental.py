"""Issue 14: a daily incremental pass costs what changed, not what exists.

Run it with ``python -m benchmarks.bench_incremental`` (``--preset``, ``--days``; ``--quick`` for a small
organization and 3 days). The ``medium`` organization (50 hosts x 4 meetings a day, 30 days back, 60 ahead)
is synced in full, then for each simulated day of changes
(:func:`~airflow_provider_calendly.testing.simulator.simulate`) two warehouses are synced incrementally:
one with ``invitee_refresh="all"`` (the previous scheme) and one with ``"reconcile"``. Calls are counted by
the emulator. Per pass:

* **lower bound**: the window's listing pages, event types and identity, plus the events whose own data or
  whose invitees really changed that day (from the simulator's report);
* **reconcile's lower bound**: the lower bound plus the events with invitees inside the refresh window
  (what reconcile must re-read without a webhook feed).

Goals: reconcile ≤ 1.3 x its lower bound and ≤ 0.1 x ``all``; both warehouses hold identical tables after
every pass, and equal a fresh full sync at the end. Wall time at Calendly's seed 100 calls / 60 s is
calls ÷ 100 minutes.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import MEETINGS, hook_for, save, sqlite_writer, wants_quick
from benchmarks.report import Row, run_standalone


def _calls(emulator: Any) -> int:
    return len(emulator.requests)


def collect(argv: list[str] | None = None) -> list[Row]:
    from airflow_provider_calendly.testing import CalendlyEmulator
    from airflow_provider_calendly.testing.data import iso
    from airflow_provider_calendly.testing.simulator import simulate
    from airflow_provider_calendly.transfers.calendly_to_sql import CalendlySqlSync
    from tests.transfers.helpers import dump_all

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=None)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    quick = wants_quick(argv)
    preset = args.preset or ("small" if quick else "medium")
    days = args.days or (3 if quick else 14)
    passes: list[dict[str, Any]] = []
    with CalendlyEmulator(seed=14, preset=preset) as emulator, tempfile.TemporaryDirectory() as tmp:
        conn = emulator.connection_json(rate_limit=1_000_000, rate_limit_period=1)
        writers = {mode: sqlite_writer(Path(tmp) / f"{mode}.db") for mode in ("all", "reconcile")}

        def sync(mode: str, **kwargs: Any) -> tuple[dict[str, Any], int]:
            hook = hook_for(conn)
            before = _calls(emulator)
            summary = CalendlySqlSync(
                hook=hook, writer=writers[mode], clock=emulator.now, invitee_refresh=mode, resources=MEETINGS, **kwargs
            ).run()
            hook.close()
            return summary, _calls(emulator) - before

        for mode in writers:
            sync(mode)
        identical = True
        for day in range(days):
            report = simulate(emulator, seed=1400 + day)
            summaries = {mode: sync(mode) for mode in writers}
            identical = identical and dump_all(writers["all"]) == dump_all(writers["reconcile"])
            summary, calls = summaries["reconcile"]
            reads = summary["invitee_reads"]
            listed = reads["events_listed"]
            overhead = calls - reads["events_read"]  # listing pages, event types, identity
            with_invitees = {
                e["uri"]
                for e in emulator.data.scheduled_events.values()
                if e["invitees_counter"]["total"] and e["start_time"] >= (summary["window_start"] or "")[:10]
            }
            truly_changed = (report.changed_events | report.invitee_only_events) & with_invitees
            lower = overhead + len(truly_changed)
            now = emulator.now()
            in_window = {
                uri
                for uri in with_invitees
                if iso(now - timedelta(days=7))
                <= emulator.data.scheduled_events[uri.rsplit("/", 1)[-1]]["start_time"]
                < iso(now + timedelta(days=2))
            }
            passes.append(
                {
                    "day": day + 1,
                    "listed": listed,
                    "all": summaries["all"][1],
                    "reconcile": calls,
                    "lower_bound": lower,
                    "reconcile_lower_bound": overhead + len(truly_changed | in_window),
                    "by_reason": reads["by_reason"],
                    "changes": report.counts,
                }
            )
        # the end: a fresh full sync of the same state
        writers["full"] = sqlite_writer(Path(tmp) / "full.db")
        hook = hook_for(conn)
        CalendlySqlSync(hook=hook, writer=writers["full"], clock=emulator.now, mode="full", resources=MEETINGS).run()
        hook.close()
        identical = identical and dump_all(writers["full"]) == dump_all(writers["reconcile"])
        for writer in writers.values():
            writer.close()
    save("bench_incremental", {"preset": preset, "days": days, "passes": passes})
    total = {k: sum(p[k] for p in passes) for k in ("all", "reconcile", "lower_bound", "reconcile_lower_bound")}
    per_day = {k: v / days for k, v in total.items()}
    org = f"{preset} organization, {days} simulated days"
    return [
        Row(
            metric=f"calls per daily incremental pass, reconcile vs its lower bound ({org})",
            ours=round(per_day["reconcile"], 1),
            baseline=round(per_day["reconcile_lower_bound"], 1),
            unit="calls",
            goal="ratio ≤ 1.3",
            passed=total["reconcile"] <= 1.3 * total["reconcile_lower_bound"] and identical,
            note=(
                f"lower bound of any scheme (listing + truly changed events) {per_day['lower_bound']:.0f}/day; "
                f"at 100 calls/60 s reconcile takes {per_day['reconcile'] / 100:.1f} min/day; "
                f"tables identical to 'all' after every pass and to a full sync at the end: {identical}"
            ),
        ),
        Row(
            metric=f"calls per daily incremental pass, reconcile vs invitee_refresh='all' ({org})",
            ours=round(per_day["reconcile"], 1),
            baseline=round(per_day["all"], 1),
            unit="calls",
            goal="ratio ≤ 0.1",
            passed=total["reconcile"] <= 0.1 * total["all"] and identical,
            note=(
                f"at 100 calls/60 s: 'all' {per_day['all'] / 100:.0f} min/day, "
                f"reconcile {per_day['reconcile'] / 100:.1f} min/day"
            ),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    return run_standalone(collect, argv)


if __name__ == "__main__":
    raise SystemExit(main())
