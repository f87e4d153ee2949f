"""Share the webhook fixtures (inbox, inbox connection)."""

from __future__ import annotations

from tests.webhooks.conftest import inbox, inbox_conn, inbox_url

__all__ = ["inbox", "inbox_conn", "inbox_url"]
