"""Identity is not transport: every hook method and operator, run through a gateway on another base URL than
the one the emulator mints URIs for, gives the same results and the same warehouse tables as run directly."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.operators.calendly import (
    CalendlyGetEventTypeOperator,
    CalendlyListEventTypesOperator,
    CalendlyMarkNoShowOperator,
    CalendlyUndoNoShowOperator,
)
from airflow_provider_calendly.operators.webhooks import (
    CalendlyDeleteWebhookSubscriptionOperator,
    CalendlyEnsureWebhookSubscriptionOperator,
)
from airflow_provider_calendly.testing.data import REFERENCE_NOW
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator
from tests.contract.proxy import ForwardingProxy
from tests.contract.schemas import CANONICAL

DATA_TABLES = ("event_types", "scheduled_events", "event_memberships", "event_guests", "invitees", "invitee_answers")


def _tables(db: Path, prefix: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every data table's rows, ``_synced_at`` left out, in a stable order."""
    dump = {}
    with sqlite3.connect(db) as conn:
        for key in DATA_TABLES:
            table = f"{prefix}{key}"
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "_synced_at"]
            rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
            dump[key] = sorted(rows, key=repr)
    return dump


def _everything(hook: CalendlyHook) -> dict[str, Any]:
    """Call every public hook method once (reads and writes), return what each gave, JSON-safe."""
    out: dict[str, Any] = {}
    me = hook.get_current_user()
    out["me"] = me.model_dump(mode="json")
    types = list(hook.list_event_types())  # defaults: the token owner's organization
    out["event_types"] = [t.model_dump(mode="json") for t in types]
    out["event_type"] = hook.get_event_type(types[0].uri).model_dump(mode="json")
    out["user_types"] = [t.uri for t in hook.list_event_types(user=me.uri)]
    events = list(hook.list_scheduled_events(status="active"))
    out["events"] = [e.model_dump(mode="json") for e in events]
    out["event"] = hook.get_scheduled_event(events[0].uri).model_dump(mode="json")
    invitees = [i for e in events for i in hook.list_event_invitees(e.uri)]
    out["invitees"] = [i.model_dump(mode="json") for i in invitees]
    fresh = next(i for i in invitees if i.no_show is None)
    out["invitee"] = hook.get_invitee(fresh.uri).model_dump(mode="json")
    no_show = hook.create_invitee_no_show(fresh.uri)
    out["no_show"] = hook.get_invitee_no_show(no_show.uri).model_dump(mode="json")
    hook.delete_invitee_no_show(no_show.uri)
    sub = hook.create_webhook_subscription("https://hooks.example/in", ["invitee.created"])
    out["subscription"] = hook.get_webhook_subscription(sub.uri).model_dump(
        mode="json", exclude={"created_at", "updated_at"}
    )
    out["subscriptions"] = [s.uri for s in hook.list_webhook_subscriptions()]
    hook.delete_webhook_subscription(sub.uri)
    out["test_connection"] = hook.test_connection()
    return out


def _operators(invitee_uri: str, event_type_uri: str) -> dict[str, Any]:
    def run(op: Any) -> Any:
        return op.execute({})

    def drop_times(sub: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in sub.items() if k not in {"created_at", "updated_at"}}

    return {
        "list": run(CalendlyListEventTypesOperator(task_id="list")),
        "get": run(CalendlyGetEventTypeOperator(task_id="get", event_type=event_type_uri)),
        "mark": drop_times(run(CalendlyMarkNoShowOperator(task_id="mark", invitee_uri=invitee_uri))),
        "undo": run(CalendlyUndoNoShowOperator(task_id="undo", invitee_uri=invitee_uri)),
        "ensure": json.loads(
            json.dumps(
                run(
                    CalendlyEnsureWebhookSubscriptionOperator(
                        task_id="ensure", url="https://hooks.example/op", sign=False
                    )
                ),
                default=str,
            )
        ).keys(),
        "delete": run(CalendlyDeleteWebhookSubscriptionOperator(task_id="delete", url="https://hooks.example/op")),
    }


def _run(monkeypatch: pytest.MonkeyPatch, conn_host: Callable[[CalendlyEmulator], str], db: Path) -> dict[str, Any]:
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    with CalendlyEmulator(seed=5, scheduled_events=25, now=lambda: REFERENCE_NOW) as emulator:
        host = conn_host(emulator)
        conn = json.loads(emulator.connection_json())
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", json.dumps({**conn, "host": host}))
        results = _everything(CalendlyHook())
        invitee = next(i for invs in emulator.data.invitees.values() for i in invs if i["no_show"] is None)
        results["operators"] = _operators(invitee["uri"], emulator.data.event_types[0]["uri"])
        summary = CalendlyToSqlOperator(
            task_id="land", sql_conn_id="warehouse", table_prefix="gw_", mode="full"
        ).execute(
            {}  # type: ignore[arg-type]
        )
        results["transfer"] = {k: (v["rows"], v["inserted"], v["updated"]) for k, v in summary["tables"].items()}
        results["served"] = emulator.count()
    results["tables"] = _tables(db, "gw_")
    results["operators"]["ensure"] = sorted(results["operators"]["ensure"])
    return results


def test_behind_a_gateway_everything_is_the_same(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    direct = _run(monkeypatch, lambda emulator: emulator.base_url, tmp_path / "direct.db")
    proxies: list[ForwardingProxy] = []

    def through_proxy(emulator: CalendlyEmulator) -> str:
        proxy = ForwardingProxy(emulator.base_url).__enter__()
        proxies.append(proxy)
        return proxy.base_url  # another host, port and a path prefix: http://127.0.0.1:<port>/calendly

    try:
        gateway = _run(monkeypatch, through_proxy, tmp_path / "gateway.db")
    finally:
        for proxy in proxies:
            proxy.__exit__(None, None, None)
    assert len(proxies[0].forwarded) == gateway["served"] > 0  # every request went through the gateway
    assert gateway["tables"]["invitees"] and gateway["tables"]["event_types"]
    for key in direct:
        if key != "served":
            assert gateway[key] == direct[key], key
    assert gateway["served"] == direct["served"]  # and cost the same calls
    assert all(row[0].startswith(f"{CANONICAL}/") for rows in gateway["tables"].values() for row in rows)
