"""Client-side pacing that keeps one Calendly token under its rate limit.

The limiter is a sliding-window log: at most ``limit`` calls in any ``period`` seconds. A burst up to the
limit goes out at once; after that a call leaves as soon as the oldest call in the window ages out. A call's
slot is timed from when its response *arrived*, not when it was sent, so that however the network delays
requests the server can never see ``limit + 1`` of them inside one window, without adding a safety margin.

On top of its own count the limiter obeys the server: ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` headers
(a server stricter than configured) and the reset carried by a 429 pause every caller sharing the limiter.

:class:`SlidingWindowRateLimiter` counts the calls of one process. :class:`RedisRateLimiter` runs the same
algorithm in Redis, so every Airflow worker using one token shares one budget (the connection extra
``rate_limit_storage``); see ``docs/rate-limits.md``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_calendly.exceptions import CalendlyConfigError

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
            now = self._clock()
            while self._finished and self._finished[0] <= now - self.period:
                self._finished.popleft()
            # Calls still in flight may not be counted in this answer yet: assume they will be.
            server_remaining = remaining - self._in_flight
            if server_remaining >= self.limit - len(self._finished) - self._in_flight:
                # The server has counted no call this limiter does not know of: our own window is exact, and its
                # reset (whole seconds, rounded up) would only make us wait longer than the limit requires.
                self._server_remaining = None
                return
            self._server_remaining = server_remaining
            self._server_reset_at = now + max(0.0, reset_after)

    def block_for(self, seconds: float) -> None:
        with self._cond:
            self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))
            self._server_remaining = 0
            self._server_reset_at = self._blocked_until


# --- a budget shared across processes, in Redis ---------------------------------------------------------------

STORAGE_SCHEMES = frozenset({"redis", "rediss", "unix"})
REDIS_EXTRA_HINT = 'pip install "airflow-provider-calendly[redis]"'
DEFAULT_KEY_PREFIX = "calendly:ratelimit"

log = logging.getLogger(__name__)

# Every script takes ``now`` as ARGV[1]: empty means "Redis's own clock" (one clock for every worker on every
# host); tests pass an injected clock instead. Scores and times are seconds, formatted with microseconds.
_NOW = """
local function fmt(x) return string.format('%.6f', x) end
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
"""

# KEYS: calls (sorted set: member per call, score = when its slot frees the window's count: response time for a
# finished call, acquire time + lease for one in flight), server (hash: blocked_until, remaining, reset_at).
# ARGV: now, limit, period, lease, member, ttl_ms. Returns {granted, seconds to wait (-1: only an in-flight
# call can free a slot)}.
_ACQUIRE = (
    _NOW
    + """
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - period))
local state = redis.call('HMGET', KEYS[2], 'blocked_until', 'remaining', 'reset_at')
local blocked = tonumber(state[1])
if blocked and now < blocked then
  return {0, fmt(blocked - now)}
end
local remaining = tonumber(state[2])
local reset_at = tonumber(state[3])
if remaining then
  if reset_at and now < reset_at then
    if remaining <= 0 then
      return {0, fmt(reset_at - now)}
    end
  else
    redis.call('HDEL', KEYS[2], 'remaining', 'reset_at')
    remaining = nil
  end
end
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], fmt(now + lease), ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  if remaining then
    redis.call('HINCRBY', KEYS[2], 'remaining', -1)
  end
  return {1, '0'}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest > now then
  return {0, '-1'}
end
return {0, fmt(oldest + period - now)}
"""
)

# KEYS: calls. ARGV: now, member, ttl_ms. The call's slot is now timed from its response.
_RELEASE = (
    _NOW
    + """
redis.call('ZADD', KEYS[1], fmt(now), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
)

# KEYS: calls, server. ARGV: now, remaining, reset_after, limit, period. Calls still in flight may not be
# counted by the server yet: assume they will be. A server that has counted no call more than the window here
# adds nothing (its reset is whole seconds, rounded up): then only our own window holds calls back.
_OBSERVE = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - tonumber(ARGV[5])))
local in_flight = redis.call('ZCOUNT', KEYS[1], '(' .. fmt(now), '+inf')
local server_remaining = tonumber(ARGV[2]) - in_flight
if server_remaining >= tonumber(ARGV[4]) - redis.call('ZCARD', KEYS[1]) then
  redis.call('HDEL', KEYS[2], 'remaining', 'reset_at')
  return 0
end
local reset_at = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[2], 'remaining', server_remaining, 'reset_at', fmt(reset_at))
local ttl = math.ceil((reset_at - now) * 1000) + 1000
if redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
"""
)

# KEYS: server. ARGV: now, seconds. Every worker holds back until the server's reset.
_BLOCK = (
    _NOW
    + """
local block_until = now + tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], 'blocked_until'))
if current and current > block_until then
  block_until = current
end
redis.call('HSET', KEYS[1], 'blocked_until', fmt(block_until), 'remaining', 0, 'reset_at', fmt(block_until))
local ttl = math.ceil((block_until - now) * 1000) + 1000
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
"""
)


def validate_storage_url(url: str) -> str:
    """Return ``url`` stripped if it is a ``redis://``, ``rediss://`` or ``unix://`` URL; never echo it back.

    :param url: The ``rate_limit_storage`` URL (it may carry a password, so no message quotes it).
    """
    url = url.strip()
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in STORAGE_SCHEMES:
        raise CalendlyConfigError(
            "rate_limit_storage must be a redis://, rediss:// or unix:// URL, e.g. redis://127.0.0.1:6379/0"
        )
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        raise CalendlyConfigError("rate_limit_storage is not a valid URL (bad host or port)") from None
    if scheme.lower() == "unix":
        if not parts.path:
            raise CalendlyConfigError(
                "rate_limit_storage: a unix:// URL needs the socket path, e.g. unix:///run/redis.sock"
            )
    elif not parts.hostname:
        raise CalendlyConfigError("rate_limit_storage: a redis:// URL needs a host, e.g. redis://127.0.0.1:6379/0")
    return url


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (for logs and reprs)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<invalid URL>"
    if not password:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query, parts.fragment))


def budget_key(token: str, base_url: str, prefix: str = DEFAULT_KEY_PREFIX) -> str:
    """Return the Redis key of one token's budget at one API: a hash of both, never the token itself.

    :param token: The Calendly token.
    :param base_url: The API base URL (two APIs never share a budget).
    :param prefix: Key prefix (tests use a unique one).
    """
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{token}".encode()).hexdigest()[:32]
    return f"{prefix}:{digest}"


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

    :param limit: Calls allowed per ``period`` across every process sharing ``key``.
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
        limit: int,
        period: float,
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
        if limit < 1 or period <= 0:
            raise ValueError("rate limit must be >= 1 call per a positive period")
        url = validate_storage_url(url)
        redis = _import_redis()
        self.limit = limit
        self.period = period
        self.key = key
        self._url = url
        self._redacted_url = redact_url(url)
        self._password = urlsplit(url).password
        self._clock = clock
        self._sleep = sleep
        self._lease = max(float(lease), 1.0)
        self._poll = poll_interval if poll_interval is not None else min(0.05, period / limit)
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
        self._acquire_script = client.register_script(_ACQUIRE)
        self._release_script = client.register_script(_RELEASE)
        self._observe_script = client.register_script(_OBSERVE)
        self._block_script = client.register_script(_BLOCK)
        self._fallback = SlidingWindowRateLimiter(limit, period, clock=self._monotonic, sleep=sleep)
        self._state_lock = threading.Lock()
        self._degraded_at: float | None = None
        self._local = threading.local()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(limit={self.limit}, period={self.period}, "
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
        try:
            self._observe_script(
                keys=[self._calls_key, self._server_key],
                args=[
                    self._now_arg(),
                    str(int(remaining)),
                    repr(max(0.0, float(reset_after))),
                    str(self.limit),
                    repr(float(self.period)),
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
