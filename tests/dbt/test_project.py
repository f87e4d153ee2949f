"""The dbt project as users get it: inside the wheel, an extra that installs from wheels alone next to Airflow,
one Airflow connection as its dbt profile (no password in a file), and a failing build that fails loudly."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from packaging.requirements import Requirement

from airflow_provider_calendly.dbt import PROJECT_DIR, project_dir
from airflow_provider_calendly.dbt.runner import PASSWORD_ENV, dbt_target, run_dbt
from airflow_provider_calendly.exceptions import CalendlyConfigError, CalendlyDbtError
from tests.conftest import REPO_ROOT
from tests.dbt.conftest import dbt_executable


def _conn(**fields: Any) -> Any:
    values = {"host": None, "port": None, "login": None, "password": None, "schema": None, "extra_dejson": {}}
    return SimpleNamespace(**{**values, **fields})


@pytest.mark.integration  # builds the wheel, as tests/test_release.py does
def test_the_wheel_ships_the_dbt_project(built_dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(built_dist["wheel"]) as wheel:
        shipped = {n for n in wheel.namelist() if n.startswith("airflow_provider_calendly/dbt/")}
    in_repo = {
        f"airflow_provider_calendly/dbt/{p.relative_to(PROJECT_DIR).as_posix()}"
        for p in PROJECT_DIR.rglob("*")
        if p.is_file() and p.suffix in {".yml", ".sql", ".py"}
    }
    assert "airflow_provider_calendly/dbt/dbt_project.yml" in shipped
    assert in_repo <= shipped
    assert not [n for n in shipped if "/target/" in n or "/logs/" in n]


def test_project_dir_is_the_installed_project() -> None:
    assert (Path(project_dir()) / "dbt_project.yml").read_text().count("name: calendly") == 1


def test_the_extra_and_the_dbt_lock_agree() -> None:
    """The [dbt] extra stays below dbt-core 1.12 (which downloads a binary while installing); the lock the tests
    and the demo use is inside it, and the Makefile compiles that lock from the same range."""
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    (extra,) = re.findall(r'^dbt = \["([^"]+)"\]', pyproject, re.MULTILINE)
    requirement = Requirement(extra)
    assert requirement.name == "dbt-core" and not requirement.specifier.contains("1.12.0")
    locked = re.search(r"^dbt-core==(\S+)", (REPO_ROOT / "constraints-dbt.txt").read_text(), re.MULTILINE)
    assert locked is not None and requirement.specifier.contains(locked.group(1))
    assert f'"{extra}"' in (REPO_ROOT / "Makefile").read_text()


@pytest.mark.integration
def test_the_extra_resolves_with_the_provider_from_wheels_only() -> None:
    """``pip install "airflow-provider-calendly[dbt,duckdb,postgres]" dbt-duckdb dbt-postgres`` resolves, every
    package a wheel (nothing built, nothing downloaded from elsewhere), Airflow and dbt-core together."""
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv is not None
    proc = subprocess.run(
        [uv, "pip", "compile", "pyproject.toml", "-", "--extra", "dbt", "--extra", "duckdb", "--extra", "postgres",
         "--python-version", "3.11", "--only-binary", ":all:", "--quiet", "--no-header"],
        input="dbt-duckdb>=1.9\ndbt-postgres>=1.9\n",
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    pins = dict(re.findall(r"^([a-z0-9-]+)==(\S+)", proc.stdout, re.MULTILINE))
    assert pins["dbt-core"].startswith(("1.10.", "1.11.")) and pins["apache-airflow"].startswith("3.")


def test_duckdb_and_postgres_connections_are_dbt_targets() -> None:
    duck = dbt_target(_conn(conn_type="duckdb", host="/data/calendly.duckdb", extra_dejson={"config": {"threads": 2}}))
    assert duck == {"type": "duckdb", "path": "/data/calendly.duckdb", "schema": "main", "settings": {"threads": 2},
                    "threads": 1}  # fmt: skip
    pg = dbt_target(
        _conn(conn_type="postgres", host="db", port=5433, login="etl", password="s3cret", schema="analytics"),
        schema="calendly",
    )
    assert pg["dbname"] == "analytics" and pg["schema"] == "calendly" and pg["port"] == 5433
    assert "s3cret" not in json.dumps(pg) and PASSWORD_ENV in pg["password"]


def test_other_connection_types_are_refused_with_the_way_out() -> None:
    with pytest.raises(CalendlyConfigError, match=r"profiles\.yml of your own"):
        dbt_target(_conn(conn_type="snowflake"))


def test_without_dbt_the_error_says_how_to_install_it(tmp_path: Path) -> None:
    conn = _conn(conn_type="duckdb", host=str(tmp_path / "w.duckdb"))
    with pytest.raises(CalendlyConfigError, match=r"airflow-provider-calendly\[dbt\]"):
        run_dbt(conn, dbt_executable=str(tmp_path / "no-such-dbt"))


@pytest.mark.integration
def test_a_failing_build_raises_naming_what_failed(tmp_path: Path) -> None:
    """An empty warehouse (nothing synced yet): dbt fails, and so does the task, naming the models."""
    lines: list[str] = []
    conn = _conn(conn_type="duckdb", host=str(tmp_path / "empty.duckdb"))
    with pytest.raises(CalendlyDbtError, match="stg_calendly__invitees"):
        run_dbt(conn, dbt_executable=dbt_executable(), work_dir=tmp_path / "dbt", echo=lines.append)
    assert any("calendly_invitees" in line for line in lines)  # dbt's own error reached the log
    assert not (PROJECT_DIR / "target").exists() and not (PROJECT_DIR / "logs").exists()
