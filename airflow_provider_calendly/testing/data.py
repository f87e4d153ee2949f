"""Deterministic synthetic Calendly data for the emulator: same seed, same organization, byte for byte."""

from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.uris import uuid_from_uri

#: The fixed "now" the synthetic data is spread around, so a seed always gives the same data.
REFERENCE_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)

_FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim", "Margaret", "Linus"]
_LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Berners-Lee"]
_EVENT_NAMES = [
    "Intro call",
    "Product demo",
    "Onboarding",
    "Quarterly review",
    "Support session",
    "Interview",
    "Office hours",
]
#: Booking questions with plausible answers to each (an invitee answers the first few).
_ANSWERS: dict[str, tuple[str, ...]] = {
    "Company name": ("Acme Inc.", "Globex", "Initech", "Umbrella Corp", "Stark Industries"),
    "What would you like to discuss?": ("Pricing and rollout", "Integration questions", "A demo for my team"),
    "Team size": ("1-10", "11-50", "51-200", "201+"),
    "How did you hear about us?": ("A friend", "Conference", "Search", "Newsletter"),
}
_QUESTIONS = list(_ANSWERS)
_LOCATIONS: list[dict[str, Any]] = [
    {"type": "zoom", "location": None, "join_url": "https://zoom.example/j/1", "status": "pushed"},
    {"type": "google_conference", "location": None, "join_url": "https://meet.example/abc", "status": "pushed"},
    {"type": "physical", "location": "HQ, 2nd floor"},
    {"type": "outbound_call", "location": "+1 555 0100"},
]


def iso(value: datetime) -> str:
    """Render a timestamp the way Calendly does: UTC, microseconds, ``Z``."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Dataset:
    """Everything the emulator serves, as Calendly-shaped JSON dicts."""

    base_url: str
    organization: dict[str, Any]
    users: list[dict[str, Any]]
    event_types: list[dict[str, Any]]
    scheduled_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    invitees: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def invitee_count(self) -> int:
        return sum(len(v) for v in self.invitees.values())


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def build_dataset(
    base_url: str,
    *,
    seed: int = 42,
    users: int = 3,
    event_types: int = 8,
    scheduled_events: int = 300,
    invitees_per_event: tuple[int, int] = (1, 3),
    now: datetime = REFERENCE_NOW,
    days_back: float = 120,
    days_ahead: float = 120,
    meetings_per_host_per_day: float | None = None,
) -> Dataset:
    """Build an organization with users, event types, scheduled events (past and future) and invitees.

    Meetings start from ``days_back`` days before ``now`` to ``days_ahead`` days after it; with
    ``meetings_per_host_per_day`` the number of meetings follows from the organization's size (``users`` hosts)
    instead of ``scheduled_events``. No meeting was booked after ``now``.
    """
    if meetings_per_host_per_day is not None:
        scheduled_events = round(max(1, users) * meetings_per_host_per_day * (days_back + days_ahead))
    rng = random.Random(seed)
    new_id = _Ids(rng)
    base = base_url.rstrip("/")
    org_uri = f"{base}/organizations/{new_id()}"
    created = now - timedelta(days=400)
    organization = {
        "uri": org_uri,
        "name": "Acme Scheduling",
        "plan": "teams",
        "stage": "paid",
        "created_at": iso(created),
        "updated_at": iso(created),
    }
    user_list = []
    for i in range(max(1, users)):
        first, last = _FIRST[i % len(_FIRST)], _LAST[i % len(_LAST)]
        slug = f"{first}-{last}-{i}".lower()
        user_list.append(
            {
                "uri": f"{base}/users/{new_id()}",
                "name": f"{first} {last}",
                "slug": slug,
                "email": f"{slug}@acme.example",
                "scheduling_url": f"https://calendly.com/{slug}",
                "timezone": "Europe/London",
                "time_notation": "24h",
                "avatar_url": None,
                "locale": "en",
                "resource_type": "User",
                "current_organization": org_uri,
                "created_at": iso(created),
                "updated_at": iso(created),
            }
        )
    type_list = []
    for i in range(event_types):
        owner = user_list[i % len(user_list)]
        name = f"{_EVENT_NAMES[i % len(_EVENT_NAMES)]} {i + 1}"
        type_list.append(
            new_event_type(
                f"{base}/event_types/{new_id()}",
                owner,
                name=name,
                created=created + timedelta(days=i),
                active=i % 5 != 4,
                duration=[15, 30, 45, 60][i % 4],
                kind="solo" if i % 3 else "group",
                admin_managed=i % 4 == 3,
                position=i,
                questions=_QUESTIONS[: 1 + i % 3],
            )
        )
    dataset = Dataset(base_url=base, organization=organization, users=user_list, event_types=type_list)
    lo, hi = invitees_per_event
    back, span = timedelta(days=days_back), timedelta(days=days_back + days_ahead)
    for _ in range(scheduled_events):
        event_type = type_list[rng.randrange(len(type_list))] if type_list else None
        start = now - back + timedelta(minutes=15 * rng.randrange(max(1, int(span.total_seconds() // 900))))
        canceled = rng.random() < 0.12
        booked_at = min(now, start - timedelta(days=rng.randrange(1, 20)))
        event = new_scheduled_event(dataset, new_id(), event_type, start, booked_at=booked_at, rng=rng)
        for _ in range(rng.randint(lo, hi)):
            add_invitee(dataset, event, new_id(), rng=rng, now=now)
        invitees = dataset.invitees[uuid_from_uri(event["uri"])]
        if canceled:
            cancel_scheduled_event(dataset, event, at=min(now, start), reason="Conflict")
        elif start < now and rng.random() < 0.15 and invitees:
            invitee = invitees[0]
            invitee["no_show"] = {
                "uri": f"{base}/invitee_no_shows/{new_id()}",
                "created_at": iso(start + timedelta(hours=1)),
            }
    return dataset


def new_event_type(
    uri: str,
    owner: dict[str, Any],
    *,
    name: str,
    created: datetime,
    active: bool = True,
    duration: int = 30,
    kind: str = "solo",
    admin_managed: bool = False,
    position: int = 0,
    questions: list[str] | None = None,
) -> dict[str, Any]:
    """An event type of ``owner`` (a user) as Calendly describes one."""
    slug = name.lower().replace(" ", "-")
    return {
        "uri": uri,
        "name": name,
        "active": active,
        "booking_method": "instant",
        "slug": slug,
        "scheduling_url": f"{owner['scheduling_url']}/{slug}",
        "duration": duration,
        "duration_options": None,
        "kind": kind,
        "kind_description": "One-on-One" if kind == "solo" else "Group",
        "pooling_type": None,
        "type": "StandardEventType",
        "color": "#0069ff",
        "created_at": iso(created),
        "updated_at": iso(created),
        "internal_note": None,
        "description_plain": f"{name} with {owner['name']}",
        "description_html": f"<p>{name} with {owner['name']}</p>",
        "profile": {"type": "User", "name": owner["name"], "owner": owner["uri"]},
        "secret": False,
        "deleted_at": None,
        "admin_managed": admin_managed,
        "locations": [{"kind": "zoom_conference"}],
        "position": position,
        "custom_questions": [
            {
                "name": q,
                "type": "string",
                "position": p,
                "enabled": True,
                "required": p == 0,
                "answer_choices": [],
                "include_other": False,
            }
            for p, q in enumerate(questions or [])
        ],
        "locale": "en",
    }


def new_scheduled_event(
    dataset: Dataset,
    event_uuid: str,
    event_type: dict[str, Any] | None,
    start: datetime,
    *,
    booked_at: datetime,
    rng: random.Random,
) -> dict[str, Any]:
    """Create an active scheduled event hosted by the event type's owner."""
    duration = int(event_type["duration"]) if event_type else 30
    host = next(
        (u for u in dataset.users if event_type and u["uri"] == event_type["profile"]["owner"]), dataset.users[0]
    )
    end = start + timedelta(minutes=duration)
    event = {
        "uri": f"{dataset.base_url}/scheduled_events/{event_uuid}",
        "name": event_type["name"] if event_type else "Meeting",
        "meeting_notes_plain": None,
        "meeting_notes_html": None,
        "status": "active",
        "start_time": iso(start),
        "end_time": iso(end),
        "event_type": event_type["uri"] if event_type else None,
        "location": {**_LOCATIONS[rng.randrange(len(_LOCATIONS))]},
        "invitees_counter": {
            "total": 0,
            "active": 0,
            "limit": 1 if not event_type or event_type["kind"] == "solo" else 10,
        },
        "created_at": iso(booked_at),
        "updated_at": iso(booked_at),
        "event_memberships": [
            {
                "user": host["uri"],
                "user_email": host["email"],
                "user_name": host["name"],
                "buffered_start_time": iso(start),
                "buffered_end_time": iso(end),
            }
        ],
        "event_guests": (
            [
                {
                    "email": f"guest{rng.randrange(1000)}@partner.example",
                    "created_at": iso(booked_at),
                    "updated_at": iso(booked_at),
                }
            ]
            if rng.random() < 0.2
            else []
        ),
        "calendar_event": {"kind": "google", "external_id": event_uuid.replace("-", "")[:26]},
    }
    dataset.scheduled_events[event_uuid] = event
    dataset.invitees[event_uuid] = []
    return event


def add_invitee(
    dataset: Dataset,
    event: dict[str, Any],
    invitee_uuid: str,
    *,
    rng: random.Random,
    now: datetime,
    email: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Book one invitee onto a scheduled event (and count it)."""
    event_uuid = uuid_from_uri(event["uri"])
    first, last = _FIRST[rng.randrange(len(_FIRST))], _LAST[rng.randrange(len(_LAST))]
    if not name and email:
        # A booking made with an email only is named after it, as a person reading the email would.
        name = " ".join(w.capitalize() for w in re.split(r"[._+-]+", email.partition("@")[0]) if w) or None
    if name:
        first, _, last = name.partition(" ")
    created = min(now, parse_utc(event["created_at"]))
    invitee = {
        "uri": f"{event['uri']}/invitees/{invitee_uuid}",
        "email": email or f"{first}.{last}.{invitee_uuid[:6]}@client.example".lower(),
        "first_name": first,
        "last_name": last or None,
        "name": f"{first} {last}".strip(),
        "status": "active",
        "questions_and_answers": [
            {"question": q, "answer": _ANSWERS[q][rng.randrange(len(_ANSWERS[q]))], "position": p}
            for p, q in enumerate(_QUESTIONS[: rng.randrange(0, 3)])
        ],
        "timezone": "America/New_York",
        "event": event["uri"],
        "created_at": iso(created),
        "updated_at": iso(created),
        "tracking": {
            "utm_campaign": "spring" if rng.random() < 0.3 else None,
            "utm_source": "newsletter" if rng.random() < 0.3 else None,
            "utm_medium": None,
            "utm_content": None,
            "utm_term": None,
            "salesforce_uuid": None,
        },
        "text_reminder_number": None,
        "rescheduled": False,
        "old_invitee": None,
        "new_invitee": None,
        "cancel_url": f"https://calendly.com/cancellations/{invitee_uuid}",
        "reschedule_url": f"https://calendly.com/reschedulings/{invitee_uuid}",
        "routing_form_submission": None,
        "payment": (
            {
                "external_id": f"ch_{invitee_uuid[:12]}",
                "provider": "stripe",
                "amount": 50.0,
                "currency": "USD",
                "terms": "Paid in advance",
                "successful": True,
            }
            if rng.random() < 0.1
            else None
        ),
        "no_show": None,
        "reconfirmation": {"created_at": iso(created), "confirmed_at": None} if rng.random() < 0.1 else None,
        "scheduling_method": None,
        "invitee_scheduled_by": None,
    }
    dataset.invitees[event_uuid].append(invitee)
    counter = event["invitees_counter"]
    counter["total"] += 1
    counter["active"] += 1
    return invitee


def cancellation(canceled_by: str, reason: str | None, canceler_type: str, at: datetime) -> dict[str, Any]:
    """A cancellation as Calendly describes one: who canceled (a host or the invitee), why and when."""
    return {"canceled_by": canceled_by, "reason": reason, "canceler_type": canceler_type, "created_at": iso(at)}


def cancel_invitee_record(
    event: dict[str, Any], invitee: dict[str, Any], details: dict[str, Any], *, touch: bool
) -> None:
    """Cancel one active invitee (``details``: its cancellation); the event is canceled with its last one.

    :param touch: Move the ``updated_at`` of the invitee and the event to the cancellation's time.
    """
    invitee["status"] = "canceled"
    invitee["cancellation"] = dict(details)
    counter = event["invitees_counter"]
    counter["active"] = max(0, counter["active"] - 1)
    if counter["active"] == 0 and event["status"] == "active":
        event["status"] = "canceled"
        event["cancellation"] = dict(details)
    if touch:
        invitee["updated_at"] = event["updated_at"] = details["created_at"]


def cancel_scheduled_event(
    dataset: Dataset, event: dict[str, Any], *, at: datetime, reason: str | None, touch: bool = True
) -> list[dict[str, Any]]:
    """Cancel an event and all its active invitees, host-side; return the invitees it canceled."""
    host = event["event_memberships"][0]["user_name"] if event["event_memberships"] else "Host"
    details = cancellation(host, reason, "host", at)
    active = [i for i in dataset.invitees[uuid_from_uri(event["uri"])] if i["status"] == "active"]
    for invitee in active:
        cancel_invitee_record(event, invitee, details, touch=touch)
    if event["status"] == "active":  # an event nobody was booked into
        event["status"] = "canceled"
        event["cancellation"] = details
        if touch:
            event["updated_at"] = details["created_at"]
    return active


# --- organization sizes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgSize:
    """The size of a synthetic organization: hosts, their meetings a day, and how far back and ahead they reach.

    :param hosts: Users hosting meetings.
    :param meetings_per_host_per_day: Meetings each host has a day, on average.
    :param days_back: Days of past meetings.
    :param days_ahead: Days of booked future meetings (Calendly lets invitees book 60 days ahead by default).
    :param event_types_per_host: Event types each host owns.
    """

    hosts: int = 3
    meetings_per_host_per_day: float = 1.25
    days_back: float = 60
    days_ahead: float = 60
    event_types_per_host: float = 2

    def dataset_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`build_dataset` for this size."""
        return {
            "users": self.hosts,
            "event_types": max(1, round(self.hosts * self.event_types_per_host)),
            "meetings_per_host_per_day": self.meetings_per_host_per_day,
            "days_back": self.days_back,
            "days_ahead": self.days_ahead,
        }


#: Named sizes: ``medium`` is a mid-size sales team (50 hosts, 4 meetings a day, bookings 60 days ahead).
PRESETS: dict[str, OrgSize] = {
    "tiny": OrgSize(hosts=2, meetings_per_host_per_day=1, days_back=10, days_ahead=10),
    "small": OrgSize(),
    "medium": OrgSize(hosts=50, meetings_per_host_per_day=4, days_back=30, days_ahead=60),
    "large": OrgSize(hosts=200, meetings_per_host_per_day=5, days_back=60, days_ahead=60),
}


def org_size(preset: str | None = None, **overrides: Any) -> OrgSize:
    """Return the ``preset`` size (default ``small``) with any of :class:`OrgSize`'s fields overridden."""
    name = preset or "small"
    if name not in PRESETS:
        raise ValueError(f"unknown organization preset {name!r}; choose from {sorted(PRESETS)}")
    values = {**PRESETS[name].__dict__, **{k: v for k, v in overrides.items() if v is not None}}
    return OrgSize(**values)
