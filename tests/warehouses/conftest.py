"""Each warehouse's tests run where its official provider is installed: tests/warehouses/snowflake and
tests/warehouses/bigquery in venvs of their own (tests/test_warehouses.py runs them there), tests/warehouses/mysql
in the main one. A directory whose stand-in is not installed in this venv is not collected."""

from __future__ import annotations

import importlib.util

_STANDINS = {"snowflake": "fakesnow", "bigquery": "bqemulator"}

collect_ignore = [directory for directory, module in _STANDINS.items() if importlib.util.find_spec(module) is None]
