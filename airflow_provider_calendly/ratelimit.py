"""Client-side pacing that keeps one Calendly token under its rate limit.

The limiter is a sliding-window log: at most ``limit`` calls in any ``period`` seconds. A burst up to the
limit goes out at once; after that a call leaves as soon as the oldest call in the window ages out. A call's
slot is timed from when its response *arrived*, not when it was sent, so that however the network delays
requests the server can never see ``limit + 1`` of them inside one window, without adding a safety margin.

On top of its own count the limiter obeys the server: ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` headers
(a server stricter than configured) and the reset carried by a 429 pause every caller sharing the limiter.
Answers to concurrent calls arrive out of order, so within one server window the remaining budget the
limiter holds only ever goes down; a higher one is taken only once that window has evidently moved on.

With no limit configured (``limit=None``) the limiter starts from :data:`DEFAULT_RATE_LIMIT` calls per
``period`` as a guess, and the first answer carrying rate-limit headers hands control to the server: from
then on the server's remaining budget and reset decide alone, and the guessed window no longer holds calls
back (see :func:`admit` and :func:`merge_server_view`).

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

DEFAULT_RATE_LIMIT = 100
"""Calls per window assumed until the server's headers say better, when the connection sets no ``rate_limit``."""
DEFAULT_RATE_LIMIT_PERIOD = 60.0
"""The window, in seconds, when the connection sets no ``rate_limit_period``."""
NEW_WINDOW_AFTER = 1.5
"""Seconds by which a reset must move to mean a new server window.

``X-RateLimit-Reset`` is whole seconds rounded up, so answers from one window give reset times up to 1 s
apart, plus the answers' own latency; a reset that moved further than this belongs to another window.
"""


class RateLimiter(Protocol):
    """What the hook needs from a limiter; implementations may share their budget across processes."""

    limit: int
    period: float

    def acquire(self) -> float:
        """Block until a call may be sent; return the seconds waited."""

    def release(self) -> None:
        """Record that a call acquired earlier has finished (successfully or not)."""

    def observe(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        """Take in the server's ``X-RateLimit-*`` view after a response (the hook calls it before ``release``)."""

    def block_for(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (the server's reset after a 429)."""


# --- the decisions, shared by both limiters (the Lua scripts below mirror these functions line by line) -----


def admit(
    now: float,
    *,
    blocked_until: float,
    remaining: int | None,
    reset_at: float,
    governed: bool,
    in_flight: int,
    used: int,
    limit: int,
    oldest: float | None,
    period: float,
) -> tuple[float | None, bool]:
    """Decide whether a call may leave now; return ``(wait, forget)``.

    ``wait`` is ``0`` to go now, the seconds until a slot frees, or ``None`` when only the end of a call in
    flight can free one. ``forget`` says the server's view has lapsed and should be dropped.

    :param now: The current time.
    :param blocked_until: Until when a 429 holds every caller back.
    :param remaining: The server's remaining budget, less the calls sent since it said so (``None``: unknown).
    :param reset_at: When the server's window resets (an upper bound: its header is rounded up).
    :param governed: The limit was not configured and the server has sent its headers: the server decides.
    :param in_flight: Calls sent whose response has not arrived.
    :param used: Calls in our own window (finished within ``period``, plus those in flight).
    :param limit: Our own window's limit (configured, or the default guess).
    :param oldest: When the oldest finished call in our own window finished (``None``: none has).
    :param period: Our own window, in seconds.
    """
    if now < blocked_until:
        return blocked_until - now, False
    forget = False
    if remaining is not None:
        if now < reset_at:
            if remaining <= 0:
                return reset_at - now, False
            if governed:
                return 0.0, False
        elif governed:
            # The server's window has moved on: a fixed window refilled, a sliding one freed slots, so what it
            # had left is left still. With nothing left, one call at a time asks it (its answer tells the rest).
            if remaining > 0 or in_flight == 0:
                return 0.0, False
            return None, False
        else:
            forget = True  # our own window is exact again; the server's next answer tells us more
    if used < limit:
        return 0.0, forget
    if oldest is not None:
        return oldest + period - now, forget
    return None, forget


def merge_server_view(
    now: float,
    *,
    remaining: int,
    reset_after: float,
    in_flight: int,
    own_free: int,
    configured: bool,
    held_remaining: int | None,
    held_lowest: int,
    held_reset_at: float,
) -> tuple[int | None, int, float]:
    """Return the server's budget to hold after an answer: ``(remaining, lowest, reset_at)``.

    ``remaining`` is what the server has left less the calls it may not have counted yet (``None``: hold no
    view); ``lowest`` the lowest ``X-RateLimit-Remaining`` seen in this server window; ``reset_at`` when the
    window resets, at the latest.

    Answers to concurrent calls are observed out of order, so within one server window the lowest count seen
    only ever goes down and the reset only ever comes closer (each answer bounds it from above). An answer
    reporting *more* left than the lowest is an older one: it cannot reopen a slot. It only gives back the one
    slot its own call held as "in flight, maybe not counted yet" when the lowest answer came in, since the
    server had counted that call already (or refused it). A new window is believed once the held reset has
    passed or the answer's reset is later by more than :data:`NEW_WINDOW_AFTER`; an answer whose reset is that
    much *earlier* comes from a window already over.

    :param now: When the answer arrived.
    :param remaining: ``X-RateLimit-Remaining``.
    :param reset_after: ``X-RateLimit-Reset``, in seconds from now.
    :param in_flight: Other calls still in flight: the answer may not count them yet, so they are assumed to.
    :param own_free: Slots free in our own window (``limit - used``).
    :param configured: The limit was configured: when the server knows of no call our window does not (by this
        answer alone, or by the budget held with it), our exact window decides alone; the server's reset,
        rounded up, would only make us wait longer.
    :param held_remaining: The budget held so far (``None``: none).
    :param held_lowest: The lowest ``X-RateLimit-Remaining`` behind it.
    :param held_reset_at: Its reset time.
    """
    view = _merged(now, remaining, reset_after, in_flight, held_remaining, held_lowest, held_reset_at)
    if configured and (remaining - in_flight >= own_free or view[0] >= own_free):
        return None, 0, 0.0
    return view


def _merged(
    now: float,
    remaining: int,
    reset_after: float,
    in_flight: int,
    held_remaining: int | None,
    held_lowest: int,
    held_reset_at: float,
) -> tuple[int, int, float]:
    fresh = remaining - in_flight
    reset_at = now + max(0.0, reset_after)
    if held_remaining is None:
        return fresh, remaining, reset_at
    if reset_at < held_reset_at - NEW_WINDOW_AFTER:
        # from a window already over: its call no longer counts against the one held
        return min(held_remaining + 1, held_lowest), held_lowest, held_reset_at
    if now >= held_reset_at or reset_at > held_reset_at + NEW_WINDOW_AFTER:
        return fresh, remaining, reset_at  # the server's window has moved on
    reset_at = min(reset_at, held_reset_at)
    if remaining < held_lowest:
        return min(fresh, held_remaining), remaining, reset_at  # a newer answer: the server counted more
    return min(held_remaining + 1, held_lowest), held_lowest, reset_at  # an older answer


def _resolve_limit(limit: int | None, period: float) -> int:
    resolved = DEFAULT_RATE_LIMIT if limit is None else limit
    if resolved < 1 or period <= 0:
        raise ValueError("rate limit must be >= 1 call per a positive period")
    return resolved


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
        self.limit = _resolve_limit(limit, period)
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
# finished call, acquire time + lease for one in flight), server (hash: blocked_until, remaining, reset_at,
# governed). ARGV: now, limit, period, lease, member, ttl_ms. Returns {granted, seconds to wait (-1: only an
# in-flight call can free a slot)}. ``admit`` mirrors the Python function of that name line by line.
_ACQUIRE = (
    _NOW
    + """
local limit = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - period))
local state = redis.call('HMGET', KEYS[2], 'blocked_until', 'remaining', 'reset_at', 'governed')
local blocked_until = tonumber(state[1]) or 0
local remaining = tonumber(state[2])
local reset_at = tonumber(state[3]) or 0
local governed = state[4] == '1'
local in_flight = redis.call('ZCOUNT', KEYS[1], '(' .. fmt(now), '+inf')
local used = redis.call('ZCARD', KEYS[1])
local function admit()
  if now < blocked_until then
    return blocked_until - now, false
  end
  local forget = false
  if remaining then
    if now < reset_at then
      if remaining <= 0 then
        return reset_at - now, false
      end
      if governed then
        return 0, false
      end
    elseif governed then
      if remaining > 0 or in_flight == 0 then
        return 0, false
      end
      return nil, false
    else
      forget = true
    end
  end
  if used < limit then
    return 0, forget
  end
  local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
  if oldest > now then
    return nil, forget
  end
  return oldest + period - now, forget
end
local wait, forget = admit()
if forget then
  redis.call('HDEL', KEYS[2], 'remaining', 'lowest', 'reset_at')
  remaining = nil
end
if wait == nil then
  return {0, '-1'}
end
wait = math.ceil(wait * 1000000) / 1000000  -- never round a wait down to 0 (a loop that waits no time)
if wait <= 0 then
  redis.call('ZADD', KEYS[1], fmt(now + lease), ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
  if remaining then
    redis.call('HINCRBY', KEYS[2], 'remaining', -1)
  end
  return {1, '0'}
end
return {0, fmt(wait)}
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

# KEYS: calls, server. ARGV: now, remaining, reset_after, limit, period, configured ('1'/'0'), ttl_ms, member
# (the answered call's, if it is still held: it is not "in flight" for its own answer). ``merge`` and ``merged``
# mirror ``merge_server_view`` and ``_merged`` line by line. Without a configured limit the server governs from
# the first answer on; that state, and what the server had left, outlives the server's reset for as long as the
# calls are kept.
_OBSERVE = (
    _NOW
    + """
local gap = NEW_WINDOW_AFTER
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', fmt(now - tonumber(ARGV[5])))
local in_flight = redis.call('ZCOUNT', KEYS[1], '(' .. fmt(now), '+inf')
if ARGV[8] ~= '' then
  local score = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[8]))
  if score and score > now then
    in_flight = in_flight - 1
  end
end
local own_free = tonumber(ARGV[4]) - redis.call('ZCARD', KEYS[1])
local configured = ARGV[6] == '1'
local state = redis.call('HMGET', KEYS[2], 'remaining', 'lowest', 'reset_at')
local held_remaining = tonumber(state[1])
local held_lowest = tonumber(state[2]) or 0
local held_reset_at = tonumber(state[3]) or 0
local function merged(remaining, fresh, reset_at)
  if held_remaining == nil then
    return fresh, remaining, reset_at
  end
  if reset_at < held_reset_at - gap then
    return math.min(held_remaining + 1, held_lowest), held_lowest, held_reset_at
  end
  if now >= held_reset_at or reset_at > held_reset_at + gap then
    return fresh, remaining, reset_at
  end
  reset_at = math.min(reset_at, held_reset_at)
  if remaining < held_lowest then
    return math.min(fresh, held_remaining), remaining, reset_at
  end
  return math.min(held_remaining + 1, held_lowest), held_lowest, reset_at
end
local function merge()
  local remaining = tonumber(ARGV[2])
  local fresh = remaining - in_flight
  local view_remaining, view_lowest, view_reset_at = merged(remaining, fresh, now + math.max(0, tonumber(ARGV[3])))
  if configured and (fresh >= own_free or view_remaining >= own_free) then
    return nil, 0, 0
  end
  return view_remaining, view_lowest, view_reset_at
end
local remaining, lowest, reset_at = merge()
local ttl = 0
if not configured then
  redis.call('HSET', KEYS[2], 'governed', '1')
  ttl = tonumber(ARGV[7])
end
if remaining == nil then
  redis.call('HDEL', KEYS[2], 'remaining', 'lowest', 'reset_at')
else
  redis.call('HSET', KEYS[2], 'remaining', remaining, 'lowest', lowest, 'reset_at', fmt(reset_at))
  ttl = math.max(ttl, math.ceil((reset_at - now) * 1000) + 1000)
end
if ttl > 0 and redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
""".replace("NEW_WINDOW_AFTER", repr(NEW_WINDOW_AFTER))
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
redis.call('HSET', KEYS[1], 'blocked_until', fmt(block_until), 'remaining', 0, 'lowest', 0, 'reset_at', fmt(block_until))
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
        resolved = _resolve_limit(limit, period)
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
        self._acquire_script = client.register_script(_ACQUIRE)
        self._release_script = client.register_script(_RELEASE)
        self._observe_script = client.register_script(_OBSERVE)
        self._block_script = client.register_script(_BLOCK)
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


# --- the Scheduling API's own budget ------------------------------------------------------------------------


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
