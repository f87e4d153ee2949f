from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

from airflow_provider_calendly import __version__, get_provider_info
from airflow_provider_calendly.hooks.calendly import CalendlyHook


def test_entry_point_points_at_get_provider_info() -> None:
    (ep,) = [
        ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("airflow_provider_calendly")
    ]
    assert ep.load() is get_provider_info


def test_connection_form_is_declared() -> None:
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-calendly"
    assert info["versions"] == [__version__]
    (conn,) = info["connection-types"]
    assert conn["connection-type"] == CalendlyHook.conn_type == "calendly"
    assert conn["hook-class-name"] == f"{CalendlyHook.__module__}.{CalendlyHook.__qualname__}"
    behaviour = conn["ui-field-behaviour"]
    assert behaviour["relabeling"] == {"password": "Personal Access Token", "host": "API base URL", "port": "API port"}
    assert behaviour["placeholders"]["host"] == "https://api.calendly.com"
    assert {"schema", "login"} <= set(behaviour["hidden-fields"])
    assert set(conn["conn-fields"]) == {
        "rate_limit",
        "rate_limit_period",
        "timeout",
        "max_retries",
        "webhook_signing_key",
        "rate_limit_storage",
    }
    assert conn["conn-fields"]["webhook_signing_key"]["schema"]["format"] == "password"


def test_airflow_lists_the_provider_and_its_form() -> None:
    """Airflow's own ProvidersManager discovers the provider, its hook and its form metadata."""
    code = (
        "import json; from airflow.providers_manager import ProvidersManager as P; p = P();"
        "info = p.providers['airflow-provider-calendly'];"
        "print(json.dumps({'version': info.version, 'hook': p.hooks['calendly'].hook_class_name,"
        " 'behaviour': p.field_behaviours['calendly'],"
        " 'widgets': sorted(k for k in p.connection_form_widgets if k.startswith('extra__calendly__'))}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["version"] == __version__
    assert result["hook"] == "airflow_provider_calendly.hooks.calendly.CalendlyHook"
    assert result["behaviour"]["relabeling"]["password"] == "Personal Access Token"
    assert "extra__calendly__rate_limit" in result["widgets"]


def test_provider_info_matches_airflows_schema() -> None:
    """What Airflow validates provider metadata against: a typo in a key would hide a module or the config."""
    import importlib.resources

    import jsonschema

    schema = json.loads(importlib.resources.files("airflow").joinpath("provider_info.schema.json").read_text())
    info = get_provider_info()
    jsonschema.validate(info, schema)
    import_paths = [
        m for key in ("hooks", "operators", "sensors", "triggers") for e in info[key] for m in e["python-modules"]
    ]
    import_paths += [t["python-module"] for t in info["transfers"]]
    for module in import_paths:
        __import__(module)
    assert set(info["config"]["calendly_webhooks"]["options"]) >= {"enabled", "inbox_conn_id", "tolerance"}
