"""Narrow unit tests of CalendlyHook at the HTTP level (``responses``); end-to-end tests use the emulator."""

from __future__ import annotations

import json
import pickle

import pytest
import requests
import responses

from airflow_provider_calendly.exceptions import (
    CalendlyAPIError,
    CalendlyAuthError,
    CalendlyConfigError,
    CalendlyConnectionError,
    CalendlyNotFoundError,
    CalendlyPaginationError,
    CalendlyRateLimitError,
    CalendlyServerError,
)
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from tests.conftest import FakeClock

API = "https://api.calendly.test"  # the connection's base URL: where requests go
CANONICAL = "https://api.calendly.com"  # where Calendly's resource URIs live, whatever the base URL
TOKEN = "unit-test-token-123"
ORG = f"{CANONICAL}/organizations/ORG1"
ME = {
    "resource": {
        "uri": f"{CANONICAL}/users/ME1",
        "name": "Ada",
        "email": "ada@example.com",
        "current_organization": ORG,
    }
}


def _event_type(i: int) -> dict[str, object]:
    return {"uri": f"{API}/event_types/ET{i}", "name": f"Type {i}", "active": True}


def _page(items: list[dict[str, object]], next_token: str | None) -> dict[str, object]:
    return {
        "collection": items,
        "pagination": {"count": len(items), "next_page_token": next_token, "next_page": None},
    }


@pytest.fixture
def hook(calendly_env_conn: str, fake_clock: FakeClock) -> CalendlyHook:
    return CalendlyHook(calendly_conn_id=calendly_env_conn, clock=fake_clock, sleep=fake_clock.sleep)


@pytest.fixture
def api() -> responses.RequestsMock:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# --- connection --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conn", "message"),
    [
        ({"conn_type": "calendly"}, "has no token"),
        ({"conn_type": "calendly", "password": "   "}, "has no token"),
        ({"conn_type": "calendly", "password": "t", "extra": {"rate_limt": 5}}, "unknown extra key(s) ['rate_limt']"),
        ({"conn_type": "calendly", "password": "t", "extra": {"rate_limit": "many"}}, "rate_limit"),
        ({"conn_type": "calendly", "password": "t", "extra": {"timeout": True}}, "timeout"),
        ({"conn_type": "calendly", "password": "t", "extra": {"max_retries": -1}}, "max_retries"),
        ({"conn_type": "calendly", "password": "t", "host": "ftp://api.calendly.com"}, "base_url"),
    ],
)
def test_invalid_connection_fails_before_any_call(
    monkeypatch: pytest.MonkeyPatch, api: responses.RequestsMock, conn: dict[str, object], message: str
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_BAD", json.dumps(conn))
    with pytest.raises(CalendlyConfigError) as err:
        CalendlyHook("bad").get_current_user()
    assert message in str(err.value)
    assert len(api.calls) == 0


def test_connection_defaults_and_host_without_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_C1", json.dumps({"conn_type": "calendly", "password": "t"}))
    monkeypatch.setenv(
        "AIRFLOW_CONN_C2", json.dumps({"conn_type": "calendly", "password": "t", "host": "example.org/"})
    )
    hook1 = CalendlyHook("c1")
    s1, s2 = hook1.settings, CalendlyHook("c2").settings
    assert (s1.base_url, s1.rate_limit, s1.rate_limit_period, s1.timeout, s1.max_retries) == (
        "https://api.calendly.com",
        None,  # not configured: distinguishable from a limit the user set
        60.0,
        30.0,
        5,
    )
    # the documented default still applies, as the limiter's starting guess
    assert (hook1.rate_limit, hook1.rate_limit_period) == (100, 60.0)
    assert hook1.rate_limiter.configured is False  # type: ignore[attr-defined]
    assert s2.base_url == "https://example.org"


def test_token_sent_as_bearer_and_never_shown(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/users/me", json=ME)
    user = hook.get_current_user()
    assert user.name == "Ada"
    assert api.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    for text in (repr(hook), repr(hook.settings), str(hook.settings), repr(hook.session.auth)):
        assert TOKEN not in str(text)


def test_current_user_is_cached(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/users/me", json=ME)
    assert hook.get_current_user() is hook.get_current_user()
    assert len(api.calls) == 1


def test_test_connection_reports_user_or_reason(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/users/me", json=ME)
    scope_denied = {
        "title": "Permission Denied",
        "message": "This operation requires the scopes listed in the 'required_scopes' array.",
        "required_scopes": ["scheduled_events:read"],
    }
    api.get(f"{API}/scheduled_events", status=403, json=scope_denied)
    plan_denied = {"title": "Permission Denied", "message": "Please upgrade your Calendly account to Enterprise."}
    api.get(f"{API}/activity_log_entries", status=403, json=plan_denied)
    api.get(f"{API}/organizations/ORG1", json={"resource": {"uri": ORG, "name": "Acme"}})
    for path in (
        "event_types",
        "webhook_subscriptions",
        "groups",
        "routing_forms",
        "outgoing_communications",
        "contacts",
        "meeting_recaps",
        "shares",
    ):
        api.get(f"{API}/{path}", json=_page([], None))
    for path in ("user_availability_schedules", "locations"):
        api.get(f"{API}/{path}", json={"collection": []})
    ok, message = hook.test_connection()
    assert ok and message.startswith(
        "Connected to Calendly as Ada <ada@example.com>; can read event types, webhook subscriptions, the "
        "organization, groups, routing forms, availability, locations, outgoing communications, contacts, meeting "
        "recaps, shares; cannot read "
        "scheduled events (needs scheduled_events:read), the activity log (Please upgrade your Calendly account "
        "to Enterprise.); a default sync needs activity_log:read, availability:read, contacts:read, event_types:read, "
    )
    assert message.endswith("without scheduled_events:read it cannot read scheduled_events, invitees")
    assert len(api.calls) == 14  # one identity call, one single-item read per read scope
    paged = [c.request.url for c in api.calls if "organization=" in c.request.url]  # the organization's listings
    assert len(paged) == 7 and all("count=1" in url for url in paged)
    bad = CalendlyHook("calendly_default")
    api.replace(
        responses.GET,
        f"{API}/users/me",
        status=401,
        json={"title": "Unauthenticated", "message": "The access token is invalid"},
    )
    ok, message = bad.test_connection()
    assert not ok
    assert "401 Unauthenticated: The access token is invalid" in message
    assert TOKEN not in message


# --- pagination --------------------------------------------------------------------------------------------


def test_pagination_is_lazy_and_exact(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/users/me", json=ME)
    api.get(
        f"{API}/event_types",
        match=[responses.matchers.query_param_matcher({"organization": ORG, "count": "2"})],
        json=_page([_event_type(1), _event_type(2)], "t2"),
    )
    api.get(
        f"{API}/event_types",
        match=[responses.matchers.query_param_matcher({"organization": ORG, "count": "2", "page_token": "t2"})],
        json=_page([_event_type(3)], None),
    )
    iterator = hook.list_event_types(page_size=2)
    assert len(api.calls) == 1  # only the identity call: the listing itself is lazy
    first = next(iter(iterator))
    assert first.name == "Type 1"
    assert len(api.calls) == 2  # stopping after one item costs one page
    assert [e.uuid for e in hook.list_event_types(page_size=2)] == ["ET1", "ET2", "ET3"]
    assert len(api.calls) == 4  # /users/me once, then exactly ceil(3 / 2) pages


def test_repeated_page_token_stops_with_a_clear_error(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/event_types", json=_page([_event_type(1)], "same"))
    with pytest.raises(CalendlyPaginationError, match="already returned"):
        list(hook.list_event_types(organization=ORG))
    assert len(api.calls) == 2


def test_list_filters_are_rendered_like_calendly_expects(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(
        f"{API}/scheduled_events",
        match=[
            responses.matchers.query_param_matcher(
                {
                    "user": f"{CANONICAL}/users/U1",
                    "status": "canceled",
                    "min_start_time": "2024-01-01T00:00:00.000000Z",
                    "sort": "start_time:asc",
                    "count": "100",
                }
            )
        ],
        json=_page([], None),
    )
    assert (
        list(
            hook.list_scheduled_events(user="U1", status="canceled", min_start_time="2024-01-01", sort="start_time:asc")
        )
        == []
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda h: h.list_event_types(organization=ORG, page_size=101),
        lambda h: h.list_event_types(organization=ORG, page_size=0),
        lambda h: h.list_scheduled_events(organization=ORG, status="done"),
        lambda h: h.list_scheduled_events(organization=ORG, min_start_time="yesterday-ish"),
        lambda h: h.get_event_type("not a uuid!"),
        lambda h: h.get_event_type(""),
        lambda h: h.get_event_type(f"{API}/scheduled_events/ABC"),
        lambda h: h.get_event_type("https://evil.example/event_types/ABC"),
        lambda h: h.get_invitee("https://evil.example/scheduled_events/E/invitees/I"),
        lambda h: h.get_invitee(f"{API}/scheduled_events/E"),
        lambda h: h.create_invitee_no_show(f"{API}/scheduled_events/E/invitees/I?x=1"),
        lambda h: h.create_webhook_subscription("https://x.test/hook", [], organization=ORG),
        lambda h: h.create_webhook_subscription(
            "https://x.test/hook", ["invitee.created"], scope="user", organization=ORG
        ),
        lambda h: h.create_webhook_subscription("file:///etc/passwd", ["invitee.created"], organization=ORG),
    ],
)
def test_bad_arguments_fail_before_any_call(hook: CalendlyHook, api: responses.RequestsMock, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CalendlyConfigError):
        call(hook)
    assert len(api.calls) == 0


def test_uuid_and_uri_address_the_same_resource(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/event_types/ET1", json={"resource": _event_type(1)})
    assert hook.get_event_type("ET1") == hook.get_event_type(f"{API}/event_types/ET1")
    api.get(
        f"{API}/scheduled_events/E1/invitees/I1", json={"resource": {"uri": f"{API}/scheduled_events/E1/invitees/I1"}}
    )
    assert hook.get_invitee("E1", "I1").uuid == hook.get_invitee(f"{API}/scheduled_events/E1/invitees/I1").uuid == "I1"


# --- errors and retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, CalendlyAPIError), (401, CalendlyAuthError), (403, CalendlyAuthError), (404, CalendlyNotFoundError)],
)
def test_client_errors_map_to_types_and_are_not_retried(
    hook: CalendlyHook, api: responses.RequestsMock, status: int, cls: type[CalendlyAPIError]
) -> None:
    body = {"title": "Some Title", "message": "Some message", "details": [{"parameter": "x", "message": "bad"}]}
    api.get(f"{API}/event_types/ET1", status=status, json=body)
    with pytest.raises(cls) as err:
        hook.get_event_type("ET1")
    assert type(err.value) is cls
    assert (err.value.status_code, err.value.title, err.value.message) == (status, "Some Title", "Some message")
    assert err.value.details == [{"parameter": "x", "message": "bad"}]
    assert len(api.calls) == 1
    assert pickle.loads(pickle.dumps(err.value)).status_code == status


def test_5xx_is_retried_with_backoff_then_succeeds(
    hook: CalendlyHook, api: responses.RequestsMock, fake_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    api.get(f"{API}/event_types/ET1", status=503, json={"title": "Service Unavailable", "message": "later"})
    api.get(f"{API}/event_types/ET1", status=502, body="<html>bad gateway</html>")
    api.get(f"{API}/event_types/ET1", json={"resource": _event_type(1)})
    assert hook.get_event_type("ET1").name == "Type 1"
    assert len(api.calls) == 3
    assert len(fake_clock.sleeps) == 2 and all(0 < s <= 62 for s in fake_clock.sleeps)
    retries = [line for line in capsys.readouterr().out.splitlines() if "Retrying GET /event_types/ET1" in line]
    assert len(retries) == 2
    assert "503 Service Unavailable: later" in retries[0] and "502" in retries[1]


def test_retries_run_out_with_the_last_status(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/event_types/ET1", status=500, json={"title": "Internal Server Error", "message": "boom"})
    with pytest.raises(CalendlyServerError, match="500 Internal Server Error: boom"):
        hook.get_event_type("ET1")
    assert len(api.calls) == 4  # max_retries=3 in the fixture connection
    assert (hook.rate_limited_count, hook.throttled_seconds) == (0, 0.0)  # a 5xx backoff is no rate-limit wait


def test_429_waits_exactly_the_reset_the_server_gives(
    hook: CalendlyHook, api: responses.RequestsMock, fake_clock: FakeClock
) -> None:
    api.get(
        f"{API}/event_types/ET1",
        status=429,
        headers={"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"},
        json={"title": "Too Many Requests", "message": "slow down"},
    )
    api.get(f"{API}/event_types/ET1", json={"resource": _event_type(1)})
    start = fake_clock.now
    hook.get_event_type("ET1")
    assert fake_clock.now - start == pytest.approx(7.0)  # no jitter, no extra margin
    # What a sync reports: one 429, and the 7 s waited for the limit (no pacing wait besides).
    assert (hook.rate_limited_count, hook.throttled_seconds) == (1, pytest.approx(7.0))


def test_429_with_retry_after_then_exhausted(
    hook: CalendlyHook, api: responses.RequestsMock, fake_clock: FakeClock
) -> None:
    api.get(f"{API}/event_types/ET1", status=429, headers={"Retry-After": "2"}, json={"title": "Too Many Requests"})
    with pytest.raises(CalendlyRateLimitError) as err:
        hook.get_event_type("ET1")
    assert err.value.status_code == 429
    assert len(api.calls) == 4
    assert sum(fake_clock.sleeps) == pytest.approx(6.0)
    assert (hook.rate_limited_count, hook.throttled_seconds) == (4, pytest.approx(6.0))


def test_connection_errors_are_retried_for_reads_only(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/event_types/ET1", body=requests.ConnectionError("Connection reset by peer"))
    api.get(f"{API}/event_types/ET1", body=requests.ReadTimeout("read timed out"))
    api.get(f"{API}/event_types/ET1", json={"resource": _event_type(1)})
    assert hook.get_event_type("ET1").uuid == "ET1"
    api.post(f"{API}/invitee_no_shows", body=requests.ConnectionError("Connection reset by peer"))
    with pytest.raises(CalendlyConnectionError):
        hook.create_invitee_no_show(f"{API}/scheduled_events/E1/invitees/I1")
    assert len([c for c in api.calls if c.request.method == "POST"]) == 1  # a write that may have landed is not resent


def test_malformed_json_is_a_typed_error(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/event_types/ET1", body='{"resource": {"uri": ')
    with pytest.raises(CalendlyAPIError, match="malformed JSON"):
        hook.get_event_type("ET1")
    assert len(api.calls) == 4  # reads are retried: a truncated body is a transport fault


def test_no_show_create_and_delete(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    invitee = f"{CANONICAL}/scheduled_events/E1/invitees/I1"
    api.post(
        f"{API}/invitee_no_shows",
        match=[responses.matchers.json_params_matcher({"invitee": invitee})],
        status=201,
        json={
            "resource": {
                "uri": f"{CANONICAL}/invitee_no_shows/NS1",
                "invitee": invitee,
                "created_at": "2024-01-01T00:00:00Z",
            }
        },
    )
    api.delete(f"{API}/invitee_no_shows/NS1", status=204)
    no_show = hook.create_invitee_no_show(invitee)
    assert (no_show.uuid, no_show.invitee) == ("NS1", invitee)
    assert no_show.created_at is not None and no_show.created_at.tzinfo is not None
    assert hook.delete_invitee_no_show(no_show.uri) is None


def test_redirects_are_not_followed(hook: CalendlyHook, api: responses.RequestsMock) -> None:
    api.get(f"{API}/event_types/ET1", status=302, headers={"Location": "https://evil.example/steal"})
    with pytest.raises(CalendlyAPIError) as err:
        hook.get_event_type("ET1")
    assert err.value.status_code == 302
    assert len(api.calls) == 1


# --- shared rate-limit storage -------------------------------------------------------------------------------


def _storage_conn(monkeypatch: pytest.MonkeyPatch, conn_id: str, storage: object) -> None:
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn_id.upper()}",
        json.dumps({"conn_type": "calendly", "password": TOKEN, "host": API, "extra": {"rate_limit_storage": storage}}),
    )


def test_rate_limit_storage_selects_the_shared_limiter(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_calendly.ratelimit import RedisRateLimiter, budget_key

    _storage_conn(monkeypatch, "shared", "redis://:redis-pass-123@127.0.0.1:6379/0")
    hook = CalendlyHook("shared")
    limiter = hook.rate_limiter
    assert isinstance(limiter, RedisRateLimiter)
    assert (limiter.limit, limiter.period) == (100, 60.0)
    assert limiter.key == budget_key(TOKEN, API)
    assert TOKEN not in limiter.key
    for shown in (repr(limiter), repr(hook.settings), str(hook.settings.model_dump())):
        assert "redis-pass-123" not in shown


def test_rate_limit_storage_password_goes_to_the_secrets_masker(monkeypatch: pytest.MonkeyPatch) -> None:
    import airflow_provider_calendly.hooks.calendly as hook_module

    masked: list[str] = []
    monkeypatch.setattr(hook_module, "_mask", masked.append)
    _storage_conn(monkeypatch, "masked", "redis://:redis-pass-123@127.0.0.1:6379/0")
    _ = CalendlyHook("masked").settings
    assert {"redis-pass-123", "redis://:redis-pass-123@127.0.0.1:6379/0", TOKEN} <= set(masked)


@pytest.mark.parametrize("storage", [None, ""])
def test_no_rate_limit_storage_paces_in_process(monkeypatch: pytest.MonkeyPatch, storage: object) -> None:
    from airflow_provider_calendly.ratelimit import SlidingWindowRateLimiter

    _storage_conn(monkeypatch, "local", storage)
    assert type(CalendlyHook("local").rate_limiter) is SlidingWindowRateLimiter


@pytest.mark.parametrize("storage", ["http://:redis-pass-123@cache:6379", "cache:6379", 6379])
def test_bad_rate_limit_storage_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, api: responses.RequestsMock, storage: object
) -> None:
    _storage_conn(monkeypatch, "badstore", storage)
    with pytest.raises(CalendlyConfigError) as err:
        CalendlyHook("badstore").get_current_user()
    assert "rate_limit_storage" in str(err.value)
    assert "redis-pass-123" not in str(err.value)
    assert len(api.calls) == 0


def test_hook_keeps_working_when_redis_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, api: responses.RequestsMock, fake_clock: FakeClock
) -> None:
    _storage_conn(monkeypatch, "deadstore", "redis://:redis-pass-123@127.0.0.1:1/0")
    api.get(f"{API}/users/me", json=ME)
    hook = CalendlyHook("deadstore", clock=fake_clock, sleep=fake_clock.sleep)
    assert hook.get_current_user().name == "Ada"
    assert hook.rate_limiter.shared is False  # type: ignore[attr-defined]


# --- pacing by the server's headers when no limit is configured ------------------------------------------------


@pytest.mark.parametrize("algorithm", ["fixed", "sliding"])
def test_unconfigured_limit_follows_the_servers_headers(
    monkeypatch: pytest.MonkeyPatch, fake_clock: FakeClock, algorithm: str
) -> None:
    """No ``rate_limit``: the server's 20 per 5 s govern, with no 429 and no pause at the assumed 100 per 60 s."""
    from airflow_provider_calendly.testing.emulator import CalendlyEmulator

    with CalendlyEmulator(
        rate_limit=20, rate_limit_period=5, rate_limit_algorithm=algorithm, monotonic=fake_clock, scheduled_events=3
    ) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_UNSET_LIMIT", emulator.connection_json())
        hook = CalendlyHook("unset_limit", clock=fake_clock, sleep=fake_clock.sleep)
        assert hook.settings.rate_limit is None
        assert (hook.rate_limit, hook.rate_limit_period) == (100, 60.0)
        for _ in range(130):
            hook.request("GET", "/users/me")
        assert emulator.count(status=429) == 0
    assert fake_clock.now - 1000.0 == pytest.approx(30.0, abs=1e-6)  # 6 more windows of 20: no 40 s stall


def test_configured_limit_paces_by_its_own_window(monkeypatch: pytest.MonkeyPatch, fake_clock: FakeClock) -> None:
    """A configured 10 per 5 s stands even though the server would allow 20 per 5 s."""
    from airflow_provider_calendly.testing.emulator import CalendlyEmulator

    with CalendlyEmulator(rate_limit=20, rate_limit_period=5, monotonic=fake_clock, scheduled_events=3) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_SET_LIMIT", emulator.connection_json(rate_limit=10, rate_limit_period=5))
        hook = CalendlyHook("set_limit", clock=fake_clock, sleep=fake_clock.sleep)
        for _ in range(30):
            hook.request("GET", "/users/me")
        assert emulator.count(status=429) == 0
    assert fake_clock.now - 1000.0 == pytest.approx(10.0, abs=1e-6)


def test_single_resource_getters_against_the_emulator(calendly_emulator: CalendlyEmulator, calendly_conn: str) -> None:
    """get_scheduled_event and get_invitee_no_show, by UUID and by URI, over real HTTP."""
    hook = CalendlyHook(calendly_conn_id=calendly_conn)
    event = next(iter(calendly_emulator.data.scheduled_events.values()))
    by_uuid = hook.get_scheduled_event(event["uri"].rsplit("/", 1)[-1])
    assert by_uuid.uri == event["uri"] == hook.get_scheduled_event(event["uri"]).uri
    invitee = next(i for invs in calendly_emulator.data.invitees.values() for i in invs if i["no_show"] is None)
    created = hook.create_invitee_no_show(invitee["uri"])
    fetched = hook.get_invitee_no_show(created.uuid)
    assert fetched.uri == created.uri and fetched.invitee == invitee["uri"]
    hook.delete_invitee_no_show(created.uri)
    with pytest.raises(CalendlyNotFoundError):
        hook.get_invitee_no_show(created.uri)
