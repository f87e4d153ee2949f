"""Test session setup: a private AIRFLOW_HOME with a migrated SQLite metadata DB, and shared fixtures.

Airflow reads ``AIRFLOW_HOME`` when it is first imported, so the environment is prepared here at import
time, before any test module imports Airflow.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.background import BackgroundRuns

# The emulator fixtures are opt-in (no pytest11 auto-load): a project asks for them, as this one does here.
# tests.processes: every process a test starts dies with the session (Ctrl-C and SIGTERM included).
# tests.warehouses.standins: the Snowflake and BigQuery stand-ins' fixtures (used in those warehouses' venvs).
pytest_plugins = ["airflow_provider_calendly.testing.pytest_plugin", "tests.processes", "tests.warehouses.standins"]

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_DAGS = REPO_ROOT / "example_dags"

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="calendly-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(EXAMPLE_DAGS)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"
os.environ.pop("AIRFLOW_CONN_CALENDLY_DEFAULT", None)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run last the tests that collect a background run (tests/background.py), in their order."""
    from tests import background  # imported here, after tests.processes is loaded as a plugin (and rewritten)

    items.sort(key=lambda item: item.get_closest_marker(background.MARKER) is not None)


@pytest.fixture(scope="session", autouse=True)
def background_runs(request: pytest.FixtureRequest) -> Iterator[BackgroundRuns | None]:
    """The runs in other venvs the selected tests collect (the Airflow 3.2 compat run, the warehouses' runs),
    started with the first test so they use the second core while the suite runs; stopped, whatever happened,
    when the session ends.

    Collecting tests starts nothing: fixtures are set up only when tests run.
    """
    from tests import background

    runs = background.queued(request.session.items, cwd=str(REPO_ROOT))
    if not runs:
        yield None
        return
    queue = background.BackgroundRuns(runs)
    try:
        yield queue
    finally:
        queue.stop()


def service_unavailable(reason: str) -> None:
    """Skip when a local service is missing, but fail under CI=true, where every service must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


_PRISTINE_DB = Path(tempfile.mkdtemp(prefix="calendly-airflow-db-")) / "airflow.db"


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """Migrate the private SQLite metadata DB once per session (needed by ``dag.test()``)."""
    import sqlite3

    from airflow.utils import db

    db.initdb()
    # A copy of the freshly migrated DB, before any test writes to it: other Airflow homes (the API server of
    # tests/ui, the wheel's smoke run) start from it instead of paying for one more `airflow db migrate`.
    with sqlite3.connect(_AIRFLOW_HOME / "airflow.db") as source, sqlite3.connect(_PRISTINE_DB) as copy:
        source.backup(copy)
    yield _AIRFLOW_HOME


@pytest.fixture(scope="session")
def migrated_db_template(airflow_db: Path) -> Path:
    """A freshly migrated, empty SQLite metadata DB file to copy into another ``AIRFLOW_HOME``."""
    return _PRISTINE_DB


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and sdist, built once per session with ``uv build`` (as ``make build`` does)."""
    import shutil
    import subprocess
    import sys

    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.fail("uv not found: `make install` puts it in .venv/bin")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [uv, "build", "--quiet", "--out-dir", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"uv build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    wheels = list(out.glob("*.whl"))
    sdists = list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.fixture
def postgres_uri() -> str:
    """URI of the local PostgreSQL server (``CALENDLY_TEST_POSTGRES_URI`` overrides)."""
    uri = os.environ.get("CALENDLY_TEST_POSTGRES_URI", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        import psycopg

        psycopg.connect(uri, connect_timeout=3).close()
    except Exception as exc:  # any failure to reach the server means "absent"
        service_unavailable(f"PostgreSQL not reachable at {uri}: {exc}")
    return uri


@pytest.fixture
def mysql_uri() -> str:
    """URI of the local MariaDB (or MySQL) server (``CALENDLY_TEST_MYSQL_URI`` overrides)."""
    uri = os.environ.get("CALENDLY_TEST_MYSQL_URI", "mysql://root@127.0.0.1:3306/test")
    try:
        import MySQLdb
        from sqlalchemy.engine import make_url

        url = make_url(uri)
        MySQLdb.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            passwd=url.password or "",
            db=url.database or "",
            connect_timeout=3,
        ).close()
    except Exception as exc:  # no driver, or the server cannot be reached: "absent"
        service_unavailable(f"MariaDB/MySQL not reachable at {uri}: {exc}")
    return uri


@pytest.fixture
def redis_url() -> str:
    """URL of the local Redis server (``CALENDLY_TEST_REDIS_URL`` overrides)."""
    url = os.environ.get("CALENDLY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:
        service_unavailable(f"Redis not reachable at {url}: {exc}")
    return url


def example_dag(file_name: str, dag_id: str) -> Any:
    """Load one example DAG (zero import errors), its task retries off: a failure fails the test at once
    instead of waiting out the DAG's retry delay in ``dag.test()``."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(EXAMPLE_DAGS / file_name))
    assert bag.import_errors == {}
    dag = bag.get_dag(dag_id)
    assert dag is not None, f"{dag_id} not in {file_name}"
    for task in dag.tasks:
        task.retries = 0
    return dag


class FakeClock:
    """A monotonic clock whose ``sleep`` advances time instantly; records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def calendly_env_conn(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point ``calendly_default`` at a fake API host for HTTP-level unit tests (``responses``)."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_CALENDLY_DEFAULT",
        '{"conn_type": "calendly", "password": "unit-test-token-123", "host": "https://api.calendly.test",'
        ' "extra": {"rate_limit": 1000, "rate_limit_period": 60, "max_retries": 3}}',
    )
    yield "calendly_default"
