"""The page's JSON document from task instances and a real inbox: what it copies, what it never does, edge cases.

Task instances are given as :class:`~airflow_provider_calendly.ui.status.TaskRun` (what the metadata database
query returns); ``test_calendly_page.py`` reads them from a real Airflow.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from airflow_provider_calendly.operators.webhooks import VERDICT_XCOM_KEY
from airflow_provider_calendly.transfers.calendly_to_sql import PROGRESS_XCOM_KEY
from airflow_provider_calendly.transfers.tables import TABLES
from airflow_provider_calendly.ui.status import PASSES_SHOWN, WINDOW_DAYS, InboxSource, TaskRun, build_status
from airflow_provider_calendly.webhooks.inbox import NewDelivery, Rejection, WebhookInbox

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
SYNC, CHECK, ENSURE = (
    "CalendlyToSqlOperator",
    "CalendlyCheckWebhookSubscriptionOperator",
    "CalendlyEnsureWebhookSubscriptionOperator",
)
CALLBACK = "https://airflow.example.com/calendly/webhooks"


def _run(
    operator: str = SYNC,
    *,
    run: int = 1,
    state: str = "success",
    started: datetime | None = None,
    minutes: float = 2,
    dag_id: str = "calendly_sync",
    task_id: str = "sync",
    **xcoms: Any,
) -> TaskRun:
    start = started or NOW - timedelta(hours=run)
    return TaskRun(
        dag_id=dag_id,
        task_id=task_id,
        run_id=f"manual__{run}",
        map_index=-1,
        try_number=1,
        state=state,
        start=start,
        end=None if state == "running" else start + timedelta(minutes=minutes),
        operator=operator,
        xcoms={key.replace("__", "_"): value for key, value in xcoms.items()},
    )


def _summary(**changes: Any) -> dict[str, Any]:
    summary = {
        "mode": "incremental",
        "effective_mode": "incremental",
        "api_calls": 30,
        "seconds": 4.2,
        "rate_limit": {"waited_seconds": 2.5, "responses_429": 2},
        "invitee_reads": {"calls_saved": 22, "covered_by_feed": 5},
        "webhook_feed": {"covered": True, "gap_reason": None, "deliveries": 3, "position": 7},
        "skipped": {"activity_log": {"status": 403, "reason": "403 Permission Denied: upgrade"}},
        "warehouse": {"conn_id": "wh", "dialect": "postgresql", "table_prefix": "calendly_", "schema": "raw"},
        "tables": {
            "invitees": {
                "table": "raw.calendly_invitees",
                "rows": 9,
                "inserted": 1,
                "changed": 2,
                "unchanged": 6,
                "deleted": 0,
                "updated": 8,
                "api_calls": 5,
                "seconds": 1.5,
            },
            "scheduled_events": {
                "table": "raw.calendly_scheduled_events",
                "rows": 28,
                "inserted": 0,
                "changed": 0,
                "unchanged": 28,
                "deleted": 1,
                "updated": 28,
                "api_calls": 2,
                "seconds": 0.2,
            },
        },
    }
    return {**summary, **changes}


def _status(*runs: TaskRun, inbox: InboxSource | None = None) -> dict[str, Any]:
    document = build_status(runs, display_names={"calendly_sync": "Calendly → warehouse"}, inbox=inbox, now=NOW)
    json.dumps(document)  # JSON-safe, as the endpoint answers it
    return document


def test_a_pass_shows_what_its_summary_says() -> None:
    (sync,) = _status(_run(return_value=_summary()))["syncs"]
    assert (sync["dag_id"], sync["dag_display_name"], sync["task_id"]) == (
        "calendly_sync",
        "Calendly → warehouse",
        "sync",
    )
    assert sync["warehouse"] == {"conn_id": "wh", "dialect": "postgresql", "table_prefix": "calendly_", "schema": "raw"}
    last = sync["last_success"]
    assert last["api_calls"] == 30
    assert last["calls_saved"] == {"reconcile": 17, "webhook_feed": 5, "total": 22}
    assert last["rate_limit"] == {"waited_seconds": 2.5, "responses_429": 2}
    assert last["feed"] == {"covered": True, "gap_reason": None, "since": None, "deliveries": 3, "position": 7}
    assert last["skipped"] == [{"resource": "activity_log", "status": 403, "reason": "403 Permission Denied: upgrade"}]
    assert last["duration_seconds"] == 120.0
    # In the registry's order, each with its description.
    assert [t["key"] for t in last["tables"]] == ["scheduled_events", "invitees"]
    invitees = last["tables"][1]
    assert invitees["description"] == TABLES["invitees"].description
    assert [invitees[k] for k in ("inserted", "changed", "unchanged", "deleted")] == [1, 2, 6, 0]


def test_only_known_fields_of_known_types_are_copied() -> None:
    """An XCom may hold anything: nothing but the summary's own fields, of their own types, reaches the page."""
    tables = {"invitees": {"rows": "9", "inserted": True, "changed": None, "email": "ada@example.com"}}
    hostile = _summary(
        api_calls="30",
        token="secret-token",
        invitee={"email": "ada@example.com", "name": "Ada Lovelace"},
        tables={**tables, "from_a_newer_release": {"rows": 3}},
        skipped={"groups": "not a mapping"},
    )
    text = json.dumps(_status(_run(return_value=hostile)))
    for secret in ("secret-token", "ada@example.com", "Ada Lovelace"):
        assert secret not in text
    last = json.loads(text)["syncs"][0]["last_success"]
    assert last["api_calls"] is None
    assert [t["key"] for t in last["tables"]] == ["invitees", "from_a_newer_release"]  # unknown tables last
    assert last["tables"][0]["rows"] is None and last["tables"][0]["inserted"] is None
    assert last["tables"][1]["description"] is None
    assert last["skipped"] == [{"resource": "groups", "status": None, "reason": None}]


def test_a_summary_from_before_the_changed_unchanged_split_still_shows() -> None:
    old = {"invitees": {"table": "calendly_invitees", "rows": 9, "inserted": 1, "updated": 8, "deleted": 0}}
    table = _status(_run(return_value=_summary(tables=old)))["syncs"][0]["last_success"]["tables"][0]
    assert (table["inserted"], table["changed"], table["unchanged"], table["updated"]) == (1, None, None, 8)


def test_running_failed_and_older_passes() -> None:
    runs = [
        _run(
            run=0,
            state="running",
            **{
                PROGRESS_XCOM_KEY: {
                    "phase": "scheduled_events",
                    "pages": 4,
                    "rows": 380,
                    "api_calls": 12,
                    "rate_limit": {"waited_seconds": 1.0},
                    "window_done": 0.25,
                    "eta_seconds": 90.0,
                }
            },
        ),
        _run(run=1, state="failed"),
        *[_run(run=n, return_value=_summary(api_calls=n)) for n in range(2, PASSES_SHOWN + 5)],
    ]
    (sync,) = _status(*runs)["syncs"]
    assert sync["running"]["run_id"] == "manual__0"
    assert sync["running"]["progress"]["rows"] == 380 and sync["running"]["progress"]["eta_seconds"] == 90.0
    assert sync["running"]["progress"]["rate_limit"] == {"waited_seconds": 1.0, "responses_429": None}
    assert sync["last_success"]["run_id"] == "manual__2"  # the newest success, not the failure after it
    assert [p["state"] for p in sync["passes"][:3]] == ["running", "failed", "success"]
    assert len(sync["passes"]) == PASSES_SHOWN


def test_a_running_pass_before_its_first_report() -> None:
    (sync,) = _status(_run(run=0, state="running"))["syncs"]
    assert sync["running"]["progress"] is None and sync["last_success"] is None and sync["warehouse"] is None


def test_charts_cover_the_window_day_by_day() -> None:
    runs = [
        _run(run=1, return_value=_summary(api_calls=40)),
        _run(run=30, return_value=_summary(api_calls=50)),  # yesterday
        _run(run=3, state="failed"),  # no summary: not charted
    ]
    charts = _status(*runs)["charts"]
    assert len(charts["days"]) == WINDOW_DAYS and charts["days"][-1] == NOW.date().isoformat()
    assert [p["api_calls"] for p in charts["calls_per_pass"]] == [50, 40]  # oldest first
    assert [p["saved_by_webhook_feed"] for p in charts["calls_per_pass"]] == [5, 5]
    rows = charts["rows_per_day"]
    assert rows["inserted"][-1] == 1 and rows["inserted"][-2] == 1 and sum(rows["inserted"]) == 2
    assert rows["unchanged"][-1] == 34 and rows["deleted"][-1] == 1


@pytest.fixture
def inbox(tmp_path: Path) -> WebhookInbox:
    box = WebhookInbox(f"sqlite:///{tmp_path / 'inbox.db'}", clock=lambda: NOW.timestamp())
    body = json.dumps({"event": "invitee.created", "created_at": "2026-03-10T11:00:00Z", "payload": {}})
    deliveries = [
        NewDelivery(
            f"d{i}",
            "invitee.created",
            "2026-03-10T11:00:00Z",
            None,
            f"https://api.calendly.com/x/{i}",
            None,
            None,
            NOW.timestamp() - 3600 * i,
            body,
        )
        for i in range(1, 6)
    ]
    box.store_many(
        deliveries,
        paths=["/calendly/webhooks/v2"] * 4 + ["/calendly/webhooks"],
        rejected=[Rejection("/calendly/webhooks/v2", "signature", NOW.timestamp() - 60)],
    )
    box.open_position("sensor:bookings", start=2)
    return box


def test_webhooks_join_the_inbox_and_the_subscription_operators(inbox: WebhookInbox) -> None:
    subscription = {
        "uri": "https://api.calendly.com/webhook_subscriptions/S2",
        "callback_url": f"{CALLBACK}/v2",
        "state": "active",
        "events": ["invitee.created"],
        "retry_started_at": None,
        "creator": "x",
    }
    runs = [
        _run(
            CHECK,
            run=1,
            dag_id="health",
            task_id="check",
            **{VERDICT_XCOM_KEY: {"url": CALLBACK, "healthy": True, "reason": None, "subscription": subscription}},
        ),
        _run(
            CHECK,
            run=2,
            dag_id="health",
            task_id="check",
            state="failed",
            **{VERDICT_XCOM_KEY: {"url": CALLBACK, "healthy": False, "reason": "webhook subscription S1 is disabled"}},
        ),
        _run(
            ENSURE,
            run=3,
            dag_id="health",
            task_id="ensure",
            return_value={
                **subscription,
                "callback_url": CALLBACK,
                "uri": "https://api.calendly.com/webhook_subscriptions/S1",
                "state": "disabled",
            },
        ),
        _run(return_value=_summary(webhook_feed={"covered": True, "position": 3})),
    ]
    document = _status(*runs, inbox=InboxSource("calendly_webhook_inbox", True, lambda: inbox))
    section = document["webhooks"]
    assert section["error"] is None
    by_path = {s["path"]: s for s in section["subscriptions"]}
    assert set(by_path) == {"/calendly/webhooks", "/calendly/webhooks/v2"}
    current, old = by_path["/calendly/webhooks/v2"], by_path["/calendly/webhooks"]
    assert (current["stored"], current["signature_failures"], current["duplicates"]) == (4, 1, 0)
    assert current["subscription"]["state"] == "active" and "creator" not in current["subscription"]
    assert current["verdict"]["healthy"] is True and current["verdict"]["dag_id"] == "health"
    assert current["last_delivery_age_seconds"] == 3600.0
    assert old["subscription"]["state"] == "disabled"
    assert old["verdict"] == {**old["verdict"], "healthy": False, "reason": "webhook subscription S1 is disabled"}
    consumers = {c["name"]: c for c in section["consumers"]}
    assert (consumers["sensor:bookings"]["position"], consumers["sensor:bookings"]["backlog"]) == (2, 3)
    assert (consumers["calendly_sync.sync"]["kind"], consumers["calendly_sync.sync"]["backlog"]) == ("sync", 2)
    per_day = document["charts"]["deliveries_per_day"]
    assert sum(per_day["stored"]["/calendly/webhooks/v2"]) == 4 and sum(per_day["rejected_signature"]) == 1


def test_an_unreachable_inbox_is_reported_without_its_address() -> None:
    def unreachable() -> WebhookInbox:
        raise sa.exc.OperationalError("connect", {}, Exception("postgresql://calendly:s3cret@db.internal/inbox"))

    document = _status(_run(return_value=_summary()), inbox=InboxSource("calendly_webhook_inbox", True, unreachable))
    assert document["webhooks"]["error"] == "the inbox could not be read (OperationalError)"
    assert document["syncs"][0]["last_success"]["api_calls"] == 30  # the syncs are still shown
    assert "s3cret" not in json.dumps(document) and "db.internal" not in json.dumps(document)
