"""An organization worth analysing, landed by the real sync: the emulator's data after co-hosted meetings,
simulated days (bookings, cancellations, reschedules, no-shows), data-compliance deletions and a deleted form.

The emulator's clock is pinned (the data's reference "now", moved only by the simulated days), so the run's
"as of" is known exactly and the marts are pinned to it through the ``calendly_as_of`` var.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing import REFERENCE_NOW, CalendlyEmulator
from airflow_provider_calendly.testing.simulator import simulate
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlySqlSync
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook

PREFIX = "calendly_"
#: Change rates of the simulated days: more reschedules and cancellations than a real day, so every seed has some.
RATES = {"reschedules": 4.0, "invitee_cancellations": 2.0, "host_cancellations": 1.0, "no_shows": 0.4}


@dataclass
class Landed:
    """What one scenario landed: the emulator's state after it (the truth) and the run's pinned "now"."""

    data: Any
    submissions: list[dict[str, Any]]
    routing_forms: list[dict[str, Any]]
    as_of: datetime  # naive UTC

    @property
    def as_of_var(self) -> str:
        """``as_of`` as the ``calendly_as_of`` var."""
        return self.as_of.isoformat(sep=" ")


def _co_host(emulator: CalendlyEmulator) -> None:
    """Give the meetings of group event types a second host, as collective event types have."""
    data = emulator.data
    group_types = {t["uri"] for t in data.event_types if t["kind"] == "group"}
    with emulator.state.lock:
        for event in data.scheduled_events.values():
            hosts = {m["user"] for m in event["event_memberships"]}
            other = next((u for u in data.users if u["uri"] not in hosts), None)
            if event["event_type"] in group_types and other is not None:
                event["event_memberships"].append(
                    {
                        "user": other["uri"],
                        "user_email": other["email"],
                        "user_name": other["name"],
                        "buffered_start_time": event["start_time"],
                        "buffered_end_time": event["end_time"],
                    }
                )


def _delete_some(emulator: CalendlyEmulator, rng: random.Random) -> None:
    """Data-compliance deletions of a few invitees (one of them a routing form submitter) and a deleted form."""
    org = emulator.organization
    submitters = sorted({s["submitter"] for subs in org.submissions.values() for s in subs if s["submitter"]})
    invitees = sorted((i for items in emulator.data.invitees.values() for i in items), key=lambda i: i["uri"])
    by_uri = {i["uri"]: i for i in invitees}
    emails = [by_uri[rng.choice(submitters)]["email"], *(i["email"] for i in rng.sample(invitees, 3))]
    org.delete_invitee_data(emails)
    draft = next(f for f in org.routing_forms if f["status"] == "draft")
    org.delete_routing_form(draft["uri"])


def land(seed: int, conn_id: str, monkeypatch: pytest.MonkeyPatch, *, schema: str | None = None) -> Landed:
    """Run the scenario of ``seed`` against a fresh emulator and land it in ``conn_id`` with two real syncs.

    The first sync reads everything; after deletions and one more simulated day, a ``mode="full"`` sync lands
    the changes and marks the rows Calendly no longer returns (``_deleted_at``).
    """
    rng = random.Random(seed)
    with CalendlyEmulator(seed=seed, scheduled_events=150, now=lambda: REFERENCE_NOW) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json(rate_limit=100_000))
        hook = CalendlyHook("calendly_default", sleep=lambda _seconds: None)
        _co_host(emulator)
        simulate(emulator, days=3, seed=seed, rates=RATES)
        writer = CalendlyTableWriter(resolve_dbapi_hook(conn_id), PREFIX, schema=schema)
        try:
            CalendlySqlSync(hook=hook, writer=writer, clock=emulator.now).run()
            _delete_some(emulator, rng)
            simulate(emulator, days=1, seed=seed + 1000, rates=RATES)
            CalendlySqlSync(hook=hook, writer=writer, clock=emulator.now, mode="full").run()
        finally:
            writer.close()
        org = emulator.organization
        return Landed(
            data=emulator.data,
            submissions=[s for subs in org.submissions.values() for s in subs],
            routing_forms=list(org.routing_forms),
            as_of=emulator.now().astimezone(timezone.utc).replace(tzinfo=None),
        )


def busy_time_rows(landed: Landed, rng: random.Random) -> list[dict[str, Any]]:
    """Busy times as the busy-times sync will land them: each host's active meetings (``calendly``), an external
    calendar event on some of those days, one row given twice (it lands once: busy times are keyed by user, type,
    start and end) and one marked deleted."""
    synced = datetime(2026, 1, 20, tzinfo=timezone.utc)
    rows: list[dict[str, Any]] = []
    for event in sorted(landed.data.scheduled_events.values(), key=lambda e: e["uri"]):
        if event["status"] != "active":
            continue
        start, end = parse_utc(event["start_time"]), parse_utc(event["end_time"])
        for member in event["event_memberships"]:
            rows.append(_busy(member["user"], "calendly", start, end, event["uri"], synced))
            if rng.random() < 0.3:
                lunch = start.replace(hour=12, minute=0, second=0, microsecond=0)
                rows.append(_busy(member["user"], "external", lunch, lunch + timedelta(minutes=45), None, synced))
    rows.append(dict(rows[0]))  # landed twice: busy times have no uri to key on
    rows.append({**rows[1], "start_time": rows[1]["start_time"] - timedelta(hours=2), "_deleted_at": synced})
    return rows


def _busy(user: str, kind: str, start: datetime, end: datetime, event: str | None, synced: datetime) -> dict[str, Any]:
    return {
        "user_uri": user,
        "type": kind,
        "start_time": start,
        "end_time": end,
        "buffered_start_time": start,
        "buffered_end_time": end,
        "event_uri": event,
        "raw": {"type": kind},
        "_synced_at": synced,
        "_deleted_at": None,
    }
