"""Budgets made of limiters: several windows at once, a token's budget paired with an endpoint's, and the one
factory that builds every limiter of a token (in Redis when storage is configured, else in-process)."""

from __future__ import annotations

import time

from airflow_provider_calendly.pacing.limiter import Clock, RateLimiter, Sleep
from airflow_provider_calendly.pacing.local import SlidingWindowRateLimiter
from airflow_provider_calendly.pacing.redis import RedisRateLimiter

__all__ = ["MultiWindowRateLimiter", "PairedBudget", "build_limiter"]


def build_limiter(
    limit: int | None,
    period: float,
    *,
    storage_url: str | None,
    key: str,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    lease: float = 120.0,
) -> RateLimiter:
    """Build one window's limiter: shared through Redis under ``key`` when ``storage_url`` is set, else in-process.

    :param limit: Calls per ``period``; ``None``: not configured (the server's headers decide once they come).
    :param period: The window, in seconds.
    :param storage_url: The ``rate_limit_storage`` URL, or ``None`` for a limiter of this process only.
    :param key: The budget's Redis key (see :func:`~airflow_provider_calendly.pacing.storage.budget_key`).
    :param clock: Monotonic clock; Redis keeps its own server time unless a test injects another clock.
    :param sleep: Sleep function.
    :param lease: Seconds an in-flight call holds its Redis slot before a crashed worker's slot is given up.
    """
    if storage_url is None:
        return SlidingWindowRateLimiter(limit, period, clock=clock, sleep=sleep)
    return RedisRateLimiter(
        limit,
        period,
        url=storage_url,
        key=key,
        clock=None if clock is time.monotonic else clock,
        sleep=sleep,
        lease=lease,
    )


class MultiWindowRateLimiter:
    """Several windows at once (e.g. 10/min and 50/h and 100/day): a call leaves when every window allows it.

    :param limiters: One limiter per window, tightest first; ``limit``/``period`` report the first.
    """

    def __init__(self, limiters: list[RateLimiter]) -> None:
        if not limiters:
            raise ValueError("at least one window is required")
        self.limiters = limiters
        self.limit = limiters[0].limit
        self.period = limiters[0].period

    def __repr__(self) -> str:
        windows = ", ".join(f"{lim.limit}/{lim.period:g}s" for lim in self.limiters)
        return f"{type(self).__name__}({windows})"

    def acquire(self) -> float:
        waited = 0.0
        taken: list[RateLimiter] = []
        try:
            for limiter in self.limiters:
                waited += limiter.acquire()
                taken.append(limiter)
        except BaseException:
            for limiter in taken:
                limiter.release()
            raise
        return waited

    def release(self) -> None:
        for limiter in self.limiters:
            limiter.release()

    def observe(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        # The server reports one window; it is the one whose limit it names, else the tightest.
        target = next((lim for lim in self.limiters if limit is not None and lim.limit == limit), self.limiters[0])
        target.observe(limit, remaining, reset_after)

    def block_for(self, seconds: float) -> None:
        self.limiters[0].block_for(seconds)


class PairedBudget:
    """A token's limiter plus an endpoint's own (if any), which alone hears that endpoint's headers and 429s.

    Calendly counts some endpoints (``POST /invitees``) under limits of their own on top of the token's: a call
    there takes a slot of both, and the rate-limit headers it gets back describe the endpoint's budget.

    :param main: The token's limiter.
    :param endpoint: The endpoint's own limiter, or ``None``.
    """

    def __init__(self, main: RateLimiter, endpoint: RateLimiter | None) -> None:
        self.main = main
        self.endpoint = endpoint

    def acquire(self) -> float:
        waited = self.main.acquire()
        if self.endpoint is not None:
            try:
                waited += self.endpoint.acquire()
            except BaseException:
                self.main.release()
                raise
        return waited

    def release(self) -> None:
        if self.endpoint is not None:
            self.endpoint.release()
        self.main.release()

    def observe(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        (self.endpoint or self.main).observe(limit, remaining, reset_after)

    def block_for(self, seconds: float) -> None:
        (self.endpoint or self.main).block_for(seconds)
