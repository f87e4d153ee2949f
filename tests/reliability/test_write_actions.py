"""Write actions under retries: mark/undo no-show run twice, or retried after a lost response, act exactly once."""

from __future__ import annotations

import time
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyConnectionError, CalendlyServerError
from airflow_provider_calendly.operators.calendly import CalendlyMarkNoShowOperator, CalendlyUndoNoShowOperator
from airflow_provider_calendly.testing import CalendlyEmulator
from tests.reliability.conftest import instant_hook


def _invitee(emulator: CalendlyEmulator, *, marked: bool = False) -> dict[str, Any]:
    invitees = [i for invs in emulator.data.invitees.values() for i in invs]
    found = next((i for i in invitees if (i["no_show"] is not None) == marked), None)
    if found is None and marked:  # the synthetic data has no no-show yet: mark one, as a host would
        found = invitees[0]
        emulator.mark_no_show(found["uri"])
    assert found is not None
    return found


def _mark(invitee_uri: str) -> dict[str, Any]:
    op = CalendlyMarkNoShowOperator(task_id="mark", invitee_uri=invitee_uri)
    op.hook, _clock = instant_hook()
    return op.execute({})  # type: ignore[arg-type]


def _undo(**kwargs: str) -> dict[str, Any]:
    op = CalendlyUndoNoShowOperator(task_id="undo", **kwargs)
    op.hook, _clock = instant_hook()
    return op.execute({})  # type: ignore[arg-type]


def _no_shows_of(emulator: CalendlyEmulator, invitee_uri: str) -> list[dict[str, Any]]:
    return [n for n in emulator.state.no_shows.values() if n["invitee"] == invitee_uri]


def _writes(emulator: CalendlyEmulator, method: str) -> list[int]:
    return [r.status for r in emulator.requests if r.method == method]


def test_mark_twice_marks_once(emulator: CalendlyEmulator) -> None:
    uri = _invitee(emulator)["uri"]
    first = _mark(uri)
    second = _mark(uri)  # an Airflow retry or a manual rerun
    assert first["uri"] == second["uri"]
    assert len(_no_shows_of(emulator, uri)) == 1
    assert _writes(emulator, "POST") == [201]  # the rerun saw the no-show and did not POST again


def test_mark_retried_after_the_response_was_lost(emulator: CalendlyEmulator) -> None:
    uri = _invitee(emulator)["uri"]
    emulator.set_faults(drop_after_commit=1)  # Calendly commits the no-show, the connection drops
    result = _mark(uri)
    [no_show] = _no_shows_of(emulator, uri)
    assert result["uri"] == no_show["uri"]
    assert _writes(emulator, "POST") == [0]  # one POST, never resent; the outcome was read back instead
    assert _mark(uri)["uri"] == no_show["uri"]  # and a later retry of the task changes nothing
    assert len(_no_shows_of(emulator, uri)) == 1


def test_mark_after_a_5xx_that_did_not_apply_fails_cleanly_and_the_retry_marks_once(emulator: CalendlyEmulator) -> None:
    uri = _invitee(emulator)["uri"]
    emulator.set_faults(next_errors=1, path_prefix="/invitee_no_shows")
    with pytest.raises(CalendlyServerError):  # not applied, not blindly resent: the task fails...
        _mark(uri)
    assert _no_shows_of(emulator, uri) == []
    _mark(uri)  # ...and Airflow's retry marks it
    assert len(_no_shows_of(emulator, uri)) == 1


def test_mark_when_the_post_never_arrives_fails_without_marking(emulator: CalendlyEmulator) -> None:
    uri = _invitee(emulator)["uri"]
    emulator.set_faults(next_drops=1, path_prefix="/invitee_no_shows")
    with pytest.raises(CalendlyConnectionError):
        _mark(uri)
    assert _no_shows_of(emulator, uri) == []
    assert _writes(emulator, "POST") == [0]


def test_undo_twice_undoes_once(emulator: CalendlyEmulator) -> None:
    invitee = _invitee(emulator, marked=True)
    first = _undo(invitee_uri=invitee["uri"])
    second = _undo(invitee_uri=invitee["uri"])
    assert first["deleted"] is True and second["deleted"] is False
    assert _no_shows_of(emulator, invitee["uri"]) == []
    assert _writes(emulator, "DELETE") == [204]


def test_undo_by_no_show_uri_twice(emulator: CalendlyEmulator) -> None:
    invitee = _invitee(emulator, marked=True)
    no_show = invitee["no_show"]["uri"]
    assert _undo(no_show=no_show)["deleted"] is True
    assert _undo(no_show=no_show)["deleted"] is False  # 404 on the second DELETE counts as done
    assert _writes(emulator, "DELETE") == [204, 404]


def test_undo_retried_after_the_response_was_lost(emulator: CalendlyEmulator) -> None:
    invitee = _invitee(emulator, marked=True)
    no_show = invitee["no_show"]["uri"]
    emulator.set_faults(drop_after_commit=1)
    result = _undo(invitee_uri=invitee["uri"])
    assert result["no_show"] == no_show
    assert _no_shows_of(emulator, invitee["uri"]) == []
    assert _writes(emulator, "DELETE")[0] == 0  # the committed DELETE's answer was lost; the retry found it done
    assert _undo(invitee_uri=invitee["uri"])["deleted"] is False


def test_mark_then_undo_then_mark_again_ends_marked_once(emulator: CalendlyEmulator) -> None:
    uri = _invitee(emulator)["uri"]
    emulator.set_faults(drop_after_commit=3)
    _mark(uri)
    _undo(invitee_uri=uri)
    _mark(uri)
    assert len(_no_shows_of(emulator, uri)) == 1


def test_mark_whose_post_times_out_then_lands_is_done_once_by_the_retry(emulator: CalendlyEmulator) -> None:
    """The POST outlives the 1 s timeout and Calendly applies it afterwards: the task fails, its retry succeeds."""
    uri = _invitee(emulator)["uri"]
    emulator.set_faults(next_slow=1, slow_response=1.3, path_prefix="/invitee_no_shows")
    with pytest.raises(CalendlyConnectionError, match="timed out"):
        _mark(uri)  # not resent: it may still land
    deadline = time.monotonic() + 10
    while not _no_shows_of(emulator, uri):  # the slow POST commits on the server after the client gave up
        assert time.monotonic() < deadline
        time.sleep(0.02)
    retried = _mark(uri)  # Airflow's retry
    [no_show] = _no_shows_of(emulator, uri)
    assert retried["uri"] == no_show["uri"]
    assert _writes(emulator, "POST") == [201]  # one POST in all
