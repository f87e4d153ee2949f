"""Contacts, Lists, notes, meeting recaps, Shares and their webhooks against our schemas of Calendly's reference.

Both directions: what the emulator serves (bodies and webhook payloads) conforms, and every conforming payload
(nulls, floats, optional fields left out, unknown fields added) parses and lands as rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_calendly.exceptions import CalendlyAuthError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.models import (
    CalendlyModel,
    Contact,
    ContactCustomFieldDefinition,
    ContactList,
    MeetingRecap,
    Note,
    Share,
    Transcript,
    WebhookEnvelope,
)
from airflow_provider_calendly.scopes import ENDPOINT_SCOPES
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.tables import build_rows
from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook
from tests.contract.schemas import page_violations, payloads, violations
from tests.contract.test_emulator_contract import _param_problems

#: Schema name → (model, the table its items land in, or None).
MODELS: dict[str, tuple[type[CalendlyModel], str | None]] = {
    "Contact": (Contact, "contacts"),
    "ContactCustomFieldDefinition": (ContactCustomFieldDefinition, "contact_custom_field_definitions"),
    "ContactList": (ContactList, "contact_lists"),
    "Note": (Note, None),
    "MeetingRecapListItem": (MeetingRecap, None),
    "MeetingRecap": (MeetingRecap, "meeting_recaps"),
    "Transcript": (Transcript, None),
    "Share": (Share, None),
}
#: Webhook event → the schema of its payload.
WEBHOOKS: dict[str, str] = {
    "contact.created": "ContactWebhookPayload",
    "contact.updated": "ContactWebhookPayload",
    "contact.deleted": "ContactDeletedWebhookPayload",
    "meeting_recap.created": "MeetingRecapWebhookPayload",
    "meeting_recap.updated": "MeetingRecapWebhookPayload",
    "meeting_recap.deleted": "MeetingRecapDeletedWebhookPayload",
}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CalendlyTableWriter]:
    """A SQLite warehouse the generated payloads land in (module-wide: hypothesis reuses it)."""
    path = tmp_path_factory.mktemp("people") / "landing.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_PEOPLE_LANDING", json.dumps({"conn_type": "sqlite", "host": str(path)}))
        writer = CalendlyTableWriter(resolve_dbapi_hook("people_landing"), "landed_")
        writer.ensure_tables(["contacts", "contact_custom_field_values", "contact_custom_field_definitions"])
        writer.ensure_tables(["contact_lists", "meeting_recaps", "meeting_recap_transcripts"])
        yield writer
        writer.close()


def _lands(writer: CalendlyTableWriter, table: str, item: Any) -> None:
    """Write ``item``'s rows and read its row back."""
    writer.write_rows(build_rows(table, item))
    assert writer.stored(table, [item.uri], "uri") == {item.uri: (item.uri,)}


@pytest.fixture
def session(calendly_emulator: CalendlyEmulator) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {calendly_emulator.token}"
        yield s


def test_the_emulator_serves_conforming_bodies(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    em = calendly_emulator
    base, people = em.base_url, em.people

    def get(path: str, **params: Any) -> Any:
        response = session.get(f"{base}{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    contacts = get("/contacts", count=100)
    assert contacts["collection"] and page_violations("Contact", contacts) == []
    lists = get("/contact_lists")
    assert page_violations("ContactList", lists) == [] and lists["pagination"]["next_page_token"] is None
    definitions = get("/contacts/custom_field_definitions")["collection"]
    assert definitions and [p for d in definitions for p in violations("ContactCustomFieldDefinition", d)] == []
    notes = get("/notes", contact=",".join(n["contact"] for n in people.notes))
    assert notes["collection"] and page_violations("Note", notes) == []
    listed = get("/meeting_recaps", count=100)
    assert listed["collection"] and page_violations("MeetingRecapListItem", listed) == []
    assert all("summary_md" not in item for item in listed["collection"])  # a list item lacks the highlights
    recap_uuid = listed["collection"][0]["uri"].rsplit("/", 1)[1]
    assert violations("MeetingRecap", get(f"/meeting_recaps/{recap_uuid}")["resource"]) == []
    assert violations("Transcript", get(f"/meeting_recaps/{recap_uuid}/transcript")["resource"]) == []
    shares = get("/shares", user=em.data.users[0]["uri"])
    assert shares["collection"] and page_violations("Share", shares) == []
    for path in ("/contacts", "/contact_lists", "/notes", "/meeting_recaps", "/shares"):  # an item by its UUID
        item = {"/contacts": contacts, "/contact_lists": lists, "/notes": notes, "/shares": shares}.get(path, listed)
        first = item["collection"][0]
        assert get(f"{path}/{first['uri'].rsplit('/', 1)[1]}")["resource"]["uri"] == first["uri"]


def test_every_webhook_payload_the_emulator_sends_conforms(calendly_emulator: CalendlyEmulator) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    calendly_emulator.add_listener(lambda event, payload: sent.append((event, payload)))
    people = calendly_emulator.people
    contact = people.create_contact(
        {"name": "Grace Hopper", "emails": [{"email": "grace@x.example", "is_primary": True}]}
    )
    people.update_contact(contact["uri"].rsplit("/", 1)[1], {"company": "Navy"})
    people.delete_contact(contact["uri"].rsplit("/", 1)[1])
    recap = people.new_recap()
    people.update_recap(recap["uri"].rsplit("/", 1)[1], {"summary_md": "Edited"})
    people.delete_recap(recap["uri"].rsplit("/", 1)[1])
    assert [event for event, _ in sent] == list(WEBHOOKS)
    for event, payload in sent:
        assert violations(WEBHOOKS[event], payload) == [], event
        envelope = {"event": event, "created_at": "2026-12-01T10:00:00.000000Z", "created_by": "x", "payload": payload}
        WebhookEnvelope.model_validate(envelope).parsed_payload()


def test_every_hook_request_conforms_and_routes_need_the_declared_scopes(
    calendly_emulator: CalendlyEmulator, calendly_conn: str
) -> None:
    hook = CalendlyHook(calendly_conn)
    list(hook.list_contacts(sort="updated_at:desc", email=["a@b.example", "c@d.example"], page_size=7))
    list(hook.list_contacts(company="Acme", timezone="America/New_York", exclude_custom_fields=True))
    lists = list(hook.list_contact_lists(type="static_list"))
    list(hook.list_contacts(contact_list=lists[0].uri))
    definition = next(iter(hook.list_contact_custom_field_definitions()))
    assert hook.get_contact_custom_field_definition(definition.uri).uri == definition.uri
    list(hook.list_notes([c.uri for c in list(hook.list_contacts())[:10]]))
    recaps = list(hook.list_meeting_recaps(start_time="2025-01-01", end_time="2027-01-01", status="available"))
    list(hook.list_meeting_recaps(event=next(r.event for r in recaps if r.event), attendee="a@b.example"))
    list(hook.list_shares(min_created_at="2025-01-01", sort="created_at:asc"))
    records = calendly_emulator.requests
    assert {r.status for r in records} == {200}
    assert [p for r in records for p in _param_problems(r.path, r.query)] == []
    # Each route needs the scope the one declaration names (scopes.ENDPOINT_SCOPES).
    router = calendly_emulator._server.router  # type: ignore[union-attr]
    for (method, collection), scope in ENDPOINT_SCOPES.items():
        route = router.get(method, collection)
        if route is not None and collection in {"contacts", "contact_lists", "notes", "meeting_recaps", "shares"}:
            assert route.scope == scope, (method, collection)


def test_a_token_without_contacts_read_is_refused_naming_the_scope(calendly_emulator: CalendlyEmulator) -> None:
    calendly_emulator.add_token("scoped", scopes=["users:read", "meeting_recaps:write"])
    from airflow_provider_calendly.client import CalendlyClient, CalendlySettings

    client = CalendlyClient(CalendlySettings(token="scoped", base_url=calendly_emulator.base_url))
    with pytest.raises(CalendlyAuthError) as refused:
        list(client.list_contacts())
    assert "contacts:read" in str(refused.value)
    assert list(client.list_meeting_recaps())  # meeting_recaps:write includes :read


@pytest.mark.parametrize("schema", sorted(MODELS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_conforming_payload_parses_and_lands(
    schema: str, data: st.DataObject, landing: CalendlyTableWriter
) -> None:
    model, table = MODELS[schema]
    payload = data.draw(payloads(schema))
    parsed = model.model_validate(payload)
    assert {k for k in payload if k.startswith("x_")} <= set(parsed.model_extra or {})
    dumped = parsed.model_dump(mode="json")
    assert model.model_validate(dumped).model_dump(mode="json") == dumped
    if table is not None:
        _lands(landing, table, parsed)


@pytest.mark.parametrize("event", sorted(WEBHOOKS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_every_conforming_webhook_payload_parses_and_lands(
    event: str, data: st.DataObject, landing: CalendlyTableWriter
) -> None:
    payload = data.draw(payloads(WEBHOOKS[event]))
    envelope = {"event": event, "created_at": "2026-12-01T10:00:00.000000Z", "created_by": None, "payload": payload}
    parsed: Any = WebhookEnvelope.model_validate(envelope).parsed_payload()
    if event.startswith("contact."):
        _lands(landing, "contacts", parsed.contact)
    else:
        recap = parsed.as_recap()
        assert recap.uri == payload["recap"]["uri"]
        _lands(landing, "meeting_recaps", recap)
