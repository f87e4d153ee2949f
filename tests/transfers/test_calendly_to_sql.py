"""CalendlyToSqlOperator and its sync against the emulator over loopback, into real SQLite, DuckDB, PostgreSQL
and MariaDB.

The emulator's clock and the sync's clock are the same injected clock (starting at the emulator data's
reference "now"), so upcoming meetings, past meetings and the incremental window line up as they would in
production.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import REFERENCE_NOW, CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import (
    PROGRESS_XCOM_KEY,
    CalendlySqlSync,
    CalendlyToSqlOperator,
)
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from tests.harness.task_instance import RecordingTaskInstance
from tests.transfers.helpers import Warehouse, counts, dump_all

EVENTS = 40


class Clock:
    """The shared "now" of the emulator and the sync; tests move it forward."""

    def __init__(self) -> None:
        self.now = REFERENCE_NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[CalendlyEmulator]:
    with CalendlyEmulator(seed=7, scheduled_events=EVENTS, now=clock) as emu:
        # Generous retries: with 30 % of calls failing, a call fails 13 times in a row ~1e-7 of the time.
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emu.connection_json(max_retries=12, rate_limit=10_000))
        yield emu


def _hook() -> CalendlyHook:
    return CalendlyHook("calendly_default", sleep=lambda _seconds: None)  # retries without waiting


def _sync(writer: CalendlyTableWriter, clock: Clock, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"chunk_size": 10, "page_size": 10, "lookback": timedelta(days=7), **kwargs}
    return CalendlySqlSync(hook=_hook(), writer=writer, clock=clock, **options).run()


def _truth(emulator: CalendlyEmulator) -> dict[str, int]:
    data = emulator.data
    invitees = [i for items in data.invitees.values() for i in items]
    return {
        "event_types": emulator.count_event_types(),
        "scheduled_events": emulator.count_scheduled_events(),
        "event_memberships": sum(len(e["event_memberships"]) for e in data.scheduled_events.values()),
        "event_guests": sum(len(e["event_guests"]) for e in data.scheduled_events.values()),
        "invitees": emulator.count_invitees(),
        "invitee_answers": sum(len(i["questions_and_answers"]) for i in invitees),
    }


def _with_writer(warehouse: Warehouse, prefix: str, fn: Callable[[CalendlyTableWriter], Any]) -> Any:
    writer = warehouse.writer(prefix)
    try:
        return fn(writer)
    finally:
        writer.close()


def test_operator_lands_everything_and_a_rerun_changes_nothing(
    emulator: CalendlyEmulator, warehouse: Warehouse
) -> None:
    op = CalendlyToSqlOperator(task_id="land", sql_conn_id=warehouse.conn_id, table_prefix=warehouse.prefix)
    summary = op.execute({})  # type: ignore[arg-type]
    json.dumps(summary)  # JSON-safe XCom
    namespace, name = op.lineage_outputs()[0]  # OpenLineage's naming of the warehouse's datasets
    assert (namespace.partition("://")[0], name) == {
        "sqlite": ("sqlite", f"{warehouse.prefix}event_types"),
        "duckdb": ("duckdb", f"{warehouse.prefix}event_types"),
        "postgres": ("postgres", f"test.public.{warehouse.prefix}event_types"),
        "mysql": ("mysql", f"test.{warehouse.prefix}event_types"),
        "snowflake": ("snowflake", f"CALENDLY.RAW.{warehouse.prefix.upper()}EVENT_TYPES"),
        "bigquery": ("bigquery", f"calendly-test.{warehouse.dataset}.{warehouse.prefix}event_types"),
    }[warehouse.kind]
    if warehouse.kind in ("postgres", "mysql", "snowflake", "bigquery"):
        assert (
            namespace
            == {
                "postgres": "postgres://127.0.0.1:5432",
                "mysql": "mysql://127.0.0.1:3306",
                "snowflake": "snowflake://fakesnow",
                "bigquery": "bigquery",
            }[warehouse.kind]
        )
    assert summary["tables"]["invitees"]["inserted"] == emulator.count_invitees()
    writer = warehouse.writer()
    try:
        assert counts(writer) == _truth(emulator)
        first = dump_all(writer)
        rerun = CalendlyToSqlOperator(
            task_id="land", sql_conn_id=warehouse.conn_id, table_prefix=warehouse.prefix, mode="full"
        ).execute({})  # type: ignore[arg-type]
        assert rerun["tables"]["invitees"]["inserted"] == 0
        assert rerun["tables"]["invitees"]["updated"] == emulator.count_invitees()
        # Nothing changed in Calendly: every row written again is counted unchanged, none changed or deleted.
        for key, table in rerun["tables"].items():
            assert (table["inserted"], table["changed"], table["deleted"]) == (0, 0, 0), key
            assert table["unchanged"] == table["rows"] == table["updated"], key
        assert counts(writer) == _truth(emulator)
        assert dump_all(writer) == first
    finally:
        writer.close()
    assert emulator.count(status=429) == 0


def test_a_running_sync_reports_its_progress_and_the_summary_names_its_target(
    emulator: CalendlyEmulator, warehouse: Warehouse
) -> None:
    ti = RecordingTaskInstance()
    op = CalendlyToSqlOperator(
        task_id="land",
        sql_conn_id=warehouse.conn_id,
        table_prefix=warehouse.prefix,
        resources=["event_types", "scheduled_events", "invitees"],
        page_size=10,
        progress_interval=1e-9,  # every page and phase reports
    )
    summary = op.execute({"ti": ti})  # type: ignore[arg-type]
    assert {key for key, _ in ti.pushed} == {PROGRESS_XCOM_KEY}
    reports = [value for _, value in ti.pushed]
    assert [r["phase"] for r in reports][:1] == ["event_types"]
    events = [r for r in reports if r["phase"] == "scheduled_events"]
    assert [r["pages"] for r in events][-1] == summary["scheduled_event_pages"] == -(-EVENTS // 10)
    assert events[-1]["events"] == emulator.count_scheduled_events()
    # Each report from a page says how far the window is done and when it ends, unless past the assumed horizon.
    assert all((r["window_done"] is None) == (r["eta_seconds"] is None) for r in events[1:])
    for earlier, later in itertools.pairwise(reports):  # what is done only grows
        assert later["rows"] >= earlier["rows"] and later["api_calls"] >= earlier["api_calls"]
    assert reports[-1]["api_calls"] <= summary["api_calls"]
    assert reports[-1]["rows"] <= sum(t["rows"] for t in summary["tables"].values())
    assert summary["warehouse"] == {
        "conn_id": warehouse.conn_id,
        "dialect": warehouse.dialect,
        "table_prefix": warehouse.prefix,
        "schema": None,
    }
    assert summary["rate_limit"] == {"waited_seconds": 0.0, "responses_429": 0}


def test_faults_on_30_percent_of_calls_give_identical_tables(
    emulator: CalendlyEmulator, warehouse: Warehouse, clock: Clock
) -> None:
    clean = _with_writer(warehouse, warehouse.prefix, lambda w: (_sync(w, clock, mode="full"), dump_all(w))[1])
    emulator.reset_stats()
    emulator.set_faults(error_rate=0.2, drop_rate=0.125, seed=3)  # 1 - 0.8 * 0.875 = 30 % of calls fail
    faulty_prefix = warehouse.new_prefix()
    faulty = _with_writer(warehouse, faulty_prefix, lambda w: (_sync(w, clock, mode="full"), dump_all(w))[1])
    failed = sum(n for status, n in emulator.stats()["by_status"].items() if status.startswith("5"))
    assert failed > 0  # faults really happened (dropped connections are not even answered)
    assert faulty == clean


def test_a_run_killed_mid_way_then_rerun_gives_identical_tables(
    emulator: CalendlyEmulator, warehouse: Warehouse, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference_prefix = warehouse.new_prefix()
    clean = _with_writer(warehouse, reference_prefix, lambda w: (_sync(w, clock, mode="full"), dump_all(w))[1])

    original = CalendlyTableWriter.write_rows
    chunks = {"n": 0}

    def crash_in_third_chunk(self: CalendlyTableWriter, rows: Any) -> Any:
        result = original(self, rows)
        chunks["n"] += 1
        if chunks["n"] == 3 and "scheduled_events" in rows:
            raise RuntimeError("worker killed inside a chunk")
        return result

    monkeypatch.setattr(CalendlyTableWriter, "write_rows", crash_in_third_chunk)
    writer = warehouse.writer()
    try:
        with pytest.raises(RuntimeError, match="worker killed"):
            _sync(writer, clock)
        partial = counts(writer)
        assert 0 < partial["scheduled_events"] < EVENTS  # the committed chunks stay, the killed one is gone
        monkeypatch.setattr(CalendlyTableWriter, "write_rows", original)
        clock.now += timedelta(minutes=5)
        rerun = _sync(writer, clock)
        assert rerun["resumed"] is True and rerun["window_start"] is not None
        assert dump_all(writer) == clean
    finally:
        writer.close()


def test_incremental_after_changes_equals_a_full_sync(
    emulator: CalendlyEmulator, warehouse: Warehouse, clock: Clock
) -> None:
    writer = warehouse.writer()
    try:
        first = _sync(writer, clock, lookback=timedelta(days=30))
        assert first["effective_mode"] == "full"

        clock.now += timedelta(hours=6)
        data = emulator.data
        upcoming = sorted(
            (
                e
                for e in data.scheduled_events.values()
                if e["status"] == "active" and e["start_time"] > _iso(clock.now)
            ),
            key=lambda e: e["start_time"],
        )
        recent_past = sorted(
            (
                e
                for e in data.scheduled_events.values()
                if _iso(clock.now - timedelta(days=5)) < e["start_time"] < _iso(clock.now)
            ),
            key=lambda e: e["start_time"],
        )
        emulator.book()  # a new booking, the day after tomorrow
        emulator.cancel_event(upcoming[0]["uri"].rsplit("/", 1)[-1], reason="Conflict")  # an upcoming meeting
        past_invitee = next(
            i for e in recent_past for i in data.invitees[e["uri"].rsplit("/", 1)[-1]] if i["no_show"] is None
        )
        emulator.mark_no_show(past_invitee["uri"])  # a no-show, marked after the meeting

        clock.now += timedelta(hours=1)
        second = _sync(writer, clock, lookback=timedelta(days=30))
        assert second["effective_mode"] == "incremental"
        assert second["api_calls"] < first["api_calls"]
        incremental = dump_all(writer)
    finally:
        writer.close()
    full_prefix = warehouse.new_prefix()
    full = _with_writer(warehouse, full_prefix, lambda w: (_sync(w, clock, mode="full"), dump_all(w))[1])
    assert incremental == full
    no_shows = [row for row in full["invitees"] if row[0] == past_invitee["uri"]]
    assert no_shows and no_shows[0][8] is True  # is_no_show landed with the invitee


def _iso(value: datetime) -> str:
    from airflow_provider_calendly.testing.data import iso

    return iso(value)


def test_invitee_fan_out_stays_under_the_rate_limit(
    clock: Clock, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent invitee listings share the hook's limiter: the emulator, which enforces it, never says 429."""
    with CalendlyEmulator(
        seed=11, scheduled_events=30, now=clock, rate_limit=25, rate_limit_period=1.0, latency=0.01
    ) as emu:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emu.connection_json(rate_limit=25, rate_limit_period=1.0))
        monkeypatch.setenv("AIRFLOW_CONN_FANOUT", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "f.db")}))
        from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook

        with CalendlyTableWriter(resolve_dbapi_hook("fanout")) as writer:
            summary = CalendlySqlSync(
                hook=CalendlyHook(), writer=writer, max_concurrency=8, clock=clock, page_size=100
            ).run()
            assert writer.count("invitees") == emu.count_invitees()
        assert summary["api_calls"] > 25  # more than one window's worth, so pacing was needed
        assert emu.count(status=429) == 0
