"""Airflow plugin mounting the webhook receiver on the API server at ``/calendly/webhooks``.

Registered through the ``airflow.plugins`` entry point. Settings come from the ``[calendly_webhooks]`` section
of the Airflow configuration (or ``AIRFLOW__CALENDLY_WEBHOOKS__…`` variables): ``enabled`` (default ``True``;
``False`` mounts nothing), ``inbox_conn_id``, ``calendly_conn_id``, ``tolerance`` (seconds), ``retention_days``
and ``organization``. The signing key is the ``webhook_signing_key`` extra of the Calendly connection, read on
the first delivery; until one is configured every delivery is refused with 503.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from airflow_provider_calendly.webhooks.inbox import DEFAULT_INBOX_CONN_ID
from airflow_provider_calendly.webhooks.signature import DEFAULT_TOLERANCE

SECTION = "calendly_webhooks"
URL_PREFIX = "/calendly"


def _setting(key: str, default: str) -> str:
    from airflow.configuration import conf

    return str(conf.get(SECTION, key, fallback=default))


def inbox_conn_id() -> str:
    """The connection of the receiver's inbox (``[calendly_webhooks] inbox_conn_id``)."""
    return _setting("inbox_conn_id", DEFAULT_INBOX_CONN_ID)


def receiver_enabled() -> bool:
    """Whether the API server mounts the receiver (``[calendly_webhooks] enabled``)."""
    from airflow.configuration import conf

    return conf.getboolean(SECTION, "enabled", fallback=True)


def build_app() -> Any:
    """Build the receiver app from the ``[calendly_webhooks]`` configuration."""
    from airflow_provider_calendly.webhooks.app import create_app

    return create_app(
        inbox_conn_id=inbox_conn_id(),
        calendly_conn_id=_setting("calendly_conn_id", "calendly_default"),
        tolerance=float(_setting("tolerance", str(DEFAULT_TOLERANCE))),
        retention=float(_setting("retention_days", "7")) * 86400,
        organization=_setting("organization", "") or None,
    )


def mounted_apps() -> list[dict[str, Any]]:
    """The apps for the API server to mount: the receiver, unless ``[calendly_webhooks] enabled`` is false."""
    if not receiver_enabled():
        return []
    return [{"app": build_app(), "url_prefix": URL_PREFIX, "name": "Calendly webhook receiver"}]


class CalendlyWebhooksPlugin(AirflowPlugin):
    """Serve ``POST /calendly/webhooks`` (and ``GET /calendly/webhooks/health``) from the Airflow API server."""

    name = "calendly_webhooks"
    fastapi_apps = mounted_apps()
