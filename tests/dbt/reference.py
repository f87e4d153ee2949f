"""Every mart's figures computed in Python from the emulator's own data: the definitions of the README's
"Analytics" section, written a second time without SQL, to check the dbt project against.

Each function returns ``{grain: {column: value}}``; times are naive UTC, as the marts hold them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from airflow_provider_calendly.timestamps import parse_utc
from tests.dbt.scenario import Landed

Figures = dict[tuple[Any, ...], dict[str, Any]]


def utc(text: str | None) -> datetime | None:
    """Calendly's ISO 8601 text as a naive UTC datetime."""
    return None if text is None else parse_utc(text).replace(tzinfo=None)


def minutes(start: datetime, end: datetime) -> int:
    """Minute boundaries crossed from ``start`` to ``end`` (what ``dbt.datediff(..., 'minute')`` counts)."""
    return int((end.replace(second=0, microsecond=0) - start.replace(second=0, microsecond=0)).total_seconds() // 60)


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _events(landed: Landed) -> Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]:
    data = landed.data
    for event_uuid, event in data.scheduled_events.items():
        yield event, data.invitees.get(event_uuid, [])


def _held(event: dict[str, Any], as_of: datetime) -> bool:
    start = utc(event["start_time"])
    return event["status"] == "active" and start is not None and start < as_of


def _hosts(event: dict[str, Any]) -> set[str]:
    return {m["user"] for m in event["event_memberships"]}


def _event_type_names(landed: Landed) -> dict[str, str]:
    return {t["uri"]: t["name"] for t in landed.data.event_types}


def meetings(landed: Landed) -> Figures:
    names = _event_type_names(landed)
    figures: Figures = {}
    for event, invitees in _events(landed):
        start, end, booked = utc(event["start_time"]), utc(event["end_time"]), utc(event["created_at"])
        assert start is not None and end is not None and booked is not None
        active = [i for i in invitees if i["status"] == "active"]
        figures[(event["uri"],)] = {
            "event_type_uri": event["event_type"],
            "event_type_name": names.get(event["event_type"]),
            "event_name": event["name"],
            "status": event["status"],
            "start_time": start,
            "end_time": end,
            "duration_minutes": minutes(start, end),
            "booked_at": booked,
            "lead_time_minutes": minutes(booked, start),
            "canceled_at": utc((event.get("cancellation") or {}).get("created_at")),
            "has_started": start < landed.as_of,
            "active_invitees": len(active),
            "canceled_invitees": sum(1 for i in invitees if i["status"] == "canceled"),
            "no_shows": sum(1 for i in active if i["no_show"] is not None),
            "is_rescheduled_into": any(i["old_invitee"] for i in invitees),
            "is_rescheduled_out_of": any(i["rescheduled"] for i in invitees),
            "hosts": len(_hosts(event)),
        }
    return figures


def week_start(moment: datetime) -> date:
    """The Monday of ``moment``'s week."""
    return moment.date() - timedelta(days=moment.weekday())


def no_show_rates(landed: Landed) -> Figures:
    names = _event_type_names(landed)
    counts: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    for event, invitees in _events(landed):
        if not _held(event, landed.as_of):
            continue
        start = utc(event["start_time"])
        assert start is not None
        active = [i for i in invitees if i["status"] == "active"]
        for host in _hosts(event):
            row = counts[(host, event["event_type"], week_start(start))]
            row[0] += 1
            row[1] += len(active)
            row[2] += sum(1 for i in active if i["no_show"] is not None)
    return {
        key: {
            "event_type_name": names.get(key[1]),
            "meetings": n,
            "invitees": invited,
            "no_shows": absent,
            "no_show_rate": ratio(absent, invited),
        }
        for key, (n, invited, absent) in counts.items()
    }


def routing_funnel(landed: Landed) -> Figures:
    forms = {f["uri"]: f["name"] for f in landed.routing_forms}
    held: dict[str, bool] = {}  # held invitee URI -> marked no-show
    for event, invitees in _events(landed):
        if _held(event, landed.as_of):
            held.update({i["uri"]: i["no_show"] is not None for i in invitees if i["status"] == "active"})
    counts: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for submission in landed.submissions:
        source = submission["tracking"].get("utm_source")
        row = counts[(submission["routing_form"], "(none)" if source is None else source)]
        submitter = submission["submitter"]
        row[0] += 1
        row[1] += submitter is not None
        row[2] += submitter in held
        row[3] += held.get(submitter, False)
    return {
        key: {
            "routing_form_name": forms.get(key[0]),
            "submissions": submitted,
            "booked": booked,
            "held": n_held,
            "no_shows": absent,
            "booking_rate": ratio(booked, submitted),
            "held_rate": ratio(n_held, booked),
            "no_show_rate": ratio(absent, n_held),
        }
        for key, (submitted, booked, n_held, absent) in counts.items()
    }


def live_busy_times(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The busy-time rows that exist: not marked deleted, each (user, type, start, end) once."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        if row["_deleted_at"] is None:
            seen[(row["user_uri"], row["type"], row["start_time"], row["end_time"])] = row
    return list(seen.values())


def host_activity(landed: Landed, busy_times: list[dict[str, Any]] | None) -> Figures:
    zero = {"meetings_booked": 0, "meetings_held": 0, "booked_minutes": 0, "cancellations": 0, "no_shows": 0}
    figures: Figures = defaultdict(lambda: {**zero, "busy_minutes": None if busy_times is None else 0})
    for event, invitees in _events(landed):
        start, end = utc(event["start_time"]), utc(event["end_time"])
        assert start is not None and end is not None
        for host in _hosts(event):
            row = figures[(host, start.date())]
            if event["status"] == "canceled":
                row["cancellations"] += 1
                continue
            row["meetings_booked"] += 1
            row["booked_minutes"] += minutes(start, end)
            if start < landed.as_of:
                row["meetings_held"] += 1
                row["no_shows"] += sum(1 for i in invitees if i["status"] == "active" and i["no_show"] is not None)
    for busy in live_busy_times(busy_times or []):
        start, end = busy["start_time"].replace(tzinfo=None), busy["end_time"].replace(tzinfo=None)
        figures[(busy["user_uri"], start.date())]["busy_minutes"] += minutes(start, end)
    return dict(figures)
