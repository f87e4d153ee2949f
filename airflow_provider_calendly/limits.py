"""Calendly's published rate limits: what the client assumes by default and what the emulator enforces.

A bottom-layer module (it imports nothing of the package), so the client's pacing and the emulator read the
same facts without the emulator importing client code.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["SCHEDULING_API_LIMITS", "USER_BUSY_TIMES_MAX_DAYS", "event_data_deletion_end"]

SCHEDULING_API_LIMITS: tuple[tuple[int, float], ...] = ((10, 60.0), (50, 3600.0), (100, 86400.0))
"""``POST /invitees`` (Create Event Invitee) limits of a paid, non-Enterprise plan: calls per window, per user.

Calendly counts this endpoint under its own, much stricter limits than the 500/min of the rest of the API;
the connection extra ``scheduling_rate_limits`` replaces them (e.g. ``[[500, 60]]`` on Enterprise).
"""

USER_BUSY_TIMES_MAX_DAYS = 7
"""The longest range ``GET /user_busy_times`` answers in one call (its start may not be in the past)."""


def event_data_deletion_end(start: datetime) -> datetime:
    """The latest end of a ``POST /data_compliance/deletion/events`` range that starts at ``start``: 24 months
    later (a 29 February start ends on 28 February)."""
    return start.replace(
        year=start.year + 2, day=min(start.day, 28) if (start.month, start.day) == (2, 29) else start.day
    )
