"""The onboarding, opt-in warehouse and event data deletion example DAGs, run by ``dag.test()`` against the emulator."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.transfers.dialects import as_datetime
from tests.example_dags.helpers import load_example_dag, task_states, xcom
from tests.transfers.helpers import Warehouse


def test_onboarding_sets_a_member_up_once(
    airflow_db: Path, calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    em = calendly_emulator
    dag = load_example_dag("calendly_onboarding.py", "calendly_onboarding")
    conf = {"new_member_email": "grace@new.example", "withdrawn_email": "new.hire@acme.example"}

    first = dag.test(run_conf=conf)

    assert str(first.state) == "success" and set(task_states(first).values()) == {"success"}
    made = xcom(first, "calendly_onboarding", "create_event_type")
    assert made["created_now"] is True
    event_type = next(e for e in em.data.event_types if e["uri"] == made["event_type"]["uri"])
    assert (event_type["name"], event_type["active"], event_type["duration_options"]) == (
        "Onboarding call",
        True,
        [30, 45],
    )
    rule = em.availability.rules[event_type["uri"]]
    assert rule["timezone"] == "Europe/London" and [r["wday"] for r in rule["rules"]] == [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
    ]
    assert em.availability.limits[em.data.users[0]["uri"]] == {"daily_limit": 6, "weekly_limit": 25}
    assert [o["name"] for o in em.administration.one_off_event_types] == ["Kick-off with grace@new.example"]
    invitations = {i["email"]: i["status"] for i in em.administration.invitations}
    assert invitations["grace@new.example"] == "pending" and "new.hire@acme.example" not in invitations

    again = dag.test(run_conf=conf)  # a rerun: nothing sent or made twice but the one-off meeting

    assert str(again.state) == "success"
    assert xcom(again, "calendly_onboarding", "invite_member")["invited_now"] is False
    assert xcom(again, "calendly_onboarding", "create_event_type")["created_now"] is False
    assert sum(i["email"] == "grace@new.example" for i in em.administration.invitations) == 1
    assert sum(e["name"] == "Onboarding call" for e in em.data.event_types) == 1


def test_the_opt_in_resources_land_from_their_example_dag(
    airflow_db: Path,
    calendly_emulator: CalendlyEmulator,
    calendly_conn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    em = calendly_emulator
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WAREHOUSE", json.dumps({"conn_type": "duckdb", "host": str(tmp_path / "w.duckdb")})
    )
    dag = load_example_dag("calendly_warehouse_extras.py", "calendly_warehouse_extras")
    before = em.now()

    run = dag.test()

    after = em.now()
    assert str(run.state) == "success"
    summary = xcom(run, "calendly_warehouse_extras", "land_calendly")
    assert summary["skipped"] == {} and {"user_busy_times", "outgoing_communications"} <= set(summary["tables"])
    writer = Warehouse(kind="duckdb", conn_id="calendly_warehouse", prefix="calendly_").writer()
    try:
        landed = {
            (u, t, as_datetime(s), as_datetime(e))
            for u, t, s, e in writer.execute(
                "SELECT user_uri, type, start_time, end_time FROM calendly_user_busy_times"
            )
        }
        communications = writer.count("outgoing_communications")
    finally:
        writer.close()

    def busy(start: Any, end: Any) -> set[tuple[Any, ...]]:
        return {
            (u["uri"], b["type"], as_datetime(b["start_time"]), as_datetime(b["end_time"]))
            for u in em.data.users
            for b in em.availability.busy_times(u["uri"], start, end)
        }

    # The run read from its own "now" (between before and after) 14 days ahead.
    assert (
        busy(after + timedelta(seconds=1), before + timedelta(days=14))
        <= landed
        <= busy(before, after + timedelta(days=14))
    )
    assert landed and communications == len(em.administration.communications)


def test_event_data_deletion_dag(airflow_db: Path, calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    em = calendly_emulator
    em.data.organization["plan"] = "enterprise"
    dag = load_example_dag("calendly_data_deletion.py", "calendly_event_data_deletion")
    start, end = em.now() - timedelta(days=100), em.now() - timedelta(days=10)

    run = dag.test(run_conf={"start": start.isoformat(), "end": end.isoformat()})

    assert str(run.state) == "success"
    assert len(em.actions.event_deletion_requests) == 1
    remaining = [e["start_time"] for e in em.data.scheduled_events.values()]
    assert not [t for t in remaining if start.isoformat()[:19] <= t[:19] < end.isoformat()[:19]]
