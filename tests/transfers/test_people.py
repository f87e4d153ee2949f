"""Contacts, contact Lists and Notetaker recaps in the warehouse: the default sync, transcripts, skips, deletions,
and webhook change capture (``contact.*``, ``meeting_recap.*``) under both behaviours Calendly's reference leaves
open for a recap edit (it moves the ``updated_at`` a listing shows, or it does not).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import UPDATED_AT_CHANGES, CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlySqlSync, CalendlyToSqlOperator
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.tables import RESOURCE_TABLES, TABLES
from airflow_provider_calendly.transfers.webhook_to_sql import land_delivery
from tests.harness.feed import WebhookFeed, dump_tables
from tests.transfers.helpers import Warehouse

PEOPLE = ("contacts", "contact_lists", "meeting_recaps")
TABLE_KEYS = tuple(t for r in PEOPLE for t in RESOURCE_TABLES[r])
START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
INBOX = "calendly_people_inbox"


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[CalendlyEmulator]:
    with CalendlyEmulator(seed=11, scheduled_events=40, now=lambda: START) as emu:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emu.connection_json(rate_limit=10_000))
        yield emu


@pytest.fixture
def writer(warehouse: Warehouse) -> Iterator[CalendlyTableWriter]:
    w = warehouse.writer()
    yield w
    w.close()


def _sync(emulator: CalendlyEmulator, writer: CalendlyTableWriter, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"page_size": 7, "chunk_size": 5, "resources": PEOPLE, **kwargs}
    hook = CalendlyHook(sleep=lambda _s: None)
    return CalendlySqlSync(hook=hook, writer=writer, clock=emulator.now, **options).run()


def _calls(emulator: CalendlyEmulator, collection: str) -> int:
    """GETs of single items of ``collection`` (``/<collection>/<uuid>…``: a recap, its transcript, a contact)."""
    return sum(
        1
        for r in emulator.requests
        if r.method == "GET" and r.path.startswith(f"/{collection}/") and "custom_field_definitions" not in r.path
    )


def _live(writer: CalendlyTableWriter, keys: tuple[str, ...] = TABLE_KEYS) -> dict[str, list[tuple[Any, ...]]]:
    """:func:`dump_tables` of the rows not marked deleted, and of their children."""
    dump = dump_tables(writer, keys)
    gone = {row[0] for key in keys if TABLES[key].parent is None for row in dump[key] if row[-1] is not None}
    return {key: [row for row in rows if row[0] not in gone] for key, rows in dump.items()}


def test_a_default_sync_lands_contacts_lists_and_recaps_and_a_rerun_reads_no_recap_again(
    emulator: CalendlyEmulator, warehouse: Warehouse, writer: CalendlyTableWriter
) -> None:
    summary = CalendlyToSqlOperator(
        task_id="land", sql_conn_id=warehouse.conn_id, table_prefix=warehouse.prefix, include_transcripts=True
    ).execute({})  # type: ignore[arg-type]
    assert summary["skipped"] == {}
    assert {key: writer.count(key) for key in TABLE_KEYS} == emulator.people.counts()
    # The links analysts join on.
    contacts = {row[0] for row in dump_tables(writer, ("contacts",))["contacts"]}
    members = writer.execute(f"SELECT contact_uri FROM {writer.table_name('contact_list_memberships')}")
    assert members and {m for (m,) in members} <= contacts
    values = writer.execute(
        f"SELECT v.definition_uri, d.field_type FROM {writer.table_name('contact_custom_field_values')} v "
        f"LEFT JOIN {writer.table_name('contact_custom_field_definitions')} d ON d.uri = v.definition_uri"
    )
    assert values and all(field_type is not None for _uri, field_type in values)
    recapped = writer.execute(
        f"SELECT r.event, e.uri FROM {writer.table_name('meeting_recaps')} r "
        f"LEFT JOIN {writer.table_name('scheduled_events')} e ON e.uri = r.event WHERE r.event IS NOT NULL"
    )
    assert recapped and all(event == found for event, found in recapped)
    first = dump_tables(writer, TABLE_KEYS)
    emulator.reset_stats()
    rerun = CalendlyToSqlOperator(
        task_id="land", sql_conn_id=warehouse.conn_id, table_prefix=warehouse.prefix, include_transcripts=True
    ).execute({})  # type: ignore[arg-type]
    assert rerun["skipped"] == {} and dump_tables(writer, TABLE_KEYS) == first
    assert _calls(emulator, "meeting_recaps") == 0  # nothing changed: no recap or transcript read again


def test_transcripts_are_opt_in_and_each_is_read_once(emulator: CalendlyEmulator, warehouse: Warehouse) -> None:
    if warehouse.kind != "sqlite":
        pytest.skip("which transcripts are read is decided before any warehouse-specific SQL")
    writer = warehouse.writer()
    try:
        _sync(emulator, writer)
        assert writer.count("meeting_recap_transcripts") == 0
        assert not [r for r in emulator.requests if r.path.endswith("/transcript")]
        emulator.reset_stats()
        # Turned on later: a full run reads every recap's transcript (an incremental one, those in its window).
        summary = _sync(emulator, writer, include_transcripts=True, mode="full")
        available = emulator.people.counts()["meeting_recaps"]
        assert summary["tables"]["meeting_recap_transcripts"]["api_calls"] == available
        assert writer.count("meeting_recap_transcripts") == emulator.people.counts()["meeting_recap_transcripts"]
        speakers = writer.execute(f"SELECT DISTINCT speaker FROM {writer.table_name('meeting_recap_transcripts')}")
        assert emulator.data.users[0]["name"] in {s for (s,) in speakers}
        emulator.reset_stats()
        _sync(emulator, writer, include_transcripts=True)
        assert _calls(emulator, "meeting_recaps") == 0
    finally:
        writer.close()


def test_plan_gated_resources_are_skipped_and_the_rest_lands(emulator: CalendlyEmulator, warehouse: Warehouse) -> None:
    if warehouse.kind != "sqlite":
        pytest.skip("skipping is decided before any warehouse-specific SQL")
    emulator.organization.gate("meeting_recaps", 403)
    emulator.organization.gate("contact_lists", 404)
    writer = warehouse.writer()
    try:
        summary = _sync(emulator, writer, include_transcripts=True)
        assert set(summary["skipped"]) == {"meeting_recaps", "contact_lists"}
        assert summary["skipped"]["meeting_recaps"]["status"] == 403
        assert "paid" in summary["skipped"]["meeting_recaps"]["reason"]
        assert writer.count("contacts") == emulator.people.counts()["contacts"]
        assert writer.count("meeting_recaps") == writer.count("contact_lists") == 0
        with pytest.raises(CalendlyAPIError):
            _sync(emulator, writer, strict_resources=True)
        emulator.organization.ungate()
        assert _sync(emulator, writer)["skipped"] == {}  # no unfinished pass was left behind by the skip
        assert writer.count("meeting_recaps") == emulator.people.counts()["meeting_recaps"]
    finally:
        writer.close()


def test_deletions_are_marked_by_a_full_run_and_lists_follow_their_members(
    emulator: CalendlyEmulator, warehouse: Warehouse
) -> None:
    if warehouse.kind != "sqlite":
        pytest.skip("the sweep's SQL is the shared one, tested per warehouse in test_resources")
    people = emulator.people
    writer = warehouse.writer()
    try:
        _sync(emulator, writer)
        hot = next(item for item in people.contact_lists if item["name"] == "Hot leads")
        member = people.list_members[hot["uri"]][0]
        recap = next(r for r in people.recaps if r["status"] == "Available")
        people.delete_contact(member.rsplit("/", 1)[1])
        people.delete_recap(recap["uri"].rsplit("/", 1)[1])
        marked = "SELECT uri FROM {} WHERE _deleted_at IS NOT NULL"
        _sync(emulator, writer)  # incremental: a listing cannot show what is gone
        assert writer.execute(marked.format(writer.table_name("contacts"))) == []
        members = f"SELECT contact_uri FROM {writer.table_name('contact_list_memberships')} WHERE contact_list_uri = ?"
        assert member not in {m for (m,) in writer.execute(members, [hot["uri"]])}  # Lists are re-read in full
        _sync(emulator, writer, mode="full")
        assert writer.execute(marked.format(writer.table_name("contacts"))) == [(member,)]
        assert writer.execute(marked.format(writer.table_name("meeting_recaps"))) == [(recap["uri"],)]
    finally:
        writer.close()


#: A recap edit moves the updated_at its listing shows, or it does not (Calendly's reference does not say).
BEHAVIOURS = {"recap_edits_move_updated_at": UPDATED_AT_CHANGES, "recap_edits_leave_updated_at": ()}


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
def test_the_feed_lands_contact_and_recap_changes_in_order_and_never_regresses(
    behaviour: str, warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if warehouse.kind != "sqlite":
        pytest.skip("the ordering is computed before any warehouse-specific SQL; SQLite shows it")
    emulator = CalendlyEmulator(
        seed=5, scheduled_events=40, now=lambda: START, updated_at_moved_by=BEHAVIOURS[behaviour]
    )
    emulator.start()
    feed = WebhookFeed(emulator, tmp_path / "inbox.db").start()
    monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json(rate_limit=10_000))
    monkeypatch.setenv(f"AIRFLOW_CONN_{INBOX.upper()}", feed.connection_json())
    writer, plain = warehouse.writer(), warehouse.writer(warehouse.new_prefix())
    people = emulator.people
    try:
        _sync(emulator, writer, webhook_inbox_conn_id=INBOX, include_transcripts=True)
        _sync(emulator, plain, include_transcripts=True)
        emulator.advance_clock(timedelta(hours=1))
        kept, edited, dropped = people.contacts[0], people.contacts[1], people.contacts[2]
        new = people.create_contact({"name": "Ada", "emails": [{"email": "ada@new.example", "is_primary": True}]})
        emulator.advance_clock(timedelta(minutes=1))
        people.update_contact(edited["uri"].rsplit("/", 1)[1], {"company": "Initech", "job_title": "CTO"})
        people.delete_contact(dropped["uri"].rsplit("/", 1)[1])
        # The latest meetings' recaps: inside the incremental window (a listing shows recaps by meeting time).
        recaps = sorted((r for r in people.recaps if r["status"] == "Available"), key=lambda r: r["end_time"])[::-1]
        people.update_recap(recaps[0]["uri"].rsplit("/", 1)[1], {"summary_md": "Edited after the meeting"})
        people.delete_recap(recaps[1]["uri"].rsplit("/", 1)[1])
        created = people.new_recap()
        feed.wait()
        emulator.advance_clock(timedelta(hours=1))
        emulator.reset_stats()
        summary = _sync(emulator, writer, webhook_inbox_conn_id=INBOX, include_transcripts=True)
        assert summary["webhook_feed"]["applied"] == {
            "contact.created": 1,
            "contact.deleted": 1,
            "contact.updated": 1,
            "meeting_recap.created": 1,
            "meeting_recap.deleted": 1,
            "meeting_recap.updated": 1,
        }
        assert summary["webhook_feed"]["skipped"] == {}
        # Landed from the payloads: no recap read again; only the new recap's transcript (not in its payload).
        assert [r.path for r in emulator.requests if r.path.startswith("/meeting_recaps/")] == [
            f"/meeting_recaps/{created['uri'].rsplit('/', 1)[1]}/transcript"
        ]
        assert _calls(emulator, "contacts") == 0
        full = warehouse.writer(warehouse.new_prefix())
        try:
            _sync(emulator, full, mode="full", include_transcripts=True)
            assert _live(writer) == _live(full)
            # Without the feed, an edit that leaves updated_at alone waits for a full run (as documented).
            _sync(emulator, plain, include_transcripts=True)

            def summary_of(w: CalendlyTableWriter) -> Any:
                query = f"SELECT summary_md FROM {w.table_name('meeting_recaps')} WHERE uri = ?"
                return w.execute(query, [recaps[0]["uri"]])

            assert summary_of(writer) == summary_of(full) == [("Edited after the meeting",)]
            assert (summary_of(plain) == summary_of(full)) is behaviour.endswith("move_updated_at")
        finally:
            full.close()

        def tombstones(key: str) -> list[tuple[Any, ...]]:
            return writer.execute(f"SELECT uri FROM {writer.table_name(key)} WHERE _deleted_at IS NOT NULL")

        assert tombstones("contacts") == [(dropped["uri"],)]
        assert tombstones("meeting_recaps") == [(recaps[1]["uri"],)]
        # Duplicates and late deliveries (the created and updated before the deletion among them) change nothing.
        before = dump_tables(writer, TABLE_KEYS)
        assert feed.replay(random.Random(3), 30) > 0
        replayed = _sync(emulator, writer, webhook_inbox_conn_id=INBOX, include_transcripts=True)
        assert replayed["webhook_feed"]["deliveries"] >= 30
        assert dump_tables(writer, TABLE_KEYS) == before
        assert {new["uri"], kept["uri"]} <= {row[0] for row in _live(writer)["contacts"]}
    finally:
        writer.close()
        plain.close()
        feed.stop()
        emulator.stop()


def test_land_delivery_lands_contact_and_recap_deliveries_as_a_full_sync_reads_them(
    emulator: CalendlyEmulator, warehouse: Warehouse
) -> None:
    people, delivered = emulator.people, []
    emulator.add_listener(
        lambda event, payload: delivered.append(
            {"event": event, "created_at": emulator.now().isoformat(), "payload": payload}
        )
    )
    keys = (*RESOURCE_TABLES["contacts"], "meeting_recaps")
    writer, full = warehouse.writer(), warehouse.writer(warehouse.new_prefix())
    try:
        _sync(emulator, writer, resources=["contacts", "meeting_recaps"])
        emulator.advance_clock(timedelta(hours=1))
        people.create_contact({"name": "Ada", "emails": [{"email": "ada@new.example", "is_primary": True}]})
        emulator.advance_clock(timedelta(minutes=1))
        edited, dropped = people.contacts[0], people.contacts[1]
        people.update_contact(edited["uri"].rsplit("/", 1)[1], {"company": "Initech"})
        people.delete_contact(dropped["uri"].rsplit("/", 1)[1])
        recaps = [r for r in people.recaps if r["status"] == "Available"]
        people.update_recap(recaps[0]["uri"].rsplit("/", 1)[1], {"summary_md": "Edited"})
        people.delete_recap(recaps[1]["uri"].rsplit("/", 1)[1])
        created = people.new_recap()
        landed = [land_delivery(d, warehouse.conn_id, table_prefix=warehouse.prefix) for d in delivered]
        assert [(r["event"], r["written"]) for r in landed] == [(d["event"], True) for d in delivered]
        _sync(emulator, full, resources=["contacts", "meeting_recaps"], mode="full")
        ours, theirs = _live(writer, keys), _live(full, keys)
        # A recap never stored lands as its payload has it (no status, no app_url) until a sync reads it.
        ph = writer.dialect.placeholder
        query = f"SELECT status, app_url, summary_md FROM {writer.table_name('meeting_recaps')} WHERE uri = {ph}"
        assert writer.execute(query, [created["uri"]]) == [(None, None, created["summary_md"])]
        for dump in (ours, theirs):
            dump["meeting_recaps"] = [row for row in dump["meeting_recaps"] if row[0] != created["uri"]]
        assert ours == theirs
        marked = "SELECT uri FROM {} WHERE _deleted_at IS NOT NULL"
        assert writer.execute(marked.format(writer.table_name("contacts"))) == [(dropped["uri"],)]
        assert writer.execute(marked.format(writer.table_name("meeting_recaps"))) == [(recaps[1]["uri"],)]
        # Duplicates and late deliveries (every one again, newest first) change nothing.
        before = dump_tables(writer, keys)
        again = [land_delivery(d, warehouse.conn_id, table_prefix=warehouse.prefix) for d in delivered[::-1]]
        assert not any(r["written"] for r in again) and dump_tables(writer, keys) == before
    finally:
        writer.close()
        full.close()
