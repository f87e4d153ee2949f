"""One pass over incremental tables: where it starts, and its bookkeeping in ``sync_state``.

Scheduled events and invitees (:mod:`.sync`), routing form submissions and the activity log
(:mod:`.resources`) follow the same rules, kept here once:

* a pass resumes an unfinished pass of the same tables (a ``full`` run resumes only a ``full`` one) from its
  last committed progress, less :data:`RESUME_OVERLAP`; it keeps that pass's start and mode;
* else a ``full`` run, or a table never synced, reads everything (``window_start`` is ``None``);
* else it reads from the oldest watermark less the lookback.

Its ``sync_state`` rows are written when it begins (``pass_started_at``, ``pass_mode``, ``resume_from``),
with each committed chunk (``resume_from``: the progress), and when it finishes (the ``watermark`` becomes
the time the pass, or its first attempt, started).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter, SyncState

__all__ = ["RESUME_OVERLAP", "PassPlan", "TablePass", "plan_pass"]

#: Step back from a pass's committed progress when resuming, so items sharing that time are re-read.
RESUME_OVERLAP = timedelta(seconds=1)


class PassPlan(NamedTuple):
    """Where a pass starts.

    :param started_at: What the watermark becomes when the pass finishes (a resumed pass keeps its first start).
    :param window_start: Read from here (``None``: everything).
    :param mode: ``full`` or ``incremental`` (a first pass is ``full``).
    :param resumed: It resumes an unfinished pass.
    """

    started_at: datetime
    window_start: datetime | None
    mode: str
    resumed: bool


def plan_pass(states: Mapping[str, SyncState | None], now: datetime, *, mode: str, lookback: timedelta) -> PassPlan:
    """Decide where a pass over the tables of ``states`` starts: resume, read everything, or read the window.

    :param states: The stored ``sync_state`` of each table (``None`` before its first pass).
    :param now: The time the pass starts.
    :param mode: The run's mode, ``incremental`` or ``full``.
    :param lookback: How far before the watermark an incremental pass reads.
    """
    values = list(states.values())
    unfinished = [s for s in values if s is not None and s.pass_started_at is not None]
    if unfinished and len(unfinished) == len(values):
        first = unfinished[0]
        same_pass = all(s.pass_started_at == first.pass_started_at for s in unfinished)
        # A full run may only resume a full pass; an incremental run may resume either.
        if same_pass and (mode == "incremental" or all(s.pass_mode == "full" for s in unfinished)):  # noqa: S105
            resume_points = [s.resume_from for s in unfinished]
            start = None if any(p is None for p in resume_points) else min(p for p in resume_points if p)
            if start is not None:
                start -= RESUME_OVERLAP
            return PassPlan(first.pass_started_at or now, start, first.pass_mode or mode, True)
    watermarks = [s.watermark if s is not None else None for s in values]
    if mode == "full" or any(w is None for w in watermarks):
        return PassPlan(now, None, "full", False)
    return PassPlan(now, min(w for w in watermarks if w is not None) - lookback, "incremental", False)


@dataclass
class TablePass:
    """A planned pass over some tables of one scope, and the ``sync_state`` rows it keeps up to date.

    :param writer: The writer of the warehouse holding the rows.
    :param plan: Where the pass starts.
    :param states: The ``sync_state`` row of each table.
    """

    writer: CalendlyTableWriter
    plan: PassPlan
    states: dict[str, SyncState]

    @classmethod
    def plan_for(
        cls,
        writer: CalendlyTableWriter,
        tables: Sequence[str],
        scope: str,
        *,
        now: datetime,
        mode: str,
        lookback: timedelta,
    ) -> TablePass:
        """Plan the pass of ``tables`` over ``scope`` from their stored state (nothing is written yet)."""
        stored = {table: writer.get_sync_state(table, scope) for table in tables}
        plan = plan_pass(stored, now, mode=mode, lookback=lookback)
        states = {table: state or SyncState(table_name=table, scope=scope) for table, state in stored.items()}
        for state in states.values():
            state.pass_started_at = plan.started_at
            state.pass_mode = plan.mode
            state.resume_from = plan.window_start
        return cls(writer, plan, states)

    def record(self) -> None:
        """Write the rows as they are (atomically, or within the caller's transaction)."""
        with self.writer.transaction():
            for state in self.states.values():
                self.writer.put_sync_state(state)

    def progress(self, committed_up_to: datetime | None) -> None:
        """Record how far the pass has committed (inside the transaction of the chunk it committed)."""
        if committed_up_to is None:
            return
        for state in self.states.values():
            state.resume_from = committed_up_to
        self.record()

    def finish(self, finished_at: datetime) -> None:
        """Record the pass as complete: the watermark becomes the time it started."""
        for state in self.states.values():
            state.watermark = self.plan.started_at
            state.pass_started_at = None
            state.pass_mode = None
            state.resume_from = None
            state.last_success_at = finished_at
        self.record()
