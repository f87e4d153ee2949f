"""MySQL and MariaDB through the official MySqlHook (the main venv: the provider fits the main lock), on the local
MariaDB server, for the statements the transfer's dialect uses.

MariaDB stands in for MySQL too: same protocol, driver and upsert syntax; what differs (JSON is MariaDB's alias of
LONGTEXT with a JSON_VALID check, MySQL's is a binary type) is noted where it shows.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa

from tests.conftest import service_unavailable

pytestmark = pytest.mark.integration

MYSQL_CONN_ID = "calendly_mysql"


@pytest.fixture
def mysql_conn_id(monkeypatch: pytest.MonkeyPatch) -> str:
    """An Airflow ``mysql`` connection to the local MariaDB (``CALENDLY_TEST_MYSQL_URI`` overrides); its id."""
    uri = os.environ.get("CALENDLY_TEST_MYSQL_URI", "mysql://root@127.0.0.1:3306/test")
    monkeypatch.setenv(f"AIRFLOW_CONN_{MYSQL_CONN_ID.upper()}", uri)
    from airflow.providers.mysql.hooks.mysql import MySqlHook

    try:
        MySqlHook(mysql_conn_id=MYSQL_CONN_ID).get_conn().close()
    except Exception as exc:  # any failure to reach the server means "absent"
        service_unavailable(f"MySQL/MariaDB not reachable at {uri}: {exc}")
    return MYSQL_CONN_ID


@pytest.fixture
def table(mysql_conn_id: str) -> Iterator[str]:
    """A table name no other test uses (the server is shared), dropped after."""
    from airflow.providers.mysql.hooks.mysql import MySqlHook

    name = f"t{uuid.uuid4().hex[:10]}_events"
    yield name
    MySqlHook(mysql_conn_id=mysql_conn_id).run(f"DROP TABLE IF EXISTS {name}")


def test_upsert_json_and_reflection(mysql_conn_id: str, table: str) -> None:
    from airflow.providers.mysql.hooks.mysql import MySqlHook

    hook = MySqlHook(mysql_conn_id=mysql_conn_id)
    hook.run(
        f"CREATE TABLE {table} (uri VARCHAR(512) PRIMARY KEY COMMENT 'canonical URI', start_time DATETIME(6), "
        "payload JSON, n BIGINT) COMMENT = 'Calendly scheduled events'"
    )
    upsert = (
        f"INSERT INTO {table} (uri, start_time, payload, n) VALUES (%s, %s, %s, %s) "
        "ON DUPLICATE KEY UPDATE start_time = VALUES(start_time), payload = VALUES(payload), n = VALUES(n)"
    )
    conn = hook.get_conn()
    try:
        with conn.cursor() as cur:
            for n in (1, 10):  # the same keys twice: inserted, then updated in place
                rows = [
                    (
                        f"https://api.calendly.com/e/{i}",
                        datetime(2026, 1, 1, 10, 0, 0, 123456),
                        json.dumps({"i": i}),
                        n + i,
                    )
                    for i in range(3)
                ]
                cur.executemany(upsert, rows)
        conn.commit()
    finally:
        conn.close()

    assert hook.get_records(
        f"SELECT JSON_VALUE(payload, '$.i'), JSON_TYPE(payload), n, start_time FROM {table} ORDER BY uri"
    ) == (
        ("0", "OBJECT", 10, datetime(2026, 1, 1, 10, 0, 0, 123456)),
        ("1", "OBJECT", 11, datetime(2026, 1, 1, 10, 0, 0, 123456)),
        ("2", "OBJECT", 12, datetime(2026, 1, 1, 10, 0, 0, 123456)),
    )
    hook.run(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS cancel_reason TEXT COMMENT 'why it was canceled'")
    inspector = sa.inspect(hook.get_sqlalchemy_engine())
    columns = {c["name"]: (str(c["type"]), c.get("comment")) for c in inspector.get_columns(table)}
    assert columns == {
        "uri": ("VARCHAR(512)", "canonical URI"),
        "start_time": ("DATETIME", None),
        "payload": ("LONGTEXT", None),  # MariaDB: JSON is LONGTEXT with a JSON_VALID check
        "n": ("BIGINT", None),
        "cancel_reason": ("TEXT", "why it was canceled"),
    }
    assert inspector.get_table_comment(table) == {"text": "Calendly scheduled events"}
