"""Release quality: the built wheel and sdist are well-formed and the wheel works on its own.

Builds with ``uv build`` into a temporary directory, runs ``twine check --strict``, inspects both archives,
then installs only the wheel (not editable) into a fresh virtualenv and runs ``release_smoke.py`` there: every
module imports, Airflow's ProvidersManager finds the provider, the emulator starts, the hook talks to it, and the
actions example and the demo DAG (into a SQLite warehouse) run green. Dependencies are pinned to this venv's versions, so the install comes from uv's cache.
"""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from airflow_provider_calendly import __version__
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
SMOKE_SCRIPT = REPO_ROOT / "tests" / "release_smoke.py"
# The action operators' example, and the demo DAG (``make demo``'s main job) into a SQLite warehouse.
SMOKE_DAGS = [
    REPO_ROOT / "example_dags" / "calendly_actions.py",
    REPO_ROOT / "example_dags" / "calendly_to_warehouse.py",
]
DIST_NAME = "airflow_provider_calendly"
#: The Airflow page's files (airflow_provider_calendly/ui/static/), the vendored charting library included.
UI_ASSETS = (
    "index.html",
    "page.js",
    "page.css",
    "icon.svg",
    "vendor/chart.umd.min.js",
    "vendor/chart.js.LICENSE.md",
    "vendor/kurkle-color.LICENSE.md",
)


def _run(*args: str | Path, timeout: float = 300, **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{' '.join(map(str, args))} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _uv() -> str:
    uv = shutil.which("uv", path=str(BIN)) or shutil.which("uv")
    if uv is None:
        pytest.fail("uv not found: `make install` puts it in .venv/bin")
    return uv


@pytest.fixture(scope="module")
def dist(built_dist: dict[str, Path]) -> dict[str, Path]:
    return built_dist


def test_twine_check_passes(dist: dict[str, Path]) -> None:
    try:
        import twine  # noqa: F401
    except ImportError:
        pytest.fail("twine is not installed: it is a dev dependency (pip install -e '.[dev]')")
    _run(sys.executable, "-m", "twine", "check", "--strict", dist["wheel"], dist["sdist"])


def test_version_comes_from_one_place(dist: dict[str, Path]) -> None:
    """The package's ``__version__`` is the wheel's, the sdist's and ``get_provider_info``'s version."""
    from airflow_provider_calendly import get_provider_info

    assert dist["wheel"].name == f"{DIST_NAME}-{__version__}-py3-none-any.whl"
    assert dist["sdist"].name == f"{DIST_NAME}-{__version__}.tar.gz"
    assert get_provider_info()["versions"] == [__version__]
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert re.search(r"^version\s*=", pyproject, re.MULTILINE) is None, "version must not be repeated in pyproject"
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[?{re.escape(__version__)}\]?", changelog, re.MULTILINE), (
        f"CHANGELOG.md has no section for {__version__}"
    )


def test_wheel_contents_and_metadata(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = wheel.namelist()
        info_dir = f"{DIST_NAME}-{__version__}.dist-info"
        metadata = email.message_from_string(wheel.read(f"{info_dir}/METADATA").decode())
        entry_points = wheel.read(f"{info_dir}/entry_points.txt").decode()
    assert f"{DIST_NAME}/py.typed" in names
    assert f"{DIST_NAME}/get_provider_info.py" in names
    assert f"{DIST_NAME}/pacing/redis_limiter.lua" in names  # the Redis limiter's scripts, next to their module
    assert not [n for n in names if n.startswith(("tests/", "example_dags/", "docs/"))]
    # The example DAGs the guides copy ship inside the package (a pip user has no repository checkout).
    shipped = {n.rsplit("/", 1)[-1] for n in names if n.startswith(f"{DIST_NAME}/example_dags/")}
    assert shipped == {p.name for p in (REPO_ROOT / "example_dags").glob("*.py")}, shipped
    # The Airflow page ships whole: its files, and the built charting library with its licenses (no CDN).
    for asset in UI_ASSETS:
        assert f"{DIST_NAME}/ui/static/{asset}" in names, asset
    assert "calendly_ui = airflow_provider_calendly.ui.plugin:CalendlyUiPlugin" in entry_points
    assert "pytest11" not in entry_points, "the pytest plugin is opt-in: no auto-loading entry point"
    assert "[apache_airflow_provider]" in entry_points
    assert "provider_info = airflow_provider_calendly:get_provider_info" in entry_points
    assert metadata["Name"] == "airflow-provider-calendly"
    assert metadata["Version"] == __version__
    requires = metadata.get_all("Requires-Dist") or []
    assert any(r.startswith("apache-airflow") and ">=3" in r for r in requires), requires
    assert metadata["Description-Content-Type"] == "text/markdown"


def test_sdist_contents(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as sdist:
        names = [n.split("/", 1)[1] for n in sdist.getnames() if "/" in n]
    for required in ("pyproject.toml", "README.md", "CHANGELOG.md", f"{DIST_NAME}/__init__.py"):
        assert required in names, required
    junk = [n for n in names if "node_modules/" in n or n.startswith(("tests/artifacts/", ".venv/"))]
    assert not junk, f"sdist carries build or test junk, e.g. {junk[:5]}"


def test_wheel_alone_in_a_clean_venv(dist: dict[str, Path], tmp_path: Path, migrated_db_template: Path) -> None:
    """Install only the wheel, then import every module, call the emulator and run the example DAG."""
    uv = _uv()
    freeze = _run(uv, "pip", "freeze", "--python", sys.executable).stdout
    pins = [line for line in freeze.splitlines() if line and not line.startswith("-e") and "@ file:" not in line]
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("\n".join(p for p in pins if not p.lower().startswith("airflow-provider-calendly")))
    venv = tmp_path / "venv"
    _run(uv, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    _run(uv, "pip", "install", "--quiet", "--python", python, "--constraint", constraints, dist["wheel"])

    home = tmp_path / "airflow-home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTHONPATH", "VIRTUAL_ENV"))}
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(work),
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    # The session's freshly migrated metadata DB (tests/newcomer runs `airflow db migrate` from a wheel install).
    shutil.copy(migrated_db_template, home / "airflow.db")
    for dag_file in SMOKE_DAGS:
        shutil.copy(dag_file, work / dag_file.name)
    shutil.copy(SMOKE_SCRIPT, work / SMOKE_SCRIPT.name)
    proc = _run(python, work / SMOKE_SCRIPT.name, *(work / d.name for d in SMOKE_DAGS), env=env, cwd=work)
    report = json.loads(proc.stdout.strip().splitlines()[-1])

    assert Path(report["package_file"]).is_relative_to(venv), "imported from the source tree, not the wheel"
    assert report["version"] == __version__
    assert not report["import_failures"], report["import_failures"]
    assert "airflow_provider_calendly.hooks.calendly" in report["imported"]
    assert "airflow_provider_calendly.testing.emulator" in report["imported"]
    assert report["provider_info_versions"] == [__version__]
    assert report["providers_manager_version"] == __version__
    assert report["hook_registered"] is True
    ok, message = report["test_connection"]
    assert ok is True and message.startswith("Connected to Calendly as "), message
    assert report["event_types"] > 0
    assert report["dag_states"] == {"calendly_actions": "success", "calendly_to_warehouse": "success"}, report
    rows = report["warehouse_rows"]
    for table in ("calendly_event_types", "calendly_scheduled_events", "calendly_invitees"):
        assert rows.get(table, 0) > 0, f"the demo DAG landed no rows in {table}: {rows}"
