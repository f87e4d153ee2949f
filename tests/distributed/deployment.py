"""A real multi-process Airflow deployment on loopback, started and torn down by a test.

PostgreSQL (a fresh metadata database per run) and Redis (the Celery broker, on a dedicated database number,
with a queue of this run's own) are the local servers; every Airflow service is its own ``airflow``
process in its own process group, configured only through environment variables in a generated
``AIRFLOW_HOME``, its output captured to a log file. Nothing here sleeps to synchronise: every wait polls a
real condition (an HTTP health endpoint, a row in the metadata database, a line in a log) with a timeout.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tests import processes
from tests.conftest import REPO_ROOT

T = TypeVar("T")

DAGS_FOLDER = Path(__file__).resolve().parent / "dags"
#: Redis database of the Celery broker: one of its own, apart from the rate budget's and other tests' keys.
BROKER_DB = 13
#: How often a wait re-checks its condition.
POLL = 0.2


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, check: Callable[[], T | None], timeout: float, deployment: Deployment | None = None) -> T:
    """Poll ``check`` until it returns a truthy value; fail with ``what`` (and dead services) on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if deployment is not None:
            deployment.assert_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL)  # the polling interval of a real condition, not a wait for something to happen


@contextmanager
def fresh_database(admin_uri: str, label: str) -> Iterator[str]:
    """Create a PostgreSQL database of its own for this run; drop it (connections and all) afterwards."""
    import psycopg2

    name = f"calendly_{label}_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(admin_uri)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_uri.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class Service:
    """One Airflow service process, alone in its process group, its output in ``log``."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.args = args
        self.log = log
        self.killed = False
        self._file = log.open("wb")
        self.proc = processes.spawn(args, env=env, cwd=REPO_ROOT, stdout=self._file, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group (the service and every child it forked: task runners, supervisors)."""
        self.killed = True
        processes.stop(self.proc, grace=0, first=signal.SIGKILL)

    def stop(self) -> None:
        """Ask the group to stop, then kill what is left after a grace period."""
        processes.stop(self.proc, grace=10)
        self._file.close()

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Deployment:
    """Scheduler, dag-processor, two Celery workers, two triggerers and two API servers on one metadata DB.

    :param home: The generated ``AIRFLOW_HOME`` (logs go to ``home/services``).
    :param metadata_uri: A fresh PostgreSQL database for Airflow's metadata.
    :param redis_url: The local Redis (the broker uses database :data:`BROKER_DB` of the same server).
    :param connections: ``AIRFLOW_CONN_*`` values shared by every service.
    """

    def __init__(self, home: Path, metadata_uri: str, redis_url: str, connections: dict[str, str]) -> None:
        self.home = home
        self.metadata_uri = metadata_uri
        self.sa_uri = metadata_uri.replace("postgresql://", "postgresql+psycopg2://", 1)
        self.logs = home / "services"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.api_ports = [free_port(), free_port()]
        self.queue = f"calendly_dist_{uuid.uuid4().hex[:8]}"  # this run's own Celery queue on the shared broker
        self.broker = redis_url.rsplit("/", 1)[0] + f"/{BROKER_DB}"
        self.services: dict[str, Service] = {}
        self.env = self._environment(connections)
        self._engine: Any = None

    @property
    def api_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.api_ports]

    def _environment(self, connections: dict[str, str]) -> dict[str, str]:
        from cryptography.fernet import Fernet

        # The test session's own Airflow settings (SQLite, unit-test mode) must not leak into the services.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
        settings = {
            "CORE__EXECUTOR": "CeleryExecutor",
            "CORE__DAGS_FOLDER": str(DAGS_FOLDER),
            "CORE__LOAD_EXAMPLES": "False",
            "CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "CORE__HOSTNAME_CALLABLE": "tests.distributed.hostname.hostname",
            "CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "CORE__EXECUTION_API_SERVER_URL": f"{self.api_urls[0]}/execution/",
            "CORE__PARALLELISM": "16",
            "DATABASE__SQL_ALCHEMY_CONN": self.sa_uri,
            "DATABASE__SQL_ALCHEMY_POOL_SIZE": "3",
            "CELERY__BROKER_URL": self.broker,
            "CELERY__RESULT_BACKEND": "db+" + self.metadata_uri,
            "CELERY__WORKER_CONCURRENCY": "2",
            "OPERATORS__DEFAULT_QUEUE": self.queue,
            # One secret set for every process: the scheduler signs the execution API tokens the API servers
            # check, the API servers sign their UI/REST tokens.
            "API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "API__SECRET_KEY": secrets.token_urlsafe(32),
            "API__WORKERS": "1",
            # Fast failure detection: a killed worker's task try is failed (and retried) within seconds.
            "SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "12",
            "SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "2",
            "SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "10",
            "WORKERS__MIN_HEARTBEAT_INTERVAL": "2",
            # ... and a killed triggerer's triggers move to the other one.
            "TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            "TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "6",
            "DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
        }
        env.update({f"AIRFLOW__{k}": v for k, v in settings.items()})
        env.update({f"AIRFLOW_CONN_{k.upper()}": v for k, v in connections.items()})
        env["AIRFLOW_HOME"] = str(self.home)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        return env

    # -- processes --

    def airflow(self, *args: str) -> list[str]:
        return [str(Path(sys.executable).parent / "airflow"), *args]

    def spawn(self, name: str, args: list[str], **extra_env: str) -> Service:
        env = {**self.env, "CALENDLY_DIST_HOSTNAME": name, **extra_env}
        service = Service(name, args, env, self.logs / f"{name}.log")
        self.services[name] = service
        return service

    def migrate(self) -> None:
        """Create the metadata schema (``airflow db migrate``), once, before any service starts."""
        result = subprocess.run(
            self.airflow("db", "migrate"), env=self.env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
        )
        if result.returncode:
            raise RuntimeError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")

    def start(self) -> None:
        """Start every service at once (startup is CPU-bound: they overlap), then wait until each is up."""
        for i, port in enumerate(self.api_ports, 1):
            self.spawn(f"api-server-{i}", self.airflow("api-server", "--port", str(port), "--host", "127.0.0.1"))
        self.spawn("scheduler", self.airflow("scheduler"))
        self.spawn("dag-processor", self.airflow("dag-processor"))
        for i in (1, 2):
            self.spawn(f"triggerer-{i}", self.airflow("triggerer", "--skip-serve-logs"))
        for i in (1, 2):
            # Each worker's task runners talk to "their" API server: both serve the execution API.
            self.spawn(
                f"worker-{i}",
                self.airflow(
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"worker-{i}@%h",
                    "--queues",
                    self.queue,
                    "--concurrency",
                    "2",
                    "--skip-serve-logs",
                ),
                AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.api_urls[i - 1]}/execution/",
            )
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 240) -> None:
        import requests

        def api_up(url: str) -> bool:
            try:
                return requests.get(f"{url}/calendly/webhooks/health", timeout=2).status_code == 200 and (
                    requests.get(f"{url}/api/v2/monitor/health", timeout=5).status_code == 200
                )
            except requests.RequestException:
                return False

        for url in self.api_urls:
            wait_for(f"the API server at {url}", lambda url=url: api_up(url), timeout, self)
        for job_type, count in (("SchedulerJob", 1), ("TriggererJob", 2), ("DagProcessorJob", 1)):
            wait_for(
                f"{count} running {job_type}",
                lambda job_type=job_type, count=count: (
                    self.scalar("SELECT count(*) FROM job WHERE job_type = %s AND state = 'running'", job_type) >= count
                ),
                timeout,
                self,
            )
        for i in (1, 2):
            wait_for(
                f"worker-{i} ready",
                lambda i=i: " ready." in self.services[f"worker-{i}"].log.read_text(errors="replace"),
                timeout,
                self,
            )

    def assert_alive(self) -> None:
        dead = [s for s in self.services.values() if not s.killed and not s.alive()]
        if dead:
            raise RuntimeError("service(s) exited: " + ", ".join(f"{s.name} (rc {s.proc.returncode})" for s in dead))

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        if self._engine is not None:
            self._engine.dispose()

    def dump_logs(self, lines: int = 80) -> str:
        return "\n".join(f"===== {s.name} ({s.log}) =====\n{s.tail(lines)}" for s in self.services.values())

    # -- the metadata database and the REST API --

    @property
    def engine(self) -> Any:
        if self._engine is None:
            import sqlalchemy as sa

            self._engine = sa.create_engine(self.sa_uri, pool_size=2)
        return self._engine

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql, tuple(params)).fetchall()]

    def scalar(self, sql: str, *params: Any) -> Any:
        rows = self.rows(sql, *params)
        return rows[0][0] if rows else None

    def trigger(self, dag_id: str) -> str:
        """Trigger a run through the API server's REST API; return its run id."""
        import requests

        wait_for(
            f"{dag_id} parsed",
            lambda: self.scalar(
                "SELECT count(*) FROM dag JOIN serialized_dag USING (dag_id) WHERE dag_id = %s AND NOT is_stale",
                dag_id,
            ),
            120,
            self,
        )
        response = requests.post(
            f"{self.api_urls[1]}/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None}, timeout=30
        )
        assert response.status_code == 200, response.text
        return str(response.json()["dag_run_id"])

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        """Wait for a DAG run to finish; return its final state."""
        return str(
            wait_for(
                f"{dag_id} {run_id} to finish",
                lambda: self.scalar(
                    "SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s AND state IN ('success', 'failed')",
                    dag_id,
                    run_id,
                ),
                timeout,
                self,
            )
        )
