"""The one declaration of scopes (``airflow_provider_calendly.scopes``) and what is derived from it: the emulator
enforces it route by route, every sync resource and operator is declared and calls nothing it does not declare,
and ``test_connection()`` names what a token lacks for a default sync."""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from airflow_provider_calendly.get_provider_info import get_provider_info
from airflow_provider_calendly.hooks.calendly import CalendlyHook
from airflow_provider_calendly.scopes import (
    ENDPOINT_SCOPES,
    OPERATOR_ENDPOINTS,
    OPT_IN_RESOURCES,
    RESOURCE_ENDPOINTS,
    SYNC_ENDPOINTS,
    endpoint_key,
    grants,
    scopes_of,
    sync_scopes,
)
from airflow_provider_calendly.testing import CalendlyEmulator
from airflow_provider_calendly.transfers.config import DEFAULT_RESOURCES, RESOURCES
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.sync import CalendlySqlSync
from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook
from tests.harness.scopes import undeclared_calls


@pytest.fixture(scope="module")
def emulator() -> Iterator[CalendlyEmulator]:
    with CalendlyEmulator(seed=5, scheduled_events=20, scopes=[]) as emu:
        emu.add_token("everything")  # a legacy token: every scope
        yield emu


def test_the_rules_of_the_declaration() -> None:
    assert grants(None, "groups:read") and grants({"groups:write"}, "groups:read")
    assert not grants({"groups:read"}, "groups:write") and not grants({"users:read"}, "groups:read")
    assert ENDPOINT_SCOPES[endpoint_key("GET", "/organizations/O1/invitations")] == "organizations:read"
    assert ENDPOINT_SCOPES[endpoint_key("delete", "/organizations/O1/invitations/I1?x=1")] == "organizations:write"
    # a :read its :write includes is left out; an undeclared endpoint is an error to fix, not a silent gap
    assert scopes_of(["GET /event_types", "POST /event_types", "GET /users/me"]) == ("event_types:write", "users:read")
    with pytest.raises(KeyError):
        scopes_of(["GET /nothing_like_it"])
    assert set(RESOURCE_ENDPOINTS) == set(RESOURCES)
    assert set(OPT_IN_RESOURCES) <= set(RESOURCES) and set(DEFAULT_RESOURCES) == set(RESOURCES) - set(OPT_IN_RESOURCES)
    assert all(scopes_of(e) for e in (*RESOURCE_ENDPOINTS.values(), *OPERATOR_ENDPOINTS.values()))


def test_every_operator_that_calls_calendly_is_declared() -> None:
    from airflow.sdk import BaseOperator

    (entry,) = get_provider_info()["operators"]
    operators = {
        name
        for module in entry["python-modules"]
        for name, obj in vars(importlib.import_module(module)).items()
        if inspect.isclass(obj) and obj.__module__ == module and issubclass(obj, BaseOperator) and name[0] != "_"
    }
    assert operators == set(OPERATOR_ENDPOINTS)


def test_the_emulator_enforces_the_table_route_by_route(emulator: CalendlyEmulator) -> None:
    routes = [r for r in emulator._server.router.routes() if not r.admin]  # type: ignore[union-attr]
    assert {(r.method, r.collection) for r in routes} == set(ENDPOINT_SCOPES)
    assert all(r.scope == ENDPOINT_SCOPES[r.method, r.collection] for r in routes)
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {emulator.token}"  # a token granted no scope at all
        for route in routes:
            response = session.request(route.method, f"{emulator.base_url}/{route.collection}/X", json={})
            assert response.status_code == 403, route
            assert response.json()["required_scopes"] == [route.scope], route


def test_each_resource_calls_only_what_it_declares(
    emulator: CalendlyEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json().replace(emulator.token, "everything")
    )
    monkeypatch.setenv("AIRFLOW_CONN_SCOPES_WAREHOUSE", f'{{"conn_type": "sqlite", "host": "{tmp_path}/w.db"}}')
    for resource in RESOURCES:
        writer = CalendlyTableWriter(resolve_dbapi_hook("scopes_warehouse"), f"{resource}_")
        emulator.reset_stats()
        try:
            summary = CalendlySqlSync(
                hook=CalendlyHook(), writer=writer, resources=[resource], busy_times_horizon=timedelta(days=8)
            ).run()
        finally:
            writer.close()
        assert summary["skipped"] == {}, resource
        calls = emulator.requests
        assert calls and {r.status for r in calls} == {200}, resource
        assert undeclared_calls(calls, (*SYNC_ENDPOINTS, *RESOURCE_ENDPOINTS[resource])) == [], resource


def test_test_connection_names_what_a_default_sync_lacks(
    emulator: CalendlyEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.add_token("people-only", scopes=["users:read", "organizations:read"])
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json().replace(emulator.token, "people-only")
    )
    ok, message = CalendlyHook().test_connection()
    needed = sync_scopes(DEFAULT_RESOURCES)
    assert ok and f"a default sync needs {', '.join(needed)}" in message
    for scope in set(needed) - {"users:read", "organizations:read"}:
        assert f"(needs {scope})" in message  # a read probe per scope a default sync reads with
    assert "without activity_log:read, availability:read," in message and "it cannot read event_types," in message
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json().replace(emulator.token, "everything")
    )
    ok, message = CalendlyHook().test_connection()
    assert ok and "cannot read" not in message and message.endswith(", users:read")
    assert "without" not in message and os.environ["AIRFLOW_CONN_CALENDLY_DEFAULT"] not in message
