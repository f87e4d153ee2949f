"""The provider as a running Airflow sees it: CLI providers list, REST providers, form metadata, connection test.

All against a real ``airflow api-server`` (see ``conftest.py``) and the Calendly emulator; no mocks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from airflow_provider_calendly import __version__
from airflow_provider_calendly.get_provider_info import get_provider_info
from tests.ui.conftest import AirflowServer, EmulatorInfo

pytestmark = pytest.mark.integration

PACKAGE = "airflow-provider-calendly"


def _test_connection(server: AirflowServer, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{server.url}/api/v2/connections/test", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def test_cli_providers_list_shows_calendly(airflow_server: AirflowServer) -> None:
    result = airflow_server.run_cli("providers", "list", "--output", "json")
    assert result.returncode == 0, result.stderr[-3000:]
    providers = {p["package_name"]: p for p in json.loads(result.stdout)}
    assert PACKAGE in providers, sorted(providers)
    assert providers[PACKAGE]["version"] == __version__
    assert providers[PACKAGE]["description"].startswith("Calendly")


def test_rest_providers_endpoint_shows_version_and_description(airflow_server: AirflowServer) -> None:
    response = requests.get(f"{airflow_server.url}/api/v2/providers", timeout=30)
    assert response.status_code == 200, response.text
    providers = {p["package_name"]: p for p in response.json()["providers"]}
    ours = providers[PACKAGE]
    assert ours["version"] == __version__
    # Airflow drops the description's final full stop when it displays it.
    assert ours["description"].rstrip(".") == get_provider_info()["description"].rstrip(".")


def test_connection_form_metadata_served_to_the_ui(airflow_server: AirflowServer) -> None:
    """The UI builds the add-connection form from ``/ui/connections/hook_meta``: our fields must be in it."""
    response = requests.get(f"{airflow_server.url}/ui/connections/hook_meta", timeout=30)
    assert response.status_code == 200, response.text
    meta = {m["connection_type"]: m for m in response.json()}
    assert "calendly" in meta
    calendly = meta["calendly"]
    assert calendly["hook_name"] == "Calendly"
    declared = get_provider_info()["connection-types"][0]
    assert set(calendly["extra_fields"]) == set(declared["conn-fields"])
    for name, field in declared["conn-fields"].items():
        assert calendly["extra_fields"][name]["schema"]["title"] == field["label"]
    standard = calendly["standard_fields"]
    behaviour = declared["ui-field-behaviour"]
    for name in behaviour["hidden-fields"]:
        key = "url_schema" if name == "schema" else name
        assert standard[key]["hidden"] is True, name
    for name, label in behaviour["relabeling"].items():
        assert standard[name]["title"] == label
    for name, placeholder in behaviour["placeholders"].items():
        assert standard[name]["placeholder"] == placeholder


def test_rest_connection_test_succeeds_against_emulator(
    airflow_server: AirflowServer, ui_emulator: EmulatorInfo
) -> None:
    result = _test_connection(
        airflow_server,
        {
            "connection_id": "calendly_rest_probe",
            "conn_type": "calendly",
            "host": ui_emulator.base_url,
            "password": ui_emulator.token,
        },
    )
    assert result["status"] is True, result
    assert result["message"].startswith("Connected to Calendly as ")
    assert ui_emulator.user_name in result["message"]


def test_rest_connection_test_reports_bad_token(airflow_server: AirflowServer, ui_emulator: EmulatorInfo) -> None:
    bad_token = "not-the-emulator-token"
    result = _test_connection(
        airflow_server,
        {
            "connection_id": "calendly_rest_probe",
            "conn_type": "calendly",
            "host": ui_emulator.base_url,
            "password": bad_token,
        },
    )
    assert result["status"] is False, result
    assert "Calendly connection failed" in result["message"]
    assert "401" in result["message"]
    assert bad_token not in result["message"]


def test_rest_connection_test_of_a_stored_connection(airflow_server: AirflowServer, ui_emulator: EmulatorInfo) -> None:
    """Store a connection, then test it by id alone: the server fills in the stored token."""
    conn_id = "calendly_rest_stored"
    host, port = ui_emulator.base_url.rsplit(":", 1)
    created = requests.post(
        f"{airflow_server.url}/api/v2/connections",
        json={
            "connection_id": conn_id,
            "conn_type": "calendly",
            "host": host,
            "port": int(port),
            "password": ui_emulator.token,
            "extra": json.dumps({"max_retries": 0, "timeout": 10}),
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    result = _test_connection(
        airflow_server, {"connection_id": conn_id, "conn_type": "calendly", "host": host, "port": int(port)}
    )
    assert result["status"] is True, result
    assert ui_emulator.user_name in result["message"]


def test_webhook_receiver_is_mounted_on_the_api_server(airflow_server: AirflowServer) -> None:
    """docs/webhooks.md promises the receiver on the API server at /calendly/webhooks once the provider is installed."""
    response = requests.get(f"{airflow_server.url}/calendly/webhooks/health", timeout=30)
    assert response.status_code == 200, response.text[:500]
    assert response.headers.get("content-type", "").startswith("application/json"), "the UI answered, not the receiver"
    body = response.json()
    assert body["status"] == "ok"
    assert {"received", "stored", "duplicate"} <= set(body["stats"])
