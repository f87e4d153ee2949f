"""Every operator that takes an id returns canonical ``https://api.calendly.com/...`` URIs in its XCom, whether it
was given a UUID, a canonical URI or a URI on the connection's base URL (here: the emulator's address)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.operators.calendly import (
    CalendlyBookMeetingOperator,
    CalendlyCancelEventOperator,
    CalendlyCreateSchedulingLinkOperator,
    CalendlyGetEventTypeOperator,
    CalendlyListAvailableTimesOperator,
    CalendlyListEventTypesOperator,
    CalendlyMarkNoShowOperator,
    CalendlyUndoNoShowOperator,
)
from airflow_provider_calendly.operators.webhooks import (
    CalendlyCheckWebhookSubscriptionOperator,
    CalendlyDeleteWebhookSubscriptionOperator,
    CalendlyEnsureWebhookSubscriptionOperator,
)
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.uris import CANONICAL_API_URL

FORMS = ("uuid", "canonical", "base_url")
KEY = "canonical-test-signing-key"
URL = "https://airflow.example.com/calendly/webhooks"
PERSON = {"name": "Ada Lovelace", "email": "ada@example.org", "timezone": "Europe/London"}


@pytest.fixture
def conn(calendly_emulator: CalendlyEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", calendly_emulator.connection_json(webhook_signing_key=KEY))
    return "calendly_default"


def _as(form: str, uri: str, emulator: CalendlyEmulator) -> str:
    """``uri`` (canonical) written the way a user might pass it."""
    assert uri.startswith(f"{CANONICAL_API_URL}/")
    if form == "uuid":
        return uri.rsplit("/", 1)[-1]
    if form == "base_url":
        return emulator.base_url + uri.removeprefix(CANONICAL_API_URL)
    return uri


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _assert_canonical(xcom: Any, emulator: CalendlyEmulator) -> None:
    """No value of the XCom names the emulator's address: every resource URI in it is canonical."""
    strings = list(_strings(xcom))
    assert not [s for s in strings if emulator.base_url in s]
    assert any(s.startswith(f"{CANONICAL_API_URL}/") for s in strings)


def _run(operator: Any) -> Any:
    return operator.execute(context={})


def _future_event(emulator: CalendlyEmulator) -> dict[str, Any]:
    start = (datetime.now(timezone.utc) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    event, _invitee = emulator.book(start_time=start)
    return event


def _unmarked_invitee(emulator: CalendlyEmulator) -> dict[str, Any]:
    return next(i for invs in emulator.data.invitees.values() for i in invs if i["no_show"] is None)


def _active_type(emulator: CalendlyEmulator) -> dict[str, Any]:
    return next(e for e in emulator.data.event_types if e["active"])


@pytest.mark.parametrize("form", FORMS)
def test_cancel_event_returns_the_canonical_event(calendly_emulator: CalendlyEmulator, conn: str, form: str) -> None:
    event = _future_event(calendly_emulator)
    given = _as(form, event["uri"], calendly_emulator)
    result = _run(CalendlyCancelEventOperator(task_id="t", event=given))
    assert result["event"] == event["uri"]
    assert _run(CalendlyCancelEventOperator(task_id="t", event=given))["event"] == event["uri"]  # already canceled
    _assert_canonical(result, calendly_emulator)


@pytest.mark.parametrize("form", FORMS)
def test_get_and_list_event_types_return_canonical_uris(
    calendly_emulator: CalendlyEmulator, conn: str, form: str
) -> None:
    event_type = calendly_emulator.data.event_types[0]
    got = _run(CalendlyGetEventTypeOperator(task_id="t", event_type=_as(form, event_type["uri"], calendly_emulator)))
    assert got["uri"] == event_type["uri"]
    _assert_canonical(got, calendly_emulator)
    owner = event_type["profile"]["owner"]
    mine = _run(CalendlyListEventTypesOperator(task_id="t", user=_as(form, owner, calendly_emulator)))
    assert mine and all(e["profile"]["owner"] == owner for e in mine)
    _assert_canonical(mine, calendly_emulator)
    organization = calendly_emulator.data.organization["uri"]
    listed = _run(CalendlyListEventTypesOperator(task_id="t", organization=_as(form, organization, calendly_emulator)))
    assert {e["uri"] for e in listed} == {e["uri"] for e in calendly_emulator.data.event_types}


@pytest.mark.parametrize("form", ["canonical", "base_url"])
def test_mark_and_undo_no_show_by_invitee_return_canonical_uris(
    calendly_emulator: CalendlyEmulator, conn: str, form: str
) -> None:
    invitee = _unmarked_invitee(calendly_emulator)
    given = _as(form, invitee["uri"], calendly_emulator)
    marked = _run(CalendlyMarkNoShowOperator(task_id="t", invitee_uri=given))
    assert marked["invitee"] == invitee["uri"]
    again = _run(CalendlyMarkNoShowOperator(task_id="t", invitee_uri=given))  # found, not marked again
    assert again["uri"] == marked["uri"] and again["invitee"] == invitee["uri"]
    _assert_canonical([marked, again], calendly_emulator)
    undone = _run(CalendlyUndoNoShowOperator(task_id="t", invitee_uri=given))
    assert undone == {"no_show": marked["uri"], "invitee": invitee["uri"], "deleted": True}
    nothing = _run(CalendlyUndoNoShowOperator(task_id="t", invitee_uri=given))
    assert nothing == {"no_show": None, "invitee": invitee["uri"], "deleted": False}


def test_an_invitee_is_not_named_by_its_uuid_alone(calendly_emulator: CalendlyEmulator, conn: str) -> None:
    invitee = _unmarked_invitee(calendly_emulator)
    with pytest.raises(CalendlyConfigError, match="invitee URI"):
        _run(CalendlyMarkNoShowOperator(task_id="t", invitee_uri=_as("uuid", invitee["uri"], calendly_emulator)))
    assert calendly_emulator.count() == 0


@pytest.mark.parametrize("form", FORMS)
def test_undo_no_show_by_its_id_returns_the_canonical_no_show(
    calendly_emulator: CalendlyEmulator, conn: str, form: str
) -> None:
    no_show = calendly_emulator.mark_no_show(_unmarked_invitee(calendly_emulator)["uri"])
    given = _as(form, no_show["uri"], calendly_emulator)
    undone = _run(CalendlyUndoNoShowOperator(task_id="t", no_show=given))
    assert undone == {"no_show": no_show["uri"], "invitee": None, "deleted": True}
    assert _run(CalendlyUndoNoShowOperator(task_id="t", no_show=given))["no_show"] == no_show["uri"]


@pytest.mark.parametrize("form", FORMS)
def test_scheduling_link_available_times_and_booking_return_canonical_uris(
    calendly_emulator: CalendlyEmulator, conn: str, form: str
) -> None:
    event_type = _active_type(calendly_emulator)
    given = _as(form, event_type["uri"], calendly_emulator)
    link = _run(CalendlyCreateSchedulingLinkOperator(task_id="t", event_type=given))
    assert link["owner"] == event_type["uri"]
    _assert_canonical(link, calendly_emulator)
    now = datetime.now(timezone.utc)
    slots = _run(
        CalendlyListAvailableTimesOperator(
            task_id="t", event_type=given, start=now.isoformat(), end=(now + timedelta(days=7)).isoformat(), limit=1
        )
    )
    assert slots and not [s for s in _strings(slots) if calendly_emulator.base_url in s]
    booked = _run(
        CalendlyBookMeetingOperator(task_id="t", event_type=given, start_time=slots[0]["start_time"], invitee=PERSON)
    )
    assert booked["booked_now"] is True
    assert booked["invitee"]["uri"].startswith(f"{CANONICAL_API_URL}/scheduled_events/")
    _assert_canonical(booked, calendly_emulator)


@pytest.mark.parametrize("form", FORMS)
def test_webhook_operators_return_canonical_uris(calendly_emulator: CalendlyEmulator, conn: str, form: str) -> None:
    organization = calendly_emulator.data.organization["uri"]
    user = calendly_emulator.data.users[0]["uri"]
    org_given, user_given = _as(form, organization, calendly_emulator), _as(form, user, calendly_emulator)
    ensured = _run(CalendlyEnsureWebhookSubscriptionOperator(task_id="t", url=URL, organization=org_given))
    assert ensured["organization"] == organization
    mine = _run(
        CalendlyEnsureWebhookSubscriptionOperator(
            task_id="t", url=URL, scope="user", organization=org_given, user=user_given
        )
    )
    assert (mine["scope"], mine["user"]) == ("user", user)
    again = _run(  # found by its user, whatever form names it: not created twice
        CalendlyEnsureWebhookSubscriptionOperator(
            task_id="t", url=URL, scope="user", organization=org_given, user=user_given
        )
    )
    assert again["uri"] == mine["uri"]
    assert len(calendly_emulator.webhooks.subscriptions) == 2
    checked = _run(CalendlyCheckWebhookSubscriptionOperator(task_id="t", url=URL, organization=org_given))
    assert checked["uri"] == ensured["uri"]
    _assert_canonical([ensured, mine, again, checked], calendly_emulator)
    deleted = _run(
        CalendlyDeleteWebhookSubscriptionOperator(task_id="t", subscription=_as(form, mine["uri"], calendly_emulator))
    )
    assert deleted == {"deleted": [mine["uri"]]}
    by_url = _run(CalendlyDeleteWebhookSubscriptionOperator(task_id="t", url=URL, organization=org_given))
    assert by_url == {"deleted": [ensured["uri"]]}
