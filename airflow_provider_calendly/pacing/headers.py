"""What a response says about the server's budget: ``X-RateLimit-*`` and ``Retry-After``, read without I/O."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ServerView", "reset_after", "server_view"]

#: ``(limit, remaining, reset_after)`` as a limiter's ``observe`` takes them; ``None`` where a header is missing.
ServerView = tuple[int | None, int | None, float | None]


def _number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def reset_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until the server's window resets: ``Retry-After`` or ``X-RateLimit-Reset`` (delta or epoch).

    :param headers: The response's headers (case-insensitive, as ``requests`` gives them).
    :param now: The current Unix time, to turn an absolute reset into a delay.
    """
    for name in ("Retry-After", "X-RateLimit-Reset"):
        value = _number(headers, name)
        if value is not None:
            # A value that looks like a Unix timestamp is an absolute reset time, not a delay.
            return max(0.0, value - now) if value > 1_000_000_000 else max(0.0, value)
    return None


def server_view(headers: Mapping[str, str], now: float) -> ServerView:
    """Return the server's ``(limit, remaining, reset_after)`` from ``X-RateLimit-*`` headers, for ``observe``."""
    limit = _number(headers, "X-RateLimit-Limit")
    remaining = _number(headers, "X-RateLimit-Remaining")
    reset = reset_after(headers, now) if "X-RateLimit-Reset" in headers else None
    return (int(limit) if limit is not None else None, int(remaining) if remaining is not None else None, reset)
