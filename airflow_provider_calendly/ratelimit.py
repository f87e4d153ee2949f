"""Client-side pacing that keeps one Calendly token under its rate limit.

The limiter is a sliding-window log: at most ``limit`` calls in any ``period`` seconds. A burst up to the
limit goes out at once; after that a call leaves as soon as the oldest call in the window ages out. A call's
slot is timed from when its response *arrived*, not when it was sent, so that however the network delays
requests the server can never see ``limit + 1`` of them inside one window, without adding a safety margin.

On top of its own count the limiter obeys the server: ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` headers
(a server stricter than configured) and the reset carried by a 429 pause every caller sharing the limiter.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class RateLimiter(Protocol):
    """What the hook needs from a limiter; implementations may share their budget across processes."""

    limit: int
    period: float

    def acquire(self) -> float:
        """Block until a call may be sent; return the seconds waited."""

    def release(self) -> None:
        """Record that a call acquired earlier has finished (successfully or not)."""

    def observe(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        """Take in the server's ``X-RateLimit-*`` view after a response."""

    def block_for(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (the server's reset after a 429)."""


class SlidingWindowRateLimiter:
    """Thread-safe in-process limiter: exact ``limit`` calls per ``period``, plus the server's headers."""

    def __init__(
        self,
        limit: int,
        period: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if limit < 1 or period <= 0:
            raise ValueError("rate limit must be >= 1 call per a positive period")
        self.limit = limit
        self.period = period
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition()
        self._finished: deque[float] = deque()
        self._in_flight = 0
        self._blocked_until = 0.0
        self._server_remaining: int | None = None
        self._server_reset_at = 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(limit={self.limit}, period={self.period})"

    def _next_free_at(self, now: float) -> float | None:
        """Return when a slot frees (``now`` if one is free), or ``None`` if only an in-flight call can free one."""
        while self._finished and self._finished[0] <= now - self.period:
            self._finished.popleft()
        if now < self._blocked_until:
            return self._blocked_until
        if self._server_remaining is not None and self._server_remaining <= 0:
            if now < self._server_reset_at:
                return self._server_reset_at
            self._server_remaining = None  # the server's window has reset; its next answer tells us more
        if len(self._finished) + self._in_flight < self.limit:
            return now
        if self._finished:
            return self._finished[0] + self.period
        return None

    def acquire(self) -> float:
        waited = 0.0
        with self._cond:
            while True:
                now = self._clock()
                free_at = self._next_free_at(now)
                if free_at is None:
                    started = self._clock()
                    self._cond.wait()
                    waited += self._clock() - started
                    continue
                if free_at <= now:
                    self._in_flight += 1
                    if self._server_remaining is not None:
                        self._server_remaining -= 1
                    return waited
                delay = free_at - now
                self._cond.release()
                try:
                    self._sleep(delay)
                finally:
                    self._cond.acquire()
                waited += delay

    def release(self) -> None:
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            self._finished.append(self._clock())
            self._cond.notify()

    def observe(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        if remaining is None or reset_after is None:
            return
        with self._cond:
            # Calls still in flight may not be counted in this answer yet: assume they will be.
            self._server_remaining = remaining - self._in_flight
            self._server_reset_at = self._clock() + max(0.0, reset_after)

    def block_for(self, seconds: float) -> None:
        with self._cond:
            self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))
            self._server_remaining = 0
            self._server_reset_at = self._blocked_until
