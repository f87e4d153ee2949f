"""CalendlyTableWriter on real SQLite, DuckDB and PostgreSQL: DDL, typed columns, upserts, child replacement."""

from __future__ import annotations

import importlib.util
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.models import EventType, Invitee, ScheduledEvent
from airflow_provider_calendly.transfers.dialects.bigquery import partition_column
from airflow_provider_calendly.transfers.sql_writer import (
    CalendlyTableWriter,
    SyncState,
    UpsertCounts,
    detect_dialect,
    validate_identifier,
)
from airflow_provider_calendly.transfers.tables import (
    BOOKKEEPING_TABLES,
    TABLES,
    ColumnType,
    build_rows,
    children_in_parent_raw,
    invitee_rows,
)
from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook
from tests.transfers.helpers import (
    Warehouse,
    counts,
    drop_tables,
    dump_all,
    dump_table,
    unique_prefix,
    untested_warehouse_hook,
)
from tests.warehouses.standins import bigquery_connection

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@pytest.fixture
def invitee() -> Invitee:
    return Invitee.model_validate(_fixture("invitee.json")["resource"])


@pytest.fixture
def event() -> ScheduledEvent:
    return ScheduledEvent.model_validate(_fixture("scheduled_event.json")["resource"])


@pytest.fixture
def event_type() -> EventType:
    return EventType.model_validate(_fixture("event_type.json")["resource"])


@pytest.fixture
def writer(warehouse: Warehouse) -> Any:
    w = warehouse.writer()
    w.ensure_tables()
    yield w
    w.close()


def test_dialect_is_detected(writer: CalendlyTableWriter, warehouse: Warehouse) -> None:
    expected = warehouse.dialect
    assert writer.dialect.name == expected
    assert detect_dialect(writer.hook).name == expected


def test_typed_columns_round_trip(
    writer: CalendlyTableWriter, warehouse: Warehouse, invitee: Invitee, event: ScheduledEvent
) -> None:
    writer.upsert_scheduled_events([event])
    writer.upsert_invitees([invitee])
    rows = writer.execute(
        f"SELECT created_at, is_no_show, rescheduled, payment, raw FROM {writer.table_name('invitees')}"
    )
    created_at, is_no_show, rescheduled, payment, raw = rows[0]
    if warehouse.kind == "sqlite":
        assert created_at == "2020-11-23T17:51:18.327602+00:00"  # ISO 8601 UTC text: SQLite has no timestamp
        assert (is_no_show, rescheduled) == (1, 0)
    elif warehouse.kind == "mysql":
        assert created_at == datetime(2020, 11, 23, 17, 51, 18, 327602)  # DATETIME(6) holding UTC, no zone
        assert (is_no_show, rescheduled) == (1, 0)
    else:
        assert created_at == datetime(2020, 11, 23, 17, 51, 18, 327602, tzinfo=timezone.utc)
        assert (is_no_show, rescheduled) == (True, False)
    payment = json.loads(payment) if isinstance(payment, str) else payment
    raw = json.loads(raw) if isinstance(raw, str) else raw
    assert payment["amount"] == 1234.56
    assert raw["uri"] == invitee.uri and raw["questions_and_answers"][1]["answer"] == "Multiple line\nAnswer"
    answers = dump_table(writer, "invitee_answers")
    assert [(a[1], a[3], a[4]) for a in answers] == [
        (0, "Question with Radio Buttons answer type", "radio button answer"),
        (1, "Question with Multiple Lines answer type", "Multiple line\nAnswer"),
    ]
    if warehouse.kind in ("postgres", "mysql"):
        types = dict(
            writer.execute(
                "SELECT column_name, column_type FROM information_schema.columns WHERE table_name = %s"
                if warehouse.kind == "mysql"
                else "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
                [writer.table_name("invitees")],
            )
        )
        expected = {
            "postgres": ("timestamp with time zone", "boolean", "jsonb"),
            # MariaDB's JSON is LONGTEXT checked by json_valid (MySQL's is a type of its own)
            "mysql": ("datetime(6)", "tinyint(1)", "longtext"),
        }[warehouse.kind]
        assert (types["created_at"], types["is_no_show"], types["payment"]) == expected
        # JSON is queryable with the warehouse's own JSON functions
        amount = {"postgres": "payment->>'amount'", "mysql": "JSON_VALUE(payment, '$.amount')"}[warehouse.kind]
        assert writer.execute(f"SELECT {amount} FROM {writer.table_name('invitees')}") == [("1234.56",)]
    if warehouse.kind == "snowflake":
        # created unquoted, so stored upper-case and found unquoted; VARIANT read with Snowflake's path syntax
        types = dict(
            writer.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s",
                [writer.table_name("invitees").upper()],
            )
        )
        assert (types["CREATED_AT"], types["IS_NO_SHOW"], types["PAYMENT"]) == ("TIMESTAMP_TZ", "BOOLEAN", "VARIANT")
        rows = writer.execute(f"SELECT payment:amount::float, raw:uri::string FROM {warehouse.prefix}invitees")
        assert rows == [(1234.56, invitee.uri)]
    if warehouse.kind == "bigquery":
        # created through the API: GoogleSQL's types, described, partitioned by month and clustered by the key
        dialect = writer.dialect
        table = dialect.client.get_table(dialect.table_id(writer.tables["invitees"]))  # type: ignore[attr-defined]
        types = {f.name: dialect.reflected_type(f.field_type) for f in table.schema}
        assert (types["created_at"], types["is_no_show"], types["payment"], types["uri"]) == (
            "TIMESTAMP",
            "BOOL",
            "JSON",
            "STRING",
        )
        assert (table.time_partitioning.type_, table.time_partitioning.field) == ("MONTH", "created_at")
        assert table.clustering_fields == ["uri"]
        described = {f.name: f.description for f in table.schema}
        assert described["status"] == TABLES["invitees"].column("status").description
        rows = writer.execute(
            f"SELECT JSON_VALUE(payment, '$.amount'), JSON_VALUE(raw, '$.uri') FROM {writer.table_name('invitees')}"
        )
        assert rows == [("1234.56", invitee.uri)]


def test_upsert_is_idempotent_and_replaces_children(writer: CalendlyTableWriter, invitee: Invitee) -> None:
    first = writer.upsert_invitees([invitee])
    assert first["invitees"].inserted == 1 and first["invitee_answers"].rows == 2
    again = writer.upsert_invitees([invitee])
    assert (again["invitees"].inserted, again["invitees"].updated) == (0, 1)
    assert writer.count("invitees") == 1 and writer.count("invitee_answers") == 2

    # The invitee is now a no-show and answered only one question: one answer row is dropped, not appended.
    changed = invitee.model_copy(
        update={"questions_and_answers": invitee.questions_and_answers[:1], "status": "canceled"}
    )
    counts = writer.upsert_invitees([changed])
    assert counts["invitee_answers"].deleted == 1
    assert writer.count("invitee_answers") == 1
    assert writer.execute(f"SELECT status FROM {writer.table_name('invitees')}") == [("canceled",)]


#: What a second write does to one invitee, and what it must count: (invitees, invitee_answers) as
#: (inserted, changed, unchanged, deleted), for an invitee with two answers.
_REWRITES: dict[str, tuple[tuple[int, int, int, int], tuple[int, int, int, int]]] = {
    "same": ((0, 0, 1, 0), (0, 0, 2, 0)),
    "canceled": ((0, 1, 0, 0), (0, 0, 2, 0)),
    "answer_dropped": ((0, 1, 0, 0), (0, 0, 1, 1)),
    "answer_added": ((0, 1, 0, 0), (1, 0, 2, 0)),
    "answer_edited": ((0, 1, 0, 0), (0, 1, 1, 0)),
    "swept_and_back": ((0, 1, 0, 0), (0, 0, 2, 0)),
    "new": ((1, 0, 0, 0), (2, 0, 0, 0)),
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.sampled_from(sorted(_REWRITES)), min_size=1, max_size=6))
def test_counts_tell_changed_from_unchanged(writer: CalendlyTableWriter, invitee: Invitee, plan: list[str]) -> None:
    """A re-listed row with identical content is ``unchanged``; any difference (or a sweep's mark) is ``changed``."""
    assert len(invitee.questions_and_answers) == 2
    run = uuid.uuid4().hex
    before = [invitee.model_copy(update={"uri": f"{invitee.uri}-{run}-{i}"}) for i in range(len(plan))]
    writer.upsert_invitees([b for b, what in zip(before, plan, strict=True) if what != "new"])
    swept = [b.uri for b, what in zip(before, plan, strict=True) if what == "swept_and_back"]
    with writer.transaction():  # as a deletion sweep marks rows
        writer.mark_deleted("invitees", swept, datetime.now(timezone.utc))
    answers = invitee.questions_and_answers
    edited = answers[1].model_copy(update={"answer": "a different answer"})
    after = [
        b.model_copy(
            update={
                "canceled": {"status": "canceled"},
                "answer_dropped": {"questions_and_answers": answers[:1]},
                "answer_added": {"questions_and_answers": [*answers, answers[0]]},
                "answer_edited": {"questions_and_answers": [answers[0], edited]},
            }.get(what, {})
        )
        for b, what in zip(before, plan, strict=True)
    ]
    counts = writer.upsert_invitees(after)
    for table, index in (("invitees", 0), ("invitee_answers", 1)):
        expected = [sum(_REWRITES[what][index][i] for what in plan) for i in range(4)]
        got = counts[table]
        assert [got.inserted, got.changed, got.unchanged, got.deleted] == expected, table
        assert got.rows == got.inserted + got.changed + got.unchanged
        assert got.updated == got.changed + got.unchanged
    # Counting changed nothing of what is written: every row is there, un-marked, as given.
    live = writer.execute(f"SELECT uri FROM {writer.table_name('invitees')} WHERE _deleted_at IS NULL")
    assert {a.uri for a in after} <= {uri for (uri,) in live}


def test_a_child_row_is_part_of_its_parents_raw() -> None:
    """What counting children relies on: a parent whose raw is unchanged has unchanged children (so only a changed
    parent's children are read back), except for the lists declared out of raw (``children_in_parent_raw``).
    Checked for every child table of the registry, on the emulator's data."""
    from airflow_provider_calendly.models import ContactListMembership, Transcript
    from airflow_provider_calendly.testing import CalendlyEmulator

    with CalendlyEmulator(seed=7, scheduled_events=20) as emulator:
        org, people = emulator.organization, emulator.people
        contacts = {c["uri"]: c for c in people.contacts}
        samples = {
            "scheduled_events": list(emulator.data.scheduled_events.values()),
            "invitees": [i for items in emulator.data.invitees.values() for i in items],
            "routing_forms": org.routing_forms,
            "routing_form_submissions": [s for items in org.submissions.values() for s in items],
            "availability_schedules": org.schedules,
            "contacts": people.contacts,
            # What the sync attaches to a list (its members) and to a recap (its transcript), read separately.
            "contact_lists": [
                {
                    **item,
                    "memberships": [
                        ContactListMembership(contact=uri, name=contacts[uri].get("name")).model_dump()
                        for uri in people.list_members.get(item["uri"], [])
                    ],
                }
                for item in people.contact_lists
            ],
            "meeting_recaps": [
                {
                    **r,
                    "transcript_segments": [
                        s.model_dump()
                        for s in Transcript(uri=r["transcript"], text=people.transcripts[r["uri"]]).segments()
                    ],
                }
                for r in people.recaps
                if r["uri"] in people.transcripts
            ],
        }
    for key, spec in TABLES.items():
        if spec.parent is None:
            continue
        assert spec.parent in samples, f"add samples of {spec.parent} to check its child table {key}"
        parent = TABLES[spec.parent]
        assert parent.model is not None and spec.items is not None
        items = [parent.model.model_validate(sample) for sample in samples[spec.parent]]
        item = next(i for i in items if getattr(i, spec.items))  # one with children
        fewer = item.model_copy(update={spec.items: getattr(item, spec.items)[:-1]})
        differs = (
            build_rows(spec.parent, fewer)[spec.parent][0]["raw"]
            != build_rows(spec.parent, item)[spec.parent][0]["raw"]
        )
        # A list read apart (a List's members, a recap's transcript) is declared out of raw: its children are compared.
        assert differs == children_in_parent_raw(key), key


def test_children_read_apart_from_their_parent_are_counted_one_by_one(writer: CalendlyTableWriter) -> None:
    """A List whose members changed while the List itself did not: its membership rows are compared, not assumed."""
    from airflow_provider_calendly.models import ContactList, ContactListMembership

    contact = "https://api.calendly.com/contacts/C{}"
    first = ContactList(
        uri="https://api.calendly.com/contact_lists/L1",
        name="Leads",
        type="static_list",
        memberships=[ContactListMembership(contact=contact.format(1))],
    )
    writer.write_rows(build_rows("contact_lists", first))
    more = first.model_copy(
        update={"memberships": [*(first.memberships or []), ContactListMembership(contact=contact.format(2))]}
    )
    counts = writer.write_rows(build_rows("contact_lists", more))
    assert (counts["contact_lists"].unchanged, counts["contact_lists"].changed) == (1, 0)
    members = counts["contact_list_memberships"]
    assert (members.inserted, members.unchanged, members.changed) == (1, 1, 0)
    assert writer.count("contact_list_memberships") == 2


def test_duplicates_within_one_chunk_keep_the_last(writer: CalendlyTableWriter, event: ScheduledEvent) -> None:
    older = event.model_copy(update={"status": "active"})
    newer = event.model_copy(update={"status": "canceled"})
    counts = writer.upsert_scheduled_events([older, newer])
    assert counts["scheduled_events"].rows == 1
    assert writer.execute(f"SELECT status FROM {writer.table_name('scheduled_events')}") == [("canceled",)]
    assert writer.count("event_memberships") == len(event.event_memberships)


def test_webhook_payload_lands_like_an_api_invitee(writer: CalendlyTableWriter) -> None:
    payload = _fixture("webhook_invitee_created.json")["payload"]
    writer.upsert_invitees([payload], scheduled_event_uri=payload["scheduled_event"]["uri"])
    rows = dump_table(writer, "invitees")
    assert len(rows) == 1
    names = [c for c in TABLES["invitees"].column_names if c != "_synced_at"]  # dump_table's columns
    raw = rows[0][names.index("raw")]
    assert "scheduled_event" not in raw  # the event has its own table
    assert rows[0][1] == payload["event"]


def test_failed_transaction_leaves_nothing(
    writer: CalendlyTableWriter, invitee: Invitee, event: ScheduledEvent
) -> None:
    def fail_midway() -> None:
        with writer.transaction():
            writer.upsert_scheduled_events([event])
            writer.upsert_invitees([invitee])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_midway()
    if not writer.dialect.transactional:
        # BigQuery: each statement landed by itself; redoing the block lands the same rows once.
        assert writer.count("scheduled_events") == 1 and writer.count("invitees") == 1
        before = dump_all(writer)
        with pytest.raises(RuntimeError, match="boom"):
            fail_midway()
        assert dump_all(writer) == before and writer.count("invitee_answers") == 2
        return
    assert writer.count("scheduled_events") == 0 and writer.count("invitees") == 0
    writer.upsert_event_types([EventType(uri="https://api.calendly.com/event_types/X", name="x")])
    assert writer.count("event_types") == 1


def test_sync_state_round_trip(writer: CalendlyTableWriter) -> None:
    assert writer.get_sync_state("scheduled_events", "org") is None
    when = datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)
    writer.put_sync_state(SyncState(table_name="scheduled_events", scope="org", watermark=when, pass_mode="full"))
    writer.put_sync_state(
        SyncState(table_name="scheduled_events", scope="org", watermark=when + timedelta(days=1), pass_mode=None)
    )
    state = writer.get_sync_state("scheduled_events", "org")
    assert state is not None
    assert state.watermark == when + timedelta(days=1)
    assert state.pass_mode is None
    assert writer.count("sync_state") == 1


def test_many_rows_span_several_statements(writer: CalendlyTableWriter, invitee: Invitee) -> None:
    many = [invitee.model_copy(update={"uri": f"{invitee.uri}{i}"}) for i in range(1200)]
    counts = writer.upsert_invitees(many)
    assert counts["invitees"].inserted == 1200
    assert writer.count("invitees") == 1200 and writer.count("invitee_answers") == 2400


def test_bigquery_partitions_each_table_by_the_time_it_is_filtered_by() -> None:
    by_table = {key: partition_column(spec) for key, spec in TABLES.items()}
    assert (by_table["scheduled_events"], by_table["user_busy_times"], by_table["meeting_recaps"]) == (
        "start_time",
        "start_time",
        "start_time",
    )
    assert (by_table["invitees"], by_table["routing_form_submissions"]) == ("created_at", "created_at")
    assert by_table["activity_log_entries"] == "occurred_at"
    assert by_table["sync_state"] is by_table["invitee_answers"] is None  # no time column analysts filter by
    assert all(c is None or TABLES[k].column(c).type is ColumnType.TIMESTAMP for k, c in by_table.items())


def test_a_google_cloud_connection_is_a_bigquery_warehouse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolved to the Google provider's BigQueryHook (GoogleSQL), its dataset the connection's schema; without the
    provider (the main venv) refused naming it, before any connection is opened."""
    monkeypatch.setenv("AIRFLOW_CONN_BQ", bigquery_connection("calendly"))
    monkeypatch.setenv("AIRFLOW_CONN_BQ_NO_DATASET", bigquery_connection())
    if importlib.util.find_spec("airflow.providers.google") is None:
        with pytest.raises(CalendlyConfigError, match=r"'google_cloud_platform'.*no usable hook.*provider"):
            resolve_dbapi_hook("bq")
        return
    hook = resolve_dbapi_hook("bq")
    assert type(hook).__name__ == "BigQueryHook" and hook.use_legacy_sql is False  # type: ignore[attr-defined]
    writer = CalendlyTableWriter(hook, "calendly_")
    assert (writer.dialect.name, writer.schema, writer.table_name("invitees")) == (
        "bigquery",
        "calendly",
        "calendly.calendly_invitees",
    )
    assert CalendlyTableWriter(hook, "calendly_", schema="other").schema == "other"
    with pytest.raises(CalendlyConfigError, match="'bq_no_dataset' names no dataset"):
        CalendlyTableWriter(resolve_dbapi_hook("bq_no_dataset"), "calendly_")


def test_an_untested_warehouse_is_refused_naming_it_and_the_supported_ones() -> None:
    """A dialect no one tested gets a clear error when the writer is made, before any connection is opened."""
    with pytest.raises(CalendlyConfigError, match=r"'oracle'.*supported: sqlite, postgresql, duckdb, mysql"):
        CalendlyTableWriter(untested_warehouse_hook("oracle"), "x_")
    with pytest.raises(CalendlyConfigError, match=r"does not support the 'generic' dialect"):
        CalendlyTableWriter(untested_warehouse_hook("oracle"), "x_", dialect="generic")


@pytest.mark.parametrize("bad", ["", "1abc", "calendly-", "a b", "x;drop table y", "ä", 3, "a" * 49])
def test_unsafe_identifiers_are_refused(bad: Any) -> None:
    with pytest.raises(CalendlyConfigError):
        validate_identifier(bad, what="table_prefix")


def test_every_table_has_raw_and_synced_at() -> None:
    for key, spec in TABLES.items():
        names = spec.column_names
        assert set(spec.primary_key) <= set(names)
        if key not in BOOKKEEPING_TABLES:
            assert "raw" in names and "_synced_at" in names


def test_fast_path_upserts_the_rows_of_the_executemany_path(
    warehouse: Warehouse, invitee: Invitee, event: ScheduledEvent
) -> None:
    """Each warehouse's bulk path (PostgreSQL's COPY, DuckDB's array parameters, MySQL's multi-row statements)
    lands what its portable path lands."""
    reference = warehouse.writer(warehouse.new_prefix())
    reference.__dict__["fast_path"] = False
    fast = warehouse.writer(warehouse.new_prefix())
    assert fast.fast_path is (warehouse.kind != "sqlite")
    try:
        many = [invitee.model_copy(update={"uri": f"{invitee.uri}{i}"}) for i in range(30)]
        for writer in (reference, fast):
            writer.ensure_tables()
            writer.upsert_scheduled_events([event])
            writer.upsert_invitees(many)
            writer.upsert_invitees(many[:10])
        assert dump_all(fast) == dump_all(reference)
    finally:
        reference.close()
        fast.close()


# --- PostgreSQL's COPY path ----------------------------------------------------------------------------------


@pytest.fixture
def pg_writers(postgres_uri: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A ``COPY`` writer (psycopg 3, the ``postgres`` extra's driver) and an ``executemany`` reference writer."""
    monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_PG", postgres_uri)
    from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook

    copy = CalendlyTableWriter(resolve_dbapi_hook("calendly_pg"), unique_prefix())
    reference = CalendlyTableWriter(resolve_dbapi_hook("calendly_pg"), unique_prefix())
    reference.__dict__["fast_path"] = False
    assert copy.fast_path
    for writer in (copy, reference):
        writer.ensure_tables()
    yield copy, reference
    for writer in (copy, reference):
        drop_tables(writer)
        writer.close()


def _invitees(invitee: Invitee, n: int) -> list[Invitee]:
    return [invitee.model_copy(update={"uri": f"{invitee.uri}{i}"}) for i in range(n)]


def test_copy_lands_the_rows_and_counts_of_the_generic_path(
    pg_writers: tuple[CalendlyTableWriter, CalendlyTableWriter],
    invitee: Invitee,
    event: ScheduledEvent,
    event_type: EventType,
) -> None:
    copy, reference = pg_writers
    tricky = invitee.questions_and_answers[0].model_copy(
        update={"answer": "tab\there, back\\slash, \\N, cr\r\nlf, ünïcødé ✓, quote ' \" and \\t literally"}
    )
    many = _invitees(invitee.model_copy(update={"questions_and_answers": [tricky, *invitee.questions_and_answers]}), 40)
    results = []
    for writer in (copy, reference):
        results.append(
            [
                writer.upsert_event_types([event_type]),
                writer.upsert_scheduled_events([event]),
                writer.upsert_invitees(many),
                # updates of some, new others, a duplicate within the chunk, fewer answers for one
                writer.upsert_invitees(
                    [
                        *many[30:],
                        *_invitees(invitee, 45)[40:],
                        many[0].model_copy(update={"questions_and_answers": [], "status": "canceled"}),
                        many[0].model_copy(update={"questions_and_answers": [tricky], "status": "canceled"}),
                    ]
                ),
            ]
        )
    assert results[0] == results[1]
    assert results[0][2]["invitees"] == UpsertCounts(rows=40, inserted=40)
    # 10 re-listed as they were, 1 canceled, 5 new; the canceled one keeps only its first (identical) answer
    assert results[0][3]["invitees"] == UpsertCounts(rows=16, inserted=5, changed=1, unchanged=10)
    assert results[0][3]["invitee_answers"] == UpsertCounts(rows=41, inserted=10, unchanged=31, deleted=2)
    assert dump_all(copy) == dump_all(reference)
    assert counts(copy) == counts(reference)
    answers = copy.execute(f"SELECT answer FROM {copy.table_name('invitee_answers')} WHERE position = 0 LIMIT 1")
    assert answers == [(tricky.answer,)]
    # timestamps and booleans were sent typed, JSON as objects (not JSON strings)
    row = copy.execute(
        f"SELECT jsonb_typeof(raw), created_at, is_no_show FROM {copy.table_name('invitees')} ORDER BY uri LIMIT 1"
    )
    assert row == [("object", datetime(2020, 11, 23, 17, 51, 18, 327602, tzinfo=timezone.utc), True)]


def test_copy_rerun_is_idempotent(
    pg_writers: tuple[CalendlyTableWriter, CalendlyTableWriter], invitee: Invitee, event: ScheduledEvent
) -> None:
    copy, _ = pg_writers
    many = _invitees(invitee, 25)
    copy.upsert_scheduled_events([event])
    first = copy.upsert_invitees(many)
    before = dump_all(copy)
    again = copy.upsert_invitees(many)
    assert dump_all(copy) == before
    assert (first["invitees"].inserted, first["invitees"].updated) == (25, 0)
    assert (again["invitees"].inserted, again["invitees"].updated) == (0, 25)
    assert (again["invitees"].changed, again["invitees"].unchanged) == (0, 25)
    assert again["invitee_answers"] == UpsertCounts(rows=50, unchanged=50)
    assert copy.upsert_scheduled_events([event])["event_memberships"].deleted == 0
    assert counts(copy) == {
        "event_types": 0,
        "scheduled_events": 1,
        "event_memberships": len(event.event_memberships),
        "event_guests": len(event.event_guests),
        "invitees": 25,
        "invitee_answers": 50,
    }


def test_copy_update_replaces_children(
    pg_writers: tuple[CalendlyTableWriter, CalendlyTableWriter], invitee: Invitee, event: ScheduledEvent
) -> None:
    copy, _ = pg_writers
    copy.upsert_scheduled_events([event])
    copy.upsert_invitees([invitee])
    fewer = invitee.model_copy(update={"questions_and_answers": invitee.questions_and_answers[1:]})
    result = copy.upsert_invitees([fewer])
    assert result["invitee_answers"] == UpsertCounts(rows=1, changed=1, deleted=1)
    assert copy.execute(f"SELECT position, answer FROM {copy.table_name('invitee_answers')}") == [
        (0, "Multiple line\nAnswer")
    ]
    no_guests = event.model_copy(update={"event_guests": []})
    assert copy.upsert_scheduled_events([no_guests])["event_guests"].deleted == len(event.event_guests)
    assert copy.count("event_guests") == 0 and copy.count("event_memberships") == len(event.event_memberships)


def test_copy_failure_mid_chunk_leaves_no_partial_chunk(
    pg_writers: tuple[CalendlyTableWriter, CalendlyTableWriter], invitee: Invitee
) -> None:
    copy, _ = pg_writers
    many = _invitees(invitee, 20)
    copy.upsert_invitees(many[:10])
    before = dump_all(copy)
    # The chunk updates 10 invitees, adds 10, and then one answer row breaks the COPY (NULL in its key),
    # after the invitees were merged and the old answers deleted.
    rows: dict[str, list[dict[str, Any]]] = {"invitees": [], "invitee_answers": []}
    for item in [i.model_copy(update={"status": "canceled"}) for i in many]:
        for key, values in invitee_rows(item).items():
            rows[key].extend(values)
    rows["invitee_answers"][-1]["position"] = None
    with pytest.raises(Exception, match=r"(?i)null"):
        copy.write_rows(rows)
    assert dump_all(copy) == before
    # the writer (and its staging tables) are usable again after the rollback
    rows["invitee_answers"][-1]["position"] = 1
    result = copy.write_rows(rows)
    assert (result["invitees"].inserted, result["invitees"].updated) == (10, 10)
    assert copy.count("invitees") == 20 and copy.count("invitee_answers") == 40
    assert copy.execute(f"SELECT DISTINCT status FROM {copy.table_name('invitees')}") == [("canceled",)]


def test_copy_writes_in_one_transaction_with_the_caller(
    pg_writers: tuple[CalendlyTableWriter, CalendlyTableWriter], invitee: Invitee, event: ScheduledEvent
) -> None:
    """Two upserts of the same table in one transaction reuse its staging table; a failure undoes both."""
    copy, _ = pg_writers

    def twice_then_fail() -> None:
        with copy.transaction():
            copy.upsert_invitees(_invitees(invitee, 3))
            copy.upsert_invitees(_invitees(invitee, 5))
            assert copy.count("invitees") == 5
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        twice_then_fail()
    assert copy.count("invitees") == 0
    with copy.transaction():
        copy.upsert_scheduled_events([event])
        copy.put_sync_state(SyncState(table_name="scheduled_events", scope="s", pass_mode="full"))
        copy.upsert_invitees(_invitees(invitee, 3))
        result = copy.upsert_invitees(_invitees(invitee, 5))
    assert (result["invitees"].inserted, result["invitees"].updated) == (2, 3)
    assert copy.count("invitees") == 5 and copy.count("sync_state") == 1
