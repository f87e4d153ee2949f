"""Hostile connections and arguments: clear errors before any call, the token never sent elsewhere, nothing written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError, CalendlyNotFoundError
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.operators.calendly import (
    CalendlyGetEventTypeOperator,
    CalendlyListEventTypesOperator,
    CalendlyMarkNoShowOperator,
    CalendlyUndoNoShowOperator,
)
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator
from tests.reliability.conftest import TOKEN, instant_hook, sqlite_warehouse

# --- the connection -----------------------------------------------------------------------------------------


def _conn(emulator: CalendlyEmulator, **overrides: Any) -> str:
    conn: dict[str, Any] = {"conn_type": "calendly", "password": TOKEN, "host": emulator.base_url, **overrides}
    return json.dumps({k: v for k, v in conn.items() if v is not _MISSING})


_MISSING = object()

BAD_CONNECTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "missing-token": ({"password": _MISSING}, "has no token"),
    "empty-token": ({"password": ""}, "has no token"),
    "blank-token": ({"password": "   "}, "has no token"),
    "extra-not-an-object": ({"extra": "[1, 2]"}, "must be a JSON object"),
    "extra-not-json": ({"extra": "{not json"}, "not a JSON object|is invalid"),
    "timeout-a-string": ({"extra": {"timeout": "soon"}}, "timeout"),
    "timeout-negative": ({"extra": {"timeout": -1}}, "timeout"),
    "max-retries-boolean": ({"extra": {"max_retries": True}}, "max_retries"),
    "max-retries-huge": ({"extra": {"max_retries": 10_000}}, "max_retries"),
    "rate-limit-a-list": ({"extra": {"rate_limit": [100]}}, "rate_limit"),
    "rate-limit-period-zero": ({"extra": {"rate_limit_period": 0}}, "rate_limit_period"),
    "signing-key-a-number": ({"extra": {"webhook_signing_key": 12345}}, "webhook_signing_key"),
    "unknown-extra-key": ({"extra": {"base_url": "https://evil.example"}}, "unknown extra key"),
    "ftp-base-url": ({"host": "ftp://api.calendly.com"}, "http\\(s\\) URL"),
    "file-base-url": ({"host": "file:///etc/passwd"}, "http\\(s\\) URL"),
    "javascript-base-url": ({"host": "javascript:alert(1)"}, "http\\(s\\) URL|invalid"),
    "base-url-with-query": ({"host": "https://api.calendly.com/?x=1"}, "query string"),
}


@pytest.mark.parametrize(("overrides", "message"), BAD_CONNECTIONS.values(), ids=BAD_CONNECTIONS.keys())
def test_bad_connection_fails_before_any_call(
    overrides: dict[str, Any], message: str, emulator: CalendlyEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_HOSTILE", _conn(emulator, **overrides))
    op = CalendlyListEventTypesOperator(task_id="list", calendly_conn_id="hostile")
    with pytest.raises(CalendlyConfigError, match=message) as caught:
        op.execute({})  # type: ignore[arg-type]
    assert "hostile" in str(caught.value)  # names the connection
    assert TOKEN not in str(caught.value)
    assert emulator.count() == 0


def test_wrong_token_is_an_auth_error_not_a_retry_loop(
    emulator: CalendlyEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_calendly.exceptions import CalendlyAuthError

    monkeypatch.setenv("AIRFLOW_CONN_HOSTILE", _conn(emulator, password="not-the-token"))
    op = CalendlyListEventTypesOperator(task_id="list", calendly_conn_id="hostile")
    with pytest.raises(CalendlyAuthError, match="401"):
        op.execute({})  # type: ignore[arg-type]
    assert emulator.count() == 1


# --- arguments ----------------------------------------------------------------------------------------------


def _hostile_uris(emulator: CalendlyEmulator) -> dict[str, str]:
    invitee = next(i for invs in emulator.data.invitees.values() for i in invs)["uri"]
    path = invitee.removeprefix(emulator.base_url)
    host_port = emulator.base_url.removeprefix("http://")
    return {
        "other-host": f"https://evil.example{path}",
        "other-port": f"http://127.0.0.1:1{path}",
        "other-scheme": f"https://{host_port}{path}",
        "userinfo-trick": f"http://{host_port}@evil.example{path}",
        "lookalike-host": f"http://{host_port}.evil.example{path}",
        "protocol-relative": f"//evil.example{path}",
        "path-traversal": f"{emulator.base_url}/scheduled_events/../users/me/invitees/x",
        "encoded-traversal": f"{emulator.base_url}/scheduled_events/%2e%2e/invitees/x",
        "query-smuggling": f"{invitee}?redirect=https://evil.example",
        "fragment": f"{invitee}#x",
        "not-an-invitee": f"{emulator.base_url}/users/me",
        "uuid-not-uri": invitee.rsplit("/", 1)[-1],
        "empty": "",
        "whitespace-in-uri": f"{invitee} ",
        "newline-injection": f"{invitee}\r\nX-Evil: 1",
    }


def test_hostile_invitee_uris_are_refused_before_any_call(emulator: CalendlyEmulator) -> None:
    for name, uri in _hostile_uris(emulator).items():
        for op in (
            CalendlyMarkNoShowOperator(task_id="mark", invitee_uri=uri),
            CalendlyUndoNoShowOperator(task_id="undo", invitee_uri=uri),
        ):
            op.hook, _clock = instant_hook()
            with pytest.raises(CalendlyConfigError) as caught:
                op.execute({})  # type: ignore[arg-type]
            assert TOKEN not in str(caught.value), name
    assert emulator.count() == 0  # nothing reached the API: the token went nowhere
    assert emulator.state.no_shows == {n: v for n, v in emulator.state.no_shows.items()}


@pytest.mark.parametrize(
    "value",
    [
        "../users/me",
        "a b",
        "x/y",
        "%2e%2e",
        "-leading-dash",
        "x" * 65,
        "ev\x00il",
        "https://evil.example/event_types/ABC",
    ],
)
def test_malformed_ids_are_refused(value: str, emulator: CalendlyEmulator) -> None:
    op = CalendlyGetEventTypeOperator(task_id="get", event_type=value)
    op.hook, _clock = instant_hook()
    with pytest.raises(CalendlyConfigError):
        op.execute({})  # type: ignore[arg-type]
    with pytest.raises(CalendlyConfigError):
        CalendlyUndoNoShowOperator(task_id="undo", no_show=value).execute({})  # type: ignore[arg-type]
    assert emulator.count() == 0


def test_unknown_resources_are_a_not_found_error(emulator: CalendlyEmulator) -> None:
    op = CalendlyGetEventTypeOperator(task_id="get", event_type="NOSUCHEVENTTYPE")
    op.hook, _clock = instant_hook()
    with pytest.raises(CalendlyNotFoundError, match="404") as caught:
        op.execute({})  # type: ignore[arg-type]
    assert caught.value.status_code == 404
    event = next(iter(emulator.data.scheduled_events))
    mark = CalendlyMarkNoShowOperator(
        task_id="m", invitee_uri=f"{emulator.base_url}/scheduled_events/{event}/invitees/NOPE"
    )
    mark.hook, _clock = instant_hook()
    with pytest.raises(CalendlyNotFoundError):
        mark.execute({})  # type: ignore[arg-type]
    assert not any(r.method == "POST" for r in emulator.requests)


def test_direct_hook_requests_cannot_leave_the_base_url(emulator: CalendlyEmulator) -> None:
    hook = CalendlyHook()
    for path in ("https://evil.example/users/me", "//evil.example/users/me", "users/me", "@evil.example/users/me"):
        with pytest.raises(CalendlyConfigError):
            hook.request("GET", path)
    assert emulator.count() == 0


def test_redirects_are_not_followed(emulator: CalendlyEmulator) -> None:
    # A 3xx from the API would hand the Authorization header to wherever it points; the hook must not follow.
    from airflow_provider_calendly.testing.emulator import ApiError

    def to_evil(_rest: list[str], _query: dict[str, str], _body: Any) -> tuple[int, Any]:
        raise ApiError(302, "moved")

    emulator.register_route("GET", "event_types", to_evil)
    hook, _clock = instant_hook()
    with pytest.raises(Exception, match="302"):
        hook.get_event_type("ABCDEF")
    assert emulator.count() == 1


# --- the transfer's SQL identifiers -------------------------------------------------------------------------

INJECTIONS = [
    "calendly; DROP TABLE users; --",
    "x' OR '1'='1",
    'a"b',
    "a b",
    "calendly_/*",
    "tbl`",
    "1starts_with_digit",
    "a" * 49,
    "é_unicode",
    "calendly_\x00",
]


@pytest.mark.parametrize("prefix", INJECTIONS)
def test_unsafe_table_prefix_is_refused_at_construction(prefix: str) -> None:
    with pytest.raises(CalendlyConfigError, match="not a safe SQL identifier"):
        CalendlyToSqlOperator(task_id="t", sql_conn_id="wh", table_prefix=prefix)


@pytest.mark.parametrize("prefix", INJECTIONS[:3])
def test_unsafe_templated_prefix_is_refused_before_any_call_or_write(
    prefix: str, emulator: CalendlyEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = sqlite_warehouse(tmp_path, monkeypatch, "hostile_wh")
    op = CalendlyToSqlOperator(task_id="t", sql_conn_id=wh.conn_id, table_prefix="{{ params.prefix }}")
    op.table_prefix = prefix  # what rendering the template produced
    with pytest.raises(CalendlyConfigError, match="not a safe SQL identifier"):
        op.execute({})  # type: ignore[arg-type]
    assert emulator.count() == 0
    db = tmp_path / "hostile_wh.db"
    if db.exists():
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"schema": "public; DROP SCHEMA x"}, "not a safe SQL identifier"),
        ({"resources": ["event_types", "users; --"]}, "unknown resource"),
        ({"mode": "full; --"}, "mode must be one of"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1000}, "page_size"),
        ({"organization": "https://evil.example/organizations/ORG"}, "refusing to send the token"),
        ({"user": "https://evil.example/users/U"}, "refusing to send the token"),
        ({"organization": "../organizations/x"}, "refusing to send the token to another host"),
    ],
)
def test_other_unsafe_transfer_arguments_are_refused(
    kwargs: dict[str, Any], message: str, emulator: CalendlyEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = sqlite_warehouse(tmp_path, monkeypatch, "hostile_wh")

    def run() -> None:
        op = CalendlyToSqlOperator(task_id="t", sql_conn_id=wh.conn_id, **kwargs)
        op.hook, _clock = instant_hook()
        op.execute({})  # type: ignore[arg-type]

    with pytest.raises(CalendlyConfigError, match=message):
        run()
    db = tmp_path / "hostile_wh.db"
    if db.exists():
        with sqlite3.connect(db) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert names == [], f"tables were created before the argument was refused: {names}"
