"""Client-side pacing that keeps one Calendly token under its rate limit.

* :mod:`~.decisions`: the pure decisions (when a call may leave, what to believe of the server's headers);
* :mod:`~.local`: :class:`SlidingWindowRateLimiter`, the calls of one process;
* :mod:`~.redis`: :class:`RedisRateLimiter`, the same algorithm in Redis (its Lua next to it), so every Airflow
  worker using one token shares one budget (the connection extra ``rate_limit_storage``);
* :mod:`~.storage`: the storage URL checks and the budget's key;
* :mod:`~.budgets`: several windows at once, a token's budget paired with an endpoint's, and the one factory
  that builds every limiter;
* :mod:`~.headers`: what a response says about the server's budget.

See ``docs/rate-limits.md``.
"""

from __future__ import annotations

from airflow_provider_calendly.limits import SCHEDULING_API_LIMITS
from airflow_provider_calendly.pacing.budgets import MultiWindowRateLimiter, PairedBudget, build_limiter
from airflow_provider_calendly.pacing.decisions import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_LIMIT_PERIOD,
    NEW_WINDOW_AFTER,
    admit,
    merge_server_view,
)
from airflow_provider_calendly.pacing.headers import reset_after, server_view
from airflow_provider_calendly.pacing.limiter import Clock, RateLimiter, Sleep
from airflow_provider_calendly.pacing.local import SlidingWindowRateLimiter
from airflow_provider_calendly.pacing.redis import RedisRateLimiter
from airflow_provider_calendly.pacing.storage import (
    DEFAULT_KEY_PREFIX,
    REDIS_EXTRA_HINT,
    STORAGE_SCHEMES,
    budget_key,
    redact_url,
    validate_storage_url,
)

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RATE_LIMIT_PERIOD",
    "NEW_WINDOW_AFTER",
    "REDIS_EXTRA_HINT",
    "SCHEDULING_API_LIMITS",
    "STORAGE_SCHEMES",
    "Clock",
    "MultiWindowRateLimiter",
    "PairedBudget",
    "RateLimiter",
    "RedisRateLimiter",
    "Sleep",
    "SlidingWindowRateLimiter",
    "admit",
    "budget_key",
    "build_limiter",
    "merge_server_view",
    "redact_url",
    "reset_after",
    "server_view",
    "validate_storage_url",
]
