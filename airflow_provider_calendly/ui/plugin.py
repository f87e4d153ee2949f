"""Airflow plugin adding the "Calendly" page to the Airflow UI's navigation (Airflow 3.1+ ``external_views``).

Registered through the ``airflow.plugins`` entry point. The page's app (:mod:`.app`) is mounted on the API server
at ``/calendly-ui`` and shown in the UI's frame at ``/plugin/calendly``. It needs no settings of its own: it finds
the syncs in Airflow's metadata database and the inbox where the receiver's ``[calendly_webhooks]`` settings
say. Every Airflow process imports plugins, so this module imports nothing heavy: the app is built on its first
request.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/calendly-ui"

_Scope = MutableMapping[str, Any]
_Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
_Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def build_app() -> Any:
    """The page's app, reading the inbox the receiver writes."""
    from airflow_provider_calendly.ui.app import create_app
    from airflow_provider_calendly.ui.status import InboxSource
    from airflow_provider_calendly.webhooks.inbox import WebhookInbox
    from airflow_provider_calendly.webhooks.plugin import inbox_conn_id, receiver_enabled

    conn_id = inbox_conn_id()
    return create_app(
        inbox=InboxSource(conn_id, receiver_enabled(), lambda: WebhookInbox.from_conn_id(conn_id)),
    )


class LazyApp:
    """An ASGI app built on its first request (by ``build``), so importing the plugin builds nothing."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._app: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._build.__module__}.{self._build.__qualname__})"

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._build()
        await self._app(scope, receive, send)


class CalendlyUiPlugin(AirflowPlugin):
    """The "Calendly" page: sync health, the API budget, webhook health and trends, behind Airflow's login."""

    name = "calendly_ui"
    fastapi_apps = [{"app": LazyApp(build_app), "url_prefix": URL_PREFIX, "name": "Calendly page"}]
    # Relative URLs: the UI resolves them against its own base, so a deployment under a sub-path works too.
    external_views = [
        {
            "name": "Calendly",
            "href": f"{URL_PREFIX.lstrip('/')}/",
            "url_route": "calendly",
            "destination": "nav",
            "nav_top_level": True,
            "icon": f"{URL_PREFIX.lstrip('/')}/static/icon.svg",
        }
    ]
