"""The emulator behaves like Calendly over real HTTP (checked with plain ``requests``, not our hook)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_calendly.models import Invitee, Page, ScheduledEvent
from airflow_provider_calendly.testing import CalendlyEmulator, build_dataset


@pytest.fixture
def session(calendly_emulator: CalendlyEmulator) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {calendly_emulator.token}"
        yield s


def _org(emulator: CalendlyEmulator) -> str:
    return str(emulator.data.organization["uri"])


def _walk(s: requests.Session, url: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages = 0
    token = None
    while True:
        body = s.get(url, params={**params, **({"page_token": token} if token else {})}).json()
        Page[ScheduledEvent].model_validate(body) if "/invitees" not in url else Page[Invitee].model_validate(body)
        items += body["collection"]
        pages += 1
        assert body["pagination"]["count"] == len(body["collection"])
        token = body["pagination"]["next_page_token"]
        if not token:
            assert body["pagination"]["next_page"] is None
            return items, pages
        assert f"page_token={token}" in body["pagination"]["next_page"]


def test_dataset_is_deterministic() -> None:
    a = build_dataset("http://x", seed=7, scheduled_events=40)
    b = build_dataset("http://x", seed=7, scheduled_events=40)
    c = build_dataset("http://x", seed=8, scheduled_events=40)
    assert a == b
    assert a != c
    statuses = {e["status"] for e in a.scheduled_events.values()}
    assert statuses == {"active", "canceled"}


@pytest.mark.parametrize("count", [1, 7, 20, 100])
def test_pagination_walks_every_item_once(
    calendly_emulator: CalendlyEmulator, session: requests.Session, count: int
) -> None:
    items, pages = _walk(
        session,
        f"{calendly_emulator.base_url}/scheduled_events",
        {"organization": _org(calendly_emulator), "count": count},
    )
    total = calendly_emulator.count_scheduled_events()
    assert len(items) == len({i["uri"] for i in items}) == total
    assert pages == math.ceil(total / count)
    starts = [i["start_time"] for i in items]
    assert starts == sorted(starts)


def test_filters(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    url = f"{calendly_emulator.base_url}/scheduled_events"
    org = _org(calendly_emulator)
    canceled, _ = _walk(session, url, {"organization": org, "status": "canceled", "count": 100})
    expected = [e for e in calendly_emulator.data.scheduled_events.values() if e["status"] == "canceled"]
    assert {e["uri"] for e in canceled} == {e["uri"] for e in expected}
    starts = sorted(e["start_time"] for e in calendly_emulator.data.scheduled_events.values())
    lo, hi = starts[len(starts) // 4], starts[len(starts) // 2]
    window, _ = _walk(session, url, {"organization": org, "min_start_time": lo, "max_start_time": hi})
    assert window
    assert all(lo <= e["start_time"] < hi for e in window)
    desc, _ = _walk(session, url, {"organization": org, "sort": "start_time:desc", "count": 9})
    assert [e["start_time"] for e in desc] == sorted((e["start_time"] for e in desc), reverse=True)
    active_types = session.get(
        f"{calendly_emulator.base_url}/event_types", params={"organization": org, "active": "false"}
    ).json()["collection"]
    assert active_types
    assert all(not t["active"] for t in active_types)


def test_errors_have_calendly_shape(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    base = calendly_emulator.base_url
    r = requests.get(f"{base}/users/me", headers={"Authorization": "Bearer wrong"}, timeout=5)
    assert r.status_code == 401
    assert r.json() == {"title": "Unauthenticated", "message": "The access token is invalid"}
    r = session.get(f"{base}/event_types/does-not-exist")
    assert r.status_code == 404
    assert r.json()["title"] == "Resource Not Found"
    r = session.get(f"{base}/scheduled_events", params={"organization": _org(calendly_emulator), "count": 101})
    assert r.status_code == 400
    assert r.json()["details"][0]["parameter"] == "count"
    r = session.get(f"{base}/scheduled_events")
    assert r.status_code == 400
    r = session.get(f"{base}/scheduled_events", params={"organization": _org(calendly_emulator), "page_token": "%%%"})
    assert r.status_code == 400


def test_rate_limit_headers_and_window_reset() -> None:
    clock = [0.0]
    with CalendlyEmulator(rate_limit=3, rate_limit_period=10, monotonic=lambda: clock[0], scheduled_events=5) as emu:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {emu.token}"
        answers = [s.get(f"{emu.base_url}/users/me") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert answers[3].headers["Retry-After"] == "10"
        assert answers[3].json()["title"] == "Too Many Requests"
        clock[0] = 10.0
        assert s.get(f"{emu.base_url}/users/me").status_code == 200
        assert emu.count(status=429) == 1


def test_faults(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    url = f"{calendly_emulator.base_url}/users/me"
    calendly_emulator.set_faults(next_errors=1, error_statuses=[503])
    assert session.get(url).status_code == 503
    calendly_emulator.set_faults(next_drops=1)
    with pytest.raises(requests.ConnectionError):
        session.get(url)
    calendly_emulator.set_faults(next_malformed=1)
    with pytest.raises(ValueError):
        session.get(url).json()
    calendly_emulator.set_faults(rate_limit_storm=2, storm_headers=False)
    storm = [session.get(url) for _ in range(3)]
    assert [r.status_code for r in storm] == [429, 429, 200]
    assert "Retry-After" not in storm[0].headers
    calendly_emulator.clear_faults()
    assert session.get(url).status_code == 200


def test_pagination_faults(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    url = f"{calendly_emulator.base_url}/scheduled_events"
    params = {"organization": _org(calendly_emulator), "count": 50}
    calendly_emulator.set_faults(empty_page_with_token=1)
    items, pages = _walk(session, url, params)
    assert len({i["uri"] for i in items}) == calendly_emulator.count_scheduled_events()
    assert pages == math.ceil(calendly_emulator.count_scheduled_events() / 50) + 1
    calendly_emulator.set_faults(repeat_page_token=True)
    params["count"] = 10
    first = session.get(url, params=params).json()["pagination"]["next_page_token"]
    second = session.get(url, params={**params, "page_token": first}).json()["pagination"]["next_page_token"]
    assert second == first


def test_no_show_lifecycle_and_drop_after_commit(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    base = calendly_emulator.base_url
    invitee = next(i for invs in calendly_emulator.data.invitees.values() for i in invs if i["no_show"] is None)
    assert invitee["uri"].startswith("https://api.calendly.com/scheduled_events/")  # canonical, like Calendly
    created = session.post(f"{base}/invitee_no_shows", json={"invitee": invitee["uri"]})
    assert created.status_code == 201
    no_show = created.json()["resource"]
    assert no_show["uri"].startswith("https://api.calendly.com/invitee_no_shows/")
    assert session.get(calendly_emulator.url_for(invitee["uri"])).json()["resource"]["no_show"]["uri"] == no_show["uri"]
    again = session.post(f"{base}/invitee_no_shows", json={"invitee": invitee["uri"]})
    assert again.status_code == 422
    assert session.delete(calendly_emulator.url_for(no_show["uri"])).status_code == 204
    assert session.get(calendly_emulator.url_for(no_show["uri"])).status_code == 404
    assert session.delete(calendly_emulator.url_for(no_show["uri"])).status_code == 404
    calendly_emulator.set_faults(drop_after_commit=1)
    with pytest.raises(requests.ConnectionError):
        session.post(f"{base}/invitee_no_shows", json={"invitee": invitee["uri"]})
    assert (
        session.get(calendly_emulator.url_for(invitee["uri"])).json()["resource"]["no_show"] is not None
    )  # committed despite the drop


def test_mutations_emit_events_and_show_in_listings(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    calendly_emulator.add_listener(lambda name, payload: seen.append((name, payload)))
    before = calendly_emulator.count_scheduled_events()
    event, invitee = calendly_emulator.book(invitee_email="new@client.example")
    assert calendly_emulator.count_scheduled_events() == before + 1
    assert session.get(calendly_emulator.url_for(event["uri"])).json()["resource"]["status"] == "active"
    calendly_emulator.cancel_invitee(invitee["uri"], reason="sick")
    fetched = session.get(calendly_emulator.url_for(invitee["uri"])).json()["resource"]
    assert fetched["status"] == "canceled"
    assert fetched["cancellation"]["reason"] == "sick"
    assert [name for name, _ in seen] == ["invitee.created", "invitee.canceled"]
    assert seen[0][1]["scheduled_event"]["uri"] == event["uri"]
    stats = session.get(f"{calendly_emulator.base_url}/_emulator/stats").json()
    assert stats["total"] == calendly_emulator.stats()["total"] >= 2
