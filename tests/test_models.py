from __future__ import annotations

import json
from datetime import timezone
from pathlib import Path

import pytest

from airflow_provider_calendly.models import (
    CalendlyModel,
    EventType,
    Invitee,
    InviteePayload,
    RoutingFormSubmission,
    ScheduledEvent,
    User,
    WebhookEnvelope,
    uuid_from_uri,
)

FIXTURES = Path(__file__).parent / "fixtures"


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize(
    ("fixture", "model"),
    [("event_type.json", EventType), ("scheduled_event.json", ScheduledEvent), ("invitee.json", Invitee)],
)
def test_realistic_payloads_round_trip(fixture: str, model: type[CalendlyModel]) -> None:
    raw = _load(fixture)["resource"]
    parsed = model.model_validate(raw)
    dumped = parsed.model_dump(mode="json")
    assert model.model_validate(dumped) == parsed
    json.dumps(dumped)  # JSON-safe
    for key, value in raw.items():  # every field survives, known or not (timestamps re-rendered)
        assert key in dumped
        if not key.endswith(("_at", "_time")) and not isinstance(value, (dict, list)):
            assert dumped[key] == value


def test_unknown_fields_are_kept() -> None:
    event_type = EventType.model_validate(_load("event_type.json")["resource"])
    assert event_type.model_dump()["some_future_field"] == {"nested": [1, 2, 3]}


def test_timestamps_are_aware_and_uuid_is_last_segment() -> None:
    invitee = Invitee.model_validate(_load("invitee.json")["resource"])
    assert invitee.created_at is not None and invitee.created_at.tzinfo is not None
    assert invitee.uuid == "AAAAAAAAAAAAAAAA"
    assert invitee.scheduled_event_uuid == "AAAAAAAAAAAAAAAA"
    assert invitee.no_show is not None and invitee.no_show.uri is not None
    assert invitee.payment is not None and invitee.payment.amount == 1234.56
    naive = User.model_validate({"uri": "https://api.calendly.com/users/U", "created_at": "2024-01-01T10:00:00"})
    assert naive.created_at is not None and naive.created_at.tzinfo == timezone.utc


def test_optional_fields_may_be_missing_or_null() -> None:
    event = ScheduledEvent.model_validate({"uri": "https://api.calendly.com/scheduled_events/X", "location": None})
    assert event.event_memberships == [] and event.cancellation is None and event.start_time is None


def test_webhook_envelopes_parse_to_their_payload_models() -> None:
    created = WebhookEnvelope.model_validate(_load("webhook_invitee_created.json"))
    payload = created.parsed_payload()
    assert isinstance(payload, InviteePayload)
    assert payload.scheduled_event is not None and payload.scheduled_event.uuid == "GBGBDCAADAEDCRZ2"
    routing = WebhookEnvelope.model_validate(_load("webhook_routing_form_submission.json")).parsed_payload()
    assert isinstance(routing, RoutingFormSubmission)
    assert routing.result is not None and routing.result.type == "event_type"
    newer = WebhookEnvelope.model_validate(
        {"event": "invitee_no_show.created", "created_at": "2024-01-01T00:00:00Z", "payload": {"x": 1}}
    )
    assert newer.parsed_payload().model_dump() == {"x": 1}


def test_uuid_from_uri() -> None:
    assert uuid_from_uri("https://api.calendly.com/event_types/ABC/") == "ABC"
