"""Calendly's published rate limits: what the client assumes by default and what the emulator enforces.

A bottom-layer module (it imports nothing of the package), so the client's pacing and the emulator read the
same facts without the emulator importing client code.
"""

from __future__ import annotations

__all__ = ["SCHEDULING_API_LIMITS"]

SCHEDULING_API_LIMITS: tuple[tuple[int, float], ...] = ((10, 60.0), (50, 3600.0), (100, 86400.0))
"""``POST /invitees`` (Create Event Invitee) limits of a paid, non-Enterprise plan: calls per window, per user.

Calendly counts this endpoint under its own, much stricter limits than the 500/min of the rest of the API;
the connection extra ``scheduling_rate_limits`` replaces them (e.g. ``[[500, 60]]`` on Enterprise).
"""
