"""Values as the page shows them: read by type from what an XCom holds (never trusted), and UTC timestamps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

__all__ = ["as_int", "as_mapping", "as_number", "as_text", "as_utc", "callback_path", "iso", "iso_ts"]

_TEXT_LIMIT = 1000


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def as_text(value: Any) -> str | None:
    return value[:_TEXT_LIMIT] if isinstance(value, str) else None


def callback_path(url: str) -> str:
    """The path of a callback URL (what the receiver tallies its deliveries by), without a trailing slash."""
    return urlsplit(url).path.rstrip("/")


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def iso_ts(value: float | None) -> str | None:
    return None if value is None else iso(datetime.fromtimestamp(value, timezone.utc))
