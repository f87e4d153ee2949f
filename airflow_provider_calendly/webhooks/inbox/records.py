"""What the inbox stores and hands out: a delivery's id, the delivery about to be stored and as read back,
a store's outcome, a refused delivery, and the receipts of a callback path.

Calendly sends no delivery id, so the inbox derives one (:func:`delivery_id`): the SHA-256 of the event name,
the payload's ``uri`` and the envelope's ``created_at``. Retries carry the same three, so each event is stored
once; a later, different event about the same object (a cancellation after the booking, a second no-show after
an undo) differs in name or ``created_at`` and is stored as new.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_provider_calendly.models import WebhookEnvelope, webhook_resource_uri

__all__ = ["Delivery", "NewDelivery", "Receipts", "Rejection", "StoreResult", "delivery_id", "utc_day"]


def delivery_id(event: str, payload: Mapping[str, Any], created_at: datetime) -> str:
    """Return the stable id of a delivery: SHA-256 of event name, payload ``uri`` and envelope ``created_at``.

    The payload's ``uri`` is its resource's (a contact's or a recap's is nested: ``contact.uri``,
    ``recap.uri``); a payload without one (an event type Calendly adds later may lack one) is identified by
    its canonical JSON instead.
    """
    uri = webhook_resource_uri(dict(payload))
    if not uri:
        uri = (
            "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        )
    stamp = created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return hashlib.sha256(f"{event}\n{uri}\n{stamp}".encode()).hexdigest()


@dataclass(frozen=True)
class _DeliveryColumns:
    """The columns of a stored delivery, shared by one about to be stored and one read back."""

    delivery_id: str
    event: str
    created_at: str
    created_by: str | None
    payload_uri: str | None
    event_type: str | None
    organization: str | None
    received_at: float
    body: str


@dataclass(frozen=True)
class NewDelivery(_DeliveryColumns):
    """A verified, parsed delivery about to be stored."""

    @classmethod
    def from_envelope(
        cls, envelope: WebhookEnvelope, body: bytes | str, *, received_at: float, organization: str | None = None
    ) -> NewDelivery:
        """Build the row for a parsed envelope and its raw body."""
        payload = envelope.payload
        scheduled_event = payload.get("scheduled_event")
        event_type = scheduled_event.get("event_type") if isinstance(scheduled_event, dict) else None
        uri = webhook_resource_uri(payload)
        return cls(
            delivery_id=delivery_id(envelope.event, payload, envelope.created_at),
            event=envelope.event,
            created_at=envelope.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            created_by=envelope.created_by,
            payload_uri=uri,
            event_type=event_type if isinstance(event_type, str) else None,
            organization=organization,
            received_at=received_at,
            body=body.decode() if isinstance(body, bytes) else body,
        )


@dataclass(frozen=True)
class StoreResult:
    """Outcome of storing one delivery: its inbox ``id`` (``None`` for a duplicate) and whether it was new."""

    delivery_id: str
    stored: bool
    id: int | None = None


@dataclass(frozen=True)
class Rejection:
    """A delivery the receiver refused (never stored), tallied in the receipts of its callback path.

    :param path: The callback path it was posted to.
    :param reason: ``signature`` (missing, malformed, stale or wrong) or ``other`` (not a webhook envelope).
    :param at: When it was refused (Unix seconds).
    """

    path: str
    reason: str
    at: float


@dataclass(frozen=True)
class Receipts:
    """What the receiver did with the deliveries to one callback path on one UTC day (``YYYY-MM-DD``)."""

    path: str
    day: str
    stored: int
    duplicate: int
    rejected_signature: int
    rejected_other: int
    last_stored_at: float | None
    last_rejected_at: float | None


@dataclass(frozen=True)
class Delivery(_DeliveryColumns):
    """A stored delivery, as read back from the inbox: the columns and its inbox ``id``."""

    id: int

    @property
    def payload(self) -> dict[str, Any]:
        envelope = json.loads(self.body)
        payload = envelope.get("payload") if isinstance(envelope, dict) else None
        return payload if isinstance(payload, dict) else {}

    def as_event(self) -> dict[str, Any]:
        """Return the delivery as a JSON-safe dict (what triggers yield and the sensor returns)."""
        return {
            "id": self.id,
            "delivery_id": self.delivery_id,
            "event": self.event,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "payload_uri": self.payload_uri,
            "event_type": self.event_type,
            "organization": self.organization,
            "received_at": datetime.fromtimestamp(self.received_at, timezone.utc).isoformat(),
            "payload": self.payload,
        }


def utc_day(at: float) -> str:
    """The UTC day (``YYYY-MM-DD``) of a Unix time."""
    return datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%d")
