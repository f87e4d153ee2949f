"""The actions example DAG: imports cleanly, and ``dag.test()`` runs every task against the emulator."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_calendly.testing import CalendlyEmulator
from tests.example_dags.helpers import load_example_dag, task_states


def test_actions_dag_marks_and_undoes_a_no_show(
    airflow_db: Path, calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    dag = load_example_dag("calendly_actions.py", "calendly_actions")
    invitee = next(i for invs in calendly_emulator.data.invitees.values() for i in invs if i["no_show"] is None)

    run = dag.test(run_conf={"invitee_uri": invitee["uri"]})

    assert str(run.state) == "success"
    assert set(task_states(run).values()) == {"success"}
    posts = [r for r in calendly_emulator.requests if r.method == "POST" and r.path == "/invitee_no_shows"]
    deletes = [r for r in calendly_emulator.requests if r.method == "DELETE"]
    assert [r.status for r in posts] == [201]
    assert [r.status for r in deletes] == [204]
    assert invitee["no_show"] is None  # marked, then undone
