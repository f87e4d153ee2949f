"""Typed errors raised by the Calendly provider.

Every API failure is a :class:`CalendlyAPIError` carrying what Calendly said (``title``, ``message``,
``details``) and the HTTP status. None of them ever holds the token: they are built from the response body
and the request's method and path only.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowException


class CalendlyError(AirflowException):
    """Base class of every error this provider raises."""


class CalendlyConfigError(CalendlyError, ValueError):
    """The ``calendly`` connection or an argument is invalid; raised before any API call."""

    @classmethod
    def check_choice(cls, name: str, value: str, choices: tuple[str, ...]) -> str:
        """Return ``value`` if it is one of ``choices``; else raise naming the argument and its choices."""
        if value not in choices:
            raise cls(f"{name} must be one of {list(choices)}, got {value!r}")
        return value


class CalendlyAPIError(CalendlyError):
    """Calendly answered with an error, an unusable body, or could not be reached."""

    status_code: int | None  # type: ignore[assignment]  # Calendly's HTTP status, not Airflow's API status

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        title: str | None = None,
        details: list[Any] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.status_code = status_code
        self.title = title
        self.message = message
        self.details = details or []
        self.method = method
        self.path = path
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        status = f"{self.status_code} " if self.status_code is not None else ""
        title = f"{self.title}: " if self.title else ""
        text = f"{where}{status}{title}{self.message}"
        if self.details:
            text += f" (details: {self.details})"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep keyword-only attributes through pickling (Airflow ships exceptions between processes).
        return (
            _rebuild,
            (type(self), self.message, self.status_code, self.title, self.details, self.method, self.path),
        )


def _rebuild(
    cls: type[CalendlyAPIError],
    message: str,
    status_code: int | None,
    title: str | None,
    details: list[Any] | None,
    method: str | None,
    path: str | None,
) -> CalendlyAPIError:
    return cls(message, status_code=status_code, title=title, details=details, method=method, path=path)


class CalendlyAuthError(CalendlyAPIError):
    """401 or 403: the token is missing, invalid, expired or lacks a scope."""


class CalendlyNotFoundError(CalendlyAPIError):
    """404: the resource does not exist (or is not visible to this token)."""


class CalendlyRateLimitError(CalendlyAPIError):
    """429 that persisted after every retry."""


class CalendlyServerError(CalendlyAPIError):
    """5xx that persisted after every retry."""


class CalendlyConnectionError(CalendlyAPIError):
    """The request never got an HTTP answer: refused, dropped or timed out, after every retry."""


class CalendlyPaginationError(CalendlyAPIError):
    """The API's pagination went wrong (e.g. a page token repeated), so listing stopped instead of looping."""


class CalendlyEventInPastError(CalendlyAPIError):
    """The scheduled event has already started or ended, so Calendly will not cancel it."""


class CalendlyWebhookUnhealthyError(CalendlyError):
    """A webhook subscription is missing, disabled, or Calendly has been retrying its deliveries too long."""


class CalendlySchemaError(CalendlyConfigError):
    """A warehouse table differs from the registry in a way that is not additive (e.g. a column's type).

    The provider only adds tables, nullable columns and indexes; anything else needs the manual step
    the message names (see the README's "Schema changes").
    """

    def __init__(self, table: str, column: str, found: str, expected: str) -> None:
        self.table, self.column, self.found, self.expected = table, column, found, expected
        super().__init__(
            f"Column {column} of table {table} has type {found}, but this release expects {expected}. "
            "The provider only applies additive schema changes. Migrate it by hand, e.g. "
            f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_old; then rerun the sync "
            f"(it adds {column} as {expected}) and backfill it with mode='full'."
        )


class CalendlyDbtError(CalendlyError):
    """A dbt command over the Calendly dbt project failed: names the models and tests that did not pass."""
