"""Sign and verify Calendly webhook deliveries (the ``Calendly-Webhook-Signature`` header).

Calendly signs a delivery when its subscription was created with a ``signing_key``. The header reads
``t=<unix seconds>,v1=<hex>`` where ``v1`` is the hex HMAC-SHA256, keyed with the signing key, of
``"<t>.<raw request body>"``. A receiver recomputes it in constant time and refuses timestamps further than a
tolerance from its own clock, so a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "SignatureError",
    "compute_signature",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "Calendly-Webhook-Signature"
DEFAULT_TOLERANCE = 180.0  # seconds, as in Calendly's own verification example


class SignatureError(Exception):
    """A delivery's signature is missing, malformed, stale or wrong.

    :param reason: Machine-readable reason: ``missing``, ``malformed``, ``stale`` or ``mismatch``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def compute_signature(key: str | bytes, timestamp: int, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with ``key``."""
    raw_key = key.encode() if isinstance(key, str) else key
    return hmac.new(raw_key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(key: str | bytes, body: bytes, *, timestamp: int | None = None) -> str:
    """Return a ``Calendly-Webhook-Signature`` header value for ``body``, as Calendly would send it."""
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={ts},v1={compute_signature(key, ts, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed", "signature header element without '='")
        if name == "t":
            if timestamp is not None or not value.isdigit() or len(value) > 12:
                raise SignatureError("malformed", "signature header has a missing or invalid timestamp")
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise SignatureError("malformed", "signature header needs both t= and v1=")
    return timestamp, signatures


def verify(
    header: str | None,
    body: bytes,
    keys: Iterable[str | bytes],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    clock: Callable[[], float] = time.time,
) -> int:
    """Check a delivery's signature; return its timestamp or raise :class:`SignatureError`.

    Several keys may be given (key rotation): the delivery is accepted if any of them signed it. Digests are
    compared with :func:`hmac.compare_digest`, and every key is tried, so timing reveals nothing.

    :param header: The ``Calendly-Webhook-Signature`` header value (``None`` if absent).
    :param body: The raw request body, exactly as received.
    :param keys: Signing key(s) of the subscription(s) posting here.
    :param tolerance: Largest accepted distance, in seconds, between the signed timestamp and ``clock()``.
    :param clock: Wall clock in Unix seconds (injectable for tests).
    """
    if not header:
        raise SignatureError("missing", f"no {SIGNATURE_HEADER} header")
    timestamp, signatures = _parse(header)
    if abs(clock() - timestamp) > tolerance:
        raise SignatureError("stale", f"signature timestamp is outside the {tolerance:g}s tolerance")
    matched = False
    for key in keys:
        expected = compute_signature(key, timestamp, body)
        for candidate in signatures:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("mismatch", "signature does not match")
    return timestamp
