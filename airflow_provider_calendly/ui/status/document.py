"""The page's JSON document, assembled from its sections (syncs, webhooks) and their charts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.operators.webhooks import VERDICT_XCOM_KEY
from airflow_provider_calendly.transfers.calendly_to_sql import PROGRESS_XCOM_KEY
from airflow_provider_calendly.ui.status.runs import TaskRun, dag_display_names, operator_names, task_runs
from airflow_provider_calendly.ui.status.syncs import calls_per_pass, rows_per_day, sync_entries
from airflow_provider_calendly.ui.status.values import iso
from airflow_provider_calendly.ui.status.webhooks import InboxSource, webhooks_section

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["WINDOW_DAYS", "build_status", "collect_status"]

#: The page's time span: passes, rows, calls and deliveries of the last this many days.
WINDOW_DAYS = 30


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
    runs = task_runs(
        session,
        operators=set().union(*operator_names().values()),
        keys=("return_value", PROGRESS_XCOM_KEY, VERDICT_XCOM_KEY),
        readable=readable,
        since=now - timedelta(days=WINDOW_DAYS),
    )
    return build_status(runs, display_names=dag_display_names(session, readable, runs), inbox=inbox, now=now)


def build_status(
    runs: Iterable[TaskRun], *, display_names: Mapping[str, str], inbox: InboxSource | None, now: datetime
) -> dict[str, Any]:
    """The page's JSON document from the task instances of the window (newest first) and the inbox.

    :param runs: The task instances of the operators of :func:`~.runs.operator_names` the user may read, newest first.
    :param display_names: Each DAG's display name.
    """
    since = now - timedelta(days=WINDOW_DAYS)
    roles = operator_names()
    by_role: dict[str, list[TaskRun]] = {role: [] for role in roles}
    for run in runs:
        for role, names in roles.items():
            if run.operator in names:
                by_role[role].append(run)
    syncs = sync_entries(by_role["sync"], display_names)
    days = [(since + timedelta(days=i + 1)).date() for i in range(WINDOW_DAYS)]
    webhooks = webhooks_section(
        inbox, checks=by_role["check"], ensures=by_role["ensure"], syncs=syncs, since=since, now=now, days=days
    )
    passes = [p for sync in syncs for p in sync.pop("all_passes")]
    return {
        "generated_at": iso(now),
        "window_days": WINDOW_DAYS,
        "syncs": syncs,
        "webhooks": webhooks,
        "charts": {
            "days": [d.isoformat() for d in days],
            "calls_per_pass": calls_per_pass(passes),
            "rows_per_day": rows_per_day(passes, days),
            "deliveries_per_day": webhooks.pop("deliveries_per_day", {}),
        },
    }
