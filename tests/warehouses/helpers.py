"""Shared by the warehouses' stand-in tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.example_dags.helpers import task_states

LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"


def dag_test_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, function: Callable[[], object]) -> dict[str, str]:
    """Run the module-level ``function`` as the one task of a DAG in a DAG folder of its own, with ``dag.test()``
    (which runs tasks in this process); return the task states by task id."""
    from airflow.dag_processing.dagbag import DagBag

    bundle = {"name": "calendly-warehouse-tests", "classpath": LOCAL_BUNDLE, "kwargs": {"path": str(tmp_path)}}
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps([bundle]))

    dag_id = f"calendly_{function.__name__}"
    dag_file = tmp_path / f"{dag_id}.py"
    dag_file.write_text(
        "from airflow.sdk import DAG, task\n"
        f"from {function.__module__} import {function.__name__}\n\n"
        f"with DAG({dag_id!r}, schedule=None):\n"
        f"    task({function.__name__})()\n"
    )
    bag = DagBag(str(dag_file))
    assert bag.import_errors == {}
    return task_states(bag.get_dag(dag_id).test())
