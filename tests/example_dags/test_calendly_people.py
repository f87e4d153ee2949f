"""The contacts, recaps and Shares example DAG: imports cleanly, and ``dag.test()`` runs every task against the
emulator."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_calendly.testing import CalendlyEmulator
from tests.example_dags.helpers import load_example_dag, task_states, xcom


def test_people_dag_creates_shares_edits_and_tidies_up(
    airflow_db: Path, calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    people = calendly_emulator.people
    dag = load_example_dag("calendly_people.py", "calendly_people")
    recap = next(r for r in people.recaps if r["status"] == "Available")
    shares_before = len(people.shares)
    conf = {
        "contact_email": "ada@example.com",
        "contact_name": "Ada Lovelace",
        "event_type": people.shareable_event_types()[0]["uri"],
        "meeting_recap": recap["uri"],
    }

    run = dag.test(run_conf=conf)

    assert str(run.state) == "success"
    assert set(task_states(run).values()) == {"success"}
    created = xcom(run, "calendly_people", "create_contact")
    assert created["created"] is True and created["contact"]["company"] == "Acme Inc."
    share = xcom(run, "calendly_people", "update_share")
    assert share["contact"] == created["contact"]["uri"]
    assert share["share_override"]["name"] == "A call for Ada Lovelace"
    assert xcom(run, "calendly_people", "delete_share")["deleted"] is True
    assert xcom(run, "calendly_people", "delete_contact") == {"contact": created["contact"]["uri"], "deleted": True}
    assert xcom(run, "calendly_people", "update_recap")["action_items_md"] == "- Send Ada Lovelace the quote"
    assert xcom(run, "calendly_people", "delete_recap")["deleted"] is True
    assert recap not in people.recaps and len(people.shares) == shares_before
    assert all(c["emails"][0]["email"] != "ada@example.com" for c in people.contacts)
    patches = [r for r in calendly_emulator.requests if r.method == "PATCH"]
    assert {r.status for r in patches} == {200} and len(patches) == 3  # contact, share, recap
