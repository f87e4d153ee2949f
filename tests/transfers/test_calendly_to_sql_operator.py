"""CalendlyToSqlOperator without a Calendly server: argument checks, outlets, lineage, and the sync's plan."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.transfers.calendly_to_sql import (
    DEFAULT_RESOURCES,
    CalendlyToSqlOperator,
    calendly_table_asset,
    resolve_dbapi_hook,
    tables_for_resources,
)
from airflow_provider_calendly.transfers.passes import plan_pass
from airflow_provider_calendly.transfers.sql_writer import SyncState
from airflow_provider_calendly.transfers.tables import TABLES
from tests.transfers.helpers import untested_warehouse_hook


@pytest.fixture
def sqlite_conn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_WH", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "wh.db")}))
    return "wh"


class _NoCallHook:
    """Stands in for the Calendly hook; any API use fails the test."""

    call_count = 0
    rate_limit = 10

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the Calendly API was used ({name}) before the input was validated")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resources": ("event_types", "meetings")}, "unknown resource"),
        ({"resources": ()}, "resources is empty"),
        ({"table_prefix": "calendly; drop table x; --"}, "not a safe SQL identifier"),
        ({"table_prefix": "9lives_"}, "not a safe SQL identifier"),
        ({"schema": "a.b"}, "not a safe SQL identifier"),
        ({"mode": "sometimes"}, "mode must be one of"),
        ({"lookback": 30}, "lookback must be a non-negative timedelta"),
        ({"sql_conn_id": ""}, "sql_conn_id is required"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"task_id": "t", "sql_conn_id": "wh", **kwargs}
    with pytest.raises(CalendlyConfigError, match=message):
        CalendlyToSqlOperator(**arguments)


def test_templated_prefix_is_checked_when_rendered(sqlite_conn: str) -> None:
    op = CalendlyToSqlOperator(task_id="t", sql_conn_id=sqlite_conn, table_prefix="{{ params.prefix }}")
    op.table_prefix = "bad prefix"  # what rendering produced
    op.__dict__["hook"] = _NoCallHook()
    with pytest.raises(CalendlyConfigError, match="not a safe SQL identifier"):
        op.execute({})  # type: ignore[arg-type]


def test_missing_sql_connection_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", json.dumps({"conn_type": "calendly", "password": "t"}))
    op = CalendlyToSqlOperator(task_id="t", sql_conn_id="does_not_exist")
    with pytest.raises(CalendlyConfigError, match="'does_not_exist' could not be found"):
        op.execute({})  # type: ignore[arg-type]


def test_non_sql_connection_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_NOT_SQL", json.dumps({"conn_type": "calendly", "password": "t"}))
    with pytest.raises(CalendlyConfigError, match="is not a SQL database"):
        resolve_dbapi_hook("not_sql")


def test_unknown_connection_type_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_ODD", json.dumps({"conn_type": "no_such_db", "host": "x"}))
    with pytest.raises(CalendlyConfigError, match="no usable hook"):
        resolve_dbapi_hook("odd")


def test_duckdb_connection_resolves_to_a_dbapi_hook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_DUCK", json.dumps({"conn_type": "duckdb", "host": str(tmp_path / "d.duckdb")}))
    hook = resolve_dbapi_hook("duck")
    assert hook.get_records("SELECT 41 + 1") == [(42,)]


def test_outlets_are_one_asset_per_table() -> None:
    op = CalendlyToSqlOperator(task_id="t", sql_conn_id="wh", resources=["invitees"], schema="analytics")
    assert op.outlets == [
        calendly_table_asset("wh", "calendly_invitees", schema="analytics"),
        calendly_table_asset("wh", "calendly_invitee_answers", schema="analytics"),
    ]
    full = CalendlyToSqlOperator(task_id="u", sql_conn_id="wh")  # the default: every table but the opt-in ones
    assert [a.name for a in full.outlets] == [f"wh.calendly_{t}" for t in tables_for_resources(DEFAULT_RESOURCES)]
    opt_in = {"user_busy_times", "outgoing_communications"}
    assert len(full.outlets) == len([t for t in TABLES.values() if (t.model or t.parent) and t.key not in opt_in])
    assert calendly_table_asset("wh", "calendly_invitees").uri == "calendly-sql://wh/calendly_invitees"


def test_openlineage_is_optional() -> None:
    op = CalendlyToSqlOperator(task_id="t", sql_conn_id="wh")
    try:
        import airflow.providers.openlineage  # noqa: F401
    except ImportError:
        assert op.get_openlineage_facets_on_complete(None) is None
    else:  # pragma: no cover - only with the OpenLineage provider installed
        lineage = op.get_openlineage_facets_on_complete(None)
        assert [d.name for d in lineage.outputs][:1] == ["calendly_event_types"]


def test_an_untested_warehouse_is_refused_before_any_api_call(sqlite_conn: str) -> None:
    op = CalendlyToSqlOperator(task_id="t", sql_conn_id=sqlite_conn)
    op.__dict__["sql_hook"] = untested_warehouse_hook("redshift")
    op.__dict__["hook"] = type("SettingsOnly", (_NoCallHook,), {"settings": None})()
    with pytest.raises(CalendlyConfigError, match=r"conn_type 'redshift'.*supported: sqlite, postgresql, duckdb"):
        op.execute({})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ({"deletions": "purge"}, "deletions must be one of"),
        ({"strict_resources": "yes"}, "strict_resources must be"),
        ({"progress_interval": 0}, "progress_interval must be a positive number"),
        ({"progress_interval": "30"}, "progress_interval must be a positive number"),
    ],
)
def test_new_arguments_are_checked_when_the_dag_is_parsed(argument: dict[str, Any], message: str) -> None:
    with pytest.raises(CalendlyConfigError, match=message):
        CalendlyToSqlOperator(task_id="t", sql_conn_id="wh", **argument)


def test_resources_do_not_clobber_baseoperator_resources() -> None:
    op = CalendlyToSqlOperator(task_id="t", sql_conn_id="wh", resources=["event_types"])
    assert op.calendly_resources == ("event_types",)


def test_mapped_transfer_takes_calendly_resources() -> None:
    """``partial(resources=...)`` is Airflow's executor resources: a mapped transfer names its own another way."""
    from airflow.sdk import DAG
    from airflow.serialization.serialized_objects import DagSerialization

    with DAG("mapped", schedule=None, start_date=datetime(2024, 1, 1)) as dag:
        CalendlyToSqlOperator.partial(
            task_id="by_user", sql_conn_id="wh", calendly_resources=["invitees", "scheduled_events"]
        ).expand(user=["u1", "u2"])
    task = DagSerialization.from_dict(DagSerialization.to_dict(dag)).get_task("by_user")
    assert task.partial_kwargs["calendly_resources"] == ["invitees", "scheduled_events"]
    op = CalendlyToSqlOperator(task_id="t", sql_conn_id="wh", calendly_resources=["invitees", "scheduled_events"])
    assert op.calendly_resources == ("scheduled_events", "invitees")
    with pytest.raises(CalendlyConfigError, match="not both"):
        CalendlyToSqlOperator(task_id="t", sql_conn_id="wh", resources=["invitees"], calendly_resources=["invitees"])


# --- the incremental plan, decided from the sync_state rows ---------------------------------------------------

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def _plan(states: dict[str, SyncState | None], mode: str) -> tuple[Any, ...]:
    return plan_pass(states, NOW, mode=mode, lookback=timedelta(days=10))


def test_first_incremental_run_reads_everything() -> None:
    assert _plan({"scheduled_events": None, "invitees": None}, "incremental") == (NOW, None, "full", False)


def test_incremental_run_reads_from_watermark_minus_lookback() -> None:
    w = NOW - timedelta(days=1)
    states: dict[str, SyncState | None] = {
        "scheduled_events": SyncState("scheduled_events", "s", watermark=w),
        "invitees": SyncState("invitees", "s", watermark=w - timedelta(days=2)),  # the older one wins
    }
    assert _plan(states, "incremental") == (NOW, w - timedelta(days=12), "incremental", False)
    assert _plan(states, "full") == (NOW, None, "full", False)


def test_unfinished_pass_is_resumed_with_its_original_start() -> None:
    first_attempt = NOW - timedelta(hours=2)
    progress = NOW - timedelta(days=40)
    states: dict[str, SyncState | None] = {
        t: SyncState(t, "s", pass_started_at=first_attempt, pass_mode="full", resume_from=progress)
        for t in ("scheduled_events", "invitees")
    }
    started, window, mode, resumed = _plan(states, "incremental")
    assert (started, mode, resumed) == (first_attempt, "full", True)
    assert window is not None and window <= progress  # re-reads the boundary, never skips past it
    # A full run resumes an unfinished full pass too, but never an incremental one.
    assert _plan(states, "full")[3] is True
    for state in states.values():
        assert state is not None
        state.pass_mode = "incremental"
    assert _plan(states, "full") == (NOW, None, "full", False)
