"""HTTP status -> typed exception: the one mapping (stripe's requestor keeps it in one function too).

Every exception carries the status, Calendly's title, message and details, the method and the path, and
never the token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from airflow_provider_calendly.exceptions import (
    CalendlyAPIError,
    CalendlyAuthError,
    CalendlyConnectionError,
    CalendlyNotFoundError,
    CalendlyRateLimitError,
    CalendlyServerError,
)

__all__ = ["error_for_response", "required_scopes", "tls_failure"]


def error_for_response(response: requests.Response, method: str, path: str) -> CalendlyAPIError:
    """Map an HTTP error response to the typed exception carrying Calendly's title, message and details."""
    status = response.status_code
    title: str | None = None
    message: str = response.reason or "HTTP error"
    details: list[Any] | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        title = body.get("title") if isinstance(body.get("title"), str) else None
        if isinstance(body.get("message"), str):
            message = body["message"]
        raw_details = body.get("details")
        details = raw_details if isinstance(raw_details, list) else None
        scopes = required_scopes(body)
        if status == 403 and scopes:
            # Calendly names the scopes the token lacks in ``required_scopes``: say which, and where to add them.
            message = (
                f"{message} The token lacks the scope(s) {', '.join(scopes)}: create a token (or re-authorize "
                "the OAuth app) with them"
            )
            details = [*(details or []), *({"parameter": "scope", "message": f"requires {s}"} for s in scopes)]
    cls: type[CalendlyAPIError]
    if status in (401, 403):
        cls = CalendlyAuthError
    elif status == 404:
        cls = CalendlyNotFoundError
    elif status == 429:
        cls = CalendlyRateLimitError
    elif status >= 500:
        cls = CalendlyServerError
    else:
        cls = CalendlyAPIError
    return cls(message, status_code=status, title=title, details=details, method=method, path=path)


def required_scopes(body: Any) -> list[str]:
    """Return the scopes a Calendly 403 body says the token lacks (its ``required_scopes`` list), else ``[]``."""
    raw = body.get("required_scopes") if isinstance(body, dict) else None
    return [s for s in raw if isinstance(s, str)] if isinstance(raw, list) else []


def tls_failure(base_url: str, method: str, path: str) -> CalendlyConnectionError:
    """The error for a failed TLS handshake, naming the URL tried and, for https, the plain-HTTP alternative."""
    parts = urlsplit(base_url)
    hint = ""
    if parts.scheme == "https":
        hint = (
            f"; if this is a plain-HTTP server (a local one such as the emulator), set the connection's host to "
            f"http://{parts.netloc} (a host without a scheme means https)"
        )
    return CalendlyConnectionError(
        f"TLS handshake with {base_url}{path} failed (SSLError), not retried{hint}", method=method, path=path
    )
