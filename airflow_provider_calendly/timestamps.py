"""The one place that reads timestamps: ISO 8601 text (``Z`` or an offset) or datetimes, naive meaning UTC.

Calendly sends UTC ISO 8601 with a ``Z``; SQLite hands our own ISO text back; drivers return datetimes,
some naive. Every reader in the package goes through :func:`parse_utc` so they agree on all of these.
"""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["as_utc", "parse_utc"]


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (a naive one is read as UTC, not local time)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def parse_utc(value: str | datetime) -> datetime:
    """Read ISO 8601 text or a datetime as an aware UTC datetime.

    :raises ValueError: if text is not ISO 8601.
    :raises TypeError: if ``value`` is neither text nor a datetime.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp, got {type(value).__name__}")
    return as_utc(value)
