"""The marts' numbers are right: each one equals the figures computed in Python from the emulator's own data
(tests/dbt/reference.py, the README's definitions written without SQL), for several seeds, on DuckDB and
PostgreSQL, with the run's "now" pinned through ``calendly_as_of``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.dbt import reference
from tests.dbt.conftest import BUSY_SEED, Built

pytestmark = pytest.mark.integration

EXPECTED: dict[str, Callable[[Built], reference.Figures]] = {
    "calendly__meetings": lambda b: reference.meetings(b.landed),
    "calendly__no_show_rates": lambda b: reference.no_show_rates(b.landed),
    "calendly__routing_funnel": lambda b: reference.routing_funnel(b.landed),
    "calendly__host_activity": lambda b: reference.host_activity(b.landed, b.busy_times),
}


@pytest.mark.parametrize("mart", list(EXPECTED))
def test_mart_equals_the_independent_figures(built: Built, mart: str) -> None:
    expected = EXPECTED[mart](built)
    actual = built.marts[mart]
    assert set(actual) == set(expected), f"{mart}: grain rows differ"
    diffs = {key: (actual[key], expected[key]) for key in expected if actual[key] != expected[key]}
    assert not diffs, f"{mart}: {len(diffs)} rows differ, e.g. {next(iter(diffs.items()))}"


def test_dbt_build_passes_every_model_and_test(built: Built) -> None:
    """Every model built and every data test passed, warnings included (relationships of deleted rows warn)."""
    results = built.summary["results"]
    assert set(results) == {"success", "pass"}, results
    assert results["success"] == 11  # 7 staging models and 4 marts


def test_the_scenario_exercises_every_definition(built: Built) -> None:
    """The equality above is not vacuous: each seed has what every definition distinguishes."""
    meetings = built.marts["calendly__meetings"].values()
    assert any(m["hosts"] == 2 for m in meetings) and any(m["hosts"] == 1 for m in meetings)
    assert any(m["is_rescheduled_into"] for m in meetings) and any(m["is_rescheduled_out_of"] for m in meetings)
    assert any(m["status"] == "canceled" for m in meetings) and any(not m["has_started"] for m in meetings)
    rates = built.marts["calendly__no_show_rates"].values()
    assert any(r["no_shows"] for r in rates) and any(r["no_show_rate"] == 0 for r in rates)
    funnel = built.marts["calendly__routing_funnel"]
    assert any(source == "(none)" for _form, source in funnel) and len({s for _f, s in funnel}) > 1
    assert sum(f["booked"] for f in funnel.values()) > sum(f["held"] for f in funnel.values()) > 0
    assert any(f["booked"] < f["submissions"] for f in funnel.values())
    activity = built.marts["calendly__host_activity"].values()
    assert any(a["cancellations"] for a in activity) and any(a["no_shows"] for a in activity)
    assert built.raw_deleted >= 4  # invitees and a routing form the second sync marked deleted


def test_busy_minutes_only_when_busy_times_are_landed(built: Built) -> None:
    busy: list[Any] = [a["busy_minutes"] for a in built.marts["calendly__host_activity"].values()]
    if built.seed == BUSY_SEED:
        assert all(b is not None for b in busy) and sum(busy) > 0
    else:
        assert all(b is None for b in busy)
