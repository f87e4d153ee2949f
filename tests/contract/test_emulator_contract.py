"""The emulator against the project's schemas of Calendly's contract, and the hook's requests against its
parameter rules: what the emulator serves conforms, what it refuses Calendly refuses, and the hook only
sends what Calendly accepts (parameter names, lowercase booleans, canonical URIs)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from airflow_provider_calendly.exceptions import CalendlyAuthError, CalendlyConfigError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from tests.contract.schemas import CANONICAL, LIST_PARAMETERS, OTHER_PARAMETERS, page_violations, violations


def _ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert header in response.headers, f"{header} missing on {response.request.method} {response.url}"
    return response.json() if response.content else None


def test_every_endpoint_the_provider_uses_serves_conforming_bodies(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    base, org = calendly_emulator.base_url, calendly_emulator.data.organization["uri"]
    me = _ok(session.get(f"{base}/users/me"))["resource"]
    assert violations("User", me) == []
    assert violations("User", _ok(session.get(calendly_emulator.url_for(me["uri"])))["resource"]) == []

    types = _ok(session.get(f"{base}/event_types", params={"organization": org, "count": 5}))
    assert page_violations("EventType", types) == []
    assert types["pagination"]["next_page"].startswith(f"{CANONICAL}/event_types?")
    one_type = _ok(session.get(calendly_emulator.url_for(types["collection"][0]["uri"])))["resource"]
    assert violations("EventType", one_type) == []

    events = _ok(session.get(f"{base}/scheduled_events", params={"organization": org, "count": 100}))
    assert page_violations("ScheduledEvent", events) == []
    assert {e["status"] for e in events["collection"]} == {"active", "canceled"}  # both shapes checked
    event = events["collection"][0]
    assert violations("ScheduledEvent", _ok(session.get(calendly_emulator.url_for(event["uri"])))["resource"]) == []

    invitees = [
        i
        for e in events["collection"]
        for i in _ok(session.get(calendly_emulator.url_for(e["uri"]) + "/invitees", params={"count": 100}))[
            "collection"
        ]
    ]
    assert invitees and all(violations("Invitee", i) == [] for i in invitees)
    assert any(i["payment"] for i in invitees) and any(i["no_show"] for i in invitees)
    fresh = next(i for i in invitees if i["no_show"] is None)
    assert violations("Invitee", _ok(session.get(calendly_emulator.url_for(fresh["uri"])))["resource"]) == []

    no_show = _ok(session.post(f"{base}/invitee_no_shows", json={"invitee": fresh["uri"]}), 201)["resource"]
    assert violations("NoShow", no_show) == []
    assert violations("NoShow", _ok(session.get(calendly_emulator.url_for(no_show["uri"])))["resource"]) == []
    _ok(session.delete(calendly_emulator.url_for(no_show["uri"])), 204)

    body = {
        "url": "https://hooks.example/in",
        "events": ["invitee.created"],
        "organization": org,
        "scope": "organization",
    }
    sub = _ok(session.post(f"{base}/webhook_subscriptions", json=body), 201)["resource"]
    assert violations("WebhookSubscription", sub) == []
    listed = _ok(session.get(f"{base}/webhook_subscriptions", params={"organization": org, "scope": "organization"}))
    assert page_violations("WebhookSubscription", listed) == []
    assert violations("WebhookSubscription", _ok(session.get(calendly_emulator.url_for(sub["uri"])))["resource"]) == []
    _ok(session.delete(calendly_emulator.url_for(sub["uri"])), 204)


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/event_types", {"count": "0"}, "count"),
        ("/event_types", {"count": "101"}, "count"),
        ("/event_types", {"count": "ten"}, "count"),
        ("/event_types", {"active": "True"}, "active"),
        ("/event_types", {"admin_managed": "1"}, "admin_managed"),
        ("/event_types", {"organization": None, "user": "not-a-uri"}, "user"),
        ("/event_types", {"organization": "https://api.calendly.com/users/ABC"}, "organization"),
        ("/event_types", {"organization": None}, "organization"),  # neither user nor organization
        ("/scheduled_events", {"status": "done"}, "status"),
        ("/scheduled_events", {"sort": "name:up"}, "sort"),
        ("/scheduled_events", {"min_start_time": "yesterday"}, "min_start_time"),
        ("/webhook_subscriptions", {"scope": "everyone"}, "scope"),
    ],
)
def test_parameter_violations_are_400_with_details(
    calendly_emulator: CalendlyEmulator,
    session: requests.Session,
    path: str,
    params: dict[str, str | None],
    parameter: str,
) -> None:
    query = {"organization": calendly_emulator.data.organization["uri"], "scope": "organization", **params}
    response = session.get(f"{calendly_emulator.base_url}{path}", params={k: v for k, v in query.items() if v})
    body = _ok(response, 400)
    assert violations("Error", body) == []
    assert body["title"] == "Invalid Argument"
    assert parameter in {d.get("parameter") for d in body["details"]}


def test_error_bodies_conform(calendly_emulator: CalendlyEmulator, session: requests.Session) -> None:
    base = calendly_emulator.base_url
    assert violations("Error", _ok(session.get(f"{base}/event_types/nope"), 404)) == []
    unauthenticated = requests.get(f"{base}/users/me", headers={"Authorization": "Bearer wrong"}, timeout=5)
    assert unauthenticated.status_code == 401 and violations("Error", unauthenticated.json()) == []


def test_rate_limit_headers_announce_a_limit_that_never_binds(
    calendly_emulator: CalendlyEmulator, session: requests.Session
) -> None:
    first = session.get(f"{calendly_emulator.base_url}/users/me")
    second = session.get(f"{calendly_emulator.base_url}/users/me")
    limit = int(first.headers["X-RateLimit-Limit"])
    assert limit >= 1_000_000
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1
    hook = CalendlyHook()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", calendly_emulator.connection_json())
        list(hook.list_event_types())
        assert hook.throttled_seconds == 0.0  # a client that follows the headers is not left at 100 / 60 s


def test_enforced_limit_is_what_the_headers_say() -> None:
    with CalendlyEmulator(rate_limit=7, rate_limit_period=60, scheduled_events=1) as emulator:
        response = requests.get(
            f"{emulator.base_url}/users/me", headers={"Authorization": f"Bearer {emulator.token}"}, timeout=5
        )
        assert (response.headers["X-RateLimit-Limit"], response.headers["X-RateLimit-Remaining"]) == ("7", "6")


# --- scopes ------------------------------------------------------------------------------------------------


def test_a_token_without_a_scope_gets_permission_denied_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with CalendlyEmulator(scopes=["users:read", "event_types:read"], scheduled_events=5) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json())
        raw = requests.get(
            f"{emulator.base_url}/scheduled_events",
            params={"organization": emulator.data.organization["uri"]},
            headers={"Authorization": f"Bearer {emulator.token}"},
            timeout=5,
        )
        assert raw.status_code == 403
        assert raw.json()["title"] == "Permission Denied"
        assert raw.json()["required_scopes"] == ["scheduled_events:read"]
        hook = CalendlyHook()
        assert len(list(hook.list_event_types())) == emulator.count_event_types()
        with pytest.raises(CalendlyAuthError, match="scheduled_events:read") as denied:
            list(hook.list_scheduled_events())
        assert denied.value.status_code == 403
        emulator.reset_stats()
        ok, message = hook.test_connection()
        assert ok
        assert "can read event types" in message
        assert "scheduled events (needs scheduled_events:read)" in message
        assert "webhook subscriptions (needs webhooks:read)" in message
        assert emulator.count() == 10  # /users/me is cached on the hook: one probe per read scope


def test_a_write_scope_includes_its_read_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    with CalendlyEmulator(scopes=["users:read", "scheduled_events:write"], scheduled_events=5) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json())
        assert len(list(CalendlyHook().list_scheduled_events())) == emulator.count_scheduled_events()
        emulator.add_token("narrow", scopes=["users:read"])
        monkeypatch.setenv(
            "AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json().replace(emulator.token, "narrow")
        )
        with pytest.raises(CalendlyAuthError, match="event_types:read"):
            list(CalendlyHook().list_event_types())


# --- the hook's requests -----------------------------------------------------------------------------------


def _rule_of(path: str) -> dict[str, str] | None:
    for pattern, rule in {**LIST_PARAMETERS, **OTHER_PARAMETERS}.items():
        if re.fullmatch(pattern.replace("*", "[^/]+"), path):
            return rule
    return None


def _param_problems(path: str, query: dict[str, str]) -> list[str]:
    rule = _rule_of(path)
    if rule is None:
        return [f"{path}: unexpected query {query}"] if query else []
    problems = []
    for name, value in query.items():
        kind = rule.get(name)
        if kind is None:
            problems.append(f"{path}: unknown parameter {name}")
        elif kind == "bool" and value not in {"true", "false"}:
            problems.append(f"{path}: {name}={value!r} is not lowercase true/false")
        elif kind == "count" and not (value.isdigit() and 1 <= int(value) <= 100):
            problems.append(f"{path}: count={value!r} outside 1-100")
        elif kind.startswith("ref:") and not re.fullmatch(rf"{CANONICAL}/{kind[4:]}/[^/?#]+", value):
            problems.append(f"{path}: {name}={value!r} is not a canonical URI")
        elif kind.startswith("enum:") and value not in kind[5:].split("|"):
            problems.append(f"{path}: {name}={value!r} not in {kind[5:]}")
        elif kind.startswith("sort:") and not all(
            field in kind[5:].split("|") and direction in {"asc", "desc"}
            for field, _, direction in (part.partition(":") for part in value.split(","))
        ):
            problems.append(f"{path}: sort={value!r} is not a list of {kind[5:]} with asc or desc")
    return problems


def test_every_hook_request_conforms(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    hook = CalendlyHook(calendly_conn)
    data = calendly_emulator.data
    user = data.users[1]["uri"]
    list(hook.list_event_types(active=True, admin_managed=False, sort="name:asc", page_size=3))
    list(hook.list_event_types(user=user.rsplit("/", 1)[-1]))
    events = list(hook.list_scheduled_events(status="active", min_start_time="2025-12-01", page_size=50))
    list(hook.list_scheduled_events(organization=data.organization["uri"], user=user, status="canceled"))
    invitee = next(i for e in events for i in hook.list_event_invitees(e.uri, status="active") if i.no_show is None)
    no_show = hook.create_invitee_no_show(invitee.uri)
    hook.get_invitee_no_show(no_show.uri)
    hook.delete_invitee_no_show(no_show.uuid)
    sub = hook.create_webhook_subscription("https://hooks.example/in", ["invitee.created"])
    list(hook.list_webhook_subscriptions())
    hook.delete_webhook_subscription(sub.uri)
    records = calendly_emulator.requests
    assert {r.status for r in records} <= {200, 201, 204}
    assert [p for r in records for p in _param_problems(r.path, r.query)] == []
    assert no_show.invitee == invitee.uri and invitee.uri.startswith(f"{CANONICAL}/scheduled_events/")
    assert sub.organization == data.organization["uri"]


def test_uris_are_canonical_or_on_the_base_url_and_nothing_else(calendly_emulator: CalendlyEmulator) -> None:
    hook = CalendlyHook()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", calendly_emulator.connection_json())
        base = calendly_emulator.base_url
        assert hook.resource_uri("users", f"{base}/users/U1") == f"{CANONICAL}/users/U1"
        assert hook.resource_uri("users", f"{CANONICAL}/users/U1") == f"{CANONICAL}/users/U1"
        assert hook.resource_uri("users", "U1") == f"{CANONICAL}/users/U1"
        for foreign in (
            "https://evil.example/users/U1",
            "http://api.calendly.com/users/U1",  # the canonical host, but not over https
            f"{CANONICAL}/users/U1?x=1",
            f"{CANONICAL}/event_types/U1",  # another collection
            f"{CANONICAL}/users/U1/extra",
            f"{CANONICAL}/users/../users/U1",
        ):
            with pytest.raises(CalendlyConfigError):
                hook.resource_uri("users", foreign)
        with pytest.raises(CalendlyConfigError, match="refusing to send the token to another host"):
            hook.get_invitee_no_show("https://evil.example/invitee_no_shows/N1")
        assert calendly_emulator.count() == 0  # refused before any request


def test_the_old_base_url_uris_still_work_with_the_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    with CalendlyEmulator(base_url_uris=True, scheduled_events=5) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json())
        assert emulator.uri_base == emulator.base_url
        hook = CalendlyHook()
        events = list(hook.list_scheduled_events())  # the organization filter goes out canonical
        assert len(events) == emulator.count_scheduled_events()
        assert events[0].uri.startswith(emulator.base_url)
        assert hook.get_scheduled_event(events[0].uri).uri == events[0].uri  # a base-URL URI is accepted
        assert emulator.requests[-2].query["organization"].startswith(f"{CANONICAL}/organizations/")
