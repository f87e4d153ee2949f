"""The one shape of idempotent recovery, :func:`write_once`, on its own: look, send, and look before resending."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_calendly.client.recovery import delete_once, write_once
from airflow_provider_calendly.exceptions import (
    CalendlyAPIError,
    CalendlyConnectionError,
    CalendlyNotFoundError,
    CalendlyServerError,
)


class _World:
    """A write's target: ``send`` may apply and still fail (a lost answer); ``look`` sees what applied."""

    def __init__(self, outcomes: list[tuple[bool, CalendlyAPIError | None]]) -> None:
        self.outcomes = outcomes  # per send: (applied, error raised afterwards)
        self.applied = 0
        self.sends = 0
        self.looks: list[CalendlyAPIError | None] = []

    def send(self) -> str:
        applied, error = self.outcomes[self.sends]
        self.sends += 1
        self.applied += applied
        if error is not None:
            raise error
        return "sent"

    def look(self, failure: CalendlyAPIError | None) -> str | None:
        self.looks.append(failure)
        return "found" if self.applied else None


def _lost(status: int | None = None) -> CalendlyAPIError:
    if status is None:
        return CalendlyConnectionError("request failed: ConnectionError", method="POST", path="/x")
    return CalendlyServerError("boom", status_code=status, method="POST", path="/x")


def _unknown(exc: CalendlyAPIError) -> bool:
    return isinstance(exc, CalendlyConnectionError | CalendlyServerError)


def _once(world: _World, **kwargs: Any) -> tuple[str, bool]:
    sleeps: list[float] = []
    return write_once(world.send, world.look, may_have_applied=_unknown, sleep=sleeps.append, **kwargs)


def test_a_write_that_succeeds_is_sent_once_and_not_looked_for() -> None:
    world = _World([(True, None)])
    assert _once(world) == ("sent", True)
    assert (world.sends, world.looks) == (1, [])


def test_a_lost_answer_is_looked_for_not_resent() -> None:
    lost = _lost()
    world = _World([(True, lost)])
    assert _once(world, resends=3) == ("found", False)
    assert world.sends == 1 and world.applied == 1
    assert world.looks == [lost]


def test_a_failure_that_did_not_apply_is_resent_after_looking() -> None:
    world = _World([(False, _lost(503)), (True, None)])
    assert _once(world, resends=1) == ("sent", True)
    assert world.sends == 2 and world.applied == 1 and len(world.looks) == 1


def test_without_resends_the_failure_is_raised_after_one_look() -> None:
    error = _lost(502)
    world = _World([(False, error)])
    with pytest.raises(CalendlyServerError) as caught:
        _once(world)
    assert caught.value is error
    assert world.looks == [error]


def test_the_last_failure_is_looked_for_before_it_is_raised() -> None:
    world = _World([(False, _lost()), (True, _lost())])
    assert _once(world, resends=1) == ("found", False)
    assert world.sends == 2 and world.applied == 1


def test_a_failure_that_cannot_have_applied_is_raised_without_looking() -> None:
    world = _World([(False, CalendlyNotFoundError("gone", status_code=404, method="POST", path="/x"))])
    with pytest.raises(CalendlyNotFoundError):
        _once(world, resends=3)
    assert (world.sends, world.looks) == (1, [])


def test_look_first_finds_an_earlier_effect_without_sending() -> None:
    world = _World([])
    world.applied = 1  # an earlier try of the task applied it
    assert _once(world, look_first=True) == ("found", False)
    assert (world.sends, world.looks) == (0, [None])


def test_delete_once_reads_a_404_as_already_done() -> None:
    def gone() -> None:
        raise CalendlyNotFoundError("gone", status_code=404, method="DELETE", path="/x")

    assert delete_once(lambda: None) is True
    assert delete_once(gone) is False
