"""The client's settings (the validated ``calendly`` connection) and its bearer auth.

:class:`CalendlySettings` can be built directly (``CalendlySettings(token=...)``) to use the client without
Airflow, or from an Airflow connection with :meth:`CalendlySettings.from_connection`; either way every value
is checked once, and the token never appears in a repr, a dump or an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.limits import SCHEDULING_API_LIMITS
from airflow_provider_calendly.pacing import DEFAULT_RATE_LIMIT_PERIOD, validate_storage_url
from airflow_provider_calendly.uris import CANONICAL_API_URL

if TYPE_CHECKING:
    from airflow.sdk import Connection

__all__ = ["BearerAuth", "CalendlySettings"]


class CalendlySettings(BaseModel):
    """The validated ``calendly`` connection: token, base URL and the optional ``extra`` keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: SecretStr = Field(exclude=True)
    base_url: str = CANONICAL_API_URL
    rate_limit: int | None = Field(default=None, ge=1)  # None: not configured, the server's headers decide
    rate_limit_period: float = Field(default=DEFAULT_RATE_LIMIT_PERIOD, gt=0)
    timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=5, ge=0, le=50)
    webhook_signing_key: SecretStr | None = None
    rate_limit_storage: SecretStr | None = None
    scheduling_rate_limits: tuple[tuple[Annotated[int, Field(ge=1)], Annotated[float, Field(gt=0)]], ...] = (
        SCHEDULING_API_LIMITS
    )

    @field_validator("rate_limit", "rate_limit_period", "timeout", "max_retries", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number, not a boolean")
        return value

    @field_validator("rate_limit_storage", mode="before")
    @classmethod
    def _check_storage(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise ValueError("must be a redis://, rediss:// or unix:// URL string")
        return validate_storage_url(value)  # its errors never quote the URL: it may carry a password

    @field_validator("base_url", mode="before")
    @classmethod
    def _normalise_base_url(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        url = value.strip().rstrip("/")
        if "://" not in url:
            url = f"https://{url}"
        parts = urlsplit(url)
        try:
            _ = parts.port  # "javascript:alert(1)" reads as host "javascript" with port "alert(1)"
        except ValueError:
            raise ValueError("must be an http(s) URL such as https://api.calendly.com (invalid port)") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http(s) URL such as https://api.calendly.com")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query string or fragment")
        return url

    @classmethod
    def from_connection(cls, conn: Connection) -> CalendlySettings:
        """Build settings from an Airflow connection, naming the offending key on any error."""
        conn_id = conn.conn_id
        token = (conn.password or "").strip()
        if not token:
            raise CalendlyConfigError(
                f"Connection {conn_id!r} has no token: put the Calendly Personal Access Token in the password field"
            )
        try:
            # ``extra_dejson`` logs and returns {} for unparsable JSON: a typo would silently drop every setting.
            raw_extra = conn.extra
            extra = json.loads(raw_extra) if isinstance(raw_extra, str) and raw_extra.strip() else conn.extra_dejson
        except Exception:
            raise CalendlyConfigError(f"Connection {conn_id!r}: 'extra' is not a JSON object") from None
        if not isinstance(extra, Mapping):
            raise CalendlyConfigError(f"Connection {conn_id!r}: 'extra' must be a JSON object")
        # The UI stores a field left empty as "" (or null): absent, so the code's default applies.
        extra = {k: v for k, v in extra.items() if not (v is None or (isinstance(v, str) and not v.strip()))}
        known = set(cls.model_fields) - {"token", "base_url"}
        unknown = sorted(set(extra) - known)
        if unknown:
            raise CalendlyConfigError(
                f"Connection {conn_id!r}: unknown extra key(s) {unknown}; allowed: {sorted(known)}"
            )
        values: dict[str, Any] = {"token": token, **extra}
        if conn.host:
            host = conn.host
            if conn.port and "://" in host and urlsplit(host).port is None:
                host = f"{host.rstrip('/')}:{conn.port}"
            elif conn.port and "://" not in host and ":" not in host:
                host = f"{host}:{conn.port}"
            values["base_url"] = host
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()
            )
            key_hint = "host (API base URL)" if any(e["loc"][:1] == ("base_url",) for e in exc.errors()) else ""
            raise CalendlyConfigError(
                f"Connection {conn_id!r} is invalid: {problems}" + (f" [{key_hint}]" if key_hint else "")
            ) from None

    def secrets(self) -> list[str]:
        """Return every value a log line must never show: the token, the signing key, a storage password.

        A storage URL without a password stays readable in logs ("storage redis://host:6379/0 unavailable").
        """
        found = [self.token.get_secret_value()]
        if self.webhook_signing_key is not None:
            found.append(self.webhook_signing_key.get_secret_value())
        if self.rate_limit_storage is not None:
            storage = self.rate_limit_storage.get_secret_value()
            password = urlsplit(storage).password
            if password:
                found += [storage, password]
        return found


class BearerAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer …``; its repr never shows the token."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(token='**********')"
