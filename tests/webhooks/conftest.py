"""Fixtures for the webhook tests: a signing key, a fresh SQLite inbox, and helpers to sign envelopes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.webhooks.inbox import WebhookInbox
from airflow_provider_calendly.webhooks.signature import sign

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SIGNING_KEY = "whsec-test-signing-key-0123456789"


def envelope(name: str = "webhook_invitee_created.json", **changes: Any) -> dict[str, Any]:
    """A canned webhook envelope with top-level fields replaced."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    data.update(changes)
    return data


def signed(
    body: dict[str, Any] | bytes, *, key: str = SIGNING_KEY, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """Encode a body and return it with the signature and JSON headers."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", "Calendly-Webhook-Signature": sign(key, raw, timestamp=timestamp)}


@pytest.fixture
def inbox_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'inbox.db'}"


@pytest.fixture
def inbox(inbox_url: str) -> Iterator[WebhookInbox]:
    box = WebhookInbox(inbox_url)
    box.create_tables()
    yield box


@pytest.fixture
def inbox_conn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An Airflow connection ``calendly_webhook_inbox`` to a SQLite file; returns its id."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_WEBHOOK_INBOX",
        json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "inbox-conn.db")}),
    )
    return "calendly_webhook_inbox"
