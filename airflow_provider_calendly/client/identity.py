"""Resource identity against one base URL: a UUID or URI in, the request path or the canonical URI out.

Calendly names every resource by its canonical ``https://api.calendly.com/...`` URI however the API is reached
(directly, through a gateway, or the emulator on loopback); the base URL only says where requests go. A URI
on the connection's base URL is read as the same resource. This is the only place that compares a URI's host
with the base URL: any other host (or scheme), a query, a fragment or an odd path shape is refused before any
request, so the token never follows a URI to a host the connection does not name.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.uris import CANONICAL_API_URL

__all__ = ["Identity"]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_CANONICAL = urlsplit(CANONICAL_API_URL)


class Identity:
    """Parse and build resource identities for requests sent to ``base_url``.

    :param base_url: The connection's API base URL (already normalised by the settings).
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._base = urlsplit(base_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def segments(self, uri: str) -> list[str]:
        """Parse a canonical URI, or one on the base URL, into its path segments (``["event_types", "ET1"]``)."""
        parts = urlsplit(uri)
        origin = (parts.scheme, parts.netloc.lower())
        path = parts.path
        if origin == (self._base.scheme, self._base.netloc.lower()):
            prefix = self._base.path
            if prefix and (path == prefix or path.startswith(prefix + "/")):
                path = path[len(prefix) :]
        elif origin != (_CANONICAL.scheme, _CANONICAL.netloc):
            raise CalendlyConfigError(
                f"URI {uri!r} belongs neither to Calendly ({CANONICAL_API_URL}) nor to this connection's API "
                f"({self.base_url}); refusing to send the token to another host"
            )
        segments = [s for s in path.split("/") if s]
        if parts.query or parts.fragment or not segments or not all(_ID_RE.match(s) for s in segments):
            raise CalendlyConfigError(f"{uri!r} is not a valid Calendly URI")
        return segments

    def path(self, collection: str, uuid_or_uri: str) -> str:
        """Return ``/{collection}/{uuid}`` for a UUID or a URI of this API; reject anything else."""
        if not isinstance(uuid_or_uri, str) or not uuid_or_uri:
            raise CalendlyConfigError(f"expected a {collection} UUID or URI, got {uuid_or_uri!r}")
        if "/" not in uuid_or_uri:
            return f"/{collection}/{_check_uuid(uuid_or_uri)}"
        segments = self.segments(uuid_or_uri)
        if len(segments) != 2 or segments[0] != collection:
            raise CalendlyConfigError(f"{uuid_or_uri!r} is not a Calendly {collection} URI")
        return f"/{collection}/{segments[1]}"

    def uri(self, collection: str, uuid_or_uri: str) -> str:
        """Return the canonical URI of a UUID or URI (a resource's identity in filters, payloads, rows, XComs)."""
        return f"{CANONICAL_API_URL}{self.path(collection, uuid_or_uri)}"

    def nested_path(self, parent: str, child: str, uuid_or_uri: str, parent_id: str | None = None) -> str:
        """Return ``/{parent}/{id}/{child}/{uuid}`` for a URI of that shape, or a child UUID and its parent's
        UUID or URI (an invitee of a scheduled event, an invitation of an organization)."""
        what = child.removesuffix("s")
        if parent_id is None:
            if not isinstance(uuid_or_uri, str) or "/" not in uuid_or_uri:
                raise CalendlyConfigError(f"pass an {what} URI, or the {parent} UUID/URI and the {what} UUID")
            segments = self.segments(uuid_or_uri)
            if len(segments) != 4 or segments[0] != parent or segments[2] != child:
                raise CalendlyConfigError(f"{uuid_or_uri!r} is not a Calendly {what} URI")
            return "/" + "/".join(segments)
        return f"{self.path(parent, parent_id)}/{child}/{_check_uuid(uuid_or_uri)}"

    def invitee_path(self, event_or_invitee: str, invitee_uuid: str | None = None) -> str:
        """Return ``/scheduled_events/{event}/invitees/{uuid}`` for an invitee URI, or an event and invitee UUID."""
        if invitee_uuid is None:
            return self.nested_path("scheduled_events", "invitees", event_or_invitee)
        return self.nested_path("scheduled_events", "invitees", invitee_uuid, event_or_invitee)

    def invitee_uri(self, event_or_invitee: str, invitee_uuid: str | None = None) -> str:
        """Return an invitee's canonical URI (arguments as :meth:`invitee_path`)."""
        return f"{CANONICAL_API_URL}{self.invitee_path(event_or_invitee, invitee_uuid)}"


def _check_uuid(value: str) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise CalendlyConfigError(f"{value!r} is not a valid Calendly UUID")
    return value
