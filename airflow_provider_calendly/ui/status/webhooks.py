"""The webhooks section: each callback path's receipts and subscription, the consumers' backlogs, per-day counts.

The receipts and backlogs come from the receiver's inbox; each subscription's state, events and the health
check's last verdict come from the subscription operators' XComs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.operators.webhooks import VERDICT_XCOM_KEY
from airflow_provider_calendly.ui.status.runs import TaskRun
from airflow_provider_calendly.ui.status.values import as_mapping, as_text, callback_path, iso, iso_ts

if TYPE_CHECKING:
    from airflow_provider_calendly.webhooks.inbox import WebhookInbox

__all__ = ["InboxSource", "webhooks_section"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboxSource:
    """Where the receiver's inbox is: the ``[calendly_webhooks]`` settings the receiver uses.

    :param conn_id: The inbox connection.
    :param receiver_enabled: Whether the receiver is mounted on the API server.
    :param open: Opens the inbox (raises when it cannot be reached).
    """

    conn_id: str
    receiver_enabled: bool
    open: Any


def webhooks_section(
    inbox: InboxSource | None,
    *,
    checks: list[TaskRun],
    ensures: list[TaskRun],
    syncs: list[dict[str, Any]],
    since: datetime,
    now: datetime,
    days: list[date],
) -> dict[str, Any]:
    """Each subscription (callback path) with its deliveries and verdict, the consumers' backlogs, per-day counts."""
    if inbox is None:
        return {}
    section: dict[str, Any] = {
        "inbox_conn_id": inbox.conn_id,
        "receiver_enabled": inbox.receiver_enabled,
        "error": None,
        "subscriptions": [],
        "consumers": [],
    }
    subscriptions = _known_subscriptions(checks, ensures)
    try:
        box: WebhookInbox = inbox.open()
        receipts = box.receipts_since(since.timestamp())
        backlog = box.consumers_backlog()
        feeds = [
            (sync, feed["position"])
            for sync in syncs
            for feed in [(sync["last_success"] or {}).get("feed") or {}]
            if feed.get("position") is not None
        ]
        feed_backlog = [(sync, position, box.count_after(position)) for sync, position in feeds]
    except Exception as exc:  # the page still shows the syncs; say what kind of failure, never the URL
        log.warning("The Calendly page could not read the webhook inbox %r", inbox.conn_id, exc_info=True)
        section["error"] = f"the inbox could not be read ({type(exc).__name__})"
        receipts, backlog, feed_backlog = [], {}, []
    index = {d.isoformat(): i for i, d in enumerate(days)}
    by_path: dict[str, list[Any]] = defaultdict(list)
    for receipt in receipts:
        by_path[receipt.path].append(receipt)
    per_day = section["deliveries_per_day"] = {
        "stored": {},
        **{name: [0] * len(days) for name in ("duplicate", "rejected_signature", "rejected_other")},
    }
    for path in sorted(set(by_path) | set(subscriptions)):
        entry, tallies = _subscription(path, by_path.get(path, []), subscriptions.get(path), now, index)
        section["subscriptions"].append(entry)
        if any(tallies["stored"]):
            per_day["stored"][path] = tallies["stored"]
        for name in ("duplicate", "rejected_signature", "rejected_other"):
            per_day[name] = [a + b for a, b in zip(per_day[name], tallies[name], strict=True)]
    section["consumers"] = [
        {"kind": "trigger", "name": name, "position": position, "backlog": pending, "updated_at": iso_ts(at)}
        for name, (position, pending, at) in backlog.items()
    ] + [
        {
            "kind": "sync",
            "name": f"{sync['dag_id']}.{sync['task_id']}",
            "dag_id": sync["dag_id"],
            "task_id": sync["task_id"],
            "position": position,
            "backlog": pending,
            "updated_at": (sync["last_success"] or {}).get("ended_at"),
        }
        for sync, position, pending in feed_backlog
    ]
    return section


def _known_subscriptions(checks: list[TaskRun], ensures: list[TaskRun]) -> dict[str, dict[str, Any]]:
    """What the subscription operators last said of each callback path: the subscription and the check's verdict."""
    known: dict[str, dict[str, Any]] = {}
    for run in ensures:  # newest first: the first seen of a path is its latest
        found = _subscription_fields(run.xcoms.get("return_value"))
        if found and found["callback_url"]:
            entry = known.setdefault(callback_path(found["callback_url"]), {"subscription": None, "verdict": None})
            if entry["subscription"] is None:
                entry["subscription"] = {**found, "seen_at": iso(run.end or run.start)}
    for run in checks:
        verdict = as_mapping(run.xcoms.get(VERDICT_XCOM_KEY))
        url = as_text(verdict.get("url"))
        if not url and run.state != "failed":
            continue
        found = _subscription_fields(verdict.get("subscription"))
        path = callback_path(found["callback_url"]) if found and found["callback_url"] else callback_path(url or "")
        entry = known.setdefault(path, {"subscription": None, "verdict": None})
        if entry["verdict"] is None:
            entry["verdict"] = {
                **run.ids(),
                "state": run.state,
                "healthy": verdict.get("healthy") is True if verdict else None,
                "reason": as_text(verdict.get("reason")),
                "checked_at": iso(run.end or run.start),
            }
            if found and entry["subscription"] is None:
                entry["subscription"] = {**found, "seen_at": iso(run.end or run.start)}
    known.pop("", None)  # a check without a URL (none was given) names no subscription
    return known


def _subscription_fields(value: Any) -> dict[str, Any] | None:
    sub = as_mapping(value)
    if not sub:
        return None
    events = sub.get("events")
    return {
        "uri": as_text(sub.get("uri")),
        "callback_url": as_text(sub.get("callback_url")),
        "state": as_text(sub.get("state")),
        "events": [as_text(e) for e in events] if isinstance(events, list) else [],
        "retry_started_at": as_text(sub.get("retry_started_at")),
    }


def _subscription(
    path: str, receipts: list[Any], known: dict[str, Any] | None, now: datetime, index: Mapping[str, int]
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """One callback path's entry, and its receipts per day of the window."""
    last_stored = max((r.last_stored_at for r in receipts if r.last_stored_at is not None), default=None)
    last_refused = max((r.last_rejected_at for r in receipts if r.last_rejected_at is not None), default=None)
    per_day = {name: [0] * len(index) for name in ("stored", "duplicate", "rejected_signature", "rejected_other")}
    for r in receipts:
        day = index.get(r.day)
        if day is not None:
            for name, counts in per_day.items():
                counts[day] += getattr(r, name)
    entry = {
        "path": path,
        "subscription": (known or {}).get("subscription"),
        "verdict": (known or {}).get("verdict"),
        "last_delivery_at": iso_ts(last_stored),
        "last_delivery_age_seconds": None if last_stored is None else round(now.timestamp() - last_stored, 1),
        "stored": sum(per_day["stored"]),
        "duplicates": sum(per_day["duplicate"]),
        "signature_failures": sum(per_day["rejected_signature"]),
        "other_refusals": sum(per_day["rejected_other"]),
        "last_refused_at": iso_ts(last_refused),
    }
    return entry, per_day
