"""Signing and verifying the ``Calendly-Webhook-Signature`` header."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from airflow_provider_calendly.webhooks.signature import SignatureError, compute_signature, sign, verify

KEY = "secret-key"
BODY = b'{"event":"invitee.created"}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(KEY.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert compute_signature(KEY, 1700000000, BODY) == expected
    assert sign(KEY, BODY, timestamp=1700000000) == f"t=1700000000,v1={expected}"


def test_verify_accepts_a_fresh_signature_and_returns_its_timestamp() -> None:
    header = sign(KEY, BODY, timestamp=1000)
    assert verify(header, BODY, [KEY], clock=lambda: 1100.0) == 1000


def test_verify_accepts_any_of_several_keys_and_spaces_in_the_header() -> None:
    header = sign("new-key", BODY, timestamp=1000).replace(",", ", ")
    assert verify(header, BODY, ["old-key", "new-key"], clock=lambda: 1000.0) == 1000


@pytest.mark.parametrize(
    ("header", "body", "now", "reason"),
    [
        (None, BODY, 1000.0, "missing"),
        ("", BODY, 1000.0, "missing"),
        ("garbage", BODY, 1000.0, "malformed"),
        ("t=abc,v1=00", BODY, 1000.0, "malformed"),
        ("v1=00", BODY, 1000.0, "malformed"),
        ("t=1000", BODY, 1000.0, "malformed"),
        (sign(KEY, BODY, timestamp=1000), BODY, 1181.0, "stale"),
        (sign(KEY, BODY, timestamp=1000), BODY, 819.0, "stale"),
        (sign(KEY, BODY, timestamp=1000), BODY + b" ", 1000.0, "mismatch"),
        (sign("other-key", BODY, timestamp=1000), BODY, 1000.0, "mismatch"),
        (sign(KEY, BODY, timestamp=1000).replace("t=1000", "t=1001"), BODY, 1000.0, "mismatch"),
    ],
)
def test_verify_rejects(header: str | None, body: bytes, now: float, reason: str) -> None:
    with pytest.raises(SignatureError) as info:
        verify(header, body, [KEY], clock=lambda: now)
    assert info.value.reason == reason
    assert KEY not in str(info.value)


def test_tolerance_is_configurable() -> None:
    header = sign(KEY, BODY, timestamp=1000)
    assert verify(header, BODY, [KEY], tolerance=600, clock=lambda: 1500.0) == 1000
    with pytest.raises(SignatureError):
        verify(header, BODY, [KEY], tolerance=10, clock=lambda: 1011.0)
