"""What every limiter is: the interface the request path paces through, and the clock and sleep it is given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["Clock", "RateLimiter", "Sleep"]

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class RateLimiter(Protocol):
    """What the request path needs from a limiter; implementations may share their budget across processes."""

    limit: int
    period: float

    def acquire(self) -> float:
        """Block until a call may be sent; return the seconds waited."""

    def release(self) -> None:
        """Record that a call acquired earlier has finished (successfully or not)."""

    def observe(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        """Take in the server's ``X-RateLimit-*`` view after a response (called before ``release``)."""

    def block_for(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (the server's reset after a 429)."""
