"""``make demo``: run the main job, the ``calendly_to_warehouse`` DAG, against the bundled Calendly emulator.

What it does, from a fresh clone (``make demo`` installs first):

1. prepares a private Airflow home in ``.demo/`` (metadata DB, DAGs folder = ``example_dags/``);
2. starts the Calendly emulator (seed 42) on a free local port;
3. runs the DAG once with ``dag.test()`` into an embedded DuckDB warehouse (``.demo/warehouse.duckdb``) and
   prints per-table row counts and a few sample rows;
4. changes things in the emulator — a new booking, a cancellation, a no-show, a routing form submission, a
   member leaving — and runs the DAG again: the second run is incremental, makes fewer API calls, lands the
   changes and marks the member's rows deleted;
5. runs the ``calendly_analytics`` DAG (``dbt build`` of the dbt project the provider ships, with the dbt of
   ``.venv/dbt``), prints the no-show rates and the routing funnel it computed, and draws the weekly no-show
   rate per event type into ``docs/images/no_show_rates.png`` (the picture the README shows).

Nothing outside ``.demo/`` and that picture is touched, and no Calendly account or network is needed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO / ".demo"
WAREHOUSE = DEMO_DIR / "warehouse.duckdb"
DAG_ID = "calendly_to_warehouse"
TASK_ID = "land_calendly"
ANALYTICS_DAG_ID = "calendly_analytics"
CHART = REPO / "docs" / "images" / "no_show_rates.png"


def _tables() -> tuple[str, ...]:
    from airflow_provider_calendly.transfers.config import DEFAULT_RESOURCES, tables_for_resources

    return tables_for_resources(DEFAULT_RESOURCES)


def prepare_environment() -> None:
    """A private Airflow home, set before Airflow is first imported (it reads its config at import)."""
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    (DEMO_DIR / "airflow").mkdir(parents=True)
    os.environ["AIRFLOW_HOME"] = str(DEMO_DIR / "airflow")
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "example_dags")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")  # the demo prints its own summary
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{DEMO_DIR / 'airflow' / 'airflow.db'}"
    os.environ["AIRFLOW_CONN_CALENDLY_WAREHOUSE"] = json.dumps({"conn_type": "duckdb", "host": str(WAREHOUSE)})
    # dbt lives in a venv of its own (`make dbt-venv`, which `make demo` runs first).
    os.environ.setdefault("CALENDLY_DBT_EXECUTABLE", str(REPO / ".venv" / "dbt" / "bin" / "dbt"))
    sys.path.insert(0, str(REPO))


def banner(text: str) -> None:
    print(f"\n{'=' * 100}\n{text}\n{'=' * 100}", flush=True)


def run_dag(label: str, dag_file: str = DAG_ID, dag_id: str = DAG_ID, task_id: str = TASK_ID) -> dict[str, Any]:
    """Run a DAG of ``example_dags/`` once with ``dag.test()`` and return one task's XCom."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    banner(f"{label}: dag.test() of {dag_id}")
    bag = DagBag(str(REPO / "example_dags" / f"{dag_file}.py"))
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    assert dag is not None
    dag_run = dag.test()
    if str(dag_run.state) != "success":
        raise SystemExit(f"{label} failed: DAG run state {dag_run.state}")
    with create_session() as session:
        query = XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_id, task_ids=task_id, key="return_value")
        rows = session.scalars(query).all()
    summary: dict[str, Any] = XComModel.deserialize_value(rows[0])
    return summary


def show_warehouse(title: str, samples: bool) -> dict[str, int]:
    import duckdb

    banner(title)
    counts: dict[str, int] = {}
    tables = _tables()
    with duckdb.connect(str(WAREHOUSE)) as db:
        for table in tables:
            counts[table] = int(db.execute(f"SELECT COUNT(*) FROM calendly_{table}").fetchone()[0])  # type: ignore[index]
        width = max(len(t) for t in tables) + 9
        for table, n in counts.items():
            print(f"  calendly_{table:<{width - 9}} {n:>7,} rows")
        if samples:
            queries = {
                "event_types": "SELECT name, kind, duration, active FROM calendly_event_types ORDER BY name LIMIT 3",
                "scheduled_events": "SELECT name, status, start_time, invitees_active FROM calendly_scheduled_events "
                "ORDER BY start_time DESC LIMIT 3",
                "invitees": "SELECT name, email, status, is_no_show, scheduled_event_uri FROM calendly_invitees "
                "ORDER BY created_at DESC LIMIT 3",
                "invitee_answers": "SELECT question, answer FROM calendly_invitee_answers LIMIT 3",
                "organization_memberships": "SELECT user_email, role FROM calendly_organization_memberships "
                "ORDER BY created_at LIMIT 3",
                "routing_form_submissions": "SELECT s.utm_source, a.question, a.answer, i.email AS booked_as "
                "FROM calendly_routing_form_submissions s JOIN calendly_routing_form_answers a "
                "ON a.routing_form_submission_uri = s.uri LEFT JOIN calendly_invitees i ON i.uri = s.submitter "
                "WHERE a.position = 2 ORDER BY s.created_at DESC LIMIT 3",
                "event_type_hosts": "SELECT t.name, h.user_email FROM calendly_event_type_hosts h "
                "JOIN calendly_event_types t ON t.uri = h.event_type_uri ORDER BY t.name LIMIT 3",
            }
            for table, sql in queries.items():
                cursor = db.execute(sql)
                names = [d[0] for d in cursor.description]
                print(f"\n  calendly_{table} (sample):")
                for row in cursor.fetchall():
                    print("    " + " | ".join(f"{n}={_short(v)}" for n, v in zip(names, row, strict=True)))
        state = db.execute(
            "SELECT table_name, watermark, last_success_at FROM calendly_sync_state ORDER BY table_name"
        ).fetchall()
        print("\n  calendly_sync_state:")
        for table_name, watermark, last_success in state:
            print(f"    {table_name}: watermark={watermark}  last_success_at={last_success}")
    return counts


def show_changes() -> None:
    import duckdb

    print("\n  The changes, as landed:")
    with duckdb.connect(str(WAREHOUSE)) as db:
        rows = db.execute(
            "SELECT i.email, e.start_time, e.status AS event_status, i.status AS invitee_status, i.is_no_show "
            "FROM calendly_invitees i JOIN calendly_scheduled_events e ON e.uri = i.scheduled_event_uri "
            "WHERE i.email IN ('new.customer@example.com', 'busy@example.com', 'absent@example.com') "
            "ORDER BY e.start_time"
        ).fetchall()
        submissions = db.execute(
            "SELECT a.answer, s.utm_source FROM calendly_routing_form_submissions s "
            "JOIN calendly_routing_form_answers a ON a.routing_form_submission_uri = s.uri "
            "WHERE a.question = 'Email' AND a.answer = 'lead@prospect.example'"
        ).fetchall()
        gone = db.execute(
            "SELECT user_email, _deleted_at FROM calendly_organization_memberships WHERE _deleted_at IS NOT NULL"
        ).fetchall()
    for email, start, event_status, invitee_status, no_show in rows:
        print(f"    {email:<26} {start}  event={event_status:<8} invitee={invitee_status:<8} no_show={no_show}")
    for answer, source in submissions:
        print(f"    routing form submission from {answer} (utm_source={source})")
    for email, deleted_at in gone:
        print(f"    membership of {email} marked deleted at {deleted_at}")


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_summary(label: str, summary: dict[str, Any]) -> None:
    print(
        f"\n  {label}: mode={summary['effective_mode']}, window from {summary['window_start'] or 'the beginning'}, "
        f"{summary['api_calls']} API calls, {summary['seconds']} s"
    )
    for table in summary["tables"].values():
        print(
            f"    {table['table']:<36} {table['rows']:>6} rows written "
            f"({table['inserted']} new, {table['changed']} changed, {table['unchanged']} unchanged, "
            f"{table['deleted']} removed)"
        )
    for resource, skip in summary.get("skipped", {}).items():
        print(f"    skipped {resource}: {skip['reason']}")
    swept = summary.get("deletions", {}).get("rows")
    if swept:
        print(f"    rows Calendly no longer returns ({summary['deletions']['policy']}): {swept}")
    reads = summary.get("invitee_reads")
    if reads:
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(reads["by_reason"].items()) if n) or "none"
        print(
            f"    invitee listings: {reads['events_read']} of {reads['events_listed']} listed events re-read "
            f"({reasons}); {reads['no_invitees']} had no invitees; {reads['calls_saved']} calls saved by reconcile"
        )


def change_things(emulator: Any) -> list[str]:
    """A new booking, a cancellation and a no-show: what an incremental run must pick up.

    The emulator's generated meetings lie around a fixed date in the past, so the changes are made on
    meetings around today, where real ones happen: one booked for the day after tomorrow, one booked and
    then canceled, and one that took place this morning whose invitee did not show up.
    """
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    booked, invitee = emulator.book(invitee_email="new.customer@example.com", invitee_name="New Customer")
    canceled, _ = emulator.book(start_time=now + timedelta(days=3), invitee_email="busy@example.com")
    emulator.cancel_event(canceled["uri"].rsplit("/", 1)[-1], reason="Double-booked")
    morning, absent = emulator.book(start_time=now - timedelta(hours=3), invitee_email="absent@example.com")
    emulator.mark_no_show(absent["uri"])
    emulator.organization.submit(answers={"Name": "Lee Lead", "Email": "lead@prospect.example"})
    leaving = emulator.organization.remove_member(emulator.organization.memberships[-1]["uri"])
    return [
        f"new booking: {booked['name']!r} at {booked['start_time']} for {invitee['email']}",
        f"cancellation: {canceled['name']!r} at {canceled['start_time']} (booked, then canceled)",
        f"no-show: {absent['email']} did not attend {morning['name']!r} at {morning['start_time']}",
        "routing form submission: lead@prospect.example filled in the published form without booking",
        f"member left: {leaving['user']['email']} was removed from the organization",
    ]


def show_analytics() -> None:
    """Print what the dbt project computed (no-show rates, the routing funnel) and draw the weekly no-show chart."""
    import duckdb

    with duckdb.connect(str(WAREHOUSE), read_only=True) as db:
        by_type = db.execute(
            "SELECT event_type_name, SUM(meetings), SUM(invitees), SUM(no_shows), SUM(no_shows) / SUM(invitees) "
            "FROM calendly__no_show_rates GROUP BY event_type_name ORDER BY event_type_name"
        ).fetchall()
        weekly = db.execute(
            "SELECT event_type_name, week_start, SUM(no_shows), SUM(invitees) FROM calendly__no_show_rates "
            "GROUP BY event_type_name, week_start ORDER BY event_type_name, week_start"
        ).fetchall()
        funnel = db.execute(
            "SELECT routing_form_name, utm_source, submissions, booked, held, no_shows, booking_rate, held_rate, "
            "no_show_rate FROM calendly__routing_funnel ORDER BY routing_form_name, submissions DESC"
        ).fetchall()
        meetings = db.execute("SELECT COUNT(*), AVG(lead_time_minutes) / 1440.0 FROM calendly__meetings").fetchone()
    banner("Analytics: the dbt project's marts (calendly__no_show_rates, calendly__routing_funnel)")
    assert meetings is not None
    print(f"  calendly__meetings: {meetings[0]} meetings, booked {meetings[1]:.1f} days ahead on average")
    print("\n  No-show rate per event type (meetings that were held; invitees with status active):")
    print(f"    {'event type':<22} {'meetings':>8} {'invitees':>8} {'no-shows':>8} {'rate':>7}")
    for name, held, invitees, no_shows, rate in by_type:
        print(f"    {name:<22} {held:>8} {invitees:>8} {no_shows:>8} {_percent(rate):>7}")
    print("\n  Routing funnel per form and UTM source (submissions -> booked -> held -> no-shows):")
    print(f"    {'form':<14} {'utm_source':<12} {'subm.':>6} {'booked':>6} {'held':>6} {'no-show':>7}  rates")
    for form, source, submitted, booked, held, no_shows, booking, held_rate, no_show in funnel:
        print(
            f"    {form:<14} {source:<12} {submitted:>6} {booked:>6} {held:>6} {no_shows:>7}  booked "
            f"{_percent(booking)}, held {_percent(held_rate)}, no-show {_percent(no_show)}"
        )
    draw_no_show_chart(weekly, CHART)
    print(f"\n  Weekly no-show rate per event type: {CHART.relative_to(REPO)}")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def draw_no_show_chart(weekly: list[tuple[str, Any, int, int]], path: Path) -> None:
    """A heatmap of the weekly no-show rate per event type (event types x weeks), each cell labelled no-shows /
    invitees: with a few meetings per type and week, the counts say how much each rate weighs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = sorted({row[0] for row in weekly})
    weeks = sorted({row[1] for row in weekly})
    rates = np.full((len(names), len(weeks)), np.nan)
    fig, ax = plt.subplots(figsize=(max(8, 0.62 * len(weeks) + 2.5), 0.5 * len(names) + 1.9), dpi=110)
    for name, week, no_shows, invitees in weekly:
        y, x = names.index(name), weeks.index(week)
        if invitees:
            rates[y, x] = no_shows / invitees
            color = "white" if no_shows / invitees > 0.55 else "#333333"
            ax.text(x, y, f"{no_shows}/{invitees}", ha="center", va="center", fontsize=7, color=color)
    image = ax.imshow(np.ma.masked_invalid(rates), cmap="OrRd", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(weeks)), [w.strftime("%d %b") for w in weeks], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("week (starting Monday, UTC)", fontsize=9)
    ax.set_title("Weekly no-show rate per event type (no-shows / invitees of held meetings)", fontsize=10)
    ax.set_facecolor("#f4f4f4")
    bar = fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01)
    bar.ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    bar.ax.tick_params(labelsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main() -> int:
    prepare_environment()
    from airflow.utils import db

    banner("Preparing a private Airflow home in .demo/ (metadata DB migration)")
    db.initdb()

    from airflow_provider_calendly.testing import CalendlyEmulator

    with CalendlyEmulator(seed=42) as emulator:
        # The emulator does not limit calls; let the demo's first sync (~300 calls) run at full speed.
        os.environ["AIRFLOW_CONN_CALENDLY_DEFAULT"] = emulator.connection_json(rate_limit=2000)
        print(f"Calendly emulator at {emulator.base_url}; warehouse: {WAREHOUSE.relative_to(REPO)}")

        first = run_dag("Run 1 (first sync: reads everything)")
        counts_1 = show_warehouse("Warehouse after run 1", samples=True)

        banner("Changing things in Calendly (the emulator)")
        for line in change_things(emulator):
            print(f"  - {line}")

        second = run_dag("Run 2 (incremental)")
        counts_2 = show_warehouse("Warehouse after run 2", samples=False)
        show_changes()

    banner("Summary")
    print_summary("Run 1", first)
    print_summary("Run 2", second)
    print(
        f"\n  Run 2 was {second['effective_mode']} and made {second['api_calls']} API calls "
        f"vs {first['api_calls']} for run 1 ({first['api_calls'] - second['api_calls']} fewer)."
    )
    delta = {t: counts_2[t] - counts_1[t] for t in _tables() if counts_2[t] != counts_1[t]}
    print(f"  Row-count changes from run 1 to run 2: {delta or 'none'}")
    if second["api_calls"] >= first["api_calls"]:
        print("  !! the second run was not cheaper than the first")
        return 1

    built = run_dag("Analytics", ANALYTICS_DAG_ID, ANALYTICS_DAG_ID, "dbt_build")
    print(f"\n  dbt build: {built['results']} in {built['elapsed']} s")
    show_analytics()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
