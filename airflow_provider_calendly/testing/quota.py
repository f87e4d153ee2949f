"""The emulator's rate limit: a fixed or sliding window per token, announced in ``X-RateLimit-*`` headers."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["UNBOUNDED_RATE_LIMIT", "RateLimitWindows"]

#: The limit the ``X-RateLimit-*`` headers announce when no limit is enforced: high enough never to bind.
UNBOUNDED_RATE_LIMIT = 1_000_000


@dataclass
class _Bucket:
    window_start: float = 0.0
    count: int = 0
    times: deque[float] = field(default_factory=deque)


class RateLimitWindows:
    """One window of ``limit`` calls per ``period`` seconds for each token.

    :param limit: Calls per window; ``None`` enforces nothing (the headers announce a limit that never binds).
    :param period: Window length in seconds.
    :param algorithm: ``"fixed"`` windows (from each window's first call) or ``"sliding"``.
    :param monotonic: The clock windows are measured with.
    """

    def __init__(self, limit: int | None, period: float, algorithm: str, monotonic: Callable[[], float]) -> None:
        if algorithm not in {"fixed", "sliding"}:
            raise ValueError("rate_limit_algorithm must be 'fixed' or 'sliding'")
        self.limit = limit
        self.period = period
        self.algorithm = algorithm
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._buckets: dict[int, _Bucket] = {}

    def take(self, token_id: int) -> tuple[bool, dict[str, str]]:
        """Count one call against the token's window; return (allowed, rate-limit headers).

        Like Calendly, every answer carries the headers; without an enforced limit they announce one that
        never binds, so a client that follows them never paces.
        """
        limit = self.limit if self.limit is not None else UNBOUNDED_RATE_LIMIT
        period = self.period
        with self._lock:
            now = self.monotonic()
            bucket = self._buckets.setdefault(token_id, _Bucket(window_start=now))
            if self.algorithm == "sliding":
                while bucket.times and bucket.times[0] <= now - period:
                    bucket.times.popleft()
                allowed = len(bucket.times) < limit
                if allowed:
                    bucket.times.append(now)
                used = len(bucket.times)
                reset = (bucket.times[0] + period - now) if bucket.times else period
            else:
                if now - bucket.window_start >= period:
                    bucket.window_start, bucket.count = now, 0
                allowed = bucket.count < limit
                if allowed:
                    bucket.count += 1
                used = bucket.count
                reset = bucket.window_start + period - now
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used)),
            "X-RateLimit-Reset": str(max(0, math.ceil(reset))),
        }
        if not allowed:
            headers["Retry-After"] = headers["X-RateLimit-Reset"]
        return allowed, headers
