#!/usr/bin/env bash
# Run the unit tests against another Airflow release line in a throwaway venv (default: the lowest supported,
# 3.2.*; "newest": the newest versions of everything, ignoring constraints.txt). Dependencies come from uv's cache when
# warm. Usage: scripts/compat.sh ["3.2.*"|newest] [pytest args...]
#
# The run dies with whoever started it and takes everything it started along (scripts/background.sh); on exit the
# throwaway venv is removed.
set -euo pipefail
cd "$(dirname "$0")/.."

AIRFLOW_SPEC="${1:-3.2.*}"
shift || true
UV=.venv/bin/uv
[ -x "$UV" ] || UV=$(command -v uv)
BASE_PYTHON=.venv/bin/python
[ -x "$BASE_PYTHON" ] || BASE_PYTHON=$(command -v python3)

# shellcheck source=scripts/background.sh
source scripts/background.sh
VENV=""
cleanup() { [ -z "$VENV" ] || rm -rf "$VENV"; }

VENV=$(mktemp -d "${TMPDIR:-/tmp}/calendly-compat-XXXXXX")
echo "compat: testing against Apache Airflow ${AIRFLOW_SPEC} in ${VENV}"
run "$UV" venv --quiet --python "$BASE_PYTHON" "$VENV"
# Airflow releases are not re-cut when their dependencies move on: 3.2.2 breaks under libraries released after
# it (today's resolution makes its in-process execution API fail to build its pydantic schemas). Resolve the old
# line as of a date when it was current, the way its users installed it (and Airflow's constraints pin it).
EXCLUDE_NEWER="${COMPAT_EXCLUDE_NEWER:-2026-06-15}"
if [ "$AIRFLOW_SPEC" = "newest" ]; then
    # The newest release of everything pyproject.toml allows, ignoring constraints.txt: what `make lock` would pick.
    run "$UV" pip install --quiet --upgrade --python "$VENV/bin/python" -e ".[dev]"
else
    run "$UV" pip install --quiet --exclude-newer "$EXCLUDE_NEWER" --python "$VENV/bin/python" -e ".[dev]" \
        "apache-airflow==${AIRFLOW_SPEC}"
fi
run "$VENV/bin/python" -c 'import airflow, sys; print(f"compat: Apache Airflow {airflow.__version__}, Python {sys.version.split()[0]}")'

# Unit tests only: the browser, release, docs and compat tests exercise the install itself, not the code, and the
# quick benchmarks measure pacing, which does not depend on the Airflow version.
if [ "$#" -eq 0 ]; then
    set -- -m "not integration" --ignore=tests/ui --ignore=tests/docs --ignore=tests/test_release.py \
        --ignore=tests/test_compat.py --ignore=tests/benchmarks -q
fi
run "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
