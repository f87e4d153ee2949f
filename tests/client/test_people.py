"""Contacts, meeting recaps and Shares through the client, against the emulator over loopback.

The writes take effect once however their answers are lost (the emulator commits, then drops the connection),
bad arguments are refused before any call, and "already gone" is success.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_calendly.client import CalendlyClient, CalendlySettings
from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyConfigError
from airflow_provider_calendly.testing import CalendlyEmulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[CalendlyEmulator]:
    with CalendlyEmulator(seed=3, scheduled_events=30) as emu:
        yield emu


@pytest.fixture
def client(emulator: CalendlyEmulator) -> Iterator[CalendlyClient]:
    emulator.clear_faults()
    emulator.reset_stats()
    settings = CalendlySettings(token=emulator.token, base_url=emulator.base_url)
    with_client = CalendlyClient(settings, sleep=lambda _s: None)
    yield with_client
    with_client.close()


def _writes(emulator: CalendlyEmulator, method: str, prefix: str) -> int:
    return sum(1 for r in emulator.requests if r.method == method and r.path.startswith(prefix))


def test_ensure_contact_creates_once_whatever_happens_to_the_answer(
    emulator: CalendlyEmulator, client: CalendlyClient
) -> None:
    contact, created = client.ensure_contact("ada@lovelace.example", name="Ada Lovelace", company="Analytical")
    assert created and contact.primary_email == "ada@lovelace.example" and contact.company == "Analytical"
    again, created_again = client.ensure_contact("ada@lovelace.example", name="Ada Lovelace")
    assert (again.uri, created_again) == (contact.uri, False)
    assert _writes(emulator, "POST", "/contacts") == 1  # the rerun looked first and found it
    # The POST lands, then its answer is lost: the contact is found, never created twice.
    emulator.set_faults(drop_after_commit=1, path_prefix="/contacts")
    lost, created_lost = client.ensure_contact("grace@hopper.example", name="Grace Hopper")
    assert not created_lost and lost.primary_email == "grace@hopper.example"
    assert [c["emails"][0]["email"] for c in emulator.people.contacts].count("grace@hopper.example") == 1
    # A plain create of an existing email is Calendly's 409; the idempotent form reads it as "exists".
    with pytest.raises(CalendlyAPIError) as conflict:
        client.create_contact({"name": "Ada", "emails": [{"email": "ada@lovelace.example", "is_primary": True}]})
    assert conflict.value.status_code == 409


def test_update_and_remove_a_contact_by_uri_or_email(emulator: CalendlyEmulator, client: CalendlyClient) -> None:
    contact, _ = client.ensure_contact("alan@turing.example", name="Alan Turing")
    definition = next(d for d in client.list_contact_custom_field_definitions() if d.field_type == "single_select")
    option = definition.options[0]
    changed = client.update_contact(
        contact.uri, {"job_title": "Cryptanalyst", "custom_fields": [{"uuid": definition.uuid, "value": option.uuid}]}
    )
    assert changed.job_title == "Cryptanalyst"
    assert [(v.uri, v.value) for v in changed.custom_fields] == [(definition.uri, option.uuid)]
    assert changed.updated_at is not None and contact.updated_at is not None
    assert client.contact_uri(email="alan@turing.example") == contact.uri
    assert client.remove_contact(email="alan@turing.example") == (contact.uri, True)
    assert client.remove_contact(contact=contact.uri) == (contact.uri, False)  # already gone: done
    assert client.remove_contact(email="alan@turing.example") == (None, False)  # nobody has it: done


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.ensure_contact("not-an-email", name="X"), "email"),
        (lambda c: c.ensure_contact("x@y.example", name=""), "name"),
        (lambda c: c.ensure_contact("x@y.example", name="X", emails=[]), "primary address"),
        (lambda c: c.update_contact("C1", {"nickname": "x"}), "unknown contact field"),
        (lambda c: c.update_contact("C1", {"emails": [{"email": "a@b.example", "is_primary": False}]}), "primary"),
        (lambda c: c.update_contact("C1", {}), "at least one"),
        (lambda c: c.update_meeting_recap("R1", transcript="x"), "summary_md"),
        (lambda c: c.update_meeting_recap("R1", summary_md=3), "Markdown"),
        (lambda c: c.list_notes([f"C{i}" for i in range(11)]), "1 to 10"),
        (lambda c: list(c.list_contacts(sort="name:asc")), "sort"),
        (lambda c: list(c.list_contacts(nickname="x")), "unknown contact filter"),
        (lambda c: list(c.list_meeting_recaps(status="done")), "status"),
        (lambda c: c.create_share("ET1", duration=0), "duration"),
        (lambda c: c.create_share("ET1", colour="red"), "unknown share setting"),
        (lambda c: c.get_contact_custom_field_definition("https://api.calendly.com/contacts/C1"), "definition"),
        (lambda c: c.get_contact("https://evil.example/contacts/C1"), "refusing"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(
    emulator: CalendlyEmulator, client: CalendlyClient, call: Any, message: str
) -> None:
    with pytest.raises(CalendlyConfigError, match=message):
        call(client)
    assert emulator.requests == []


def test_recaps_are_edited_once_and_deleted_once(emulator: CalendlyEmulator, client: CalendlyClient) -> None:
    listed = next(iter(client.list_meeting_recaps()))
    assert listed.summary_md is None  # a list item lacks the highlights
    recap = client.get_meeting_recap(listed.uri)
    assert recap.summary_md and recap.transcript
    segments = client.get_meeting_recap_transcript(recap.uri).segments()
    assert segments and all(s.speaker and s.text for s in segments)
    emulator.set_faults(drop_after_commit=1, path_prefix="/meeting_recaps")
    edited = client.update_meeting_recap(recap.uri, action_items_md="- Send the quote", discussion_md=None)
    assert (edited.action_items_md, edited.discussion_md, edited.summary_md) == (
        "- Send the quote",
        None,
        recap.summary_md,
    )
    assert _writes(emulator, "PATCH", "/meeting_recaps") == 2  # the lost answer was resent: harmless
    assert client.remove_meeting_recap(recap.uri) is True
    assert client.remove_meeting_recap(recap.uuid) is False


def test_a_share_is_created_once_updated_and_deleted(emulator: CalendlyEmulator, client: CalendlyClient) -> None:
    event_type = emulator.people.shareable_event_types()[0]["uri"]
    before = len(emulator.people.shares)
    emulator.set_faults(drop_after_commit=1, path_prefix="/shares")
    share, created = client.create_share_once(event_type, name="For Ada", duration=30)
    assert not created and share.share_override is not None and share.share_override.name == "For Ada"
    assert len(emulator.people.shares) == before + 1  # landed once, found by the look
    assert share.status == "active" and share.booking_url
    retry, created_again = client.create_share_once(event_type, look_first=True, name="For Ada", duration=30)
    assert (retry.uri, created_again) == (share.uri, False)
    contact, _ = client.ensure_contact("ada@share.example", name="Ada")
    linked = client.update_share(share.uri, contact=contact.uri, name=None)
    assert linked.contact == contact.uri and linked.share_override is not None
    assert linked.share_override.name == emulator.people.shareable_event_types()[0]["name"]  # null restores
    assert next(s.uri for s in client.list_shares(event_type=event_type)) == share.uri  # newest first
    assert client.remove_share(share.uri) is True and client.remove_share(share.uri) is False
    booked = next(s for s in emulator.people.shares if s["status"] != "booked")
    emulator.people.book_share(booked["uri"].rsplit("/", 1)[1])
    with pytest.raises(CalendlyAPIError) as refused:
        client.remove_share(booked["uri"])
    assert refused.value.status_code == 409


def test_lists_views_definitions_and_notes(emulator: CalendlyEmulator, client: CalendlyClient) -> None:
    people = emulator.people
    lists = {item.name: item for item in client.list_contact_lists()}
    assert {item.type for item in lists.values()} == {"static_list", "dynamic_view"}
    hot = lists["Hot leads"]
    members = [c.uri for c in client.list_contacts(contact_list=hot.uri, exclude_custom_fields=True)]
    assert sorted(members) == sorted(people.list_members[hot.uri]) and hot.contact_count == len(members)
    assert all(not c.custom_fields for c in client.list_contacts(exclude_custom_fields=True))
    assert [item.name for item in client.list_contact_lists(type="dynamic_view")] == ["Europe"]
    definitions = list(client.list_contact_custom_field_definitions())
    assert len(definitions) == len(people.definitions)
    assert client.get_contact_custom_field_definition(definitions[0].uuid).uri == definitions[0].uri
    noted = [n["contact"] for n in people.notes]
    notes = list(client.list_notes(noted))
    assert sorted(n.contact or "" for n in notes) == sorted(noted)
    assert client.get_note(notes[0].uri).title == notes[0].title
