"""Action operators against the emulator over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.operators.calendly import (
    CalendlyGetEventTypeOperator,
    CalendlyListEventTypesOperator,
    CalendlyMarkNoShowOperator,
    CalendlyUndoNoShowOperator,
)
from airflow_provider_calendly.testing import CalendlyEmulator


def _run(operator: Any) -> Any:
    return operator.execute(context={})


def _unmarked_invitee(emulator: CalendlyEmulator) -> dict[str, Any]:
    return next(i for invs in emulator.data.invitees.values() for i in invs if i["no_show"] is None)


def test_list_event_types_defaults_to_the_organization(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    result = _run(CalendlyListEventTypesOperator(task_id="t"))
    assert sorted(e["uri"] for e in result) == sorted(e["uri"] for e in calendly_emulator.data.event_types)
    active = _run(CalendlyListEventTypesOperator(task_id="t", active=True))
    assert active
    assert {e["uri"] for e in active} == {e["uri"] for e in calendly_emulator.data.event_types if e["active"]}
    owner = calendly_emulator.data.users[1]["uri"]
    mine = _run(CalendlyListEventTypesOperator(task_id="t", user=owner))
    assert mine
    assert all(e["profile"]["owner"] == owner for e in mine)


def test_get_event_type_by_uuid_or_uri(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    uri = calendly_emulator.data.event_types[0]["uri"]
    by_uri = _run(CalendlyGetEventTypeOperator(task_id="t", event_type=uri))
    by_uuid = _run(CalendlyGetEventTypeOperator(task_id="t", event_type=uri.rsplit("/", 1)[-1]))
    assert by_uri == by_uuid
    assert by_uri["name"] == calendly_emulator.data.event_types[0]["name"]


def test_mark_no_show_is_idempotent(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    invitee = _unmarked_invitee(calendly_emulator)
    first = _run(CalendlyMarkNoShowOperator(task_id="t", invitee_uri=invitee["uri"]))
    calendly_emulator.reset_stats()
    second = _run(CalendlyMarkNoShowOperator(task_id="t", invitee_uri=invitee["uri"]))
    assert second["uri"] == first["uri"]
    assert calendly_emulator.count(path_prefix="/invitee_no_shows") == 0  # no second POST
    assert len(calendly_emulator.state.no_shows) == sum(
        1 for invs in calendly_emulator.data.invitees.values() for i in invs if i["no_show"]
    )


def test_mark_no_show_survives_a_lost_response(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    invitee = _unmarked_invitee(calendly_emulator)
    before = len(calendly_emulator.state.no_shows)
    calendly_emulator.set_faults(drop_after_commit=1)
    result = _run(CalendlyMarkNoShowOperator(task_id="t", invitee_uri=invitee["uri"]))
    assert len(calendly_emulator.state.no_shows) == before + 1  # exactly one effect
    assert result["uri"] == invitee["no_show"]["uri"]
    assert calendly_emulator.count(path_prefix="/invitee_no_shows") == 1


def test_undo_no_show_by_invitee_or_no_show_and_twice(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    invitee = _unmarked_invitee(calendly_emulator)
    marked = _run(CalendlyMarkNoShowOperator(task_id="t", invitee_uri=invitee["uri"]))
    undone = _run(CalendlyUndoNoShowOperator(task_id="t", no_show=marked["uri"]))
    assert undone == {"no_show": marked["uri"], "invitee": None, "deleted": True}
    assert invitee["no_show"] is None
    assert _run(CalendlyUndoNoShowOperator(task_id="t", no_show=marked["uri"]))["deleted"] is False
    assert _run(CalendlyUndoNoShowOperator(task_id="t", invitee_uri=invitee["uri"]))["deleted"] is False
    _run(CalendlyMarkNoShowOperator(task_id="t", invitee_uri=invitee["uri"]))
    assert _run(CalendlyUndoNoShowOperator(task_id="t", invitee_uri=invitee["uri"]))["deleted"] is True
    assert invitee["no_show"] is None


def test_undo_needs_exactly_one_target() -> None:
    with pytest.raises(CalendlyConfigError):
        CalendlyUndoNoShowOperator(task_id="t")
    with pytest.raises(CalendlyConfigError):
        CalendlyUndoNoShowOperator(task_id="t", no_show="A", invitee_uri="B")


def test_template_fields() -> None:
    assert "invitee_uri" in CalendlyMarkNoShowOperator.template_fields
    assert {"no_show", "invitee_uri"} <= set(CalendlyUndoNoShowOperator.template_fields)
    assert "event_type" in CalendlyGetEventTypeOperator.template_fields
    assert {"user", "organization"} <= set(CalendlyListEventTypesOperator.template_fields)
