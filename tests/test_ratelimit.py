from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import multiprocessing
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.ratelimit import (
    RateLimiter,
    RedisRateLimiter,
    SlidingWindowRateLimiter,
    budget_key,
    redact_url,
    validate_storage_url,
)
from tests.conftest import FakeClock


def _run_calls(limiter: RateLimiter, clock: FakeClock, n: int, latency: float = 0.0) -> list[float]:
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


def test_headers_that_agree_with_the_window_add_no_wait(fake_clock: FakeClock) -> None:
    """A server that counted no call we do not know of: its whole-second reset must not delay us."""
    limiter = SlidingWindowRateLimiter(5, 10.0, clock=fake_clock, sleep=fake_clock.sleep)
    _run_calls(limiter, fake_clock, 5)
    fake_clock.now += 9.5
    limiter.observe(limit=5, remaining=0, reset_after=1.0)  # the true reset is 0.5 s away, rounded up
    limiter.acquire()
    assert fake_clock.now == pytest.approx(1010.0)
    limiter.release()


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


# --- out-of-order answers, server windows, and a limit that was not configured ------------------------------


class _Server:
    """A server-side rate limit on the fake clock, answering like the emulator (reset in whole seconds, up)."""

    def __init__(self, clock: FakeClock, limit: int, period: float, algorithm: str = "fixed") -> None:
        self.clock, self.limit, self.period, self.algorithm = clock, limit, period, algorithm
        self.times: list[float] = []  # accepted calls
        self.rejected = 0
        self._window_start = -math.inf
        self._count = 0

    def call(self) -> tuple[bool, int, float]:
        """Count one call; return (accepted, X-RateLimit-Remaining, X-RateLimit-Reset)."""
        now = self.clock.now
        if self.algorithm == "sliding":
            live = [t for t in self.times if t > now - self.period]
            accepted = len(live) < self.limit
            used = len(live) + accepted
            reset = (live[0] if live else now) + self.period - now
        else:
            if now - self._window_start >= self.period:
                self._window_start, self._count = now, 0
            accepted = self._count < self.limit
            self._count += accepted
            used = self._count
            reset = self._window_start + self.period - now
        if accepted:
            self.times.append(now)
        else:
            self.rejected += 1
        return accepted, max(0, self.limit - used), float(math.ceil(reset))


def _run_against(limiter: RateLimiter, server: _Server, n: int, latency: float = 0.01) -> list[float]:
    """Send ``n`` calls one after another as the hook does (429s retried); return when each was accepted."""
    sent: list[float] = []
    while len(sent) < n:
        limiter.acquire()
        accepted, remaining, reset = server.call()
        server.clock.now += latency
        limiter.observe(server.limit, remaining, reset)  # as the hook does: before the call's slot is released
        limiter.release()
        if accepted:
            sent.append(server.clock.now - latency)
        else:
            limiter.block_for(reset)
    return sent


Factory = Callable[[int | None, float], RateLimiter]


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.integration)])
def make_limiter(request: pytest.FixtureRequest, fake_clock: FakeClock) -> Factory:
    """Build the in-process limiter, or the Redis one on a key of its own: the same algorithm, both ways."""
    if request.param == "local":
        return lambda limit, period: SlidingWindowRateLimiter(limit, period, clock=fake_clock, sleep=fake_clock.sleep)
    redis_url = request.getfixturevalue("redis_url")
    redis_key = request.getfixturevalue("redis_key")
    return lambda limit, period: _shared(redis_url, redis_key, fake_clock, limit=limit, period=period)


def _answers_out_of_order(limiter: RateLimiter) -> None:
    """Two calls in flight take the server's last two slots; the newer answer (0 left) is observed first."""
    limiter.acquire()
    limiter.acquire()
    limiter.observe(20, 0, 5.0)  # the call the server counted last: nothing left
    limiter.release()
    limiter.observe(20, 1, 5.0)  # the older answer, observed late: it must not reopen a slot
    limiter.release()


@pytest.mark.parametrize("limit", [None, 100], ids=["not-configured", "configured-looser"])
def test_out_of_order_answers_never_raise_remaining_within_a_window(make_limiter: Factory, limit: int | None) -> None:
    limiter = make_limiter(limit, 5.0)
    _answers_out_of_order(limiter)
    assert limiter.acquire() == pytest.approx(5.0)  # the server's reset, not at once into a 429
    limiter.release()


@pytest.mark.parametrize("limit", [None, 100], ids=["not-configured", "configured-looser"])
def test_a_new_server_window_raises_remaining(make_limiter: Factory, fake_clock: FakeClock, limit: int | None) -> None:
    limiter = make_limiter(limit, 60.0)
    limiter.acquire()
    limiter.release()
    limiter.observe(20, 0, 5.0)  # held: nothing left until 1005
    fake_clock.now += 0.5
    limiter.observe(20, 3, 5.0)  # same window (reset within the header's rounding): ignored
    fake_clock.now += 0.5
    limiter.observe(20, 3, 1.0)  # reset 3 s *earlier*: an answer from a window already over, ignored
    assert limiter.acquire() == pytest.approx(4.0)
    limiter.release()
    limiter.observe(20, 19, 5.0)  # the held reset has passed: a higher budget is believed again
    for _ in range(19):
        assert limiter.acquire() == 0.0
        limiter.release()
    fake_clock.now += 1.0
    limiter.observe(20, 10, 7.0)  # the reset moved on by 3 s (> the 1 s rounding): a new window
    assert limiter.acquire() == 0.0
    limiter.release()


def test_answers_narrow_the_reset_from_above(make_limiter: Factory, fake_clock: FakeClock) -> None:
    """Each answer bounds the reset from above; a later answer of the same window may bound it tighter."""
    limiter = make_limiter(None, 60.0)
    limiter.acquire()
    limiter.release()
    limiter.observe(20, 0, 5.0)  # the reset is in (1004, 1005]
    fake_clock.now += 0.7
    limiter.observe(20, 0, 4.0)  # ... and in (1003.7, 1004.7]
    assert limiter.acquire() == pytest.approx(4.0)


@pytest.mark.parametrize("algorithm", ["fixed", "sliding"])
def test_not_configured_adopts_the_servers_budget(make_limiter: Factory, fake_clock: FakeClock, algorithm: str) -> None:
    """No limit set: after the first answer the server's 20 per 5 s govern, not the assumed 100 per 60 s."""
    limiter = make_limiter(None, 60.0)
    assert (limiter.limit, limiter.period) == (100, 60.0)
    server = _Server(fake_clock, 20, 5.0, algorithm)
    sent = _run_against(limiter, server, 140)
    assert server.rejected == 0
    assert _max_in_any_window(sent, 5.0) == 20
    # 140 calls at 20 per 5 s: 6 windows after the first burst, no 40 s pause once 100 calls are made
    assert max(b - a for a, b in itertools.pairwise(sent)) <= 5.0 + 1e-6
    assert sent[-1] - sent[0] == pytest.approx(30.0, abs=6 * 0.21)  # latency and rounding only


def test_not_configured_follows_a_server_more_generous_than_the_guess(
    make_limiter: Factory, fake_clock: FakeClock
) -> None:
    limiter = make_limiter(None, 60.0)
    server = _Server(fake_clock, 500, 60.0)
    sent = _run_against(limiter, server, 300, latency=0.0)
    assert sent[-1] == sent[0]  # the assumed 100 per 60 s holds nothing back that the server allows
    assert server.rejected == 0


def test_configured_limit_keeps_its_own_window(make_limiter: Factory, fake_clock: FakeClock) -> None:
    """A configured limit stands even when the server reports more: its window is exact, the server's not."""
    limiter = make_limiter(5, 10.0)
    server = _Server(fake_clock, 100, 60.0)
    sent = _run_against(limiter, server, 12, latency=0.0)
    assert sent[:5] == [1000.0] * 5
    assert sent[5] == pytest.approx(1010.0)
    assert _max_in_any_window(sent, 10.0) == 5


def test_configured_limit_still_obeys_a_stricter_server(make_limiter: Factory, fake_clock: FakeClock) -> None:
    """Told 5x the real limit: the server's answers hold it to 20 per 5 s, with no 429 and no extra wait."""
    limiter = make_limiter(100, 5.0)
    server = _Server(fake_clock, 20, 5.0)
    sent = _run_against(limiter, server, 60)
    assert server.rejected == 0
    assert _max_in_any_window(sent, 5.0) == 20
    assert sent[-1] - sent[0] == pytest.approx(10.0, abs=2 * 0.21)


def test_not_configured_asks_one_call_at_a_time_after_a_spent_window() -> None:
    """Once a spent server window resets, one call goes first: its answer says how much the server has left."""
    limiter = SlidingWindowRateLimiter(None, 60.0)
    limiter.acquire()
    limiter.release()
    limiter.observe(20, 0, 0.0)  # spent, and reset already: the server's budget is unknown
    limiter.acquire()  # the one call that asks
    acquired = threading.Event()

    def second() -> None:
        limiter.acquire()
        acquired.set()
        limiter.release()

    thread = threading.Thread(target=second)
    thread.start()
    assert not acquired.wait(0.05)
    limiter.release()
    limiter.observe(20, 19, 5.0)
    assert acquired.wait(5)
    thread.join()


# --- the Redis-backed, shared limiter -----------------------------------------------------------------------

DEAD_REDIS = "redis://:hunter2-secret@127.0.0.1:1/0"  # port 1: connection refused at once


@pytest.fixture
def redis_key(redis_url: str) -> Iterator[str]:
    """A budget key with a prefix unique to this test; its Redis keys are deleted afterwards."""
    import redis

    key = budget_key("token", "https://api.calendly.test", prefix=f"calendly-test:{uuid.uuid4().hex}")
    yield key
    client = redis.Redis.from_url(redis_url)
    client.delete(f"{{{key}}}:calls", f"{{{key}}}:server")
    client.close()


def _shared(
    redis_url: str, key: str, clock: FakeClock, limit: int | None = 5, period: float = 10.0
) -> RedisRateLimiter:
    return RedisRateLimiter(limit, period, url=redis_url, key=key, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://:pw@cache.internal:6380/2", "unix:///run/redis/redis.sock?db=1"]
)
def test_storage_url_accepts_redis_schemes(url: str) -> None:
    assert validate_storage_url(f"  {url} ") == url


@pytest.mark.parametrize(
    "url", ["http://:pw-in-url@127.0.0.1:6379", "127.0.0.1:6379", "redis://:pw-in-url@", "unix://", "redis://h:x/0"]
)
def test_storage_url_rejects_others_without_quoting_it(url: str) -> None:
    with pytest.raises(CalendlyConfigError) as err:
        validate_storage_url(url)
    assert "pw-in-url" not in str(err.value)
    assert "rate_limit_storage" in str(err.value)


def test_redact_url_hides_only_the_password() -> None:
    assert redact_url("redis://user:s3cret@h:6379/0") == "redis://user:***@h:6379/0"
    assert redact_url("rediss://:s3cret@h/1") == "rediss://:***@h/1"
    assert redact_url("redis://h:6379/0") == "redis://h:6379/0"


def test_budget_key_hashes_token_and_url() -> None:
    key = budget_key("secret-token", "https://api.calendly.com")
    assert "secret-token" not in key
    assert key == budget_key("secret-token", "https://api.calendly.com/")
    assert key != budget_key("other-token", "https://api.calendly.com")
    assert key != budget_key("secret-token", "http://127.0.0.1:8765")


def test_missing_redis_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # ``import redis`` now raises ImportError
    with pytest.raises(CalendlyConfigError, match=r"airflow-provider-calendly\[redis\]"):
        RedisRateLimiter(5, 10.0, url="redis://127.0.0.1:6379/0", key="k")


def test_unreachable_redis_falls_back_with_one_warning(fake_clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisRateLimiter(5, 10.0, url=DEAD_REDIS, key="k", clock=fake_clock, sleep=fake_clock.sleep)
    with caplog.at_level(logging.WARNING, logger="airflow_provider_calendly.ratelimit"):
        limiter.block_for(0.0)
        sent = _run_calls(limiter, fake_clock, 12)
    # the in-process fallback keeps the exact budget of this process
    assert sent[:5] == [1000.0] * 5
    assert sent[5] == pytest.approx(1010.0)
    assert _max_in_any_window(sent, 10.0) == 5
    assert not limiter.shared
    warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert "hunter2-secret" not in caplog.text
    assert "redis://:***@127.0.0.1:1/0" in caplog.text
    assert "hunter2-secret" not in repr(limiter)


def test_fallback_keeps_the_servers_signals(fake_clock: FakeClock) -> None:
    limiter = RedisRateLimiter(100, 60.0, url=DEAD_REDIS, key="k", clock=fake_clock, sleep=fake_clock.sleep)
    limiter.block_for(3.0)  # Redis is down: the 429's reset still holds this process back
    assert limiter.acquire() == pytest.approx(3.0)
    limiter.release()


@pytest.mark.integration
def test_shared_burst_then_one_call_per_freed_slot(redis_url: str, redis_key: str, fake_clock: FakeClock) -> None:
    """Two limiters on one key (two workers) together send at most ``limit`` calls per window, no slower."""
    first, second = _shared(redis_url, redis_key, fake_clock), _shared(redis_url, redis_key, fake_clock)
    sent = []
    for i in range(12):
        limiter = first if i % 2 else second
        limiter.acquire()
        sent.append(fake_clock.now)
        limiter.release()
    assert sent[:5] == [1000.0] * 5
    assert sent[5] == pytest.approx(1010.0)
    assert _max_in_any_window(sent, 10.0) == 5
    assert sent[-1] - sent[0] == pytest.approx(20.0)
    assert first.shared and second.shared


@pytest.mark.integration
def test_shared_slot_is_timed_from_response_arrival(redis_url: str, redis_key: str, fake_clock: FakeClock) -> None:
    first, second = (
        _shared(redis_url, redis_key, fake_clock, limit=2),
        _shared(redis_url, redis_key, fake_clock, limit=2),
    )
    start = fake_clock.now
    first.acquire()
    second.acquire()
    fake_clock.now += 0.5
    first.release()
    second.release()
    waited = first.acquire()
    assert fake_clock.now == pytest.approx(start + 0.5 + 10.0)
    assert waited == pytest.approx(10.0)
    first.release()


@pytest.mark.integration
def test_a_429_on_one_worker_holds_back_the_others(redis_url: str, redis_key: str, fake_clock: FakeClock) -> None:
    first, second = (
        _shared(redis_url, redis_key, fake_clock, limit=100),
        _shared(redis_url, redis_key, fake_clock, limit=100),
    )
    first.block_for(3.0)
    assert second.acquire() == pytest.approx(3.0)
    second.release()


@pytest.mark.integration
def test_server_budget_from_headers_is_shared(redis_url: str, redis_key: str, fake_clock: FakeClock) -> None:
    first, second = (
        _shared(redis_url, redis_key, fake_clock, limit=100),
        _shared(redis_url, redis_key, fake_clock, limit=100),
    )
    first.acquire()
    first.release()
    first.observe(limit=2, remaining=1, reset_after=7.0)
    start = fake_clock.now
    second.acquire()  # the server's last slot
    second.release()
    assert fake_clock.now == start
    first.acquire()  # none left on the server until its reset
    assert fake_clock.now == pytest.approx(start + 7.0)
    first.release()
    second.acquire()  # the server's window has reset: no further wait until it says otherwise
    assert fake_clock.now == pytest.approx(start + 7.0)
    second.release()


@pytest.mark.integration
def test_shared_headers_that_agree_with_the_window_add_no_wait(
    redis_url: str, redis_key: str, fake_clock: FakeClock
) -> None:
    first, second = _shared(redis_url, redis_key, fake_clock), _shared(redis_url, redis_key, fake_clock)
    _run_calls(first, fake_clock, 5)
    fake_clock.now += 9.5
    first.observe(limit=5, remaining=0, reset_after=1.0)
    second.acquire()
    assert fake_clock.now == pytest.approx(1010.0)
    second.release()


@pytest.mark.integration
def test_two_tokens_do_not_share_a_budget(redis_url: str, fake_clock: FakeClock) -> None:
    prefix = f"calendly-test:{uuid.uuid4().hex}"
    one = _shared(redis_url, budget_key("token-1", "https://api.calendly.test", prefix), fake_clock, limit=1)
    two = _shared(redis_url, budget_key("token-2", "https://api.calendly.test", prefix), fake_clock, limit=1)
    assert one.acquire() == 0.0
    assert two.acquire() == 0.0
    one.release()
    two.release()
    assert fake_clock.sleeps == []


@pytest.mark.integration
def test_in_flight_calls_hold_shared_slots(redis_url: str, redis_key: str) -> None:
    """Across limiters, a caller waits for an in-flight call's release instead of exceeding the limit."""
    first = RedisRateLimiter(1, 0.01, url=redis_url, key=redis_key)
    second = RedisRateLimiter(1, 0.01, url=redis_url, key=redis_key)
    first.acquire()
    acquired = threading.Event()

    def other_worker() -> None:
        second.acquire()
        acquired.set()
        second.release()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert not acquired.wait(0.1)
    first.release()
    assert acquired.wait(5)
    thread.join()


class _Proxy:
    """A TCP proxy to Redis that can be cut, to stage an outage in the middle of a run."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.mark.integration
def test_redis_outage_mid_run_falls_back_instead_of_failing(
    redis_url: str, redis_key: str, fake_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(redis_url)
    proxy = _Proxy((parts.hostname or "127.0.0.1", parts.port or 6379))
    url = f"redis://127.0.0.1:{proxy.port}{parts.path}"
    limiter = RedisRateLimiter(5, 10.0, url=url, key=redis_key, clock=fake_clock, sleep=fake_clock.sleep)
    sent = _run_calls(limiter, fake_clock, 3)
    assert limiter.shared
    proxy.cut()
    with caplog.at_level(logging.WARNING, logger="airflow_provider_calendly.ratelimit"):
        sent += _run_calls(limiter, fake_clock, 9)
    assert not limiter.shared
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1
    # the fallback does not know the 3 calls made through Redis: this process may send 5 more in the window
    assert len(sent) == 12
    assert _max_in_any_window(sent[3:], 10.0) == 5


# --- many processes, one token --------------------------------------------------------------------------------


def _mp_worker(conn_id: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from airflow_provider_calendly.hooks.calendly import CalendlyHook

    try:
        hook = CalendlyHook(conn_id)
        fetched = len(list(hook.list_scheduled_events(page_size=5)))
        results.put(
            {"fetched": fetched, "calls": hook.call_count, "shared": getattr(hook.rate_limiter, "shared", None)}
        )
    except Exception as exc:  # report, so the parent's assertion shows it
        results.put({"error": repr(exc)})


def _run_workers(conn_id: str, workers: int) -> list[dict[str, object]]:
    ctx = multiprocessing.get_context("fork")  # the parent has Airflow imported already: start in milliseconds
    results: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_mp_worker, args=(conn_id, results)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    out = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    return out


@pytest.mark.integration
def test_four_processes_share_one_token_without_a_429(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """4 worker processes, one token, 20 calls per 2 s (server sliding window): all fetched, zero 429s."""
    from airflow_provider_calendly.testing.emulator import CalendlyEmulator

    token = f"mp-test-{uuid.uuid4().hex}"  # a fresh token: a budget key of its own
    with CalendlyEmulator(
        token=token, rate_limit=20, rate_limit_period=2, rate_limit_algorithm="sliding", scheduled_events=60
    ) as emulator:
        extra = {"rate_limit": 20, "rate_limit_period": 2, "rate_limit_storage": redis_url}
        monkeypatch.setenv("AIRFLOW_CONN_RL_MP", emulator.connection_json(**extra))
        results = _run_workers("rl_mp", 4)
        assert all("error" not in r for r in results), results
        assert [r["fetched"] for r in results] == [emulator.count_scheduled_events()] * 4
        assert all(r["shared"] for r in results)
        assert emulator.count(status=429) == 0
        assert emulator.count(status=200) == sum(int(r["calls"]) for r in results)  # type: ignore[call-overload]
        times = sorted(r.at for r in emulator.requests)
        assert _max_in_any_window(times, 2.0) <= 20
    import redis

    client = redis.Redis.from_url(redis_url)
    key = budget_key(token, json.loads(emulator.connection_json())["host"])
    client.delete(f"{{{key}}}:calls", f"{{{key}}}:server")
    client.close()


def test_four_processes_without_shared_storage_over_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    """The contrast: each process with its own limiter at the full limit over-asks and is answered 429."""
    from airflow_provider_calendly.testing.emulator import CalendlyEmulator

    with CalendlyEmulator(
        rate_limit=20, rate_limit_period=2, rate_limit_algorithm="sliding", scheduled_events=30
    ) as emulator:
        extra = {"rate_limit": 20, "rate_limit_period": 2, "max_retries": 20}
        monkeypatch.setenv("AIRFLOW_CONN_RL_MP_LOCAL", emulator.connection_json(**extra))
        results = _run_workers("rl_mp_local", 4)
        assert all("error" not in r for r in results), results
        assert [r["fetched"] for r in results] == [emulator.count_scheduled_events()] * 4
        assert emulator.count(status=429) > 0
