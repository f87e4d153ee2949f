"""Smoke-check an installed (non-editable) airflow-provider-calendly; run by tests/test_release.py.

Runs inside a fresh virtualenv that holds only the built wheel and its dependencies, from a directory outside
the repository, so nothing is imported from the source tree. Prints one JSON report on its last line.

Usage: ``python release_smoke.py DAG_FILE...``; the environment carries a private AIRFLOW_HOME with a migrated
metadata DB. The ``calendly_warehouse`` connection is pointed at a SQLite file in the working directory (SQLite
needs no optional extra), so the demo DAG, ``calendly_to_warehouse``, lands real rows there.
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
OPTIONAL_TOP_LEVEL = {"pytest", "redis", "duckdb", "psycopg", "psycopg2", "hypothesis"}


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
    os.environ["AIRFLOW_CONN_CALENDLY_WAREHOUSE"] = json.dumps(
        {"conn_type": "sqlite", "host": os.path.abspath(WAREHOUSE)}
    )
    report["test_connection"] = list(CalendlyHook().test_connection())
    report["event_types"] = sum(1 for _ in CalendlyHook().list_event_types())
    return emulator


WAREHOUSE = "smoke-warehouse.db"


def run_dag(report: dict[str, Any], dag_file: str) -> None:
    name = os.path.splitext(os.path.basename(dag_file))[0]
    spec = importlib.util.spec_from_file_location(f"release_smoke_{name}", dag_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.dag
    run = dag.test()
    report.setdefault("dag_states", {})[dag.dag_id] = str(getattr(run.state, "value", run.state))


def warehouse_rows(report: dict[str, Any]) -> None:
    import sqlite3

    if not os.path.exists(WAREHOUSE):
        report["warehouse_rows"] = {}
        return
    with sqlite3.connect(WAREHOUSE) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        report["warehouse_rows"] = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def main() -> None:
    report: dict[str, Any] = {"python": sys.executable}
    import_everything(report)
    provider_metadata(report)
    emulator = emulator_and_hook(report)
    try:
        for dag_file in sys.argv[1:]:
            run_dag(report, dag_file)
    finally:
        emulator.stop()
    warehouse_rows(report)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
