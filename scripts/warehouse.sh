#!/usr/bin/env bash
# The venvs of the warehouses whose official Airflow provider cannot share the main lock (constraints.txt):
# .venv/<warehouse>, pinned by constraints-<warehouse>.txt, with this package (editable, extras dev and <warehouse>)
# and the warehouse's local stand-in (tests/warehouses/<warehouse>/requirements.in). Snowflake's provider needs
# SQLAlchemy < 2.1 and the Google provider protobuf < 7, where the main lock has SQLAlchemy 2.1 and protobuf 7.
#
# Usage: scripts/warehouse.sh venv WAREHOUSE         build .venv/WAREHOUSE (nothing to do when it is up to date)
#        scripts/warehouse.sh lock WAREHOUSE         recompile constraints-WAREHOUSE.txt from pyproject.toml
#        scripts/warehouse.sh test WAREHOUSE [ARGS]  build the venv, then run pytest there (default: tests/warehouses/WAREHOUSE)
#
# `test` is what tests/test_warehouses.py runs in the background: it dies with whoever started it and takes
# everything it started along (scripts/background.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

COMMAND="${1:?usage: scripts/warehouse.sh venv|lock|test WAREHOUSE [pytest args]}"
WAREHOUSE="${2:?usage: scripts/warehouse.sh venv|lock|test WAREHOUSE [pytest args]}"
shift 2
case "$WAREHOUSE" in
snowflake | bigquery) ;;
*)
    echo "warehouse.sh: no separate venv for '$WAREHOUSE' (snowflake, bigquery)" >&2
    exit 2
    ;;
esac

UV=.venv/bin/uv
[ -x "$UV" ] || UV=$(command -v uv)
BASE_PYTHON=.venv/bin/python
[ -x "$BASE_PYTHON" ] || BASE_PYTHON=$(command -v python3)
VENV=".venv/$WAREHOUSE"
LOCK="constraints-$WAREHOUSE.txt"
STANDIN="tests/warehouses/$WAREHOUSE/requirements.in"
STAMP="$VENV/.installed"

# The lock runs the main lock's Airflow (the same apache-airflow, -core and -task-sdk pins) and starts from the main
# lock's versions (uv keeps the versions already in its output file where they resolve), so the warehouse venv
# differs from the main one only where the provider or the stand-in needs it.
lock() {
    local seed airflow
    seed=$(mktemp)
    airflow=$(mktemp)
    cp constraints.txt "$seed"
    grep -E '^apache-airflow(-core|-task-sdk)?==' constraints.txt >"$airflow"
    "$UV" pip compile pyproject.toml "$STANDIN" --extra dev --extra "$WAREHOUSE" --constraint "$airflow" \
        --universal --python-version 3.11 --no-emit-index-url --no-emit-find-links --quiet -o "$seed"
    # The temporary files' names out of the header and annotations: the lock says where its pins come from.
    sed "s|$seed|$LOCK|; s| --constraint $airflow||; s|-c $airflow|-c constraints.txt (its Airflow)|" "$seed" >"$LOCK"
    rm -f "$seed" "$airflow"
}

# Rebuilt only when the lock, pyproject.toml or the stand-in's requirements changed since the last build.
venv() {
    local want
    want=$(cat "$LOCK" pyproject.toml "$STANDIN" | sha256sum | cut -d' ' -f1)
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    echo "warehouse: building $VENV from $LOCK"
    rm -rf "$VENV"
    "$UV" venv --quiet --python "$BASE_PYTHON" "$VENV"
    "$UV" pip install --quiet --python "$VENV/bin/python" --constraint "$LOCK" -e ".[dev,$WAREHOUSE]" -r "$STANDIN"
    echo "$want" >"$STAMP"
}

case "$COMMAND" in
lock) lock ;;
venv) venv ;;
test)
    # shellcheck source=scripts/background.sh
    source scripts/background.sh
    run venv
    [ "$#" -gt 0 ] || set -- "tests/warehouses/$WAREHOUSE" -q
    run "$VENV/bin/python" -c 'import airflow, sys; print(f"warehouse: '"$WAREHOUSE"' venv, Apache Airflow {airflow.__version__}, Python {sys.version.split()[0]}")'
    run "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
    ;;
*)
    echo "warehouse.sh: unknown command '$COMMAND' (venv, lock, test)" >&2
    exit 2
    ;;
esac
