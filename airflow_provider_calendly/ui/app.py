"""The page's server: a FastAPI app the plugin mounts on the Airflow API server, behind Airflow's login.

Routes, under the plugin's prefix (``/calendly-ui``):

=====================  =================================================================================
``GET /``              the page (its script, styles and charting library are the files under ``static/``)
``GET /api/status``    the page's data as JSON (:func:`~airflow_provider_calendly.ui.status.collect_status`)
``GET /static/<file>`` the page's script and styles, and the vendored Chart.js
=====================  =================================================================================

Airflow does not put a plugin's app behind its login: every route here depends on Airflow's own check for
reading DAGs, the one ``GET /api/v2/dags`` uses (``requires_access_dag("GET")``): the user comes from Airflow's
session cookie or an ``Authorization: Bearer`` token (none: 401, an invalid one: 403), and the auth manager
must let them read DAGs (else 403). The JSON then holds only the DAGs the auth manager lets them read. The
metadata database and the inbox are read in FastAPI's thread pool (the routes are plain functions), never on
the event loop. Answers carry a Content-Security-Policy that allows only this app's own scripts and styles.

This module is imported only when the app is built (:class:`~airflow_provider_calendly.ui.plugin.LazyApp`): its
imports are the API server's own, which other Airflow processes never need.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from airflow.utils.session import create_session
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse

from airflow_provider_calendly.ui.status import InboxSource, collect_status

__all__ = ["STATIC", "create_app"]

#: The page's files (shipped in the wheel).
STATIC = Path(__file__).resolve().parent / "static"
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def create_app(*, inbox: InboxSource | None, clock: Callable[[], datetime] = _utcnow) -> FastAPI:
    """Build the page's app.

    :param inbox: Where the receiver's inbox is (``None``: the page has no webhook section).
    :param clock: The current UTC time (injectable for tests).
    """
    files = {path.relative_to(STATIC).as_posix(): path for path in STATIC.rglob("*") if path.is_file()}
    app = FastAPI(
        title="Calendly",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(requires_access_dag("GET"))],
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(_HEADERS)
        return response

    @app.get("/")
    def page() -> FileResponse:
        return FileResponse(files["index.html"], media_type="text/html")

    @app.get("/api/status")
    def status(user: GetUserDep) -> dict[str, Any]:
        readable = get_auth_manager().get_authorized_dag_ids(user=user, method="GET")
        with create_session() as session:
            return collect_status(session, readable_dag_ids=readable, inbox=inbox, now=clock())

    @app.get("/static/{name:path}")
    def static(name: str) -> FileResponse:
        path = files.get(name)  # only the shipped files: no path is ever joined from the request
        if path is None:
            raise HTTPException(status_code=404, detail="Not Found")
        return FileResponse(path)

    return app
