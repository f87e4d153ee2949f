"""Calendly's resource identity: the canonical ``https://api.calendly.com/...`` URI and its UUID.

A Calendly resource is named by this URI however the API is reached (directly, through a gateway, or the
emulator on loopback); the base URL only says where requests go. This module sits at the bottom of the
package (it imports nothing of it), so the client, the table layer and the emulator share one definition.
"""

from __future__ import annotations

__all__ = ["CANONICAL_API_URL", "canonical_uri", "uuid_from_uri"]

#: Where Calendly's resource identities live, whatever base URL requests are sent to.
CANONICAL_API_URL = "https://api.calendly.com"


def uuid_from_uri(uri: str) -> str:
    """Return the last path segment of a Calendly resource URI (its UUID); a bare UUID is returned as is."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def canonical_uri(collection: str, uuid: str) -> str:
    """Return the canonical URI of resource ``uuid`` in ``collection`` (``/scheduled_events/<uuid>``)."""
    return f"{CANONICAL_API_URL}/{collection}/{uuid}"
