from __future__ import annotations

import threading

import pytest

from airflow_provider_calendly.ratelimit import SlidingWindowRateLimiter
from tests.conftest import FakeClock


def _run_calls(limiter: SlidingWindowRateLimiter, clock: FakeClock, n: int, latency: float = 0.0) -> list[float]:
    """Send ``n`` calls through the limiter; return the times they were sent."""
    sent = []
    for _ in range(n):
        limiter.acquire()
        sent.append(clock.now)
        clock.now += latency
        limiter.release()
    return sent


def _max_in_any_window(times: list[float], period: float) -> int:
    return max(sum(1 for t in times if start <= t < start + period) for start in times)


def test_burst_up_to_limit_then_one_call_per_freed_slot(fake_clock: FakeClock) -> None:
    limiter = SlidingWindowRateLimiter(5, 10.0, clock=fake_clock, sleep=fake_clock.sleep)
    sent = _run_calls(limiter, fake_clock, 12)
    assert sent[:5] == [1000.0] * 5  # the burst is not delayed
    assert sent[5] == pytest.approx(1010.0)  # the 6th waits exactly for the first to age out
    assert _max_in_any_window(sent, 10.0) == 5
    # 12 calls at 5 per 10 s take exactly two full windows: no time wasted
    assert sent[-1] - sent[0] == pytest.approx(20.0)


def test_slot_is_timed_from_response_arrival(fake_clock: FakeClock) -> None:
    """Slow responses push the next window back by their latency, so the server never sees limit + 1."""
    limiter = SlidingWindowRateLimiter(2, 10.0, clock=fake_clock, sleep=fake_clock.sleep)
    sent = _run_calls(limiter, fake_clock, 3, latency=0.5)
    assert sent[2] == pytest.approx(sent[0] + 0.5 + 10.0)


def test_server_headers_lower_the_budget(fake_clock: FakeClock) -> None:
    limiter = SlidingWindowRateLimiter(100, 60.0, clock=fake_clock, sleep=fake_clock.sleep)
    limiter.acquire()
    limiter.release()
    limiter.observe(limit=2, remaining=0, reset_after=7.0)
    start = fake_clock.now
    limiter.acquire()
    assert fake_clock.now == pytest.approx(start + 7.0)
    limiter.release()
    # once the server's window reset, its budget is unknown until the next answer: no further wait
    limiter.acquire()
    assert fake_clock.now == pytest.approx(start + 7.0)


def test_block_for_pauses_every_caller(fake_clock: FakeClock) -> None:
    limiter = SlidingWindowRateLimiter(100, 60.0, clock=fake_clock, sleep=fake_clock.sleep)
    limiter.block_for(3.0)
    waited = limiter.acquire()
    assert waited == pytest.approx(3.0)


def test_in_flight_calls_hold_their_slots() -> None:
    """With every slot in flight, a caller waits for a release instead of exceeding the limit."""
    limiter = SlidingWindowRateLimiter(1, 0.01)
    limiter.acquire()
    acquired = threading.Event()

    def second() -> None:
        limiter.acquire()
        acquired.set()
        limiter.release()

    thread = threading.Thread(target=second)
    thread.start()
    assert not acquired.wait(0.05)
    limiter.release()
    assert acquired.wait(5)
    thread.join()


@pytest.mark.parametrize(("limit", "period"), [(0, 1.0), (1, 0.0), (5, -1.0)])
def test_rejects_nonsense_limits(limit: int, period: float) -> None:
    with pytest.raises(ValueError):
        SlidingWindowRateLimiter(limit, period)
