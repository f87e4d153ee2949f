"""Every fault Calendly can throw at a transfer or an action: the tables and XComs equal a fault-free run's.

Each case runs the real CalendlyToSqlOperator against the emulator with one fault mode switched on, into a
fresh SQLite warehouse, and compares every data table (all columns but ``_synced_at``) and the XCom's row
counts with a fault-free run of the same data. Retries are instant: the hook runs on a fake clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import (
    CalendlyConnectionError,
    CalendlyPaginationError,
    CalendlyRateLimitError,
    CalendlyServerError,
)
from airflow_provider_calendly.operators.calendly import CalendlyListEventTypesOperator
from airflow_provider_calendly.testing import CalendlyEmulator
from tests.reliability.conftest import comparable, instant_hook, run_transfer, sqlite_warehouse, tables

FAULTS: dict[str, dict[str, Any]] = {
    "429-storm-with-headers": {"rate_limit_storm": 6, "storm_headers": True},
    "429-storm-without-headers": {"rate_limit_storm": 6, "storm_headers": False},
    "5xx-burst": {"next_errors": 6},
    "5xx-30-percent": {"error_rate": 0.3, "seed": 3},
    "dropped-connections": {"next_drops": 4},
    "drops-30-percent": {"drop_rate": 0.3, "seed": 4},
    "slower-than-timeout": {"next_slow": 2, "slow_response": 1.5},
    "malformed-json": {"next_malformed": 3},
    "malformed-30-percent": {"malformed_rate": 0.3, "seed": 5},
    "truncated-json-30-percent": {"truncated_rate": 0.3, "seed": 6},
    "empty-page-with-token": {"empty_page_with_token": 3, "path_prefix": "/scheduled_events"},
    "everything-at-once": {
        "error_rate": 0.1,
        "drop_rate": 0.1,
        "malformed_rate": 0.05,
        "truncated_rate": 0.05,
        "rate_limit_storm": 3,
        "seed": 7,
    },
}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
def test_transfer_under_faults_equals_a_fault_free_run(
    faults: dict[str, Any],
    emulator: CalendlyEmulator,
    reference: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator.set_faults(**faults)
    wh = sqlite_warehouse(tmp_path, monkeypatch, "faulty_wh")

    summary = run_transfer(wh)

    assert tables(wh) == reference["tables"]  # same rows, same values: nothing lost, changed or doubled
    assert comparable(summary) == reference["xcom"]
    assert emulator.count() > reference["calls"], "no call was retried: the fault never fired"


def test_a_rerun_after_a_faulty_run_changes_nothing(
    emulator: CalendlyEmulator, reference: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = sqlite_warehouse(tmp_path, monkeypatch, "rerun_wh")
    emulator.set_faults(error_rate=0.2, drop_rate=0.1, seed=8)
    run_transfer(wh)
    emulator.clear_faults()
    again = run_transfer(wh)
    assert tables(wh) == reference["tables"]
    assert all(table["inserted"] == 0 for table in again["tables"].values())  # upserts only: no duplicates


def test_repeated_page_token_is_a_clear_error_not_a_loop(
    emulator: CalendlyEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.set_faults(repeat_page_token=True, path_prefix="/scheduled_events")
    wh = sqlite_warehouse(tmp_path, monkeypatch, "loop_wh")
    with pytest.raises(CalendlyPaginationError, match="already returned"):
        run_transfer(wh, resources=["scheduled_events"])
    listed = emulator.count(path_prefix="/scheduled_events")
    assert listed <= 3  # page 1, page 2 (token A), page 3 (token A again): stop


def test_list_operator_xcom_is_the_same_under_faults(emulator: CalendlyEmulator) -> None:
    def run() -> Any:
        op = CalendlyListEventTypesOperator(task_id="list")
        op.hook, _clock = instant_hook()
        return op.execute({})  # type: ignore[arg-type]

    clean = run()
    emulator.set_faults(rate_limit_storm=2, next_errors=2, next_drops=1, next_malformed=1)
    assert run() == clean
    assert emulator.count(status=429) == 2


# --- retries run out: a typed error naming the last status and Calendly's message ------------------------------


@pytest.mark.parametrize(
    ("faults", "error", "status", "message"),
    [
        ({"next_errors": 100, "error_statuses": [503]}, CalendlyServerError, 503, "temporarily unavailable"),
        ({"rate_limit_storm": 100}, CalendlyRateLimitError, 429, "exceeded the rate limit"),
        ({"rate_limit_storm": 100, "storm_headers": False}, CalendlyRateLimitError, 429, "exceeded the rate limit"),
        ({"next_drops": 100}, CalendlyConnectionError, None, "request failed"),
    ],
    ids=["5xx", "429", "429-no-headers", "drops"],
)
def test_exhausted_retries_raise_a_typed_error(
    faults: dict[str, Any], error: type[Exception], status: int | None, message: str, emulator: CalendlyEmulator
) -> None:
    emulator.set_faults(**faults)
    op = CalendlyListEventTypesOperator(task_id="list")
    op.hook, clock = instant_hook()
    with pytest.raises(error, match=message) as caught:
        op.execute({})  # type: ignore[arg-type]
    assert caught.value.status_code == status  # type: ignore[attr-defined]
    assert caught.value.path == "/users/me"  # type: ignore[attr-defined]
    assert emulator.count() == 9  # max_retries=8: nine attempts, then give up
    assert len([s for s in clock.sleeps if s > 0]) >= 8  # waited (on the fake clock) between attempts


def test_storm_waits_exactly_what_the_server_says(emulator: CalendlyEmulator) -> None:
    emulator.set_faults(rate_limit_storm=3, storm_headers=True)  # Retry-After: 1, X-RateLimit-Reset: 1
    hook, clock = instant_hook()
    list(hook.list_event_types())
    assert emulator.count(status=429) == 3
    assert [round(s, 2) for s in clock.sleeps if s > 0] == [1.0, 1.0, 1.0]  # no jitter, no margin, no more
