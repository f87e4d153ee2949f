"""The Redis limiter: the sliding window of :mod:`~airflow_provider_calendly.pacing.local`, shared by every worker.

Its Lua scripts live next to this module, in ``redis_limiter.lua`` (shipped in the wheel); they mirror the
pure decisions of :mod:`~airflow_provider_calendly.pacing.decisions` line by line. The connection extra
``rate_limit_storage`` selects it; see ``docs/rate-limits.md``.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import uuid
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.pacing.decisions import DEFAULT_RATE_LIMIT_PERIOD, NEW_WINDOW_AFTER, resolve_limit
from airflow_provider_calendly.pacing.limiter import Clock, Sleep
from airflow_provider_calendly.pacing.local import SlidingWindowRateLimiter
from airflow_provider_calendly.pacing.storage import REDIS_EXTRA_HINT, redact_url, validate_storage_url

__all__ = ["RedisRateLimiter", "lua_scripts"]

log = logging.getLogger(__name__)

_SECTION = re.compile(r"^-- @script (\w+)\n", re.M)


@cache
def lua_scripts() -> dict[str, str]:
    """Return the limiter's Lua scripts by name (``acquire``, ``release``, ``observe``, ``block``), ready to run.

    Each is the prelude (``now`` and ``fmt``) followed by its own section of ``redis_limiter.lua``, with
    ``NEW_WINDOW_AFTER`` replaced by the Python constant so that both sides use one value.
    """
    text = files(__package__).joinpath("redis_limiter.lua").read_text(encoding="utf-8")
    chunks = _SECTION.split(text)[1:]
    sections = dict(zip(chunks[0::2], chunks[1::2], strict=True))
    prelude = sections.pop("prelude")
    return {
        name: (prelude + body).replace("NEW_WINDOW_AFTER", repr(NEW_WINDOW_AFTER)) for name, body in sections.items()
    }


def _import_redis() -> Any:
    try:
        import redis
    except ImportError:
        raise CalendlyConfigError(f"rate_limit_storage needs the 'redis' package: {REDIS_EXTRA_HINT}") from None
    return redis


class RedisRateLimiter:
    """A sliding-window budget in Redis, shared by every process (and host) that uses the same key.

    The same algorithm as :class:`SlidingWindowRateLimiter`, run atomically in Redis by Lua scripts: a call
    holds a slot from ``acquire`` until its response arrived, then for ``period`` seconds; the server's 429
    resets and ``X-RateLimit-*`` budget are stored next to it, so one worker's 429 holds every worker back.
    Time is Redis's own clock, so workers on hosts with skewed clocks still agree.

    If Redis cannot be reached, the limiter logs one warning and carries on with an in-process
    :class:`SlidingWindowRateLimiter` (plus the server's headers and 429s) rather than failing the task; it
    tries Redis again every ``retry_storage_after`` seconds.

    :param limit: Calls allowed per ``period`` across every process sharing ``key``; ``None`` if not
        configured: start from :data:`DEFAULT_RATE_LIMIT` and let the server's headers decide once they arrive.
    :param period: The window, in seconds.
    :param url: ``redis://``, ``rediss://`` or ``unix://`` URL (may carry a password: it is never shown).
    :param key: The budget's key, see :func:`budget_key`.
    :param clock: Clock for the window (default: Redis's server time); tests inject one.
    :param sleep: Sleep function (injectable for tests).
    :param lease: Seconds an in-flight call holds its slot before a crashed worker's slot is given up.
    :param poll_interval: Sleep between checks when every slot is held by a call still in flight.
    :param retry_storage_after: Seconds to stay on the in-process fallback before trying Redis again.
    :param client: A ready ``redis.Redis`` client (default: one built from ``url``).
    """

    def __init__(
        self,
        limit: int | None,
        period: float = DEFAULT_RATE_LIMIT_PERIOD,
        *,
        url: str,
        key: str,
        clock: Clock | None = None,
        sleep: Sleep = time.sleep,
        lease: float = 120.0,
        poll_interval: float | None = None,
        retry_storage_after: float = 60.0,
        client: Any = None,
    ) -> None:
        resolved = resolve_limit(limit, period)
        url = validate_storage_url(url)
        redis = _import_redis()
        self.limit = resolved
        self.period = period
        self.configured = limit is not None
        self.key = key
        self._url = url
        self._redacted_url = redact_url(url)
        self._password = urlsplit(url).password
        self._clock = clock
        self._sleep = sleep
        self._lease = max(float(lease), 1.0)
        self._poll = poll_interval if poll_interval is not None else min(0.05, period / resolved)
        self._retry_storage_after = retry_storage_after
        self._monotonic: Clock = clock or time.monotonic
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        if client is None:
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # One immediate retry (a pooled connection the server dropped), then the fallback: a Redis outage
            # must not add seconds of client-side retrying to every call.
            client = redis.Redis.from_url(
                url, socket_timeout=5.0, socket_connect_timeout=5.0, retry=Retry(NoBackoff(), 1)
            )
        self._client = client
        self._calls_key = f"{{{key}}}:calls"
        self._server_key = f"{{{key}}}:server"
        self._ttl_ms = str(math.ceil((self._lease + period) * 1000) + 1000)
        scripts = lua_scripts()
        self._acquire_script = client.register_script(scripts["acquire"])
        self._release_script = client.register_script(scripts["release"])
        self._observe_script = client.register_script(scripts["observe"])
        self._block_script = client.register_script(scripts["block"])
        self._fallback = SlidingWindowRateLimiter(limit, period, clock=self._monotonic, sleep=sleep)
        self._state_lock = threading.Lock()
        self._degraded_at: float | None = None
        self._local = threading.local()

    def __repr__(self) -> str:
        limit = self.limit if self.configured else f"None (assumed {self.limit})"
        return (
            f"{type(self).__name__}(limit={limit}, period={self.period}, "
            f"storage={self._redacted_url!r}, key={self.key!r})"
        )

    @property
    def shared(self) -> bool:
        """Whether the budget is currently shared through Redis (``False`` while on the in-process fallback)."""
        return self._degraded_at is None

    def _now_arg(self) -> str:
        return "" if self._clock is None else repr(float(self._clock()))

    def _held(self) -> list[str | None]:
        held: list[str | None] | None = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = []
        return held

    def _use_storage(self) -> bool:
        with self._state_lock:
            if self._degraded_at is None:
                return True
            return self._monotonic() - self._degraded_at >= self._retry_storage_after

    def _degrade(self, exc: BaseException) -> None:
        with self._state_lock:
            first = self._degraded_at is None
            self._degraded_at = self._monotonic()
        if first:
            message = str(exc)
            if self._password:
                message = message.replace(self._password, "***")
            log.warning(
                "Rate-limit storage %s is unavailable (%s: %s); pacing with this process's own limiter and "
                "the server's rate-limit headers until it is back (other workers are not counted meanwhile)",
                self._redacted_url,
                type(exc).__name__,
                message,
            )

    def _recovered(self) -> None:
        with self._state_lock:
            was_degraded = self._degraded_at is not None
            self._degraded_at = None
        if was_degraded:
            log.warning("Rate-limit storage %s is reachable again; the budget is shared again", self._redacted_url)

    def acquire(self) -> float:
        waited = 0.0
        if self._use_storage():
            member = uuid.uuid4().hex
            args = [str(self.limit), repr(float(self.period)), repr(self._lease), member, self._ttl_ms]
            while True:
                try:
                    granted, wait = self._acquire_script(
                        keys=[self._calls_key, self._server_key], args=[self._now_arg(), *args]
                    )
                except self._errors as exc:
                    self._degrade(exc)
                    break
                self._recovered()
                if int(granted):
                    self._held().append(member)
                    return waited
                delay = float(wait)
                if delay < 0:
                    delay = self._poll
                self._sleep(delay)
                waited += delay
        self._held().append(None)
        return waited + self._fallback.acquire()

    def release(self) -> None:
        held = self._held()
        member = held.pop() if held else None
        if member is None:
            self._fallback.release()
            return
        try:
            self._release_script(keys=[self._calls_key], args=[self._now_arg(), member, self._ttl_ms])
        except self._errors as exc:
            self._degrade(exc)

    def observe(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        self._fallback.observe(limit, remaining, reset_after)
        if remaining is None or reset_after is None or not self.shared:
            return
        held = self._held()
        member = held[-1] if held else None  # the answered call, when observed before its release
        try:
            self._observe_script(
                keys=[self._calls_key, self._server_key],
                args=[
                    self._now_arg(),
                    str(int(remaining)),
                    repr(max(0.0, float(reset_after))),
                    str(self.limit),
                    repr(float(self.period)),
                    "1" if self.configured else "0",
                    self._ttl_ms,
                    member or "",
                ],
            )
        except self._errors as exc:
            self._degrade(exc)

    def block_for(self, seconds: float) -> None:
        self._fallback.block_for(seconds)
        if not self.shared:
            return
        try:
            self._block_script(keys=[self._server_key], args=[self._now_arg(), repr(max(0.0, float(seconds)))])
        except self._errors as exc:
            self._degrade(exc)

    def close(self) -> None:
        """Close the Redis connections."""
        self._client.close()
