"""The actions example DAG: imports cleanly, and ``dag.test()`` runs every task against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_provider_calendly.testing import CalendlyEmulator
from tests.conftest import EXAMPLE_DAGS


def _task_states(dag_run: Any) -> dict[str, str]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances(session=session)}


def test_actions_dag_marks_and_undoes_a_no_show(
    airflow_db: Path, calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(EXAMPLE_DAGS / "calendly_actions.py"))
    assert bag.import_errors == {}
    dag = bag.get_dag("calendly_actions")
    invitee = next(i for invs in calendly_emulator.data.invitees.values() for i in invs if i["no_show"] is None)

    run = dag.test(run_conf={"invitee_uri": invitee["uri"]})

    assert str(run.state) == "success"
    assert set(_task_states(run).values()) == {"success"}
    posts = [r for r in calendly_emulator.requests if r.method == "POST" and r.path == "/invitee_no_shows"]
    deletes = [r for r in calendly_emulator.requests if r.method == "DELETE"]
    assert [r.status for r in posts] == [201]
    assert [r.status for r in deletes] == [204]
    assert invitee["no_show"] is None  # marked, then undone
