"""A synthetic, in-process stand-in for CalendlyHook that generates any number of objects lazily.

It serves the subset of the hook the transfer uses (listing event types, scheduled events sorted by start
time, and each event's invitees) without HTTP, and builds every page on demand, so a benchmark of a
100 000-invitee sync measures the loader, not the source: the source itself holds O(page) objects.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_calendly.models import EventType, Invitee, Page, Pagination, ScheduledEvent, User

BASE = "https://api.calendly.test"
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def synthetic_invitee(event_uri: str, i: int, j: int, start: datetime) -> Invitee:
    """One realistic invitee (answers, tracking, no-show on some)."""
    return Invitee(
        uri=f"{event_uri}/invitees/I{j:04d}",
        event=event_uri,
        email=f"person{i}.{j}@example.com",
        name=f"Person {i} {j}",
        first_name="Person",
        last_name=f"{i}-{j}",
        status="canceled" if (i + j) % 17 == 0 else "active",
        timezone="Europe/Paris",
        questions_and_answers=[
            {"question": "What would you like to discuss?", "answer": f"Topic {i % 13}", "position": 0},
            {"question": "Company size", "answer": ["1-10", "11-50", "51-200"][j % 3], "position": 1},
        ],
        tracking={"utm_source": "newsletter" if i % 2 else "ads", "utm_campaign": f"c{i % 7}"},
        no_show={"uri": f"{BASE}/invitee_no_shows/N{i}-{j}", "created_at": start + timedelta(hours=1)}
        if (i * 7 + j) % 23 == 0
        else None,
        rescheduled=False,
        created_at=start - timedelta(days=3),
        updated_at=start - timedelta(days=3),
        cancel_url=f"https://calendly.com/cancellations/{i}-{j}",
        reschedule_url=f"https://calendly.com/reschedulings/{i}-{j}",
    )


def synthetic_event(i: int, invitees_per_event: int) -> ScheduledEvent:
    start = EPOCH + timedelta(minutes=30 * i)
    uri = f"{BASE}/scheduled_events/E{i:08d}"
    return ScheduledEvent(
        uri=uri,
        name=f"Meeting type {i % 5}",
        status="active",
        start_time=start,
        end_time=start + timedelta(minutes=30),
        event_type=f"{BASE}/event_types/ET{i % 5}",
        location={"type": "zoom", "join_url": f"https://zoom.example/{i}"},
        invitees_counter={"total": invitees_per_event, "active": invitees_per_event, "limit": invitees_per_event},
        event_memberships=[{"user": f"{BASE}/users/U{i % 3}", "user_email": f"host{i % 3}@example.com"}],
        event_guests=[{"email": f"guest{i}@example.com", "created_at": start}] if i % 4 == 0 else [],
        created_at=start - timedelta(days=3),
        updated_at=start - timedelta(days=3),
    )


class _Listing:
    def __init__(self, source: SyntheticCalendly, total: int, make: Any, page_size: int, start: int = 0) -> None:
        self.source, self.total, self.make, self.page_size, self.start = source, total, make, page_size, start
        self.pages_fetched = 0

    def pages(self) -> Iterator[Page[Any]]:
        for offset in range(self.start, max(self.total, self.start + 1), self.page_size):
            with self.source.lock:
                self.source.call_count += 1
            self.pages_fetched += 1
            items = [self.make(k) for k in range(offset, min(offset + self.page_size, self.total))]
            yield Page(collection=items, pagination=Pagination(count=len(items)))

    def __iter__(self) -> Iterator[Any]:
        for page in self.pages():
            yield from page.collection


class SyntheticCalendly:
    """Duck-typed CalendlyHook over ``events`` scheduled events with ``invitees_per_event`` invitees each.

    :param events: Number of scheduled events.
    :param invitees_per_event: Invitees of each event.
    """

    rate_limit = 1_000_000
    rate_limit_period = 60.0
    base_url = BASE

    def __init__(self, *, events: int, invitees_per_event: int) -> None:
        self.events = events
        self.invitees_per_event = invitees_per_event
        self.call_count = 0
        self.lock = threading.Lock()

    def get_current_user(self) -> User:
        return User(uri=f"{BASE}/users/U0", current_organization=f"{BASE}/organizations/O1")

    def resource_uri(self, collection: str, uuid_or_uri: str) -> str:
        return uuid_or_uri if "/" in uuid_or_uri else f"{BASE}/{collection}/{uuid_or_uri}"

    def organization_uri(self, organization: str | None = None) -> str:
        return self.resource_uri("organizations", organization or str(self.get_current_user().current_organization))

    def list_event_types(self, **_: Any) -> _Listing:
        return _Listing(
            self, 5, lambda k: EventType(uri=f"{BASE}/event_types/ET{k}", name=f"Type {k}", active=True), 100
        )

    def list_scheduled_events(
        self, *, min_start_time: datetime | None = None, sort: str | None = None, page_size: int = 100, **_: Any
    ) -> _Listing:
        first = 0
        if min_start_time is not None:
            first = max(0, int((min_start_time - EPOCH).total_seconds() // 1800))
        if sort == "start_time:desc":
            last = self.events - 1
            return _Listing(self, 1, lambda _k: synthetic_event(last, self.invitees_per_event), 1)
        return _Listing(self, self.events, lambda k: synthetic_event(k, self.invitees_per_event), page_size, first)

    def list_event_invitees(self, event_uri: str, *, page_size: int = 100, **_: Any) -> _Listing:
        i = int(event_uri.rsplit("E", 1)[1])
        start = EPOCH + timedelta(minutes=30 * i)
        return _Listing(self, self.invitees_per_event, lambda j: synthetic_invitee(event_uri, i, j, start), page_size)
