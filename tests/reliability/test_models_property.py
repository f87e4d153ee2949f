"""Property-based robustness of the models and the warehouse rows built from them.

Hypothesis takes real Calendly-shaped objects (the API reference's examples in ``tests/fixtures`` and the
emulator's generated organization) and varies them the ways the API does: optional fields missing or null,
fields Calendly adds later (any JSON value), nested objects and list items thinned out the same way. Parsing
must never fail on such a shape, must round-trip through JSON, and the transfer must turn it into rows a real
SQLite warehouse accepts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_calendly.models import (
    CalendlyModel,
    EventType,
    Invitee,
    NoShow,
    Page,
    ScheduledEvent,
    User,
    WebhookEnvelope,
    WebhookSubscription,
)
from airflow_provider_calendly.testing import build_dataset
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.tables import event_type_row, invitee_rows, scheduled_event_rows

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASE = "https://api.calendly.com"
DATA = build_dataset(BASE, seed=3, scheduled_events=12)


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data.get("resource", data)


#: Each model with example objects and the keys the API always sends (everything else may vary).
SAMPLES: dict[type[CalendlyModel], tuple[list[dict[str, Any]], frozenset[str]]] = {
    EventType: ([_fixture("event_type.json"), *DATA.event_types[:3]], frozenset({"uri"})),
    ScheduledEvent: ([_fixture("scheduled_event.json"), *list(DATA.scheduled_events.values())[:3]], frozenset({"uri"})),
    Invitee: (
        [_fixture("invitee.json"), *[i for invs in DATA.invitees.values() for i in invs][:3]],
        frozenset({"uri"}),
    ),
    User: (DATA.users[:2], frozenset({"uri"})),
    NoShow: (
        [
            {
                "uri": f"{BASE}/invitee_no_shows/NS1",
                "invitee": f"{BASE}/scheduled_events/E/invitees/I",
                "created_at": "2024-01-01T00:00:00.000000Z",
            }
        ],
        frozenset({"uri", "invitee"}),
    ),
    WebhookSubscription: (
        [
            {
                "uri": f"{BASE}/webhook_subscriptions/W1",
                "callback_url": "https://example.com/hook",
                "created_at": "2024-01-01T00:00:00.000000Z",
                "updated_at": "2024-01-01T00:00:00.000000Z",
                "retry_started_at": None,
                "state": "active",
                "events": ["invitee.created"],
                "scope": "organization",
                "organization": f"{BASE}/organizations/O",
                "user": None,
                "group": None,
                "creator": f"{BASE}/users/U",
            }
        ],
        frozenset({"uri", "callback_url"}),
    ),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
new_keys = st.from_regex(r"\A[a-z][a-z_]{0,14}\Z", fullmatch=True).map(lambda k: f"x_{k}")


@st.composite
def varied(draw: st.DrawFn, value: Any, required: frozenset[str] = frozenset(), depth: int = 0) -> Any:
    """``value`` with optional keys dropped or nulled, unknown keys added, list items varied, recursively."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in required:
                out[key] = item
                continue
            choice = draw(st.sampled_from(["keep", "keep", "vary", "drop", "null"]))
            if choice == "drop":
                continue
            if choice == "null":
                out[key] = None
            elif choice == "vary" and depth < 3:
                out[key] = draw(varied(item, frozenset({"uri"}) if _has_uri(item) else frozenset(), depth + 1))
            else:
                out[key] = item
        for key in draw(st.lists(new_keys, max_size=3, unique=True)):
            if key not in out:
                out[key] = draw(json_values)
        return out
    if isinstance(value, list) and depth < 3:
        items = [draw(varied(v, frozenset(), depth + 1)) if isinstance(v, dict) else v for v in value]
        return draw(st.lists(st.sampled_from(items), max_size=len(items) + 1)) if items else []
    return value


def _has_uri(value: Any) -> bool:
    return isinstance(value, dict) and "uri" in value


@st.composite
def api_objects(draw: st.DrawFn) -> tuple[type[CalendlyModel], dict[str, Any]]:
    model = draw(st.sampled_from(list(SAMPLES)))
    examples, required = SAMPLES[model]
    return model, draw(varied(draw(st.sampled_from(examples)), required))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(api_objects())
def test_parsing_never_fails_on_api_shapes(case: tuple[type[CalendlyModel], dict[str, Any]]) -> None:
    model, data = case
    parsed = model.model_validate(data)
    dumped = parsed.model_dump(mode="json")
    json.dumps(dumped)  # JSON-safe, as XComs need
    assert model.model_validate(dumped).model_dump(mode="json") == dumped  # round-trips
    for key, value in data.items():
        if key.startswith("x_"):
            assert dumped[key] == value  # fields Calendly adds later are kept, not dropped


@settings(max_examples=60, deadline=None)
@given(st.lists(api_objects(), min_size=0, max_size=4), st.none() | st.text(min_size=1, max_size=30))
def test_pages_of_varied_items_parse(
    items: list[tuple[type[CalendlyModel], dict[str, Any]]], token: str | None
) -> None:
    events = [data for model, data in items if model is ScheduledEvent]
    page = Page[ScheduledEvent].model_validate(
        {"collection": events, "pagination": {"count": len(events), "next_page_token": token, "next_page": None}}
    )
    assert len(page.collection) == len(events)


@settings(max_examples=80, deadline=None)
@given(
    varied(
        json.loads((FIXTURES / "webhook_invitee_created.json").read_text()),
        frozenset({"event", "created_at", "payload"}),
    )
)
def test_webhook_envelopes_parse(envelope: dict[str, Any]) -> None:
    if not isinstance(envelope.get("payload"), dict) or "uri" not in envelope["payload"]:
        envelope["payload"] = {"uri": f"{BASE}/scheduled_events/E/invitees/I", **(envelope.get("payload") or {})}
    WebhookEnvelope.model_validate(envelope).parsed_payload()


@pytest.fixture(scope="module")
def writer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CalendlyTableWriter]:
    from airflow.providers.sqlite.hooks.sqlite import SqliteHook

    db = tmp_path_factory.mktemp("models") / "rows.db"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AIRFLOW_CONN_MODELS_ROWS", json.dumps({"conn_type": "sqlite", "host": str(db)}))
        w = CalendlyTableWriter(SqliteHook(sqlite_conn_id="models_rows"), "p_")
        w.ensure_tables()
        yield w
        w.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(api_objects())
def test_varied_objects_become_rows_the_warehouse_accepts(
    writer: CalendlyTableWriter, case: tuple[type[CalendlyModel], dict[str, Any]]
) -> None:
    model, data = case
    if model is EventType:
        rows = {"event_types": [event_type_row(EventType.model_validate(data))]}
    elif model is ScheduledEvent:
        rows = scheduled_event_rows(ScheduledEvent.model_validate(data))
    elif model is Invitee:
        rows = invitee_rows(Invitee.model_validate(data), scheduled_event_uri=f"{BASE}/scheduled_events/E")
    else:
        return
    with writer.transaction():
        writer.write_rows(rows)
    for key, items in rows.items():
        if items:
            assert writer.count(key) >= 1
