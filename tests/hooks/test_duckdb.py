"""DuckDBHook: the provider's minimal common-sql hook for an embedded DuckDB warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_calendly.hooks.duckdb import DuckDBHook


def test_file_database_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "w.duckdb"
    monkeypatch.setenv("AIRFLOW_CONN_DUCK", json.dumps({"conn_type": "duckdb", "host": str(path)}))
    hook = DuckDBHook(duckdb_conn_id="duck")
    assert hook.database_path == str(path)
    assert hook.get_uri() == f"duckdb:///{path}"
    assert hook.dialect_name == "duckdb"
    hook.run("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)")
    assert hook.get_records("SELECT SUM(x) FROM t") == [(3,)]
    assert path.exists()


def test_empty_path_means_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_DUCK", json.dumps({"conn_type": "duckdb"}))
    hook = DuckDBHook(duckdb_conn_id="duck")
    assert hook.database_path == ":memory:"
    assert hook.get_first("SELECT 1") == (1,)


def test_connection_form_shows_only_the_path() -> None:
    behaviour = DuckDBHook.get_ui_field_behaviour()
    assert "host" not in behaviour["hidden_fields"]
    assert behaviour["relabeling"] == {"host": "Database file path"}
