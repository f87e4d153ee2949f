"""Snowflake's stand-in: fakesnow, in-process, behind the official SnowflakeHook.

fakesnow replaces ``snowflake.connector.connect`` and ``snowflake.connector.pandas_tools.write_pandas`` with fakes
that run Snowflake's SQL, translated, on an in-memory DuckDB. ``SnowflakeHook.get_conn()`` imports ``connect`` when
called, so the hook runs unchanged; code that must reach the fake ``write_pandas`` looks it up when called too
(``from snowflake.connector.pandas_tools import write_pandas`` inside the function, not at module level). It works
in this process only: a task run by ``dag.test()`` runs here, a task in another process would reach the real
connector.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

SNOWFLAKE_CONN_ID = "calendly_snowflake"
DATABASE = "CALENDLY"
SCHEMA = "RAW"


@pytest.fixture
def snowflake_conn_id(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An Airflow ``snowflake`` connection to a fresh fakesnow (its database and schema exist); its id."""
    import fakesnow

    monkeypatch.setenv(
        f"AIRFLOW_CONN_{SNOWFLAKE_CONN_ID.upper()}",
        json.dumps(
            {
                "conn_type": "snowflake",
                "login": "calendly",
                "password": "not-a-secret",
                "schema": SCHEMA,
                "extra": {"account": "fakesnow", "database": DATABASE, "warehouse": "COMPUTE_WH", "role": "SYSADMIN"},
            }
        ),
    )
    with fakesnow.patch():
        yield SNOWFLAKE_CONN_ID
