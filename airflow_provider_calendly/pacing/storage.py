"""Where a shared budget is stored: the ``rate_limit_storage`` URL checks, its redaction and the budget's key.

A storage URL may carry a password, so no message here ever quotes it.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_calendly.exceptions import CalendlyConfigError

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "REDIS_EXTRA_HINT",
    "STORAGE_SCHEMES",
    "budget_key",
    "redact_url",
    "validate_storage_url",
]

STORAGE_SCHEMES = frozenset({"redis", "rediss", "unix"})
REDIS_EXTRA_HINT = 'pip install "airflow-provider-calendly[redis]"'
DEFAULT_KEY_PREFIX = "calendly:ratelimit"


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
