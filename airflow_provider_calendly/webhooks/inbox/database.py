"""Where an inbox's database is: an Airflow connection's SQLAlchemy URL (or the default SQLite file), and one
engine per URL per process.

Without a connection named ``calendly_webhook_inbox`` the inbox is the SQLite file
``$AIRFLOW_HOME/calendly_webhook_inbox.db``; SQLite runs in WAL mode with every commit fsynced.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from airflow_provider_calendly.exceptions import CalendlyConfigError

if TYPE_CHECKING:
    from airflow.sdk import Connection

__all__ = [
    "DEFAULT_INBOX_CONN_ID",
    "default_inbox_path",
    "engine_for",
    "inbox_url_for_connection",
    "lookup_connection",
]

DEFAULT_INBOX_CONN_ID = "calendly_webhook_inbox"


def default_inbox_path() -> Path:
    """The SQLite file used when no inbox connection is defined: ``$AIRFLOW_HOME/calendly_webhook_inbox.db``."""
    home = os.environ.get("AIRFLOW_HOME") or str(Path.home() / "airflow")
    return Path(home) / "calendly_webhook_inbox.db"


def inbox_url_for_connection(conn: Connection | None) -> str | URL:
    """Return the SQLAlchemy URL of an inbox connection (``None``: the default SQLite file)."""
    if conn is None:
        return f"sqlite:///{default_inbox_path()}"
    conn_type = (conn.conn_type or "").lower()
    if conn_type == "sqlite":
        if not conn.host:
            raise CalendlyConfigError(f"SQLite connection {conn.conn_id!r} needs the database file path as host")
        return "sqlite://" if conn.host == ":memory:" else f"sqlite:///{conn.host}"
    if conn_type in {"postgres", "postgresql"}:
        return URL.create(
            "postgresql+psycopg",
            username=conn.login or None,
            password=conn.password or None,
            host=conn.host or None,
            port=conn.port or None,
            database=conn.schema or None,
        )
    extra = conn.extra_dejson if conn.extra else {}
    if isinstance(extra, dict) and isinstance(extra.get("sqlalchemy_url"), str):
        return str(extra["sqlalchemy_url"])
    return conn.get_uri()


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def engine_for(url: str | URL) -> Engine:
    """One engine per database URL per process (triggers, sensor pokes and the receiver share it)."""
    parsed = make_url(url)
    key = parsed.render_as_string(hide_password=False)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _create_engine(parsed)
            _ENGINES[key] = engine
        return engine


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, future=True)
    database = url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, future=True)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers (triggers) never block the writer (receiver)
        cursor.execute("PRAGMA synchronous=FULL")  # every commit is fsynced: a 2xx means stored
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def lookup_connection(conn_id: str) -> Connection | None:
    """Fetch an Airflow connection; ``None`` when the default inbox connection is not defined."""
    from airflow.sdk import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:
        if conn_id == DEFAULT_INBOX_CONN_ID and _is_not_found(exc):
            return None
        raise


def _is_not_found(exc: BaseException) -> bool:
    return type(exc).__name__ in {"AirflowNotFoundException", "ConnectionNotFound"} or "isn't defined" in str(exc)
