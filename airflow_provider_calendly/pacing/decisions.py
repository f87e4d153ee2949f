"""The pure decisions of client-side pacing: when a call may leave, and what to believe of the server's budget.

No I/O and no clock reads: every time is an argument, so both limiters (the in-process one and the Redis one,
whose Lua mirrors these functions line by line) and the tests share the same decisions.

The algorithm is a sliding-window log: at most ``limit`` calls in any ``period`` seconds. A burst up to the
limit goes out at once; after that a call leaves as soon as the oldest call in the window ages out. A call's
slot is timed from when its response *arrived*, not when it was sent, so that however the network delays
requests the server can never see ``limit + 1`` of them inside one window, without adding a safety margin.

On top of its own count a limiter obeys the server: ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` headers
(a server stricter than configured) and the reset carried by a 429 pause every caller sharing the limiter.
Answers to concurrent calls arrive out of order, so within one server window the remaining budget a limiter
holds only ever goes down; a higher one is taken only once that window has evidently moved on.

With no limit configured (``limit=None``) a limiter starts from :data:`DEFAULT_RATE_LIMIT` calls per
``period`` as a guess, and the first answer carrying rate-limit headers hands control to the server: from
then on the server's remaining budget and reset decide alone, and the guessed window no longer holds calls
back (see :func:`admit` and :func:`merge_server_view`).
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RATE_LIMIT_PERIOD",
    "NEW_WINDOW_AFTER",
    "admit",
    "merge_server_view",
    "resolve_limit",
]

DEFAULT_RATE_LIMIT = 100
"""Calls per window assumed until the server's headers say better, when the connection sets no ``rate_limit``."""
DEFAULT_RATE_LIMIT_PERIOD = 60.0
"""The window, in seconds, when the connection sets no ``rate_limit_period``."""
NEW_WINDOW_AFTER = 1.5
"""Seconds by which a reset must move to mean a new server window.

``X-RateLimit-Reset`` is whole seconds rounded up, so answers from one window give reset times up to 1 s
apart, plus the answers' own latency; a reset that moved further than this belongs to another window.
"""


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


def resolve_limit(limit: int | None, period: float) -> int:
    """Return the window's limit: ``limit``, or :data:`DEFAULT_RATE_LIMIT` when none is configured."""
    resolved = DEFAULT_RATE_LIMIT if limit is None else limit
    if resolved < 1 or period <= 0:
        raise ValueError("rate limit must be >= 1 call per a positive period")
    return resolved
