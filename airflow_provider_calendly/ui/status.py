"""What the provider's Airflow page shows, as one JSON document: syncs, webhook health, 30 days of trends.

Nothing is configured for it: it reads what the syncs and the receiver already record.

* **Syncs** are the task instances of :class:`~airflow_provider_calendly.transfers.calendly_to_sql.CalendlyToSqlOperator`
  (and of its subclasses the API server imports) that ran in the last :data:`WINDOW_DAYS` days, with their XComs
  in Airflow's metadata database: the summary each pass returns, and the progress a running pass reports
  (:data:`~airflow_provider_calendly.transfers.calendly_to_sql.PROGRESS_XCOM_KEY`).
* **Webhooks** come from the receiver's inbox (the ``[calendly_webhooks]`` section's ``inbox_conn_id``): what
  each callback path received per day and each consumer's backlog; the subscription operators' XComs add each
  subscription's state, events and the health check's last verdict.

Only the DAGs the user may read are looked at. Values are copied field by field, by name and type, from what
the operators return (never a whole XCom): the XComs hold no token, key or invitee data, and nothing an XCom
may hold besides reaches the page.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_calendly.operators.webhooks import (
    VERDICT_XCOM_KEY,
    CalendlyCheckWebhookSubscriptionOperator,
    CalendlyEnsureWebhookSubscriptionOperator,
)
from airflow_provider_calendly.transfers.calendly_to_sql import PROGRESS_XCOM_KEY, CalendlyToSqlOperator
from airflow_provider_calendly.transfers.tables import TABLES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from airflow_provider_calendly.webhooks.inbox import WebhookInbox

__all__ = [
    "MAX_TASK_INSTANCES",
    "PASSES_SHOWN",
    "WINDOW_DAYS",
    "InboxSource",
    "TaskRun",
    "build_status",
    "collect_status",
    "operator_names",
]

log = logging.getLogger(__name__)

#: The page's time span: passes, rows, calls and deliveries of the last this many days.
WINDOW_DAYS = 30
#: The newest passes listed per sync (the charts use every pass in the window).
PASSES_SHOWN = 10
#: At most this many task instances are read per page load (the newest).
MAX_TASK_INSTANCES = 5000
#: Passes in the calls chart (the newest).
PASSES_CHARTED = 60
_TEXT_LIMIT = 1000
_TALLIES = ("inserted", "changed", "unchanged", "deleted")


@dataclass(frozen=True)
class InboxSource:
    """Where the receiver's inbox is: the ``[calendly_webhooks]`` settings the receiver uses.

    :param conn_id: The inbox connection.
    :param receiver_enabled: Whether the receiver is mounted on the API server.
    :param open: Opens the inbox (raises when it cannot be reached).
    """

    conn_id: str
    receiver_enabled: bool
    open: Any


@dataclass(frozen=True)
class TaskRun:
    """One task instance the page shows, and its XComs by key."""

    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    try_number: int
    state: str | None
    start: datetime | None
    end: datetime | None
    operator: str
    xcoms: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str, int]:
        return self.dag_id, self.task_id, self.map_index

    def ids(self) -> dict[str, Any]:
        """What names the task instance (the page builds its links to the Airflow UI from these)."""
        return {
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "run_id": self.run_id,
            "map_index": self.map_index,
            "try_number": self.try_number,
        }


def collect_status(
    session: Session, *, readable_dag_ids: Iterable[str], inbox: InboxSource | None, now: datetime
) -> dict[str, Any]:
    """The page's JSON document, from Airflow's metadata database and the inbox.

    :param session: A session of Airflow's metadata database.
    :param readable_dag_ids: The DAGs the user may read (the auth manager's answer); nothing else is read.
    :param inbox: The receiver's inbox (``None``: no webhook section).
    :param now: The current time (UTC).
    """
    readable = set(readable_dag_ids)
    runs = _runs(
        session,
        operators=set().union(*operator_names().values()),
        keys=("return_value", PROGRESS_XCOM_KEY, VERDICT_XCOM_KEY),
        readable=readable,
        since=now - timedelta(days=WINDOW_DAYS),
    )
    return build_status(runs, display_names=_display_names(session, readable, runs), inbox=inbox, now=now)


def build_status(
    runs: Iterable[TaskRun], *, display_names: Mapping[str, str], inbox: InboxSource | None, now: datetime
) -> dict[str, Any]:
    """The page's JSON document from the task instances of the window (newest first) and the inbox.

    :param runs: The task instances of the operators of :func:`operator_names` the user may read, newest first.
    :param display_names: Each DAG's display name.
    """
    since = now - timedelta(days=WINDOW_DAYS)
    roles = operator_names()
    by_role: dict[str, list[TaskRun]] = {role: [] for role in roles}
    for run in runs:
        for role, names in roles.items():
            if run.operator in names:
                by_role[role].append(run)
    syncs = _syncs(by_role["sync"], display_names)
    days = [(since + timedelta(days=i + 1)).date() for i in range(WINDOW_DAYS)]
    webhooks = _webhooks(
        inbox, checks=by_role["check"], ensures=by_role["ensure"], syncs=syncs, since=since, now=now, days=days
    )
    passes = [p for sync in syncs for p in sync.pop("all_passes")]
    return {
        "generated_at": _iso(now),
        "window_days": WINDOW_DAYS,
        "syncs": syncs,
        "webhooks": webhooks,
        "charts": {
            "days": [d.isoformat() for d in days],
            "calls_per_pass": _calls_per_pass(passes),
            "rows_per_day": _rows_per_day(passes, days),
            "deliveries_per_day": webhooks.pop("deliveries_per_day", {}),
        },
    }


# --- reading Airflow's metadata database ----------------------------------------------------------------------


def operator_names() -> dict[str, frozenset[str]]:
    """The task types (as Airflow stores them) of the syncs, the subscription checks and the ensures."""
    return {
        "sync": _class_names(CalendlyToSqlOperator),
        "check": _class_names(CalendlyCheckWebhookSubscriptionOperator),
        "ensure": _class_names(CalendlyEnsureWebhookSubscriptionOperator),
    }


def _class_names(cls: type) -> frozenset[str]:
    """The task type names of ``cls`` and of every subclass imported so far (what Airflow stores as ``operator``)."""
    names, pending = set(), [cls]
    while pending:
        current = pending.pop()
        names.add(current.__name__)
        pending.extend(current.__subclasses__())
    return frozenset(names)


def _runs(
    session: Session, *, operators: set[str], keys: tuple[str, ...], readable: set[str], since: datetime
) -> list[TaskRun]:
    """The task instances of ``operators`` started since ``since`` (or still running), newest first, with XComs."""
    import sqlalchemy as sa
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.models.xcom import XComModel as X

    query = (
        sa.select(
            TI.dag_id,
            TI.task_id,
            TI.run_id,
            TI.map_index,
            TI.try_number,
            TI.state,
            TI.start_date,
            TI.end_date,
            TI.operator,
            X.key,
            X.value,
        )
        .outerjoin(
            X,
            sa.and_(
                X.dag_id == TI.dag_id,
                X.run_id == TI.run_id,
                X.task_id == TI.task_id,
                X.map_index == TI.map_index,
                X.key.in_(keys),
            ),
        )
        .where(TI.operator.in_(sorted(operators)), sa.or_(TI.start_date >= since, TI.state == "running"))
        .order_by(TI.start_date.desc().nulls_last(), TI.dag_id, TI.task_id, TI.map_index)
        .limit(MAX_TASK_INSTANCES * len(keys))
    )
    runs: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    for dag_id, task_id, run_id, map_index, try_number, state, start, end, operator, key, value in session.execute(
        query
    ):
        if dag_id not in readable:
            continue
        run = runs.setdefault(
            (dag_id, task_id, run_id, map_index),
            {
                "dag_id": dag_id,
                "task_id": task_id,
                "run_id": run_id,
                "map_index": map_index,
                "try_number": try_number or 0,
                "state": None if state is None else str(state),
                "start": _utc(start),
                "end": _utc(end),
                "operator": operator,
                "xcoms": {},
            },
        )
        if key is not None:
            run["xcoms"][key] = _xcom_value(value)
    return [TaskRun(**r) for r in runs.values()]


def _xcom_value(value: Any) -> Any:
    """An XCom's value as the task pushed it (Airflow's own decoding of the stored column)."""
    from airflow.models.xcom import XComModel

    return XComModel.deserialize_value(SimpleNamespace(value=value))


def _display_names(session: Session, readable: set[str], runs: Iterable[TaskRun]) -> dict[str, str]:
    """The display name of each DAG the runs belong to."""
    import sqlalchemy as sa
    from airflow.models.dag import DagModel

    dag_ids = sorted({r.dag_id for r in runs} & readable)
    if not dag_ids:
        return {}
    display = DagModel._dag_display_property_value  # the column behind the dag_display_name property
    query = sa.select(DagModel.dag_id, display).where(DagModel.dag_id.in_(dag_ids))
    return {dag_id: name or dag_id for dag_id, name in session.execute(query)}


# --- syncs ----------------------------------------------------------------------------------------------------


def _syncs(runs: list[TaskRun], names: Mapping[str, str]) -> list[dict[str, Any]]:
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
    summary = _mapping(run.xcoms.get("return_value"))
    reads = _mapping(summary.get("invitee_reads"))
    saved, by_feed = _int(reads.get("calls_saved")), _int(reads.get("covered_by_feed")) or 0
    feed = _mapping(summary.get("webhook_feed"))
    warehouse = _mapping(summary.get("warehouse"))
    return {
        **run.ids(),
        "state": run.state,
        "started_at": _iso(run.start),
        "ended_at": _iso(run.end),
        "duration_seconds": (run.end - run.start).total_seconds() if run.start and run.end else None,
        "mode": _text(summary.get("mode")),
        "effective_mode": _text(summary.get("effective_mode")),
        "resumed": summary.get("resumed") is True,
        "api_calls": _int(summary.get("api_calls")),
        "seconds": _number(summary.get("seconds")),
        "calls_saved": None
        if saved is None
        else {"reconcile": max(0, saved - by_feed), "webhook_feed": by_feed, "total": saved},
        "rate_limit": _rate_limit(summary.get("rate_limit")),
        "tables": _tables(_mapping(summary.get("tables"))),
        "skipped": [
            {
                "resource": _text(name),
                "status": _int(_mapping(skip).get("status")),
                "reason": _text(_mapping(skip).get("reason")),
            }
            for name, skip in sorted(_mapping(summary.get("skipped")).items())
        ],
        "feed": None
        if not feed
        else {
            "covered": feed.get("covered") is True,
            "gap_reason": _text(feed.get("gap_reason")),
            "since": _text(feed.get("since")),
            "deliveries": _int(feed.get("deliveries")),
            "position": _int(feed.get("position")),
        },
        "warehouse": None
        if not warehouse
        else {name: _text(warehouse.get(name)) for name in ("conn_id", "dialect", "table_prefix", "schema")},
        "progress": _progress(run) if run.state == "running" else None,
    }


def _tables(tables: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each table's counts, in the registry's order (tables it does not know, e.g. from a newer release, last)."""
    order = {key: i for i, key in enumerate(TABLES)}
    rows = []
    for key in sorted(tables, key=lambda k: (order.get(k, len(order)), k)):
        table = _mapping(tables[key])
        spec = TABLES.get(key)
        rows.append(
            {
                "key": _text(key),
                "table": _text(table.get("table")),
                "description": spec.description if spec is not None else None,
                "rows": _int(table.get("rows")),
                **{name: _int(table.get(name)) for name in _TALLIES},
                # Summaries from before the changed/unchanged split only say "updated".
                "updated": _int(table.get("updated")),
                "api_calls": _int(table.get("api_calls")),
                "seconds": _number(table.get("seconds")),
            }
        )
    return rows


def _progress(run: TaskRun) -> dict[str, Any] | None:
    """A running pass's last progress report (``None`` before its first)."""
    report = _mapping(run.xcoms.get(PROGRESS_XCOM_KEY))
    if not report:
        return None
    return {
        "phase": _text(report.get("phase")),
        "elapsed_seconds": _number(report.get("elapsed_seconds")),
        "pages": _int(report.get("pages")),
        "events": _int(report.get("events")),
        "rows": _int(report.get("rows")),
        "api_calls": _int(report.get("api_calls")),
        "rate_limit": _rate_limit(report.get("rate_limit")),
        "window_done": _number(report.get("window_done")),
        "eta_seconds": _number(report.get("eta_seconds")),
    }


def _calls_per_pass(passes: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def _rows_per_day(passes: list[dict[str, Any]], days: list[date]) -> dict[str, list[int]]:
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


# --- webhooks -------------------------------------------------------------------------------------------------


def _webhooks(
    inbox: InboxSource | None,
    *,
    checks: list[TaskRun],
    ensures: list[TaskRun],
    syncs: list[dict[str, Any]],
    since: datetime,
    now: datetime,
    days: list[date],
) -> dict[str, Any]:
    """Each subscription (callback path) with its deliveries and verdict, the consumers' backlogs, per-day counts."""
    if inbox is None:
        return {}
    section: dict[str, Any] = {
        "inbox_conn_id": inbox.conn_id,
        "receiver_enabled": inbox.receiver_enabled,
        "error": None,
        "subscriptions": [],
        "consumers": [],
    }
    subscriptions = _known_subscriptions(checks, ensures)
    try:
        box: WebhookInbox = inbox.open()
        receipts = box.receipts_since(since.timestamp())
        backlog = box.consumers_backlog()
        feeds = [
            (sync, feed["position"])
            for sync in syncs
            for feed in [(sync["last_success"] or {}).get("feed") or {}]
            if feed.get("position") is not None
        ]
        feed_backlog = [(sync, position, box.count_after(position)) for sync, position in feeds]
    except Exception as exc:  # the page still shows the syncs; say what kind of failure, never the URL
        log.warning("The Calendly page could not read the webhook inbox %r", inbox.conn_id, exc_info=True)
        section["error"] = f"the inbox could not be read ({type(exc).__name__})"
        receipts, backlog, feed_backlog = [], {}, []
    index = {d.isoformat(): i for i, d in enumerate(days)}
    by_path: dict[str, list[Any]] = defaultdict(list)
    for receipt in receipts:
        by_path[receipt.path].append(receipt)
    per_day = section["deliveries_per_day"] = {
        "stored": {},
        **{name: [0] * len(days) for name in ("duplicate", "rejected_signature", "rejected_other")},
    }
    for path in sorted(set(by_path) | set(subscriptions)):
        entry, tallies = _subscription(path, by_path.get(path, []), subscriptions.get(path), now, index)
        section["subscriptions"].append(entry)
        if any(tallies["stored"]):
            per_day["stored"][path] = tallies["stored"]
        for name in ("duplicate", "rejected_signature", "rejected_other"):
            per_day[name] = [a + b for a, b in zip(per_day[name], tallies[name], strict=True)]
    section["consumers"] = [
        {"kind": "trigger", "name": name, "position": position, "backlog": pending, "updated_at": _iso_ts(at)}
        for name, (position, pending, at) in backlog.items()
    ] + [
        {
            "kind": "sync",
            "name": f"{sync['dag_id']}.{sync['task_id']}",
            "dag_id": sync["dag_id"],
            "task_id": sync["task_id"],
            "position": position,
            "backlog": pending,
            "updated_at": (sync["last_success"] or {}).get("ended_at"),
        }
        for sync, position, pending in feed_backlog
    ]
    return section


def _known_subscriptions(checks: list[TaskRun], ensures: list[TaskRun]) -> dict[str, dict[str, Any]]:
    """What the subscription operators last said of each callback path: the subscription and the check's verdict."""
    known: dict[str, dict[str, Any]] = {}
    for run in ensures:  # newest first: the first seen of a path is its latest
        found = _subscription_fields(run.xcoms.get("return_value"))
        if found and found["callback_url"]:
            entry = known.setdefault(_path(found["callback_url"]), {"subscription": None, "verdict": None})
            if entry["subscription"] is None:
                entry["subscription"] = {**found, "seen_at": _iso(run.end or run.start)}
    for run in checks:
        verdict = _mapping(run.xcoms.get(VERDICT_XCOM_KEY))
        url = _text(verdict.get("url"))
        if not url and run.state != "failed":
            continue
        found = _subscription_fields(verdict.get("subscription"))
        path = _path(found["callback_url"]) if found and found["callback_url"] else _path(url or "")
        entry = known.setdefault(path, {"subscription": None, "verdict": None})
        if entry["verdict"] is None:
            entry["verdict"] = {
                **run.ids(),
                "state": run.state,
                "healthy": verdict.get("healthy") is True if verdict else None,
                "reason": _text(verdict.get("reason")),
                "checked_at": _iso(run.end or run.start),
            }
            if found and entry["subscription"] is None:
                entry["subscription"] = {**found, "seen_at": _iso(run.end or run.start)}
    known.pop("", None)  # a check without a URL (none was given) names no subscription
    return known


def _subscription_fields(value: Any) -> dict[str, Any] | None:
    sub = _mapping(value)
    if not sub:
        return None
    events = sub.get("events")
    return {
        "uri": _text(sub.get("uri")),
        "callback_url": _text(sub.get("callback_url")),
        "state": _text(sub.get("state")),
        "events": [_text(e) for e in events] if isinstance(events, list) else [],
        "retry_started_at": _text(sub.get("retry_started_at")),
    }


def _subscription(
    path: str, receipts: list[Any], known: dict[str, Any] | None, now: datetime, index: Mapping[str, int]
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """One callback path's entry, and its receipts per day of the window."""
    last_stored = max((r.last_stored_at for r in receipts if r.last_stored_at is not None), default=None)
    last_refused = max((r.last_rejected_at for r in receipts if r.last_rejected_at is not None), default=None)
    per_day = {name: [0] * len(index) for name in ("stored", "duplicate", "rejected_signature", "rejected_other")}
    for r in receipts:
        day = index.get(r.day)
        if day is not None:
            for name, counts in per_day.items():
                counts[day] += getattr(r, name)
    entry = {
        "path": path,
        "subscription": (known or {}).get("subscription"),
        "verdict": (known or {}).get("verdict"),
        "last_delivery_at": _iso_ts(last_stored),
        "last_delivery_age_seconds": None if last_stored is None else round(now.timestamp() - last_stored, 1),
        "stored": sum(per_day["stored"]),
        "duplicates": sum(per_day["duplicate"]),
        "signature_failures": sum(per_day["rejected_signature"]),
        "other_refusals": sum(per_day["rejected_other"]),
        "last_refused_at": _iso_ts(last_refused),
    }
    return entry, per_day


# --- values ---------------------------------------------------------------------------------------------------


def _rate_limit(value: Any) -> dict[str, Any] | None:
    """A summary's or a progress report's ``rate_limit``: the time waited for it and the 429 answers."""
    rate_limit = _mapping(value)
    if not rate_limit:
        return None
    return {
        "waited_seconds": _number(rate_limit.get("waited_seconds")),
        "responses_429": _int(rate_limit.get("responses_429")),
    }


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value[:_TEXT_LIMIT] if isinstance(value, str) else None


def _path(url: str) -> str:
    """The path of a callback URL (what the receiver tallies its deliveries by), without a trailing slash."""
    return urlsplit(url).path.rstrip("/")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _iso_ts(value: float | None) -> str | None:
    return None if value is None else _iso(datetime.fromtimestamp(value, timezone.utc))
