"""Provider metadata read by Airflow's ProvidersManager (imports nothing heavy on purpose)."""

from __future__ import annotations

from typing import Any

from airflow_provider_calendly.uris import CANONICAL_API_URL

DEFAULT_API_BASE_URL = CANONICAL_API_URL


def _option(description: str, kind: str, default: str | None) -> dict[str, Any]:
    return {"description": description, "version_added": "0.1.0", "type": kind, "example": None, "default": default}


def get_provider_info() -> dict[str, Any]:
    """Return the provider's metadata: package, integrations and the ``calendly`` connection form."""
    from airflow_provider_calendly import __version__

    return {
        "package-name": "airflow-provider-calendly",
        "name": "Calendly",
        "description": "Calendly (https://calendly.com/) provider: hook, operators, warehouse transfer, "
        "webhook sensor/trigger and a local Calendly emulator.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Calendly",
                "external-doc-url": "https://developer.calendly.com/api-docs",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Calendly",
                "python-modules": ["airflow_provider_calendly.hooks.calendly"],
            }
        ],
        "operators": [
            {
                "integration-name": "Calendly",
                "python-modules": [
                    "airflow_provider_calendly.operators.calendly",
                    "airflow_provider_calendly.operators.webhooks",
                    "airflow_provider_calendly.operators.organization",
                    "airflow_provider_calendly.operators.event_types",
                    "airflow_provider_calendly.operators.availability",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Calendly",
                "python-modules": ["airflow_provider_calendly.sensors.calendly"],
            }
        ],
        "triggers": [
            {
                "integration-name": "Calendly",
                "python-modules": ["airflow_provider_calendly.triggers.calendly"],
            }
        ],
        "transfers": [
            {
                "source-integration-name": "Calendly",
                "target-integration-name": "Common SQL",
                "python-module": "airflow_provider_calendly.transfers.calendly_to_sql",
            }
        ],
        "config": {
            "calendly_webhooks": {
                "description": "The Calendly webhook receiver the provider mounts on the API server at "
                "/calendly/webhooks.",
                "options": {
                    "enabled": _option("Mount the receiver on the API server.", "boolean", "True"),
                    "inbox_conn_id": _option(
                        "Connection of the inbox database (a SQLite file under AIRFLOW_HOME if undefined).",
                        "string",
                        "calendly_webhook_inbox",
                    ),
                    "calendly_conn_id": _option(
                        "Calendly connection whose webhook_signing_key extra verifies deliveries.",
                        "string",
                        "calendly_default",
                    ),
                    "tolerance": _option(
                        "Seconds a signature's timestamp may differ from the server clock.", "float", "180"
                    ),
                    "retention_days": _option(
                        "Days deliveries are kept (keep at least 1: Calendly retries for 24 h).", "float", "7"
                    ),
                    "organization": _option(
                        "Organization URI to tag deliveries with (or ?organization= on the callback URL).",
                        "string",
                        None,
                    ),
                },
            }
        },
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_calendly.hooks.calendly.CalendlyHook",
                "hook-name": "Calendly",
                "connection-type": "calendly",
                "conn-fields": {
                    "rate_limit": {
                        "label": "Rate limit (calls per window)",
                        "description": "Calls allowed per window for this token; the hook never exceeds it. "
                        "Empty: start at 100 per window, then follow Calendly's X-RateLimit-* headers.",
                        "schema": {"type": ["integer", "null"], "minimum": 1},
                    },
                    "rate_limit_period": {
                        "label": "Rate limit window (seconds)",
                        "description": "Empty: 60.",
                        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0},
                    },
                    "timeout": {
                        "label": "Request timeout (seconds)",
                        "description": "Empty: 30.",
                        "schema": {"type": ["number", "null"], "exclusiveMinimum": 0},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries on 429, 5xx, timeouts and dropped connections. Empty: 5.",
                        "schema": {"type": ["integer", "null"], "minimum": 0},
                    },
                    "rate_limit_storage": {
                        "label": "Shared rate-limit storage (Redis URL)",
                        "description": "redis://, rediss:// or unix:// URL: every worker using this token shares "
                        "one budget. Empty: each process paces on its own. Needs the [redis] extra.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "webhook_signing_key": {
                        "label": "Webhook signing key",
                        "description": "Key Calendly signs webhook deliveries with.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                },
                "ui-field-behaviour": {
                    # The port stays visible and asks to be filled in: the UI's Test button sends
                    # ``Number(port)``, i.e. 0 for a connection saved without a port, and the API server then
                    # refuses to test it ("The host or port to test differs from the stored connection").
                    "hidden-fields": ["schema", "login"],
                    "relabeling": {"password": "Personal Access Token", "host": "API base URL", "port": "API port"},
                    "placeholders": {
                        "host": DEFAULT_API_BASE_URL,
                        "port": "443 (fill in: the Test button needs a port)",
                        "password": "Calendly Personal Access Token (or OAuth access token)",
                    },
                },
            }
        ],
    }
