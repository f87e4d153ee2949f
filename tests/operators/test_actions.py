"""Write actions (cancel, single-use links, available times, booking, data deletion) against the emulator."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import (
    CalendlyAuthError,
    CalendlyConfigError,
    CalendlyEventInPastError,
)
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.operators.calendly import (
    CalendlyBookMeetingOperator,
    CalendlyCancelEventOperator,
    CalendlyCreateSchedulingLinkOperator,
    CalendlyDeleteInviteeDataOperator,
    CalendlyListAvailableTimesOperator,
)
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.testing.data import iso

PERSON = {"name": "Ada Lovelace", "email": "ada@example.org", "timezone": "Europe/London"}


class _Retry:
    """The part of an Airflow context the booking operator reads: the try number."""

    def __init__(self, try_number: int) -> None:
        self.try_number = try_number


def _run(operator: Any, try_number: int = 1) -> Any:
    return operator.execute(context={"ti": _Retry(try_number)})


def _active_type(emulator: CalendlyEmulator) -> dict[str, Any]:
    return next(e for e in emulator.data.event_types if e["active"])


def _future_event(emulator: CalendlyEmulator) -> dict[str, Any]:
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    event, _invitee = emulator.book(start_time=start)
    return event


def _posts(emulator: CalendlyEmulator, suffix: str) -> list[int]:
    return [r.status for r in emulator.requests if r.method == "POST" and r.path.endswith(suffix)]


# -- cancel --


def test_cancel_event_once_then_already_canceled(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    seen: list[str] = []
    calendly_emulator.add_listener(lambda name, payload: seen.append(name))
    event = _future_event(calendly_emulator)
    first = _run(CalendlyCancelEventOperator(task_id="t", event=event["uri"], reason="Host is ill"))
    assert first["canceled_now"] is True
    assert first["cancellation"]["reason"] == "Host is ill"
    assert event["status"] == "canceled"
    assert seen.count("invitee.canceled") == 1
    json.dumps(first)
    again = _run(CalendlyCancelEventOperator(task_id="t", event=event["uri"].rsplit("/", 1)[-1]))
    assert again["canceled_now"] is False
    assert again["cancellation"]["reason"] == "Host is ill"
    assert seen.count("invitee.canceled") == 1


def test_cancel_retried_after_a_dropped_response_has_one_effect(
    calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    seen: list[str] = []
    calendly_emulator.add_listener(lambda name, payload: seen.append(name))
    event = _future_event(calendly_emulator)
    calendly_emulator.set_faults(drop_after_commit=1, path_prefix="/scheduled_events")
    result = _run(CalendlyCancelEventOperator(task_id="t", event=event["uri"]))
    assert event["status"] == "canceled"
    assert result["cancellation"]["canceler_type"] == "host"
    assert _posts(calendly_emulator, "/cancellation") == [0]  # one POST, its answer lost; no second POST
    assert seen.count("invitee.canceled") == 1
    retried = _run(CalendlyCancelEventOperator(task_id="t", event=event["uri"]), try_number=2)
    assert retried["canceled_now"] is False
    assert seen.count("invitee.canceled") == 1


def test_cancel_a_past_event_is_a_clear_error(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    now = iso(calendly_emulator.now())
    past = next(
        e for e in calendly_emulator.data.scheduled_events.values() if e["status"] == "active" and e["start_time"] < now
    )
    with pytest.raises(CalendlyEventInPastError, match="started at"):
        _run(CalendlyCancelEventOperator(task_id="t", event=past["uri"]))
    assert past["status"] == "active"


# -- scheduling links --


def test_scheduling_link_books_once(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    event_type = _active_type(calendly_emulator)
    link = _run(CalendlyCreateSchedulingLinkOperator(task_id="t", event_type=event_type["uri"]))
    assert link["owner"] == event_type["uri"]
    assert link["owner_type"] == "EventType"
    assert link["booking_url"].startswith("https://calendly.com/d/")
    invitee = calendly_emulator.actions.book_with_link(link["booking_url"], email="bob@example.org")
    assert invitee["email"] == "bob@example.org"
    with pytest.raises(ValueError, match="already used"):
        calendly_emulator.actions.book_with_link(link["booking_url"])
    with pytest.raises(CalendlyConfigError, match="max_event_count"):
        _run(CalendlyCreateSchedulingLinkOperator(task_id="t", event_type=event_type["uri"], max_event_count=2))


# -- available times --


def test_available_times_split_long_ranges(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    event_type = _active_type(calendly_emulator)
    start = datetime.now(timezone.utc) + timedelta(hours=1)
    end = start + timedelta(days=40)
    calendly_emulator.reset_stats()
    slots = _run(
        CalendlyListAvailableTimesOperator(
            task_id="t", event_type=event_type["uri"], start=start.isoformat(), end=end.isoformat()
        )
    )
    assert calendly_emulator.count(path_prefix="/event_type_available_times") == 2  # 31 days + 9 days
    starts = [s["start_time"] for s in slots]
    assert starts == sorted(set(starts))
    assert all(start <= datetime.fromisoformat(s.replace("Z", "+00:00")) < end for s in starts)
    assert {s["status"] for s in slots} == {"available"}
    calendly_emulator.reset_stats()
    few = _run(
        CalendlyListAvailableTimesOperator(task_id="t", event_type=event_type["uri"], start=start, end=end, limit=3)
    )
    assert len(few) == 3
    assert calendly_emulator.count(path_prefix="/event_type_available_times") == 1  # lazy: stopped early


def test_available_times_reject_bad_ranges_before_any_call(
    calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    hook = CalendlyHook()
    uri = _active_type(calendly_emulator)["uri"]
    now = datetime.now(timezone.utc)
    with pytest.raises(CalendlyConfigError, match="after start_time"):
        hook.list_available_times(uri, start_time=now + timedelta(days=2), end_time=now + timedelta(days=1))
    with pytest.raises(CalendlyConfigError, match="in the past"):
        hook.list_available_times(uri, start_time=now - timedelta(days=2), end_time=now - timedelta(days=1))
    assert calendly_emulator.count(path_prefix="/event_type_available_times") == 0


# -- booking --


def _first_slot(emulator: CalendlyEmulator, event_type: dict[str, Any]) -> str:
    now = datetime.now(timezone.utc)
    slot = next(
        iter(CalendlyHook().list_available_times(event_type["uri"], start_time=now, end_time=now + timedelta(days=7)))
    )
    return slot.start_time.isoformat()


def _bookings(emulator: CalendlyEmulator, email: str) -> list[dict[str, Any]]:
    return [i for invs in emulator.data.invitees.values() for i in invs if i["email"] == email]


def test_book_meeting_then_retry_books_nothing_more(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    event_type = _active_type(calendly_emulator)
    start = _first_slot(calendly_emulator, event_type)
    op = CalendlyBookMeetingOperator(
        task_id="t",
        event_type=event_type["uri"],
        start_time=start,
        invitee=PERSON,
        questions_and_answers=[{"question": "Company name", "answer": "Analytical Engines", "position": 0}],
    )
    first = _run(op)
    assert first["booked_now"] is True
    assert first["invitee"]["email"] == PERSON["email"]
    assert first["invitee"]["questions_and_answers"][0]["answer"] == "Analytical Engines"
    json.dumps(first)
    retried = _run(op, try_number=2)
    assert retried["booked_now"] is False
    assert retried["invitee"]["uri"] == first["invitee"]["uri"]
    assert _posts(calendly_emulator, "/invitees") == [201]
    assert len(_bookings(calendly_emulator, PERSON["email"])) == 1
    # the slot is gone from the available times now
    assert start not in [
        s.start_time.isoformat()
        for s in CalendlyHook().list_available_times(
            event_type["uri"], start_time=start, end_time=datetime.fromisoformat(start) + timedelta(hours=1)
        )
    ]


def test_book_meeting_after_a_dropped_response_books_once(
    calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    event_type = _active_type(calendly_emulator)
    start = _first_slot(calendly_emulator, event_type)
    calendly_emulator.set_faults(drop_after_commit=1, path_prefix="/invitees")
    result = _run(
        CalendlyBookMeetingOperator(task_id="t", event_type=event_type["uri"], start_time=start, invitee=PERSON)
    )
    assert result["booked_now"] is False  # found by the look-up before re-sending
    assert _posts(calendly_emulator, "/invitees") == [0]
    assert len(_bookings(calendly_emulator, PERSON["email"])) == 1


def test_book_meeting_rejects_bad_invitees_before_any_call(
    calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    uri = _active_type(calendly_emulator)["uri"]
    start = "2030-01-07T10:00:00Z"
    for invitee, match in [
        ({"email": "ada@example.org", "timezone": "Europe/London"}, "name"),
        ({**PERSON, "email": "not-an-email"}, "email"),
        ({**PERSON, "timezone": "Mars/Olympus"}, "timezone"),
        ({**PERSON, "phone": "1"}, "unknown"),
    ]:
        with pytest.raises(CalendlyConfigError, match=match):
            CalendlyHook().book_meeting(uri, start, invitee)
    assert calendly_emulator.count(path_prefix="/invitees") == 0


def test_booking_is_paced_under_its_own_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with CalendlyEmulator(seed=7, scheduled_events=10, monotonic=lambda: now[0]) as emulator:
        emulator.actions.scheduling_rate_limits = ((2, 60.0),)
        monkeypatch.setenv(
            "AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json(scheduling_rate_limits=[[2, 60.0]])
        )
        hook = CalendlyHook(clock=lambda: now[0], sleep=sleep)
        event_type = _active_type(emulator)
        slots = list(
            hook.list_available_times(
                event_type["uri"],
                start_time=datetime.now(timezone.utc),
                end_time=datetime.now(timezone.utc) + timedelta(days=7),
            )
        )[:3]
        for n, slot in enumerate(slots):
            hook.book_meeting(event_type["uri"], slot.start_time, {**PERSON, "email": f"p{n}@example.org"})
        assert _posts(emulator, "/invitees") == [201, 201, 201]  # no 429: the third waited instead
        assert slept and sum(slept) == pytest.approx(60.0, abs=0.01)
        assert hook.rate_limiter.limit == 100  # the main budget is separate and untouched by the 2/60 s


# -- data deletion --


def test_delete_invitee_data_needs_confirm() -> None:
    with pytest.raises(CalendlyConfigError, match="confirm=True"):
        CalendlyDeleteInviteeDataOperator(task_id="t", emails=["a@example.org"])


def test_delete_invitee_data_enterprise_only_and_retried_safely(
    calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    email = next(i for invs in calendly_emulator.data.invitees.values() for i in invs)["email"]
    op = CalendlyDeleteInviteeDataOperator(task_id="t", emails=[email, email], confirm=True)
    with pytest.raises(CalendlyAuthError, match="Enterprise"):
        _run(op)
    calendly_emulator.data.organization["plan"] = "enterprise"
    calendly_emulator.set_faults(drop_after_commit=1, path_prefix="/data_compliance")
    result = _run(op)
    assert result == {"emails": [email], "requested": True}
    assert _bookings(calendly_emulator, email) == []
    assert calendly_emulator.actions.deletion_requests == [[email], [email]]  # resent after the lost answer
    assert _posts(calendly_emulator, "/deletion/invitees")[-2:] == [0, 202]


def test_template_fields() -> None:
    assert "event" in CalendlyCancelEventOperator.template_fields
    assert "event_type" in CalendlyCreateSchedulingLinkOperator.template_fields
    assert {"event_type", "start", "end"} <= set(CalendlyListAvailableTimesOperator.template_fields)
    assert {"event_type", "start_time", "invitee"} <= set(CalendlyBookMeetingOperator.template_fields)
    assert "emails" in CalendlyDeleteInviteeDataOperator.template_fields


def test_emulator_scheduling_api_answers_429_with_its_own_headers(calendly_emulator: CalendlyEmulator) -> None:
    import requests

    calendly_emulator.actions.scheduling_rate_limits = ((1, 60.0),)
    headers = {"Authorization": f"Bearer {calendly_emulator.token}"}
    body = {"event_type": "", "start_time": "2030-01-07T10:00:00Z", "invitee": PERSON}
    first = requests.post(f"{calendly_emulator.base_url}/invitees", json=body, headers=headers, timeout=5)
    assert first.status_code == 400  # counted, then refused for the missing event type
    second = requests.post(f"{calendly_emulator.base_url}/invitees", json=body, headers=headers, timeout=5)
    assert second.status_code == 429
    assert second.headers["X-RateLimit-Limit"] == "1"
    assert second.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(second.headers["Retry-After"]) <= 60


def test_delete_invitee_data_in_dag_test(
    airflow_db: Path, calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    """The example deletion DAG runs in ``dag.test()`` (emails from the run's params) and removes the bookings."""
    from tests.example_dags.helpers import load_example_dag

    dag = load_example_dag("calendly_data_deletion.py", "calendly_data_deletion")
    email = next(i for invs in calendly_emulator.data.invitees.values() for i in invs)["email"]
    calendly_emulator.data.organization["plan"] = "enterprise"

    run = dag.test(run_conf={"emails": [email]})

    assert str(run.state) == "success"
    assert _bookings(calendly_emulator, email) == []
    assert calendly_emulator.actions.deletion_requests == [[email]]
