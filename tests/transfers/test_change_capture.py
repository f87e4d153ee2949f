"""Webhook change capture against the emulator of a real organization: the real receiver and inbox in between.

After every incremental pass with the feed on — gap-free, with the subscription disabled for a day, with
deliveries failing and dropped, with duplicate and late (reordered) deliveries — the tables equal a fresh
full sync of the same emulator state (``_synced_at`` and ``_as_of`` ignored); a gap-free pass re-reads no
event that the feed carried, a pass after a gap falls back to reconcile and says so. The equivalence tests run
under both behaviours Calendly's reference leaves open: ``updated_at`` moved by no-shows, reconfirmations and
cancellations, or by none of them.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.models import WebhookEnvelope
from airflow_provider_calendly.testing import UPDATED_AT_CHANGES, CalendlyEmulator
from airflow_provider_calendly.testing.simulator import simulate
from airflow_provider_calendly.transfers.change_capture import Stored, stored_is_newer
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.sync import CalendlySqlSync, SyncConfig
from airflow_provider_calendly.uris import CANONICAL_API_URL
from airflow_provider_calendly.webhooks.inbox import NewDelivery
from tests.harness.feed import WebhookFeed, dump_tables
from tests.transfers.helpers import Warehouse

START = datetime(2026, 6, 1, 6, 0, tzinfo=timezone.utc)
INBOX = "calendly_feed_inbox"


def _hook() -> CalendlyHook:
    return CalendlyHook("calendly_default", sleep=lambda _seconds: None)


#: The two Calendlies the reference allows: ``updated_at`` moved by no-shows, reconfirmations and cancellations,
#: or by none of them (a no-show is its own resource; a cancellation has its own ``created_at``).
BEHAVIOURS = {"updated_at_moved": UPDATED_AT_CHANGES, "updated_at_unmoved": ()}


class _Rig:
    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: int, behaviour: str = "updated_at_moved"
    ) -> None:
        self.emulator = CalendlyEmulator(
            seed=seed,
            now=lambda: START,
            hosts=3,
            meetings_per_host_per_day=2,
            days_back=15,
            days_ahead=20,
            updated_at_moved_by=BEHAVIOURS[behaviour],
        ).start()
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", self.emulator.connection_json(rate_limit=10_000))
        self.feed = WebhookFeed(self.emulator, tmp_path / f"inbox-{seed}-{random.getrandbits(32)}.db").start()
        monkeypatch.setenv(f"AIRFLOW_CONN_{INBOX.upper()}", self.feed.connection_json())

    def sync(self, writer: CalendlyTableWriter, **kwargs: Any) -> dict[str, Any]:
        options: dict[str, Any] = {"page_size": 50, "chunk_size": 100, **kwargs}
        return CalendlySqlSync(hook=_hook(), writer=writer, clock=self.emulator.now, **options).run()

    def full_dump(self, warehouse: Warehouse) -> dict[str, list[tuple[Any, ...]]]:
        writer = warehouse.writer(warehouse.new_prefix())
        try:
            self.sync(writer, mode="full")
            return dump_tables(writer)
        finally:
            writer.close()

    def stop(self) -> None:
        self.feed.stop()
        self.emulator.stop()


@pytest.fixture(params=sorted(BEHAVIOURS))
def behaviour(request: pytest.FixtureRequest) -> str:
    """Whether the emulated Calendly moves ``updated_at`` on no-shows, reconfirmations and cancellations."""
    return str(request.param)


@pytest.fixture
def make_rig(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., _Rig]]:
    """Start the emulator and the feed only once a test knows it runs (not for the warehouses it skips)."""
    made: list[_Rig] = []

    def make(behaviour: str = "updated_at_moved") -> _Rig:
        made.append(_Rig(monkeypatch, tmp_path, 21, behaviour))
        return made[-1]

    yield make
    for rig in made:
        rig.stop()


def test_a_gap_free_feed_carries_every_event_change_and_the_refresh_windows_past(
    make_rig: Callable[..., _Rig], warehouse: Warehouse, behaviour: str
) -> None:
    rig = make_rig(behaviour)
    writer = warehouse.writer()
    plain = warehouse.writer(warehouse.new_prefix())
    try:
        rig.sync(writer, webhook_inbox_conn_id=INBOX)
        rig.sync(plain)
        for day in range(2):
            simulate(rig.emulator, seed=200 + day, rates={"no_shows": 0.3, "reconfirmations": 0.3})
            rig.feed.wait()
            summary = rig.sync(writer, webhook_inbox_conn_id=INBOX)
            reconciled = rig.sync(plain)
            feed, reads = summary["webhook_feed"], summary["invitee_reads"]
            assert feed["covered"] is True and feed["gap_reason"] is None
            assert feed["position"] == rig.feed.inbox.last_id()  # read up to the end: no backlog
            assert sum(feed["applied"].values()) > 0
            assert feed["applied"].get("invitee_no_show.created", 0) > 0
            # A day's deliveries are all newer than the previous pass: none may be judged older (a no-show that
            # leaves updated_at alone was, before the rows kept their _as_of).
            assert "the stored row is newer" not in feed["skipped"]
            assert reads["by_reason"]["new"] == reads["by_reason"]["changed"] == reads["by_reason"]["feed_gap"] == 0
            assert reads["covered_by_feed"] > 0
            assert summary["api_calls"] < reconciled["api_calls"]
            assert dump_tables(writer) == rig.full_dump(warehouse) == dump_tables(plain)
    finally:
        writer.close()
        plain.close()


def test_the_feed_catches_what_reconcile_documents_as_missable(
    make_rig: Callable[..., _Rig], warehouse: Warehouse, behaviour: str
) -> None:
    if warehouse.kind != "sqlite":
        pytest.skip("the catch is the same on every warehouse; the daily test above covers PostgreSQL")
    rig = make_rig(behaviour)
    writer = warehouse.writer()
    try:
        rig.sync(writer, webhook_inbox_conn_id=INBOX)
        rig.emulator.advance_clock(timedelta(hours=2))
        old = _invitee_of_a_meeting_8_to_12_days_ago(rig.emulator)
        rig.emulator.mark_no_show(old["uri"])  # invitee-only, outside the refresh window: reconcile misses it
        rig.feed.wait()
        rig.emulator.advance_clock(timedelta(hours=1))
        summary = rig.sync(writer, webhook_inbox_conn_id=INBOX)
        assert summary["webhook_feed"]["applied"] == {"invitee_no_show.created": 1}
        stored = {row[0]: row[8] for row in dump_tables(writer)["invitees"]}
        assert stored[old["uri"]] is True
        no_show = rig.emulator.state.invitee(old["uri"].rsplit("/", 1)[-1])[1]["no_show"]
        rig.emulator.advance_clock(timedelta(minutes=5))
        rig.emulator.undo_no_show(no_show["uri"])  # undone: the row must follow, whatever updated_at did
        rig.feed.wait()
        rig.emulator.advance_clock(timedelta(hours=1))
        summary = rig.sync(writer, webhook_inbox_conn_id=INBOX)
        assert summary["webhook_feed"]["applied"] == {"invitee_no_show.deleted": 1}
        assert {row[0]: row[8] for row in dump_tables(writer)["invitees"]}[old["uri"]] is False
        assert dump_tables(writer) == rig.full_dump(warehouse)
    finally:
        writer.close()


def test_a_change_right_after_a_read_by_a_clock_running_ahead_is_not_lost(
    make_rig: Callable[..., _Rig], warehouse: Warehouse
) -> None:
    """This host's clock 3 minutes ahead of Calendly's: a change made a minute after a read is still applied.

    Calendly's reference bounds neither the skew between its clock and ours nor how soon a change is readable
    after its webhook's created_at: reads count as of the pass's start less READ_MARGIN.
    """
    if warehouse.kind != "sqlite":
        pytest.skip("the ordering is computed before any warehouse-specific SQL; SQLite shows it")
    rig = make_rig("updated_at_unmoved")
    writer = warehouse.writer()

    def ahead() -> datetime:
        return rig.emulator.now() + timedelta(minutes=3)

    try:
        CalendlySqlSync(hook=_hook(), writer=writer, clock=ahead, webhook_inbox_conn_id=INBOX, page_size=50).run()
        old = _invitee_of_a_meeting_8_to_12_days_ago(rig.emulator)
        rig.emulator.advance_clock(timedelta(minutes=1))
        rig.emulator.mark_no_show(old["uri"])  # on Calendly's clock, before this host's clock said the read was
        rig.feed.wait()
        summary = CalendlySqlSync(
            hook=_hook(), writer=writer, clock=ahead, webhook_inbox_conn_id=INBOX, page_size=50
        ).run()
        assert summary["webhook_feed"]["applied"] == {"invitee_no_show.created": 1}
        assert {row[0]: row[8] for row in dump_tables(writer)["invitees"]}[old["uri"]] is True
    finally:
        writer.close()


def _deliver(rig: _Rig, event: str, payload: dict[str, Any], created_at: datetime) -> None:
    """Store a delivery in the inbox as the receiver would (for payload shapes the emulator does not send)."""
    envelope = {"event": event, "created_at": created_at.isoformat(), "created_by": None, "payload": payload}
    body = json.dumps(envelope)
    parsed = WebhookEnvelope.model_validate(envelope)
    assert rig.feed.inbox.store_many([NewDelivery.from_envelope(parsed, body, received_at=time.time())])[0].stored


def test_a_no_show_of_an_invitee_not_stored_lands_when_its_payload_embeds_the_event(
    make_rig: Callable[..., _Rig], warehouse: Warehouse
) -> None:
    """Calendly's reference does not say whether a no-show's payload embeds its scheduled event: either way."""
    if warehouse.kind != "sqlite":
        pytest.skip("which deliveries apply does not depend on the warehouse")
    rig = make_rig()
    writer = warehouse.writer()
    try:
        rig.sync(writer, webhook_inbox_conn_id=INBOX)
        event = next(e for e in rig.emulator.data.scheduled_events.values() if e["status"] == "active")
        invitee = rig.emulator.data.invitees[event["uri"].rsplit("/", 1)[-1]][0]
        new_event = {**json.loads(json.dumps(event)), "uri": f"{event['uri']}0"}  # a meeting never synced
        now = rig.emulator.now()
        no_show = {"uri": f"{CANONICAL_API_URL}/invitee_no_shows/N1", "created_at": now.isoformat()}
        new = {**json.loads(json.dumps(invitee)), "uri": f"{new_event['uri']}/invitees/I1", "no_show": no_show}
        new["event"] = new_event["uri"]
        _deliver(rig, "invitee_no_show.created", new, now)
        _deliver(rig, "invitee_no_show.created", {**new, "scheduled_event": new_event}, now + timedelta(seconds=1))
        feed = rig.sync(writer, webhook_inbox_conn_id=INBOX)["webhook_feed"]
        assert feed["applied"] == {"invitee_no_show.created": 1}
        assert feed["skipped"] == {"invitee not stored": 1}  # without the event: left to the listing
        assert {row[0]: row[8] for row in dump_tables(writer)["invitees"]}[new["uri"]] is True
        assert new_event["uri"] in {row[0] for row in dump_tables(writer)["scheduled_events"]}
    finally:
        writer.close()


def test_a_disabled_subscription_is_a_gap_reconcile_re_reads(
    make_rig: Callable[..., _Rig], warehouse: Warehouse
) -> None:
    if warehouse.kind != "sqlite":
        pytest.skip("gap detection reads no warehouse-specific state; the random test covers it on SQLite")
    rig = make_rig()
    writer = warehouse.writer()
    try:
        rig.sync(writer, webhook_inbox_conn_id=INBOX)
        rig.feed.disable()
        simulate(rig.emulator, seed=7, rates={"no_shows": 0.5})
        summary = rig.sync(writer, webhook_inbox_conn_id=INBOX)
        feed, reads = summary["webhook_feed"], summary["invitee_reads"]
        assert feed["covered"] is False and "no subscription was active" in feed["gap_reason"]
        assert feed["deliveries"] == 0
        assert reads["by_reason"]["feed_gap"] > 0 and reads["by_reason"]["refresh_window"] == 0
        assert dump_tables(writer) == rig.full_dump(warehouse)
        rig.emulator.advance_clock(timedelta(hours=1))
        rig.feed.resubscribe()  # created after the previous pass: the period up to now is still in doubt
        assert "created" in rig.sync(writer, webhook_inbox_conn_id=INBOX)["webhook_feed"]["gap_reason"]
        simulate(rig.emulator, seed=8)
        rig.feed.wait()
        assert rig.sync(writer, webhook_inbox_conn_id=INBOX)["webhook_feed"]["covered"] is True
    finally:
        writer.close()


def test_a_crash_while_applying_loses_and_doubles_nothing(
    make_rig: Callable[..., _Rig], warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    if warehouse.kind != "sqlite":
        pytest.skip("the transaction is the writer's; its atomicity is tested per warehouse in test_sql_writer")
    rig = make_rig()
    writer = warehouse.writer()
    try:
        rig.sync(writer, webhook_inbox_conn_id=INBOX)
        _event, invitee = rig.emulator.book()
        rig.feed.wait()
        real = CalendlyTableWriter.write_rows

        def crash_on_position(self: CalendlyTableWriter, rows: Any) -> Any:
            if "webhook_feed" in rows:
                raise RuntimeError("killed between the rows and the position")
            return real(self, rows)

        monkeypatch.setattr(CalendlyTableWriter, "write_rows", crash_on_position)
        with pytest.raises(RuntimeError, match="killed"):
            rig.sync(writer, webhook_inbox_conn_id=INBOX)
        monkeypatch.setattr(CalendlyTableWriter, "write_rows", real)
        assert invitee["uri"] not in {row[0] for row in dump_tables(writer)["invitees"]}  # rolled back together
        summary = rig.sync(writer, webhook_inbox_conn_id=INBOX)
        assert summary["webhook_feed"]["applied"] == {"invitee.created": 1}
        assert summary["invitee_reads"]["by_reason"]["new"] == 0  # the feed landed it: no invitee call for it
        again = rig.sync(writer, webhook_inbox_conn_id=INBOX)
        assert again["webhook_feed"]["deliveries"] == 0
        assert dump_tables(writer) == rig.full_dump(warehouse)
    finally:
        writer.close()


def test_a_full_pass_with_the_feed_judges_no_gap_and_the_next_pass_is_covered(
    make_rig: Callable[..., _Rig], warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    if warehouse.kind != "sqlite":
        pytest.skip("what a full pass asks of the feed does not depend on the warehouse")
    caplog.set_level("WARNING", logger="airflow_provider_calendly.transfers.change_capture")
    rig = make_rig()
    writer = warehouse.writer()
    try:
        rig.sync(writer, webhook_inbox_conn_id=INBOX)  # the first pass: the feed has no previous check yet
        simulate(rig.emulator, seed=300)
        rig.feed.wait()
        assert not [r for r in caplog.records if "not gap-free" in r.getMessage()]  # the first pass is a full one
        rig.emulator.reset_stats()
        full = rig.sync(writer, mode="full", webhook_inbox_conn_id=INBOX)
        assert not [r for r in caplog.records if "not gap-free" in r.getMessage()]
        assert full["webhook_feed"]["gap_reason"] is None and full["webhook_feed"]["deliveries"] > 0
        assert not [r for r in rig.emulator.requests if "/webhook_subscriptions" in r.path]  # no gap check
        simulate(rig.emulator, seed=301)
        rig.feed.wait()
        after = rig.sync(writer, webhook_inbox_conn_id=INBOX)
        assert after["webhook_feed"]["covered"] is True
        assert dump_tables(writer) == rig.full_dump(warehouse)
    finally:
        writer.close()


def test_webhook_inbox_conn_id_is_checked_before_any_call() -> None:
    with pytest.raises(CalendlyConfigError, match="webhook_inbox_conn_id"):
        SyncConfig(webhook_inbox_conn_id="  ")


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _invitee_of_a_meeting_8_to_12_days_ago(emulator: CalendlyEmulator) -> dict[str, Any]:
    """An active invitee without a no-show whose meeting is outside the refresh window (7 days back)."""
    now = emulator.now()
    return next(
        i
        for e in emulator.state.events_by_start()
        if e["status"] == "active" and now - timedelta(days=12) < _dt(e["start_time"]) < now - timedelta(days=8)
        for i in emulator.data.invitees[e["uri"].rsplit("/", 1)[-1]]
        if i["status"] == "active" and i["no_show"] is None
    )


#: What may happen to the feed during a simulated day.
FAULTS = ("none", "duplicates", "disabled", "failing")


@example(seed=14, days=[(1, "duplicates"), (1, "disabled"), (2, "failing"), (1, "none")])  # every fault, always
@settings(max_examples=1, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    days=st.lists(st.tuples(st.integers(1, 2), st.sampled_from(FAULTS)), min_size=2, max_size=3),
)
def test_random_days_with_feed_faults_keep_the_tables_equal_to_a_full_sync(
    warehouse: Warehouse,
    behaviour: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    seed: int,
    days: list[tuple[int, str]],
) -> None:
    rig = _Rig(monkeypatch, tmp_path, seed, behaviour)
    rng = random.Random(seed)
    writer = warehouse.writer(warehouse.new_prefix())
    try:
        rig.sync(writer, webhook_inbox_conn_id=INBOX)
        broken = False
        for n, (span, fault) in enumerate(days):
            if broken:  # the previous day's breakage: an operator recreates the subscription
                rig.emulator.advance_clock(timedelta(minutes=30))
                rig.feed.resubscribe()
                broken = False
            if fault == "disabled":
                rig.feed.disable()
            if fault == "failing":
                rig.feed.break_delivery()  # deliveries fail, are retried, then dropped
            simulate(rig.emulator, days=span, seed=seed + n, rates={"no_shows": 0.2})
            rig.feed.wait()
            if fault == "failing":
                rig.feed.restore_delivery()
            if fault == "duplicates":
                rig.feed.replay(rng, 15)  # old deliveries again, after newer ones and after API reads
            summary = rig.sync(writer, webhook_inbox_conn_id=INBOX)
            feed = summary["webhook_feed"]
            if fault in ("disabled", "failing"):
                assert feed["covered"] is False
                broken = fault == "disabled"
            assert dump_tables(writer) == rig.full_dump(warehouse)
    finally:
        writer.close()
        rig.stop()


# --- the ordering rule ----------------------------------------------------------------------------------------

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("stored", "delivered_at", "updated_at", "newer"),
    [
        pytest.param(None, T0, T0, False, id="not stored"),
        pytest.param(Stored(T0, T0), T0, T0, True, id="a duplicate of the delivery that wrote it"),
        pytest.param(Stored(T0, T0 + timedelta(hours=1)), T0, T0, True, id="late: a later read or delivery"),
        pytest.param(Stored(T0, T0), T0 + timedelta(hours=1), T0, False, id="a no-show leaving updated_at alone"),
        pytest.param(Stored(T0, None), T0, T0, False, id="as of unknown: updated_at proves nothing"),
        pytest.param(Stored(T0 + timedelta(hours=1), None), T0, T0, True, id="as of unknown: a later updated_at"),
        pytest.param(Stored(None, T0), None, T0, False, id="a delivery without created_at"),
    ],
)
def test_a_delivery_is_applied_unless_the_stored_row_is_provably_newer(
    stored: Stored | None, delivered_at: datetime | None, updated_at: datetime, newer: bool
) -> None:
    assert stored_is_newer(stored, delivered_at, updated_at) is newer
