"""The in-process limiter: one process's exact sliding window, plus the server's headers and 429s."""

from __future__ import annotations

import threading
import time
from collections import deque

from airflow_provider_calendly.pacing.decisions import (
    DEFAULT_RATE_LIMIT_PERIOD,
    admit,
    merge_server_view,
    resolve_limit,
)
from airflow_provider_calendly.pacing.limiter import Clock, Sleep

__all__ = ["SlidingWindowRateLimiter"]


class SlidingWindowRateLimiter:
    """Thread-safe in-process limiter: exact ``limit`` calls per ``period``, plus the server's headers.

    :param limit: Calls allowed per ``period``; ``None`` if not configured: start from
        :data:`DEFAULT_RATE_LIMIT` and let the server's ``X-RateLimit-*`` headers decide once they arrive.
    :param period: The window, in seconds.
    :param clock: Monotonic clock (injectable for tests).
    :param sleep: Sleep function (injectable for tests).
    """

    def __init__(
        self,
        limit: int | None,
        period: float = DEFAULT_RATE_LIMIT_PERIOD,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.limit = resolve_limit(limit, period)
        self.period = period
        self.configured = limit is not None
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._local = threading.local()  # calls this thread holds, so that its answer is not "in flight"
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._blocked_until = 0.0
        self._server_remaining: int | None = None
        self._server_lowest = 0
        self._server_reset_at = 0.0
        self._governed = False

    def __repr__(self) -> str:
        limit = self.limit if self.configured else f"None (assumed {self.limit})"
        return f"{type(self).__name__}(limit={limit}, period={self.period})"

    @property
    def governed(self) -> bool:
        """Whether the server's headers decide alone (no limit configured, and the server has sent them)."""
        return self._governed

    def _prune(self, now: float) -> None:
        while self._finished and self._finished[0] <= now - self.period:
            self._finished.popleft()

    def _wait(self, now: float) -> float | None:
        self._prune(now)
        wait, forget = admit(
            now,
            blocked_until=self._blocked_until,
            remaining=self._server_remaining,
            reset_at=self._server_reset_at,
            governed=self._governed,
            in_flight=self._in_flight,
            used=len(self._finished) + self._in_flight,
            limit=self.limit,
            oldest=self._finished[0] if self._finished else None,
            period=self.period,
        )
        if forget:
            self._server_remaining = None
        return wait

    def acquire(self) -> float:
        waited = 0.0
        with self._cond:
            while True:
                now = self._clock()
                wait = self._wait(now)
                if wait is None:
                    started = self._clock()
                    self._cond.wait()
                    waited += self._clock() - started
                    continue
                if wait <= 0:
                    self._in_flight += 1
                    self._local.held = getattr(self._local, "held", 0) + 1
                    if self._server_remaining is not None:
                        self._server_remaining -= 1
                    return waited
                self._cond.release()
                try:
                    self._sleep(wait)
                finally:
                    self._cond.acquire()
                waited += wait

    def release(self) -> None:
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            self._local.held = max(0, getattr(self._local, "held", 0) - 1)
            self._finished.append(self._clock())
            self._cond.notify_all()

    def observe(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        """Take in the server's view; called before ``release`` (or after it) for the call just answered."""
        if remaining is None or reset_after is None:
            return
        with self._cond:
            now = self._clock()
            self._prune(now)
            answered = 1 if getattr(self._local, "held", 0) > 0 else 0  # this thread's call is not in flight
            if not self.configured:
                self._governed = True
            self._server_remaining, self._server_lowest, self._server_reset_at = merge_server_view(
                now,
                remaining=remaining,
                reset_after=reset_after,
                in_flight=self._in_flight - answered,
                own_free=self.limit - len(self._finished) - self._in_flight,
                configured=self.configured,
                held_remaining=self._server_remaining,
                held_lowest=self._server_lowest,
                held_reset_at=self._server_reset_at,
            )
            self._cond.notify_all()

    def block_for(self, seconds: float) -> None:
        with self._cond:
            self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))
            self._server_remaining = self._server_lowest = 0
            self._server_reset_at = self._blocked_until
