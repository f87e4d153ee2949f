"""The Calendly connection form in the real Airflow UI, driven by Debian's chromium through playwright-core.

The Node script ``playwright/connection_form.mjs`` clicks through the UI as a user would and reports what it
saw; this module starts the servers, runs it, and asserts. Screenshots land in ``tests/artifacts/ui/``.
Install the browser and playwright-core with ``scripts/ci-system-deps.sh``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_calendly import __version__
from airflow_provider_calendly.get_provider_info import get_provider_info
from tests.ui.conftest import ARTIFACTS, CHROMIUM, PLAYWRIGHT_DIR, AirflowServer, EmulatorInfo, browser_tools

pytestmark = pytest.mark.integration

SCRIPT = PLAYWRIGHT_DIR / "connection_form.mjs"

# Standard-field titles the Airflow UI uses when a provider does not relabel them.
DEFAULT_TITLES = {"description": "Description", "host": "Host", "password": "Password", "port": "Port"}


def _calendly_connection_type() -> dict[str, Any]:
    """The ``calendly`` connection type exactly as the provider declares it to Airflow."""
    (connection_type,) = [c for c in get_provider_info()["connection-types"] if c["connection-type"] == "calendly"]
    return connection_type


@pytest.fixture(scope="module")
def ui_run(airflow_server: AirflowServer, ui_emulator: EmulatorInfo) -> dict[str, Any]:
    """Run the browser journey once; the tests below each check one part of what it saw."""
    node = browser_tools()
    connection_type = _calendly_connection_type()
    declared = connection_type["ui-field-behaviour"]
    port_shown = "port" not in declared["hidden-fields"]
    if port_shown:
        # Host and port as separate fields, the way the form asks for them.
        host, port = ui_emulator.base_url.rsplit(":", 1)
    else:
        host, port = ui_emulator.base_url, ""
    shots = ARTIFACTS / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    env = {
        **os.environ,
        "AIRFLOW_URL": airflow_server.url,
        "CALENDLY_HOST": host,
        "CALENDLY_PORT": port,
        "GOOD_TOKEN": ui_emulator.token,
        "BAD_TOKEN": "wrong-token-for-the-ui-test",
        "ARTIFACT_DIR": str(shots),
        "CHROMIUM": CHROMIUM,
        "EXTRA_FIELD": next(iter(connection_type["conn-fields"])),
    }
    proc = subprocess.run(
        [node, str(SCRIPT)], cwd=PLAYWRIGHT_DIR, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and lines, f"browser script failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
    seen: dict[str, Any] = json.loads(lines[-1])
    (ARTIFACTS / "ui-run.json").write_text(json.dumps(seen, indent=2))
    assert "error" not in seen, f"browser script error (screenshots in {shots}):\n{seen['error']}"
    return seen


def test_form_shows_the_declared_labels_and_placeholders(ui_run: dict[str, Any]) -> None:
    form = ui_run["form"]
    connection_type = _calendly_connection_type()
    # Exactly the declared extra fields, no more and no fewer (read from get_provider_info, never hard-coded).
    shown_extras = {name.removeprefix("element_") for name in form if name.startswith("element_")}
    assert shown_extras == set(connection_type["conn-fields"])
    behaviour = connection_type["ui-field-behaviour"]
    for hidden in behaviour["hidden-fields"]:
        assert hidden not in form, f"{hidden!r} should be hidden in the Calendly form"
    for name, default_title in DEFAULT_TITLES.items():
        if name in behaviour["hidden-fields"]:
            continue
        assert form[name]["label"] == behaviour["relabeling"].get(name, default_title), name
    for name, placeholder in behaviour["placeholders"].items():
        assert form[name]["placeholder"] == placeholder, name
    assert form["password"]["type"] == "password", "the token must be entered in a masked field"
    for name, field in connection_type["conn-fields"].items():
        shown = form[f"element_{name}"]
        assert shown["label"] == field["label"], name
        # Defaults live in the code: an empty field, never a value the form would write into ``extra``.
        assert "default" not in field["schema"], f"{name}: a form default is stored in every UI connection"
        assert shown["value"] == "", f"{name} is pre-filled with {shown['value']!r}"
        if "description" in field:
            assert shown["helper"] == field["description"], name
        if field["schema"].get("format") == "password":
            assert shown["type"] == "password", f"{name} is a secret and must be masked"


def test_saving_the_form_creates_the_connection(
    ui_run: dict[str, Any], airflow_server: AirflowServer, ui_emulator: EmulatorInfo
) -> None:
    assert ui_run["connections"]["calendly_ui_good"]["status"] == 201
    assert ui_run["connections"]["calendly_ui_bad"]["status"] == 201
    # What the form stored, read back over REST: the type, the endpoint, and the extra fields' values.
    response = requests.get(f"{airflow_server.url}/api/v2/connections/calendly_ui_good", timeout=30)
    assert response.status_code == 200, response.text
    stored = response.json()
    assert stored["conn_type"] == "calendly"
    host, port = ui_emulator.base_url.rsplit(":", 1)
    assert (stored["host"], stored["port"]) == (host, int(port))
    extra = json.loads(stored["extra"] or "{}")
    # Nothing was entered in the extra fields, so nothing may be stored: the connection follows the code's
    # defaults (and, without rate_limit, the server's X-RateLimit-* headers), exactly like an env-var connection.
    assert {k: v for k, v in extra.items() if v not in (None, "")} == {}, extra
    assert set(extra) <= set(_calendly_connection_type()["conn-fields"]), "the form stored an undeclared extra key"


def test_test_button_names_the_calendly_user(ui_run: dict[str, Any], ui_emulator: EmulatorInfo) -> None:
    result = ui_run["tests"]["calendly_ui_good"]
    assert result["http_status"] == 200, (
        f"Test button request failed: {result['body']}. Airflow 3.3's UI sends port 0 for an empty port and "
        "the server refuses to test a stored connection whose port differs: the form must show the port."
    )
    assert result["toast_type"] == "success", result
    assert result["title"] == "Test Connection Successful"
    assert result["description"].startswith(
        f"Connected to Calendly as {ui_emulator.user_name} <{ui_emulator.user_email}>; can read event types"
    )


def test_test_button_with_a_bad_token_shows_a_clear_failure(ui_run: dict[str, Any]) -> None:
    result = ui_run["tests"]["calendly_ui_bad"]
    assert result["http_status"] == 200, result["body"]
    assert result["toast_type"] == "error", result
    assert result["title"] == "Test Connection Failed"
    assert result["description"].startswith("Calendly connection failed:")
    assert "401" in result["description"]
    assert "wrong-token-for-the-ui-test" not in result["description"]


def test_providers_page_lists_calendly(ui_run: dict[str, Any]) -> None:
    shown = ui_run["providers"]
    assert shown["package_name"] == "airflow-provider-calendly"
    assert shown["version"] == __version__
    assert shown["description"].rstrip(".") == get_provider_info()["description"].rstrip(".")


def test_screenshots_are_saved(ui_run: dict[str, Any]) -> None:
    names = [Path(p).name for p in ui_run["screenshots"]]
    assert names == [
        "01-add-connection-form-standard-fields.png",
        "01-add-connection-form-extra-fields.png",
        "02-connection-list.png",
        "03-test-success.png",
        "04-test-bad-token.png",
        "05-providers-page.png",
    ]
    for path in ui_run["screenshots"]:
        assert Path(path).stat().st_size > 10_000, path
