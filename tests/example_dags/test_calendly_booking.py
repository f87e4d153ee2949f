"""The booking example DAG: find a slot, book it, send a single-use link, cancel, all against the emulator."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_calendly.testing import CalendlyEmulator
from tests.example_dags.helpers import load_example_dag, task_states


def test_booking_dag_books_links_and_cancels(
    airflow_db: Path, calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    dag = load_example_dag("calendly_booking.py", "calendly_booking")

    run = dag.test(run_conf={"invitee_email": "grace@example.org"})

    assert str(run.state) == "success"
    assert set(task_states(run).values()) == {"success"}
    booked = [i for invs in calendly_emulator.data.invitees.values() for i in invs if i["email"] == "grace@example.org"]
    assert len(booked) == 1
    assert booked[0]["status"] == "canceled"
    assert len(calendly_emulator.actions.links) == 1
    posts = {r.path: r.status for r in calendly_emulator.requests if r.method == "POST"}
    assert posts["/invitees"] == 201
    assert posts["/scheduling_links"] == 201
