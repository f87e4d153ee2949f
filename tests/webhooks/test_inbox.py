"""The durable inbox: dedupe by derived delivery id, ordered reads, filters, consumer positions, retention."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.models import WebhookEnvelope
from airflow_provider_calendly.webhooks.inbox import (
    RECEIPT_DAYS,
    NewDelivery,
    Receipts,
    Rejection,
    WebhookInbox,
    delivery_id,
    inbox_url_for_connection,
)
from tests.webhooks.conftest import envelope


def _new(doc: dict[str, Any], *, at: float | None = None, organization: str | None = None) -> NewDelivery:
    env = WebhookEnvelope.model_validate(doc)
    return NewDelivery.from_envelope(
        env, json.dumps(doc), received_at=time.time() if at is None else at, organization=organization
    )


def test_delivery_id_is_stable_and_distinguishes_events() -> None:
    created = datetime(2024, 1, 1, tzinfo=timezone.utc)
    payload = {"uri": "https://api.calendly.com/scheduled_events/E/invitees/I"}
    one = delivery_id("invitee.created", payload, created)
    assert one == delivery_id("invitee.created", {**payload, "extra": 1}, created)  # same event, same id
    assert one != delivery_id("invitee.canceled", payload, created)
    assert one != delivery_id("invitee.created", payload, created.replace(second=1))
    assert delivery_id("x.y", {"a": 1}, created) == delivery_id("x.y", {"a": 1}, created)  # no uri: content hash


def test_store_dedupes_and_reads_back_in_order(inbox: WebhookInbox) -> None:
    created = _new(envelope())
    canceled = _new(envelope(event="invitee.canceled"))
    results = inbox.store_many([created, created, canceled])
    assert [r.stored for r in results] == [True, False, True]
    assert inbox.store(created).stored is False  # a Calendly retry
    assert inbox.count() == 2
    rows = inbox.fetch()
    assert [r.event for r in rows] == ["invitee.created", "invitee.canceled"]
    assert rows[0].id < rows[1].id == inbox.last_id()
    event = rows[0].as_event()
    assert event["payload"]["email"] == "test@example.com"
    assert event["event_type"] == "https://api.calendly.com/event_types/GBGBDCAADAEDCRZ2"
    json.dumps(event)  # JSON-safe
    assert inbox.get(created.delivery_id) == rows[0]


def test_tables_created_concurrently_by_another_inbox_are_used(inbox_url: str) -> None:
    """Two inboxes on one database on first use (a trigger and a receiver, two API servers): one of them
    creates a table between the other's existence check and its CREATE; the other goes on with it."""
    import sqlalchemy as sa

    first, other = WebhookInbox(inbox_url), WebhookInbox(inbox_url)

    def the_other_one_wins(target: sa.Table, connection: sa.Connection, **_: Any) -> None:
        other.create_tables()

    sa.event.listen(first.deliveries, "before_create", the_other_one_wins, once=True)
    assert first.store(_new(envelope())).stored is True
    assert other.count() == 1


def test_fetch_filters(inbox_url: str) -> None:
    inbox = WebhookInbox(inbox_url, clock=lambda: 400.0)
    org = "https://api.calendly.com/organizations/ORG1"
    inbox.store_many(
        [
            _new(envelope(), at=100.0, organization=org),
            _new(envelope("webhook_routing_form_submission.json"), at=200.0),
            _new(envelope(event="invitee.canceled"), at=300.0),
        ]
    )
    assert [d.event for d in inbox.fetch(events=["invitee.canceled"])] == ["invitee.canceled"]
    assert len(inbox.fetch(event_type="GBGBDCAADAEDCRZ2")) == 2
    assert len(inbox.fetch(event_type="https://api.calendly.com/event_types/GBGBDCAADAEDCRZ2")) == 2
    assert [d.received_at for d in inbox.fetch(organization="ORG1")] == [100.0]
    assert [d.received_at for d in inbox.fetch(received_after=150.0)] == [200.0, 300.0]
    first = inbox.fetch(limit=1)[0]
    assert [d.id for d in inbox.fetch(after_id=first.id)] == [first.id + 1, first.id + 2]
    assert inbox.fetch(events=[]) == []


def test_consumer_positions_are_compare_and_set(inbox: WebhookInbox) -> None:
    inbox.store(_new(envelope()))
    assert inbox.open_position("watcher") == 1  # new consumers start at the current end by default
    assert inbox.open_position("from-start", start=0) == 0
    assert inbox.advance_position("from-start", 0, 1) is True
    assert inbox.advance_position("from-start", 0, 1) is False  # someone else already moved it
    assert inbox.get_position("from-start") == 1
    assert inbox.open_position("from-start", start=0) == 1  # an existing position wins


def test_retention_purges_old_rows_and_ids_are_never_reused(inbox_url: str) -> None:
    now = [10_000.0]
    box = WebhookInbox(inbox_url, retention=100.0, clock=lambda: now[0])
    first = box.store(_new(envelope(), at=now[0]))
    assert box.purge() == 0
    now[0] += 101
    assert box.purge() == 1
    assert box.count() == 0
    second = box.store(_new(envelope(event="invitee.canceled"), at=now[0]))
    assert second.id is not None and first.id is not None and second.id > first.id


class _PortableInbox(WebhookInbox):
    """The inbox as it runs on a database without upserts (the portable statements), here on SQLite."""

    @property
    def dialect(self) -> str:
        return "generic"


DAY = 86_400.0


@pytest.mark.parametrize("kind", [WebhookInbox, _PortableInbox], ids=["upsert", "portable"])
def test_receipts_are_tallied_per_callback_path_and_day(inbox_url: str, kind: type[WebhookInbox]) -> None:
    now = [1_767_225_600.0]  # 2026-01-01T00:00:00Z
    box = kind(inbox_url, clock=lambda: now[0])
    booked, canceled = envelope(), envelope(event="invitee.canceled")
    box.store_many([_new(booked, at=now[0] + 10)], paths=["/calendly/webhooks"])
    box.store_many(
        [_new(booked, at=now[0] + 20), _new(canceled, at=now[0] + 30)],  # a retry, then a new event
        paths=["/calendly/webhooks", "/calendly/webhooks/v2"],
        rejected=[Rejection("/calendly/webhooks", "signature", now[0] + 40)],
    )
    box.store_many([], rejected=[Rejection("/calendly/webhooks", "other", now[0] + DAY + 5)])  # the next day
    box.store_many([_new(booked)])  # stored without a path (not through the receiver): not tallied
    got = {(r.path, r.day): r for r in box.receipts_since(now[0])}
    assert got == {
        ("/calendly/webhooks", "2026-01-01"): Receipts(
            "/calendly/webhooks", "2026-01-01", 1, 1, 1, 0, now[0] + 20, now[0] + 40
        ),
        ("/calendly/webhooks/v2", "2026-01-01"): Receipts(
            "/calendly/webhooks/v2", "2026-01-01", 1, 0, 0, 0, now[0] + 30, None
        ),
        ("/calendly/webhooks", "2026-01-02"): Receipts(
            "/calendly/webhooks", "2026-01-02", 0, 0, 0, 1, None, now[0] + DAY + 5
        ),
    }
    assert [r.day for r in box.receipts_since(now[0] + DAY)] == ["2026-01-02"]
    now[0] += (RECEIPT_DAYS + 2) * DAY  # a month later: the receipts are purged with the old deliveries
    box.purge()
    assert box.receipts_since(0) == []


def test_backlog_is_what_a_consumer_has_not_read(inbox: WebhookInbox) -> None:
    ids = [r.id for r in inbox.store_many([_new(envelope(event=f"invitee.e{i}")) for i in range(5)])]
    assert inbox.open_position("watcher", start=ids[1]) == ids[1]
    inbox.open_position("caught-up")
    backlog = inbox.consumers_backlog()
    assert {name: (position, pending) for name, (position, pending, _) in backlog.items()} == {
        "caught-up": (ids[-1], 0),
        "watcher": (ids[1], 3),
    }
    assert inbox.count_after(ids[2]) == 2 and inbox.count_after(0) == 5


def test_invalid_settings_are_rejected(inbox_url: str) -> None:
    with pytest.raises(ValueError, match="table_prefix"):
        WebhookInbox(inbox_url, table_prefix="x; drop")
    with pytest.raises(ValueError, match="retention"):
        WebhookInbox(inbox_url, retention=0)


def test_inbox_urls_from_connections(tmp_path: Path) -> None:
    from airflow.sdk import Connection

    sqlite = Connection(conn_id="a", conn_type="sqlite", host=str(tmp_path / "x.db"))
    assert inbox_url_for_connection(sqlite) == f"sqlite:///{tmp_path / 'x.db'}"
    pg = Connection(conn_id="b", conn_type="postgres", host="db", login="u", password="pw", schema="s", port=5432)
    url = inbox_url_for_connection(pg)
    assert "pw" not in repr(url) and str(url).startswith("postgresql+psycopg://u:")
    assert str(inbox_url_for_connection(None)).endswith("calendly_webhook_inbox.db")


@pytest.mark.integration
def test_postgres_inbox(postgres_uri: str) -> None:
    box = WebhookInbox(postgres_uri.replace("postgresql://", "postgresql+psycopg://"), table_prefix="wh_test_")
    box.create_tables()
    with box.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE wh_test_deliveries, wh_test_consumers, wh_test_receipts")
    now = time.time()
    results = box.store_many(
        [_new(envelope(), at=now), _new(envelope(), at=now), _new(envelope(event="invitee.canceled"), at=now)],
        paths=["/p"] * 3,
        rejected=[Rejection("/p", "signature", now)],
    )
    assert [r.stored for r in results] == [True, False, True]
    box.store_many([], rejected=[Rejection("/p", "signature", now)])  # the upsert adds to the row
    (receipt,) = box.receipts_since(now)
    assert (receipt.path, receipt.stored, receipt.duplicate, receipt.rejected_signature) == ("/p", 2, 1, 2)
    assert [d.event for d in box.fetch(event_type="GBGBDCAADAEDCRZ2")] == ["invitee.created", "invitee.canceled"]
    assert box.open_position("pg", start=0) == 0
    assert box.advance_position("pg", 0, results[0].id or 0)


@pytest.mark.integration
def test_an_inbox_without_on_conflict_stores_and_claims_once(mysql_uri: str) -> None:
    """MariaDB has no ``ON CONFLICT … RETURNING``: the inbox looks before it inserts, with the same outcomes."""
    box = WebhookInbox(mysql_uri.replace("mysql://", "mysql+mysqldb://"), table_prefix="wh_nc_test_")
    box.create_tables()
    with box.engine.begin() as conn:
        for table in ("deliveries", "consumers", "claims", "receipts"):
            conn.exec_driver_sql(f"DELETE FROM wh_nc_test_{table}")
    now = time.time()
    results = box.store_many(
        [_new(envelope(), at=now), _new(envelope(), at=now), _new(envelope(event="invitee.canceled"), at=now)],
        paths=["/p"] * 3,
        rejected=[Rejection("/p", "signature", now)],
    )
    assert [r.stored for r in results] == [True, False, True]
    assert results[0].id is not None and results[2].id is not None and results[0].id < results[2].id
    box.store_many([], rejected=[Rejection("/p", "signature", now)])  # adds to the day's row
    (receipt,) = box.receipts_since(now)
    assert (receipt.path, receipt.stored, receipt.duplicate, receipt.rejected_signature) == ("/p", 2, 1, 2)
    ids = [d.delivery_id for d in box.fetch(event_type="GBGBDCAADAEDCRZ2")]
    assert len(ids) == 2
    assert box.claim("c", ids) == ids
    assert box.claim("c", ids) == []  # claimed once
    assert box.claim("other", ids[:1]) == ids[:1]  # per consumer
