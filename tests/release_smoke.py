"""Smoke-check an installed (non-editable) airflow-provider-calendly; run by tests/test_release.py.

Runs inside a fresh virtualenv that holds only the built wheel and its dependencies, from a directory outside
the repository, so nothing is imported from the source tree. Prints one JSON report on its last line.

Usage: ``python release_smoke.py DAG_FILE``; the environment carries a private AIRFLOW_HOME with a migrated
metadata DB.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
import sys
import traceback
from typing import Any

# Modules that need a test tool or an optional extra may skip, naming the missing package; nothing else may.
OPTIONAL_TOP_LEVEL = {"pytest", "redis", "duckdb", "psycopg2", "hypothesis"}


def import_everything(report: dict[str, Any]) -> None:
    import airflow_provider_calendly as package

    report["package_file"] = package.__file__
    report["version"] = package.__version__
    imported, optional, failed = [], {}, {}
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        try:
            importlib.import_module(info.name)
            imported.append(info.name)
        except ModuleNotFoundError as exc:
            missing = (exc.name or "").split(".")[0]
            if missing in OPTIONAL_TOP_LEVEL or (exc.name or "").startswith("airflow.providers."):
                optional[info.name] = exc.name
            else:
                failed[info.name] = traceback.format_exc(limit=3)
        except Exception:
            failed[info.name] = traceback.format_exc(limit=3)
    report["imported"] = imported
    report["optional_skipped"] = optional
    report["import_failures"] = failed


def provider_metadata(report: dict[str, Any]) -> None:
    from airflow.providers_manager import ProvidersManager

    from airflow_provider_calendly import get_provider_info

    info = get_provider_info()
    report["provider_info_versions"] = info["versions"]
    manager = ProvidersManager()
    report["providers_manager_version"] = manager.providers["airflow-provider-calendly"].version
    report["hook_registered"] = "calendly" in manager.hooks


def emulator_and_hook(report: dict[str, Any]) -> Any:
    from airflow_provider_calendly.hooks.calendly import CalendlyHook
    from airflow_provider_calendly.testing import CalendlyEmulator

    emulator = CalendlyEmulator(seed=42, token="release-smoke-token")
    emulator.start()
    os.environ["AIRFLOW_CONN_CALENDLY_DEFAULT"] = json.dumps(
        {"conn_type": "calendly", "host": emulator.base_url, "password": emulator.token}
    )
    report["test_connection"] = list(CalendlyHook().test_connection())
    report["event_types"] = sum(1 for _ in CalendlyHook().list_event_types())
    return emulator


def run_dag(report: dict[str, Any], dag_file: str) -> None:
    spec = importlib.util.spec_from_file_location("release_smoke_dag", dag_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    run = dag.test()
    report["dag_id"] = dag.dag_id
    report["dag_state"] = str(getattr(run.state, "value", run.state))


def main() -> None:
    report: dict[str, Any] = {"python": sys.executable}
    import_everything(report)
    provider_metadata(report)
    emulator = emulator_and_hook(report)
    try:
        run_dag(report, sys.argv[1])
    finally:
        emulator.stop()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
