"""Provider metadata read by Airflow's ProvidersManager (imports nothing heavy on purpose)."""

from __future__ import annotations

from typing import Any

DEFAULT_API_BASE_URL = "https://api.calendly.com"


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
                "python-modules": ["airflow_provider_calendly.operators.calendly"],
            }
        ],
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_calendly.hooks.calendly.CalendlyHook",
                "hook-name": "Calendly",
                "connection-type": "calendly",
                "conn-fields": {
                    "rate_limit": {
                        "label": "Rate limit (calls per window)",
                        "description": "Calls allowed per window for this token; the hook never exceeds it.",
                        "schema": {"type": ["integer", "null"], "default": 100, "minimum": 1},
                    },
                    "rate_limit_period": {
                        "label": "Rate limit window (seconds)",
                        "schema": {"type": ["number", "null"], "default": 60, "exclusiveMinimum": 0},
                    },
                    "timeout": {
                        "label": "Request timeout (seconds)",
                        "schema": {"type": ["number", "null"], "default": 30, "exclusiveMinimum": 0},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries on 429, 5xx, timeouts and dropped connections.",
                        "schema": {"type": ["integer", "null"], "default": 5, "minimum": 0},
                    },
                    "webhook_signing_key": {
                        "label": "Webhook signing key",
                        "description": "Key Calendly signs webhook deliveries with.",
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                },
                "ui-field-behaviour": {
                    # The port stays visible: Airflow 3.3's UI sends port 0 for a hidden port field and then
                    # refuses to test the connection (apache/airflow#73298).
                    "hidden-fields": ["schema", "login"],
                    "relabeling": {"password": "Personal Access Token", "host": "API base URL", "port": "API port"},
                    "placeholders": {
                        "host": DEFAULT_API_BASE_URL,
                        "port": "443",
                        "password": "Calendly Personal Access Token (or OAuth access token)",
                    },
                },
            }
        ],
    }
