"""Fixtures for the UI and REST tests: the Calendly emulator and a real Airflow API server.

The API server runs as a subprocess in its own temporary ``AIRFLOW_HOME`` (SQLite metadata DB, simple auth
manager with everyone an admin, connection testing enabled), on a free port, and is waited for by polling its
health endpoint for a bounded time. Its log is kept under ``tests/artifacts/ui/`` for when something fails.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests import processes
from tests.conftest import service_unavailable

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "ui"
STARTUP_TIMEOUT = 120.0
PLAYWRIGHT_DIR = Path(__file__).resolve().parent / "playwright"
CHROMIUM = os.environ.get("CALENDLY_TEST_CHROMIUM", "/usr/bin/chromium")


def browser_tools() -> str:
    """Return the ``node`` executable, or skip (fail under CI) naming what is missing and how to get it."""
    hint = "run scripts/ci-system-deps.sh"
    if not Path(CHROMIUM).exists():
        service_unavailable(f"Chromium not found at {CHROMIUM} ({hint})")
    node = shutil.which("node")
    if node is None:
        service_unavailable(f"node not found on PATH ({hint})")
    if not (PLAYWRIGHT_DIR / "node_modules" / "playwright-core" / "package.json").exists():
        service_unavailable(f"playwright-core not installed in {PLAYWRIGHT_DIR} ({hint})")
    return str(node)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class EmulatorInfo:
    """What the tests need to know about the running emulator."""

    base_url: str
    token: str
    user_name: str
    user_email: str

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1].split("/", 1)[0])


@pytest.fixture(scope="session")
def ui_emulator() -> Iterator[EmulatorInfo]:
    """A running Calendly emulator (seed 42) and the name of the user its token belongs to."""
    from airflow_provider_calendly.testing import CalendlyEmulator

    emulator = CalendlyEmulator(seed=42, token="ui-test-token-42")
    emulator.start()
    try:
        me = requests.get(
            f"{emulator.base_url}/users/me", headers={"Authorization": f"Bearer {emulator.token}"}, timeout=10
        )
        me.raise_for_status()
        user = me.json()["resource"]
        yield EmulatorInfo(emulator.base_url, emulator.token, user["name"], user["email"])
    finally:
        emulator.stop()


@dataclass(frozen=True)
class AirflowServer:
    """A running ``airflow api-server`` and the environment it runs in (for CLI calls against its home)."""

    url: str
    env: dict[str, str]
    log: Path

    def run_cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _airflow_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW__", "AIRFLOW_HOME"))}
    dags = home / "dags"
    dags.mkdir()
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    return env


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"airflow api-server exited with {proc.returncode}; see {log}")
        try:
            response = requests.get(f"{url}/api/v2/monitor/health", timeout=2)
            if response.ok and response.json()["metadatabase"]["status"] == "healthy":
                return
            last_error = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            last_error = type(exc).__name__
        time.sleep(0.5)
    raise RuntimeError(f"airflow api-server not healthy after {STARTUP_TIMEOUT:.0f}s ({last_error}); see {log}")


@pytest.fixture(scope="session")
def airflow_server(migrated_db_template: Path) -> Iterator[AirflowServer]:
    """Start ``airflow api-server`` in a temporary AIRFLOW_HOME; stop it (and its workers) afterwards."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="calendly-ui-airflow-home-"))
    env = _airflow_env(home)
    log = ARTIFACTS / "api-server.log"
    # The session's freshly migrated metadata DB, copied: the same schema `airflow db migrate` would create.
    shutil.copy(migrated_db_template, home / "airflow.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as log_file:
        proc = processes.spawn(
            [sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, proc, log)
        yield AirflowServer(url=url, env=env, log=log)
    finally:
        processes.stop(proc)  # the server and its workers
        shutil.rmtree(home, ignore_errors=True)
