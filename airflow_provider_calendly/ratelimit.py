"""The rate limiters' old import path, kept so that users' code and DAGs keep working.

The limiters live in :mod:`airflow_provider_calendly.pacing`; import them from there in new code.
"""

from __future__ import annotations

from airflow_provider_calendly.pacing import (
    DEFAULT_KEY_PREFIX,
    DEFAULT_RATE_LIMIT,
    DEFAULT_RATE_LIMIT_PERIOD,
    NEW_WINDOW_AFTER,
    REDIS_EXTRA_HINT,
    SCHEDULING_API_LIMITS,
    STORAGE_SCHEMES,
    Clock,
    MultiWindowRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    Sleep,
    SlidingWindowRateLimiter,
    admit,
    budget_key,
    merge_server_view,
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
    "RateLimiter",
    "RedisRateLimiter",
    "Sleep",
    "SlidingWindowRateLimiter",
    "admit",
    "budget_key",
    "merge_server_view",
    "redact_url",
    "validate_storage_url",
]
