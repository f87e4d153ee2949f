"""The syncs section and its charts: each sync task's passes, from the summary (and progress) XComs they pushed.

Values are copied field by field, by name and type (never a whole XCom).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from airflow_provider_calendly.transfers.calendly_to_sql import PROGRESS_XCOM_KEY
from airflow_provider_calendly.transfers.tables import TABLES
from airflow_provider_calendly.ui.status.runs import TaskRun
from airflow_provider_calendly.ui.status.values import as_int, as_mapping, as_number, as_text, iso

__all__ = ["PASSES_CHARTED", "PASSES_SHOWN", "calls_per_pass", "rows_per_day", "sync_entries"]

#: The newest passes listed per sync (the charts use every pass in the window).
PASSES_SHOWN = 10
#: Passes in the calls chart (the newest).
PASSES_CHARTED = 60
_TALLIES = ("inserted", "changed", "unchanged", "deleted")


def sync_entries(runs: list[TaskRun], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One entry per sync task (DAG, task, map index), the most recently active first."""
    by_sync: dict[tuple[str, str, int], list[TaskRun]] = defaultdict(list)
    for run in runs:
        by_sync[run.key].append(run)
    syncs = []
    for (dag_id, task_id, map_index), own in by_sync.items():
        passes = [_pass(run) for run in own]
        latest = next((p for p in passes if p["state"] == "success"), None)
        running = next((p for p in passes if p["state"] == "running"), None)
        syncs.append(
            {
                "dag_id": dag_id,
                "dag_display_name": names.get(dag_id, dag_id),
                "task_id": task_id,
                "map_index": map_index,
                "warehouse": next((p["warehouse"] for p in passes if p["warehouse"] is not None), None),
                "last_success": latest,
                "running": running,
                "passes": passes[:PASSES_SHOWN],
                "all_passes": passes,
            }
        )
    return syncs


def _pass(run: TaskRun) -> dict[str, Any]:
    """One pass (a try of the sync task) as the page shows it, from its summary XCom."""
    summary = as_mapping(run.xcoms.get("return_value"))
    reads = as_mapping(summary.get("invitee_reads"))
    saved, by_feed = as_int(reads.get("calls_saved")), as_int(reads.get("covered_by_feed")) or 0
    feed = as_mapping(summary.get("webhook_feed"))
    warehouse = as_mapping(summary.get("warehouse"))
    return {
        **run.ids(),
        "state": run.state,
        "started_at": iso(run.start),
        "ended_at": iso(run.end),
        "duration_seconds": (run.end - run.start).total_seconds() if run.start and run.end else None,
        "mode": as_text(summary.get("mode")),
        "effective_mode": as_text(summary.get("effective_mode")),
        "resumed": summary.get("resumed") is True,
        "api_calls": as_int(summary.get("api_calls")),
        "seconds": as_number(summary.get("seconds")),
        "calls_saved": None
        if saved is None
        else {"reconcile": max(0, saved - by_feed), "webhook_feed": by_feed, "total": saved},
        "rate_limit": _rate_limit(summary.get("rate_limit")),
        "tables": _tables(as_mapping(summary.get("tables"))),
        "skipped": [
            {
                "resource": as_text(name),
                "status": as_int(as_mapping(skip).get("status")),
                "reason": as_text(as_mapping(skip).get("reason")),
            }
            for name, skip in sorted(as_mapping(summary.get("skipped")).items())
        ],
        "feed": None
        if not feed
        else {
            "covered": feed.get("covered") is True,
            "gap_reason": as_text(feed.get("gap_reason")),
            "since": as_text(feed.get("since")),
            "deliveries": as_int(feed.get("deliveries")),
            "position": as_int(feed.get("position")),
        },
        "warehouse": None
        if not warehouse
        else {name: as_text(warehouse.get(name)) for name in ("conn_id", "dialect", "table_prefix", "schema")},
        "progress": _progress(run) if run.state == "running" else None,
    }


def _tables(tables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each table's counts, in the registry's order (tables it does not know, e.g. from a newer release, last)."""
    order = {key: i for i, key in enumerate(TABLES)}
    rows = []
    for key in sorted(tables, key=lambda k: (order.get(k, len(order)), k)):
        table = as_mapping(tables[key])
        spec = TABLES.get(key)
        rows.append(
            {
                "key": as_text(key),
                "table": as_text(table.get("table")),
                "description": spec.description if spec is not None else None,
                "rows": as_int(table.get("rows")),
                **{name: as_int(table.get(name)) for name in _TALLIES},
                # Summaries from before the changed/unchanged split only say "updated".
                "updated": as_int(table.get("updated")),
                "api_calls": as_int(table.get("api_calls")),
                "seconds": as_number(table.get("seconds")),
            }
        )
    return rows


def _progress(run: TaskRun) -> dict[str, Any] | None:
    """A running pass's last progress report (``None`` before its first)."""
    report = as_mapping(run.xcoms.get(PROGRESS_XCOM_KEY))
    if not report:
        return None
    return {
        "phase": as_text(report.get("phase")),
        "elapsed_seconds": as_number(report.get("elapsed_seconds")),
        "pages": as_int(report.get("pages")),
        "events": as_int(report.get("events")),
        "rows": as_int(report.get("rows")),
        "api_calls": as_int(report.get("api_calls")),
        "rate_limit": _rate_limit(report.get("rate_limit")),
        "window_done": as_number(report.get("window_done")),
        "eta_seconds": as_number(report.get("eta_seconds")),
    }


def calls_per_pass(passes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """API calls used and saved by each finished pass in the window, oldest first."""
    done = sorted(
        (p for p in passes if p["api_calls"] is not None and p["started_at"] is not None), key=lambda p: p["started_at"]
    )[-PASSES_CHARTED:]
    return [
        {
            "started_at": p["started_at"],
            "dag_id": p["dag_id"],
            "task_id": p["task_id"],
            "map_index": p["map_index"],
            "api_calls": p["api_calls"],
            "saved_by_reconcile": (p["calls_saved"] or {}).get("reconcile", 0),
            "saved_by_webhook_feed": (p["calls_saved"] or {}).get("webhook_feed", 0),
        }
        for p in done
    ]


def rows_per_day(passes: list[dict[str, Any]], days: list[date]) -> dict[str, list[int]]:
    """Rows inserted, changed, unchanged and deleted per day (the day each pass ended), every table summed."""
    index = {d.isoformat(): i for i, d in enumerate(days)}
    series = {name: [0] * len(days) for name in _TALLIES}
    for p in passes:
        day = index.get((p["ended_at"] or "")[:10])
        if day is None:
            continue
        for table in p["tables"]:
            for name in _TALLIES:
                series[name][day] += table[name] or 0
    return series


def _rate_limit(value: Any) -> dict[str, Any] | None:
    """A summary's or a progress report's ``rate_limit``: the time waited for it and the 429 answers."""
    rate_limit = as_mapping(value)
    if not rate_limit:
        return None
    return {
        "waited_seconds": as_number(rate_limit.get("waited_seconds")),
        "responses_429": as_int(rate_limit.get("responses_429")),
    }
