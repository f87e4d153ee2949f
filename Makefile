# The two commands the README gives: `make demo` (the main job) and `make test` (the whole suite).
# `make install` is the shared, idempotent step: a .venv in the repo with the package (editable) and test tools.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed

.PHONY: install dbt-venv snowflake-venv bigquery-venv build-deps lock compat-newest system-deps test lint typecheck pytest demo bench build compat clean distributed

install: $(STAMP)

# Installs exactly the versions pinned in constraints.txt (every dependency, pinned as constraints), the package
# editable. The lock names versions only, never an index, so it installs from whatever index pip/uv is set up with.
LOCK := constraints.txt

$(STAMP): pyproject.toml $(LOCK)
	bash scripts/build-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.4"
	$(UV) pip install --quiet --python $(BIN)/python --constraint $(LOCK) -e ".[dev]"
	touch $(STAMP)

# dbt runs from a venv of its own, .venv/dbt: dbt-core needs protobuf<7 and older libraries than Airflow's lock
# (users install the [dbt] extra next to Airflow, and pip resolves both). Pinned by constraints-dbt.txt; duckdb is
# the main venv's own version, so both read the same database files. Used by the tests and the demo.
DBT_VENV := $(VENV)/dbt
DBT_LOCK := constraints-dbt.txt
# The dbt-core range of pyproject.toml's [dbt] extra, and the two adapters the tests and the demo use.
DBT_REQUIREMENTS := "dbt-core>=1.10.8,<1.12" "dbt-duckdb>=1.9" "dbt-postgres>=1.9"

dbt-venv: $(DBT_VENV)/.installed

$(DBT_VENV)/.installed: $(STAMP) $(DBT_LOCK)
	rm -rf $(DBT_VENV)
	$(UV) venv --quiet --python $(BIN)/python $(DBT_VENV)
	$(UV) pip install --quiet --python $(DBT_VENV)/bin/python -r $(DBT_LOCK) \
		"duckdb==$$($(BIN)/python -c 'import duckdb; print(duckdb.__version__)')"
	touch $@

# Debian packages the install compiles against: mysqlclient (the MySQL provider's driver, in the dev extra) has no
# Linux wheel and builds against the MariaDB client headers. Quick when they are there.
build-deps:
	bash scripts/build-deps.sh

# Snowflake and BigQuery run from venvs of their own, .venv/snowflake and .venv/bigquery, pinned by
# constraints-snowflake.txt and constraints-bigquery.txt: their official providers need SQLAlchemy < 2.1 and
# protobuf < 7, where the main lock has 2.1 and 7. Each holds the package with its dev and warehouse extras and the
# warehouse's stand-in (fakesnow, bqemulator); tests/test_warehouses.py builds them and runs tests/warehouses/<name>
# there in the background. scripts/warehouse.sh rebuilds a venv only when its lock or inputs changed.
snowflake-venv bigquery-venv: %-venv: $(STAMP)
	bash scripts/warehouse.sh venv $*

# Refresh constraints.txt to the newest versions pyproject.toml allows (then run `make test` and commit the lock).
lock:
	test -x $(UV) || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); $(BIN)/python -m pip install --quiet "uv>=0.4"; }
	$(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.10 --upgrade \
		--no-emit-index-url --no-emit-find-links --quiet -o $(LOCK)
	printf '%s\n' $(DBT_REQUIREMENTS) | $(UV) pip compile - --universal --python-version 3.10 --upgrade \
		--no-emit-index-url --no-emit-find-links --no-emit-package duckdb --quiet -o $(DBT_LOCK)
	bash scripts/warehouse.sh lock snowflake
	bash scripts/warehouse.sh lock bigquery

# ruff, and the package's layering (import-linter contracts in pyproject.toml: which layer may import which).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo --no-cache

typecheck: install
	$(BIN)/mypy

pytest: install dbt-venv
	$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo 'pytest collected no tests: failing on purpose'; fi; exit $$rc

# Debian chromium + npm playwright-core for the browser tests (quick when already there).
system-deps:
	bash scripts/ci-system-deps.sh

test: lint typecheck system-deps pytest

demo: install dbt-venv
	$(BIN)/python scripts/demo.py

# Every benchmark against the emulator (~7 min); writes benchmarks/RESULTS.md and benchmarks/plots/*.png.
# BENCH_ARGS=--million adds the 1,000,000-invitee sync (~6 min per warehouse); --quick is a smoke run.
# Snowflake's load row is measured in its own venv (the provider needs SQLAlchemy < 2.1), in the same run.
bench: install snowflake-venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Multi-process tests on the local PostgreSQL (a fresh database per run) and Redis: the webhook fail-over and a
# CeleryExecutor deployment (scheduler, dag-processor, 2 workers, 2 triggerers, 2 API servers; ~6 min).
# Writes their RESULTS.md sections. `make test` runs them too when CI=true.
distributed: install
	CALENDLY_DISTRIBUTED=1 CALENDLY_DISTRIBUTED_RESULTS=1 $(BIN)/pytest -q -s tests/distributed

build: install
	rm -rf dist
	$(UV) build --quiet
	$(BIN)/twine check dist/*

compat: install
	bash scripts/compat.sh "3.2.*"

# Report-only: the unit tests on the newest versions of every dependency (not the lock). Never fails the build;
# a failure says what `make lock` would break.
compat-newest: install
	bash scripts/compat.sh newest || echo "compat-newest: FAILED on the newest versions (report only, build not failed)"

clean:
	rm -rf $(VENV) dist .demo .pytest_cache .mypy_cache .ruff_cache
