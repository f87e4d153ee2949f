"""Reading Airflow's metadata database: the task instances of the provider's operators, their XComs, DAG names.

Only the DAGs the user may read are looked at, and at most :data:`MAX_TASK_INSTANCES` task instances (the newest).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.operators.webhooks import (
    CalendlyCheckWebhookSubscriptionOperator,
    CalendlyEnsureWebhookSubscriptionOperator,
)
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator
from airflow_provider_calendly.ui.status.values import as_utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["MAX_TASK_INSTANCES", "TaskRun", "dag_display_names", "operator_names", "task_runs"]

#: At most this many task instances are read per page load (the newest).
MAX_TASK_INSTANCES = 5000


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


def task_runs(
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
                "start": as_utc(start),
                "end": as_utc(end),
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


def dag_display_names(session: Session, readable: set[str], runs: Iterable[TaskRun]) -> dict[str, str]:
    """The display name of each DAG the runs belong to."""
    import sqlalchemy as sa
    from airflow.models.dag import DagModel

    dag_ids = sorted({r.dag_id for r in runs} & readable)
    if not dag_ids:
        return {}
    display = DagModel._dag_display_property_value  # the column behind the dag_display_name property
    query = sa.select(DagModel.dag_id, display).where(DagModel.dag_id.in_(dag_ids))
    return {dag_id: name or dag_id for dag_id, name in session.execute(query)}
