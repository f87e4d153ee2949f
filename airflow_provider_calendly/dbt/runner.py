"""Run the Calendly dbt project against a warehouse connection: its dbt profile, and one ``dbt`` command.

:func:`dbt_target` turns the sync's warehouse connection (DuckDB or PostgreSQL) into a dbt target, so one
Airflow connection serves the sync and the analytics; :func:`run_dbt` runs a dbt command (``build`` by default)
as a subprocess of the given ``dbt`` executable (dbt may live in a venv of its own), streams its log lines and
returns a small JSON-safe summary of ``run_results.json``. Nothing is written into the installed project:
``target/`` and ``logs/`` go to a temporary directory, and the password reaches dbt through an environment
variable, never a file or a log line.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from airflow_provider_calendly.dbt import PROJECT_DIR, PROJECT_NAME
from airflow_provider_calendly.exceptions import CalendlyConfigError, CalendlyDbtError

__all__ = ["PASSWORD_ENV", "dbt_target", "run_dbt"]

log = logging.getLogger(__name__)

#: The environment variable that carries the warehouse password to dbt (the profile names it, never the value).
PASSWORD_ENV = "CALENDLY_DBT_PASSWORD"  # noqa: S105 - a variable's name, not a secret
#: dbt result statuses that mean "this node is fine".
_PASSED = frozenset({"success", "pass", "warn"})


def dbt_target(conn: Any, *, schema: str | None = None, threads: int | None = None) -> dict[str, Any]:
    """Return the dbt target (a ``profiles.yml`` output) of an Airflow warehouse connection.

    :param conn: An Airflow ``Connection`` of type ``duckdb`` (host = the database file) or ``postgres``.
    :param schema: Schema dbt builds the models in (default: DuckDB's ``main``, PostgreSQL's ``public``).
    :param threads: dbt threads (default: 1 on DuckDB, whose file has one writer; 4 on PostgreSQL).
    """
    conn_type = conn.conn_type
    if conn_type == "duckdb":
        target: dict[str, Any] = {"type": "duckdb", "path": conn.host or ":memory:", "schema": schema or "main"}
        settings = (conn.extra_dejson or {}).get("config")
        if settings:
            target["settings"] = settings
        target["threads"] = threads or 1
        return target
    if conn_type in ("postgres", "postgresql"):
        return {
            "type": "postgres",
            "host": conn.host or "localhost",
            "port": int(conn.port or 5432),
            "user": conn.login or "",
            "password": "{{ env_var('" + PASSWORD_ENV + "', '') }}",
            "dbname": conn.schema or "postgres",  # Airflow's postgres connections keep the database in `schema`
            "schema": schema or "public",
            "threads": threads or 4,
        }
    raise CalendlyConfigError(
        f"no dbt target for connection type {conn_type!r} (duckdb and postgres are built in): run dbt with a "
        "profiles.yml of your own, with the project's profile 'calendly'"
    )


def run_dbt(
    conn: Any,
    *,
    command: Sequence[str] = ("build",),
    schema: str | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
    dbt_executable: str | None = None,
    project_dir: str | Path = PROJECT_DIR,
    work_dir: str | Path | None = None,
    echo: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run ``dbt <command>`` over the Calendly project against ``conn``'s warehouse; raise if any node fails.

    :param conn: The warehouse connection (see :func:`dbt_target`).
    :param command: The dbt command and its own arguments (default ``build``: models, then their tests).
    :param schema: Schema the models are built in (see :func:`dbt_target`).
    :param dbt_vars: The project's vars: ``calendly_schema``, ``calendly_table_prefix``, ``calendly_as_of``.
    :param dbt_executable: The ``dbt`` command (a path when dbt lives in a venv of its own); default: ``dbt`` on
        the ``PATH``, else the one next to this Python (the ``[dbt]`` extra's, when the venv is not activated).
    :param project_dir: The dbt project (default: the one this package ships).
    :param work_dir: Where dbt writes ``target/`` and ``logs/`` (default: a temporary directory, removed after).
    :param echo: Receives each line dbt prints (default: this module's logger, i.e. the task log).
    :returns: ``{"command", "elapsed", "results": {status: count}}`` (dbt's ``run_results.json`` in
        ``work_dir`` has the details).
    """
    with tempfile.TemporaryDirectory(prefix="calendly-dbt-") as scratch:
        work = Path(work_dir) if work_dir is not None else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        profile = {PROJECT_NAME: {"target": "airflow", "outputs": {"airflow": dbt_target(conn, schema=schema)}}}
        # YAML is a superset of JSON: profiles.yml needs no YAML library.
        (Path(scratch) / "profiles.yml").write_text(json.dumps(profile, indent=2))
        executable = dbt_executable or shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")
        if shutil.which(executable) is None:
            raise CalendlyConfigError(
                f"dbt not found ({executable}): pip install 'airflow-provider-calendly[dbt]' and your warehouse's "
                "adapter (dbt-duckdb, dbt-postgres, ...), or pass the path of a dbt in another venv"
            )
        args = [
            executable,
            *command,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            scratch,
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--vars",
            json.dumps(dict(dbt_vars or {})),
        ]
        env = {
            **os.environ,
            PASSWORD_ENV: conn.password or "",
            "DBT_USE_COLORS": "false",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        echo = echo or _log_line
        echo(f"Running dbt {' '.join(command)} over {project_dir}")
        with subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        ) as proc:
            try:
                assert proc.stdout is not None
                for line in proc.stdout:
                    echo(line.rstrip())
                returncode = proc.wait()
            except BaseException:
                proc.kill()
                raise
        run_results = work / "target" / "run_results.json"
        data: dict[str, Any] = json.loads(run_results.read_text()) if run_results.exists() else {}
    statuses = {result["unique_id"]: str(result["status"]) for result in data.get("results", [])}
    failed = sorted(node for node, status in statuses.items() if status not in _PASSED)
    if returncode != 0 or failed:
        raise CalendlyDbtError(
            f"dbt {' '.join(command)} exited with {returncode}; not passed: {', '.join(failed) or 'see the log above'}"
        )
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return {"command": " ".join(command), "elapsed": round(float(data.get("elapsed_time", 0)), 2), "results": counts}


def _log_line(line: str) -> None:
    log.info("%s", line)
