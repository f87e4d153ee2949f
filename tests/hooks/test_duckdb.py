"""DuckDBHook: the provider's minimal common-sql hook for an embedded DuckDB warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.hooks.duckdb import DEFAULT_FILE_MEMORY_LIMIT, DuckDBHook


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
    assert "host" not in behaviour["hidden_fields"] and "extra" not in behaviour["hidden_fields"]
    assert behaviour["relabeling"] == {"host": "Database file path"}


def _hook(monkeypatch: pytest.MonkeyPatch, **conn: object) -> DuckDBHook:
    monkeypatch.setenv("AIRFLOW_CONN_DUCK", json.dumps({"conn_type": "duckdb", **conn}))
    return DuckDBHook(duckdb_conn_id="duck")


def test_config_extra_is_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = _hook(
        monkeypatch, host=str(tmp_path / "w.duckdb"), extra={"config": {"memory_limit": "96MiB", "threads": 1}}
    )
    assert hook.config == {"memory_limit": "96MiB", "checkpoint_threshold": "4MiB", "threads": 1}
    assert hook.get_first("SELECT current_setting('memory_limit'), current_setting('threads')") == ("96.0 MiB", 1)


def test_a_file_gets_a_bounded_memory_limit_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hook = _hook(monkeypatch, host=str(tmp_path / "w.duckdb"))
    limit, checkpoint = hook.get_first(
        "SELECT current_setting('memory_limit'), current_setting('checkpoint_threshold')"
    )
    assert checkpoint == "4.0 MiB"
    if int(duckdb.__version__.split(".")[0]) >= 2:
        assert hook.config == {"memory_limit": DEFAULT_FILE_MEMORY_LIMIT, "checkpoint_threshold": "4MiB"}
        assert limit == DEFAULT_FILE_MEMORY_LIMIT.replace("MiB", ".0 MiB")  # DuckDB spells 80MiB "80.0 MiB"
    else:  # 1.x keeps indexes outside the limit: DuckDB's own default stays
        assert hook.config == {"checkpoint_threshold": "4MiB"}
        assert limit == duckdb.connect().execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_in_memory_keeps_duckdb_default_memory_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = _hook(monkeypatch)
    assert hook.config == {}
    assert hook.get_first("SELECT current_setting('memory_limit')") != ("64.0 MiB",)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"config": {"memory_limt": "1GB"}}, "memory_limt"),
        ({"config": {"memory_limit": "lots"}}, "memory_limit"),
        ({"config": {"threads": "many"}}, "threads"),
        ({"config": {"memory_limit": {"GB": 1}}}, "option 'memory_limit' must be a string, number, boolean or list"),
        ({"config": "memory_limit=1GB"}, "extra 'config' must be an object"),
        ({"memory_limit": "1GB"}, r"unknown extra key\(s\) \['memory_limit'\]"),
    ],
)
def test_bad_config_is_refused_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, object], message: str
) -> None:
    hook = _hook(monkeypatch, host=str(tmp_path / "w.duckdb"), extra=extra)
    with pytest.raises(CalendlyConfigError, match=message) as refused:
        hook.get_conn()
    assert "'duck'" in str(refused.value)  # names the connection
