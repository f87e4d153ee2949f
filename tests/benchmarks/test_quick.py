"""Quick variants of the benchmarks, as correctness checks with generous bounds (no tight timing).

The exact figures come from ``make bench`` (``benchmarks/RESULTS.md``); these tests keep the properties
the figures rest on from regressing — exact call counts, no 429 when the limit is known, completion with
429s only in the first window when it is not, a rate-bound sync reaching at least half the limit, a fan-out that overlaps its
calls — and run each benchmark's ``--quick`` entry point so the suite notices when one rots. Outputs go to
a temporary directory, never into the repository.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.sync import CalendlySqlSync
from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook
from benchmarks import bench_calls, bench_fanout, bench_load, bench_overhead, bench_ratelimit, bench_webhooks, common
from benchmarks.report import Row, render


@pytest.fixture(autouse=True)
def _private_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Send the benchmarks' JSON to ``tmp_path`` and undo the connections they put in the environment."""
    monkeypatch.setattr(common, "OUT", tmp_path / "out")
    monkeypatch.setattr(bench_load, "OUT", tmp_path / "out")
    monkeypatch.setattr(bench_webhooks, "OUT", tmp_path / "out")
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _hook(monkeypatch: pytest.MonkeyPatch, emulator: CalendlyEmulator, conn_id: str, **extra: Any) -> CalendlyHook:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", emulator.connection_json(**extra))
    return CalendlyHook(calendly_conn_id=conn_id)


def _writer(monkeypatch: pytest.MonkeyPatch, path: Path) -> CalendlyTableWriter:
    monkeypatch.setenv("AIRFLOW_CONN_BENCH_QUICK_SQLITE", f'{{"conn_type": "sqlite", "host": "{path}"}}')
    return CalendlyTableWriter(resolve_dbapi_hook("bench_quick_sqlite"), "calendly_")


def _counts(emulator: CalendlyEmulator) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in emulator.requests:
        key = (
            "identity"
            if record.path == "/users/me"
            else "invitees"
            if record.path.endswith("/invitees")
            else record.path
        )
        counts[key] = counts.get(key, 0) + 1
    return counts


# --- goal 1: calls ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("page_size", "take"), [(100, None), (7, None), (100, 150), (1, 5)])
def test_listing_costs_one_call_per_page(monkeypatch: pytest.MonkeyPatch, page_size: int, take: int | None) -> None:
    with CalendlyEmulator(seed=7, scheduled_events=230) as emulator:
        hook = _hook(monkeypatch, emulator, "bench_listing", rate_limit=100_000, rate_limit_period=1)
        listing = hook.list_scheduled_events(page_size=page_size)
        got = sum(1 for _ in (listing if take is None else islice(listing, take)))
        counts = _counts(emulator)
    expected = math.ceil((take or 230) / page_size)
    assert got == (take or 230)
    assert counts == {"/scheduled_events": expected, "identity": 1}


def _full_sync_calls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, events: int
) -> tuple[dict[str, int], dict[str, int]]:
    with CalendlyEmulator(seed=7, scheduled_events=events) as emulator:
        invitees = bench_calls.hand_written_sync(emulator.base_url, emulator.token)
        baseline = _counts(emulator)
        emulator.reset_stats()
        hook = _hook(monkeypatch, emulator, "bench_sync", rate_limit=100_000, rate_limit_period=1)
        writer = _writer(monkeypatch, tmp_path / "sync.db")
        CalendlySqlSync(hook=hook, writer=writer, mode="full").run()
        assert writer.count("invitees") == invitees == emulator.count_invitees()
        writer.close()
        return _counts(emulator), baseline


def test_full_sync_makes_the_hand_written_scripts_calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ours, baseline = _full_sync_calls(monkeypatch, tmp_path, 230)  # 3 pages of scheduled events
    assert ours == baseline


def test_long_full_sync_makes_no_extra_call(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ours, baseline = _full_sync_calls(monkeypatch, tmp_path, 500)  # 5 pages: the progress log's first line
    assert ours == baseline


# --- goal 2: rate-bound throughput -----------------------------------------------------------------------------


def _rate_bound_sync(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, algorithm: str, **extra: Any
) -> tuple[list[float], list[float], int]:
    limit, period = 10, 1.0
    with CalendlyEmulator(
        seed=11, scheduled_events=36, rate_limit=limit, rate_limit_period=period, rate_limit_algorithm=algorithm
    ) as emulator:
        hook = _hook(monkeypatch, emulator, "bench_rate", **extra)
        writer = _writer(monkeypatch, tmp_path / "rate.db")
        CalendlySqlSync(hook=hook, writer=writer, mode="full", resources=common.MEETINGS).run()
        landed = writer.count("invitees")
        writer.close()
        assert landed == emulator.count_invitees()
        accepted = [r.at for r in emulator.requests if r.status != 429]
        rejected = [r.at for r in emulator.requests if r.status == 429]
        return accepted, rejected, limit


@pytest.mark.parametrize("algorithm", ["fixed", "sliding"])
def test_known_limit_no_429_and_at_least_half_the_limit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, algorithm: str
) -> None:
    accepted, rejected, limit = _rate_bound_sync(monkeypatch, tmp_path, algorithm, rate_limit=10, rate_limit_period=1)
    assert rejected == []
    assert common.max_in_window(accepted, 1.0) <= limit
    assert common.sustained_rate(accepted, limit) >= 0.5 * limit


@pytest.mark.parametrize("algorithm", ["fixed", "sliding"])
def test_unknown_limit_429s_only_in_the_first_window(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, algorithm: str
) -> None:
    # The connection says nothing: the hook starts from 100 per 60 s, the server allows 10 per 1 s. Its first
    # answer hands pacing to the server's headers: only calls sent before any answer came back can be refused.
    accepted, rejected, limit = _rate_bound_sync(monkeypatch, tmp_path, algorithm)
    first = min(accepted + rejected)
    assert [t for t in rejected if t > first + 1.0] == []
    if algorithm == "sliding":  # a fixed-window server rightly accepts a burst on each side of its boundary
        assert common.max_in_window(accepted, 1.0) <= limit
    # X-RateLimit-Reset is whole seconds, rounded up: against a 1 s window a client that knows only the headers
    # may wait up to one more window per window (at Calendly's 60 s it is under 2 %; bench_ratelimit: >= 90 %).
    assert common.sustained_rate(accepted, limit) >= 0.4 * limit


def test_sustained_rate_and_window_helpers() -> None:
    # Exactly `limit` calls per period scores limit/period whatever the run length.
    times = [w * 5.0 + i / 1024 for w in range(6) for i in range(20)]  # binary fractions: exact sums
    assert common.sustained_rate(times, 20) == pytest.approx(4.0, rel=0.01)
    assert common.max_in_window(times, 5.0) == 20
    assert common.max_in_window([0.0, 1.0, 1.5, 6.1], 5.0) == 3


# --- goal 4: latency-bound fan-out -----------------------------------------------------------------------------


def test_fanout_overlaps_calls_within_its_bound(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    latency = 0.05
    with CalendlyEmulator(seed=5, scheduled_events=24, latency=latency) as emulator:
        hook = _hook(monkeypatch, emulator, "bench_fanout", rate_limit=10_000, rate_limit_period=60)
        writer = _writer(monkeypatch, tmp_path / "fanout.db")
        sync = CalendlySqlSync(hook=hook, writer=writer, mode="full", resources=common.MEETINGS)
        sync.run()
        writer.close()
        times = sorted(r.at for r in emulator.requests if r.path.endswith("/invitees"))
    rate = len(times) / (times[-1] - times[0] + latency)
    assert len(times) == 24
    assert rate >= 0.5 * sync.max_concurrency / latency  # overlapped, not sequential
    assert rate <= 1.5 * sync.max_concurrency / latency  # and bounded by max_concurrency


# --- the benchmark entry points --------------------------------------------------------------------------------


def _check_rows(rows: list[Row]) -> None:
    assert rows
    for row in rows:
        assert isinstance(row, Row) and row.metric and row.goal
        assert math.isfinite(row.ours)
    assert "| metric |" in render(rows)


def test_bench_calls_quick() -> None:
    rows = bench_calls.collect(["--quick"])
    _check_rows(rows)
    assert all(r.passed for r in rows)  # call counts are exact, not timing: they must hold


def test_bench_ratelimit_quick() -> None:
    rows = bench_ratelimit.collect(["--quick", "--beliefs", "known,default"])
    _check_rows(rows)
    assert len(rows) == 4
    assert all("429" in r.note for r in rows)


def test_bench_fanout_quick() -> None:
    _check_rows(bench_fanout.collect(["--quick", "--latency", "0.05"]))


def test_bench_overhead_quick() -> None:
    _check_rows(bench_overhead.collect(["--quick"]))


def test_bench_load_quick() -> None:
    rows = bench_load.collect(
        [
            "--quick",
            "--warehouses",
            "sqlite",
            "--memory-warehouses",
            "sqlite",
            "--sizes",
            "500,1000",
            "--invitees",
            "300",
        ]
    )
    _check_rows(rows)


def test_bench_webhooks_quick() -> None:
    rows = bench_webhooks.collect(["--quick", "--deliveries", "200"])
    _check_rows(rows)
    assert "stored 200" in rows[0].note
