"""Issue 14: a daily incremental pass costs what changed, not what exists.

Run it with ``python -m benchmarks.bench_incremental`` (``--preset``, ``--days``, ``--verify-every``;
``--quick`` for a small organization, 3 days and a fresh full sync after every pass). The ``medium``
organization (50 hosts x 4 meetings a day, 30 days back, 60 ahead) is synced in full into three warehouses,
then for each simulated day of changes (:func:`~airflow_provider_calendly.testing.simulator.simulate`, whose
webhook deliveries go through the real receiver into an inbox) each warehouse is synced incrementally:

* ``all``: ``invitee_refresh="all"``, the previous scheme (every listed event's invitees);
* ``reconcile``: the default (new, changed and refresh-window events only);
* ``webhook``: reconcile with ``webhook_inbox_conn_id`` (the feed carries bookings, cancellations,
  reschedules and no-shows; only the refresh window's future part is re-read, for reconfirmations).

Calls are counted by the emulator. Lower bounds per pass, from the simulator's report of what really changed:

* **any scheme**: its own calls that are not invitee listings (listing pages, event types, identity; the
  subscription check for the feed) plus the events (with invitees) whose own data or invitees changed;
* **reconcile's**: that plus the events with invitees inside the refresh window;
* **webhook capture's**: its listing calls plus the events whose change no webhook carries (reconfirmations).

Goals: reconcile ≤ 1.3 x its bound and ≤ 0.1 x ``all``; webhook capture ≤ 1.3 x its bound. The three
warehouses hold identical tables after every pass, and equal a fresh full sync every ``--verify-every``
passes and after the last (every pass with ``--quick``). Wall time at Calendly's seed 100 calls / 60 s is
calls ÷ 100 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import MEETINGS, hook_for, save, sqlite_writer, wants_quick
from benchmarks.report import Row, run_standalone

SCHEMES = ("all", "reconcile", "webhook")
INBOX_CONN_ID = "bench_incremental_inbox"


def _calls(emulator: Any) -> int:
    return len(emulator.requests)


def collect(argv: list[str] | None = None) -> list[Row]:
    from airflow_provider_calendly.testing import CalendlyEmulator
    from airflow_provider_calendly.testing.data import iso
    from airflow_provider_calendly.testing.simulator import simulate
    from airflow_provider_calendly.transfers.reconcile import DEFAULT_INVITEE_REFRESH_WINDOW
    from airflow_provider_calendly.transfers.sync import CalendlySqlSync
    from airflow_provider_calendly.transfers.tables import RESOURCE_TABLES
    from tests.harness.feed import WebhookFeed, dump_tables

    tables = tuple(t for resource in MEETINGS for t in RESOURCE_TABLES[resource])  # what the passes write

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=None)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--verify-every", type=int, default=None, help="fresh full sync every N passes")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--from-saved", action="store_true", help="render the rows of the last saved run")
    parser.add_argument("--write-section", action="store_true", help="write the rows as RESULTS.md's section")
    args = parser.parse_args(argv)
    if args.from_saved:
        from benchmarks.plots import OUT

        rows = rows_for(json.loads((OUT / "bench_incremental.json").read_text()))
        if args.write_section:
            write_section(rows)
        return rows
    quick = args.quick or wants_quick(argv)
    preset = args.preset or ("small" if quick else "medium")
    days = args.days or (3 if quick else 14)
    verify_every = args.verify_every or (1 if quick else 7)
    window = DEFAULT_INVITEE_REFRESH_WINDOW
    passes: list[dict[str, Any]] = []
    verified: list[int] = []
    with CalendlyEmulator(seed=14, preset=preset) as emulator, tempfile.TemporaryDirectory() as tmp:
        conn = emulator.connection_json(rate_limit=1_000_000, rate_limit_period=1)
        feed = WebhookFeed(emulator, Path(tmp) / "inbox.db").start()
        os.environ[f"AIRFLOW_CONN_{INBOX_CONN_ID.upper()}"] = feed.connection_json()

        def sync(writer: Any, **kwargs: Any) -> tuple[dict[str, Any], int]:
            hook = hook_for(conn)
            before = _calls(emulator)
            summary = CalendlySqlSync(
                hook=hook, writer=writer, clock=emulator.now, max_concurrency=8, resources=MEETINGS, **kwargs
            ).run()
            hook.close()
            return summary, _calls(emulator) - before

        options: dict[str, dict[str, Any]] = {
            "all": {"invitee_refresh": "all"},
            "reconcile": {},
            "webhook": {"webhook_inbox_conn_id": INBOX_CONN_ID},
        }
        # One full sync (with the feed, so it records its position) copied to the other two: same state.
        first = sqlite_writer(Path(tmp) / "webhook.db")
        sync(first, mode="full", **options["webhook"])
        first.close()
        for scheme in ("all", "reconcile"):
            shutil.copy(Path(tmp) / "webhook.db", Path(tmp) / f"{scheme}.db")
        writers = {scheme: sqlite_writer(Path(tmp) / f"{scheme}.db") for scheme in SCHEMES}

        def fresh_full_equal(n: int) -> bool:
            writer = sqlite_writer(Path(tmp) / f"full-{n}.db")
            sync(writer, mode="full")
            same = dump_tables(writer, tables) == dump_tables(writers["all"], tables)
            writer.close()
            verified.append(n)
            return same

        identical = True
        previous_pass = emulator.now()
        for day in range(days):
            report = simulate(emulator, seed=1400 + day)
            feed.wait()
            results = {scheme: sync(writers[scheme], **options[scheme]) for scheme in SCHEMES}
            dumps = {scheme: dump_tables(writers[scheme], tables) for scheme in SCHEMES}
            identical = identical and dumps["all"] == dumps["reconcile"] == dumps["webhook"]
            if (day + 1) % verify_every == 0 or day + 1 == days:
                identical = fresh_full_equal(day + 1) and identical
            window_start = results["reconcile"][0]["window_start"] or ""
            with_invitees = {
                e["uri"]
                for e in emulator.data.scheduled_events.values()
                if e["invitees_counter"]["total"] and e["start_time"] >= iso_prefix(window_start)
            }
            truly_changed = (report.changed_events | report.invitee_only_events) & with_invitees
            now = emulator.now()
            lo, hi = iso(now - window.before), iso(now + window.after)
            in_window = {
                uri
                for uri in with_invitees
                if lo <= emulator.data.scheduled_events[uri.rsplit("/", 1)[-1]]["start_time"] < hi
            }
            feedless = report.feedless_events & with_invitees
            # What no listing field and no webhook can vouch for: a meeting that may have been reconfirmed since
            # the previous pass (it started since then, or starts within the window's future part).
            unvouched_lo, unvouched_hi = iso(min(previous_pass, now)), hi
            unvouched = {
                uri
                for uri in with_invitees
                if unvouched_lo <= emulator.data.scheduled_events[uri.rsplit("/", 1)[-1]]["start_time"] < unvouched_hi
            }
            previous_pass = now
            row: dict[str, Any] = {"day": day + 1, "changes": report.counts}
            for scheme, (summary, calls) in results.items():
                reads = summary["invitee_reads"]
                row[scheme] = calls
                row[f"{scheme}_listing"] = calls - reads["events_read"]  # calls that are not invitee listings
                row[f"{scheme}_by_reason"] = {k: v for k, v in reads["by_reason"].items() if v}
            row["listed"] = results["reconcile"][0]["invitee_reads"]["events_listed"]
            row["feed_covered"] = results["webhook"][0]["webhook_feed"]["covered"]
            row["changed_events"] = len(truly_changed)
            row["refresh_window_events"] = len(in_window)
            row["feedless_events"] = len(feedless)
            row["lower_bound"] = row["reconcile_listing"] + len(truly_changed)
            row["reconcile_lower_bound"] = row["reconcile_listing"] + len(truly_changed | in_window)
            row["webhook_lower_bound"] = row["webhook_listing"] + len(feedless)
            row["webhook_unvouched_bound"] = row["webhook_listing"] + len(feedless | unvouched)
            passes.append(row)
            partial = {"preset": preset, "days": days, "verified_passes": verified, "identical": identical}
            save("bench_incremental", {**partial, "passes": passes})
            print(
                f"  day {day + 1}: all {row['all']}, reconcile {row['reconcile']} (bound "
                f"{row['reconcile_lower_bound']}), webhook {row['webhook']} (bound {row['webhook_lower_bound']}), "
                f"identical {identical}",
                flush=True,
            )
        for writer in writers.values():
            writer.close()
        feed.stop()
    data = {"preset": preset, "days": days, "verified_passes": verified, "identical": identical, "passes": passes}
    save("bench_incremental", data)
    return rows_for(data)


def rows_for(data: dict[str, Any]) -> list[Row]:
    """The RESULTS.md rows of one run's saved passes (``--from-saved`` renders an interrupted run's)."""
    passes = data["passes"]
    preset, days, verified = data["preset"], len(passes), data["verified_passes"]
    identical = bool(data.get("identical", False)) and bool(verified)
    keys = ("all", "reconcile", "webhook", "lower_bound", "reconcile_lower_bound", "webhook_lower_bound")
    total = {k: sum(p[k] for p in passes) for k in keys}
    total["webhook_unvouched_bound"] = sum(p.get("webhook_unvouched_bound", 0) for p in passes)
    d = {k: v / days for k, v in total.items()}
    planned = f" of {data['days']} planned" if data["days"] != days else ""
    org = f"{preset} organization, {days}{planned} simulated days"
    check = (
        f"tables of the three schemes identical after every pass, and equal to a fresh full sync after passes "
        f"{', '.join(map(str, verified))}: {identical}"
    )
    window_share = sum(p["refresh_window_events"] for p in passes) / days

    def ratio_row(compared: str, scheme: str, bound: str, limit: float, note: str) -> Row:
        """One scheme's calls against one bound, both per pass; the goal is a ratio of at most ``limit``."""
        return Row(
            metric=f"calls per daily incremental pass, {compared} ({org})",
            ours=round(d[scheme], 1),
            baseline=round(d[bound], 1),
            unit="calls",
            goal=f"ratio ≤ {limit}",
            passed=total[scheme] <= limit * total[bound] and identical,
            note=note,
        )

    return [
        ratio_row(
            "reconcile vs its lower bound",
            "reconcile",
            "reconcile_lower_bound",
            1.3,
            f"bound = listing calls + changed events + the {window_share:.0f} events/day in the refresh window; "
            f"bound of any scheme (listing + changed events) {d['lower_bound']:.0f}/day; {check}",
        ),
        ratio_row(
            "reconcile vs invitee_refresh='all'",
            "reconcile",
            "all",
            0.1,
            f"at 100 calls/60 s: 'all' {d['all'] / 100:.0f} min/day, reconcile {d['reconcile'] / 100:.1f} "
            f"min/day; {window_share:.0f} of reconcile's reads a day are the refresh window (7 days back, "
            "2 ahead) that no listing field can rule out without a feed",
        ),
        ratio_row(
            "webhook capture vs its lower bound",
            "webhook",
            "webhook_lower_bound",
            1.3,
            f"bound = listing calls + events whose change no webhook carries (reconfirmations that did happen: "
            f"an oracle, the simulator's report); {d['webhook'] / d['all']:.3f} x 'all', "
            f"{d['webhook'] / d['reconcile']:.2f} x reconcile; at 100 calls/60 s {d['webhook'] / 100:.1f} min/day",
        ),
        ratio_row(
            "webhook capture vs what neither listing nor feed vouches for",
            "webhook",
            "webhook_unvouched_bound",
            1.3,
            "bound without an oracle = listing calls + meetings that may have been reconfirmed since the previous "
            "pass (started since it, or starting within the window's 2 days ahead: Calendly sends no webhook and "
            "leaves the event's updated_at as it was) + the feedless changes",
        ),
    ]


def write_section(rows: list[Row]) -> None:
    """Write ``rows`` and the plot as RESULTS.md's ``incremental`` section (a run of this module alone)."""
    from benchmarks import plots, report

    plot = plots.draw_incremental()
    body = [
        "## Incremental passes (`python -m benchmarks.bench_incremental`)",
        "",
        f"Measured on {report.machine()}, commit `{report._commit()}`; one simulated day of changes per pass.",
        "",
        *report.table_lines(rows),
        "",
    ]
    if plot is not None:
        body += [f"![{plot.stem}]({plot.relative_to(report.HERE)})", ""]
    report.write_section("incremental", "\n".join(body))


def iso_prefix(window_start: str) -> str:
    """The window start as a comparable prefix of the emulator's ISO timestamps (the date is enough here)."""
    return window_start[:10]


def main(argv: list[str] | None = None) -> int:
    return run_standalone(collect, argv)


if __name__ == "__main__":
    raise SystemExit(main())
