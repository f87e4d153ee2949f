"""The contact, recap and Share operators: arguments checked when the DAG is parsed, everything an id is templated."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.operators.contacts import (
    CalendlyCreateContactOperator,
    CalendlyDeleteContactOperator,
    CalendlyUpdateContactOperator,
)
from airflow_provider_calendly.operators.meeting_recaps import (
    CalendlyDeleteMeetingRecapOperator,
    CalendlyUpdateMeetingRecapOperator,
)
from airflow_provider_calendly.operators.shares import (
    CalendlyCreateShareOperator,
    CalendlyDeleteShareOperator,
    CalendlyUpdateShareOperator,
)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CalendlyDeleteContactOperator(task_id="t"), "exactly one"),
        (lambda: CalendlyDeleteContactOperator(task_id="t", contact="C1", contact_email="a@b.example"), "exactly one"),
        (lambda: CalendlyUpdateContactOperator(task_id="t", changes={"city": "x"}), "exactly one"),
        (lambda: CalendlyUpdateMeetingRecapOperator(task_id="t", meeting_recap="R1", highlights={"x": "y"}), "x"),
    ],
)
def test_bad_arguments_fail_when_the_dag_is_parsed(build: Any, message: str) -> None:
    with pytest.raises(CalendlyConfigError, match=message):
        build()


def test_every_id_and_payload_is_templated() -> None:
    operators = [
        CalendlyCreateContactOperator(task_id="a", contact_email="e", name="n"),
        CalendlyUpdateContactOperator(task_id="b", contact="c", changes={}),
        CalendlyDeleteContactOperator(task_id="c", contact_email="e"),
        CalendlyUpdateMeetingRecapOperator(task_id="d", meeting_recap="r", highlights="{{ params.h }}"),  # type: ignore[arg-type]
        CalendlyDeleteMeetingRecapOperator(task_id="e", meeting_recap="r"),
        CalendlyCreateShareOperator(task_id="f", event_type="et"),
        CalendlyUpdateShareOperator(task_id="g", share="s", changes={}),
        CalendlyDeleteShareOperator(task_id="h", share="s"),
    ]
    for op in operators:
        arguments = {name for name in vars(op) if not name.startswith("_")} & {
            "contact_email",
            "name",
            "fields",
            "contact",
            "changes",
            "meeting_recap",
            "highlights",
            "event_type",
            "settings",
            "share",
        }
        assert arguments <= set(op.template_fields), type(op).__name__
        assert "calendly_conn_id" in op.template_fields
