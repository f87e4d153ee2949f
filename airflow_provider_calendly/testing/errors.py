"""Calendly's error shape and the listener type: the leaf module the emulator and its webhooks both import.

Keeping these here (rather than in :mod:`~airflow_provider_calendly.testing.emulator`) lets
:mod:`~airflow_provider_calendly.testing.webhooks` raise API errors without importing the emulator that
imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from airflow_provider_calendly.timestamps import parse_utc

__all__ = ["ERROR_TITLES", "ApiError", "Listener", "invalid_parameter"]

Listener = Callable[[str, dict[str, Any]], None]

ERROR_TITLES = {
    400: ("Invalid Argument", "The supplied parameters are invalid."),
    401: ("Unauthenticated", "The access token is invalid"),
    403: ("Permission Denied", "You do not have permission to access this resource."),
    404: ("Resource Not Found", "The server could not find the requested resource."),
    422: ("Invalid Argument", "The supplied parameters are invalid."),
    429: ("Too Many Requests", "You have exceeded the rate limit. Please try again later."),
    500: ("Internal Server Error", "The server encountered an unexpected condition."),
    502: ("Bad Gateway", "The upstream server returned an invalid response."),
    503: ("Service Unavailable", "The server is temporarily unavailable."),
    504: ("Gateway Timeout", "The upstream server timed out."),
}


class ApiError(Exception):
    """An error response in Calendly's shape."""

    def __init__(self, status: int, message: str | None = None, details: list[dict[str, str]] | None = None) -> None:
        title, default = ERROR_TITLES.get(status, ("Error", "Error"))
        super().__init__(message or default)
        self.status = status
        self.headers: dict[str, str] = {}
        self.body: dict[str, Any] = {"title": title, "message": message or default}
        if details:
            self.body["details"] = details


def invalid_parameter(parameter: str, message: str) -> ApiError:
    """A 400 naming the parameter that is invalid, as Calendly reports it."""
    return ApiError(400, details=[{"parameter": parameter, "message": message}])


def time_parameter(name: str, value: Any) -> datetime:
    """A request's timestamp parameter as an aware UTC datetime, or Calendly's 400 naming it."""
    if not isinstance(value, str) or not value:
        raise invalid_parameter(name, "is required")
    try:
        return parse_utc(value)
    except ValueError:
        raise invalid_parameter(name, "must be a valid ISO 8601 timestamp") from None
