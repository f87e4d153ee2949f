"""CalendlyHook: the one place that talks to Calendly's API v2.

The hook owns the connection (read lazily, validated once), the ``requests`` session, bearer auth, pacing
under the token's rate limit, retries and the mapping of HTTP errors to typed exceptions. Every request goes
through :meth:`CalendlyHook.request`; list endpoints are exposed as lazy iterators that fetch one page per
call and stop fetching when the consumer stops.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, TypeVar
from urllib.parse import urlsplit

import pendulum
import requests
import tenacity
from airflow.sdk import BaseHook
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from requests.adapters import HTTPAdapter

from airflow_provider_calendly.exceptions import (
    CalendlyAPIError,
    CalendlyAuthError,
    CalendlyConfigError,
    CalendlyConnectionError,
    CalendlyError,
    CalendlyEventInPastError,
    CalendlyNotFoundError,
    CalendlyPaginationError,
    CalendlyRateLimitError,
    CalendlyServerError,
)
from airflow_provider_calendly.get_provider_info import DEFAULT_API_BASE_URL
from airflow_provider_calendly.limits import SCHEDULING_API_LIMITS
from airflow_provider_calendly.models import (
    ActivityLogEntry,
    AvailabilitySchedule,
    AvailableTime,
    CalendlyModel,
    Cancellation,
    EventType,
    EventTypeMembership,
    Group,
    GroupRelationship,
    Invitee,
    NoShow,
    OrganizationMembership,
    Page,
    RoutingForm,
    RoutingFormSubmission,
    ScheduledEvent,
    SchedulingLink,
    User,
    WebhookSubscription,
    uuid_from_uri,
)
from airflow_provider_calendly.ratelimit import (
    DEFAULT_KEY_PREFIX,
    DEFAULT_RATE_LIMIT_PERIOD,
    MultiWindowRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    SlidingWindowRateLimiter,
    budget_key,
    validate_storage_url,
)
from airflow_provider_calendly.timestamps import parse_utc

if TYPE_CHECKING:
    from airflow.sdk import Connection

ModelT = TypeVar("ModelT", bound=CalendlyModel)

MAX_PAGE_SIZE = 100
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: Where Calendly's resource identities live, whatever base URL requests are sent to.
CANONICAL_API_URL = DEFAULT_API_BASE_URL
_CANONICAL_ORIGIN = (urlsplit(CANONICAL_API_URL).scheme, urlsplit(CANONICAL_API_URL).netloc)


# --- connection settings ------------------------------------------------------------------------------------


class CalendlySettings(BaseModel):
    """The validated ``calendly`` connection: token, base URL and the optional ``extra`` keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token: SecretStr = Field(exclude=True)
    base_url: str = DEFAULT_API_BASE_URL
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


def _tls_failure(base_url: str, method: str, path: str) -> CalendlyConnectionError:
    """The error for a failed TLS handshake, naming the URL tried and, for https, the plain-HTTP alternative."""
    parts = urlsplit(base_url)
    hint = ""
    if parts.scheme == "https":
        hint = (
            f"; if this is a plain-HTTP server (a local one such as the emulator), set the connection's host to "
            f"http://{parts.netloc} (a host without a scheme means https)"
        )
    return CalendlyConnectionError(
        f"TLS handshake with {base_url}{path} failed (SSLError), not retried{hint}", method=method, path=path
    )


class BearerAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer …``; its repr never shows the token."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(token='**********')"


# --- error mapping and retry policy --------------------------------------------------------------------------


def _header_float(response: requests.Response, name: str) -> float | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _reset_after(response: requests.Response, now: float) -> float | None:
    """Seconds until the server's window resets: ``Retry-After`` or ``X-RateLimit-Reset`` (delta or epoch)."""
    for name in ("Retry-After", "X-RateLimit-Reset"):
        value = _header_float(response, name)
        if value is not None:
            # A value that looks like a Unix timestamp is an absolute reset time, not a delay.
            return max(0.0, value - now) if value > 1_000_000_000 else max(0.0, value)
    return None


def error_for_response(response: requests.Response, method: str, path: str) -> CalendlyAPIError:
    """Map an HTTP error response to the typed exception carrying Calendly's title, message and details."""
    status = response.status_code
    title: str | None = None
    message: str = response.reason or "HTTP error"
    details: list[Any] | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        title = body.get("title") if isinstance(body.get("title"), str) else None
        if isinstance(body.get("message"), str):
            message = body["message"]
        raw_details = body.get("details")
        details = raw_details if isinstance(raw_details, list) else None
        scopes = required_scopes(body)
        if status == 403 and scopes:
            # Calendly names the scopes the token lacks in ``required_scopes``: say which, and where to add them.
            message = (
                f"{message} The token lacks the scope(s) {', '.join(scopes)}: create a token (or re-authorize "
                "the OAuth app) with them"
            )
            details = [*(details or []), *({"parameter": "scope", "message": f"requires {s}"} for s in scopes)]
    cls: type[CalendlyAPIError]
    if status in (401, 403):
        cls = CalendlyAuthError
    elif status == 404:
        cls = CalendlyNotFoundError
    elif status == 429:
        cls = CalendlyRateLimitError
    elif status >= 500:
        cls = CalendlyServerError
    else:
        cls = CalendlyAPIError
    return cls(message, status_code=status, title=title, details=details, method=method, path=path)


def required_scopes(body: Any) -> list[str]:
    """Return the scopes a Calendly 403 body says the token lacks (its ``required_scopes`` list), else ``[]``."""
    raw = body.get("required_scopes") if isinstance(body, dict) else None
    return [s for s in raw if isinstance(s, str)] if isinstance(raw, list) else []


class _Attempt:
    """Why one attempt failed, for the retry predicate and the wait."""

    def __init__(self, error: CalendlyAPIError, *, retryable: bool, wait: float | None = None) -> None:
        self.error = error
        self.retryable = retryable
        self.wait = wait


class _RetryableFailure(Exception):
    """Internal carrier between one attempt and tenacity; never escapes the hook."""

    def __init__(self, attempt: _Attempt) -> None:
        super().__init__(str(attempt.error))
        self.attempt = attempt


class _Budgets:
    """The token's limiter, plus an endpoint's own (if any), which alone hears that endpoint's headers."""

    def __init__(self, main: RateLimiter, endpoint: RateLimiter | None) -> None:
        self.main = main
        self.endpoint = endpoint

    def acquire(self) -> float:
        waited = self.main.acquire()
        if self.endpoint is not None:
            try:
                waited += self.endpoint.acquire()
            except BaseException:
                self.main.release()
                raise
        return waited

    def release(self) -> None:
        if self.endpoint is not None:
            self.endpoint.release()
        self.main.release()

    def observe(self, limit: int | None, remaining: int | None, reset_after: float | None) -> None:
        (self.endpoint or self.main).observe(limit, remaining, reset_after)

    def block_for(self, seconds: float) -> None:
        (self.endpoint or self.main).block_for(seconds)


# --- pagination ---------------------------------------------------------------------------------------------


class PageIterator(Generic[ModelT]):
    """Lazy iterator over a list endpoint: one API call per page, none after the consumer stops.

    Iterate it for items, or call :meth:`pages` for :class:`~airflow_provider_calendly.models.Page` objects
    (items plus cursor). Each ``PageIterator`` walks the listing once.
    """

    def __init__(self, hook: CalendlyHook, path: str, params: Mapping[str, Any], model: type[ModelT]) -> None:
        self._hook = hook
        self._path = path
        self._params = dict(params)
        self._model = model
        self.pages_fetched = 0

    def pages(self) -> Iterator[Page[ModelT]]:
        seen_tokens: set[str] = set()
        token: str | None = None
        page_model = Page[self._model]  # type: ignore[name-defined]
        while True:
            params = dict(self._params)
            if token:
                params["page_token"] = token
            body = self._hook.request("GET", self._path, params=params)
            try:
                page: Page[ModelT] = page_model.model_validate(body)
            except ValidationError as exc:
                raise CalendlyAPIError(
                    f"unexpected list response shape ({exc.error_count()} validation errors)",
                    status_code=200,
                    method="GET",
                    path=self._path,
                ) from None
            self.pages_fetched += 1
            yield page
            token = page.pagination.next_page_token
            if not token:
                return
            if token in seen_tokens:
                raise CalendlyPaginationError(
                    "Calendly returned a next_page_token it had already returned; stopping instead of looping",
                    method="GET",
                    path=self._path,
                )
            seen_tokens.add(token)

    def __iter__(self) -> Iterator[ModelT]:
        for page in self.pages():
            yield from page.collection


# --- the hook -----------------------------------------------------------------------------------------------


class CalendlyHook(BaseHook):
    """Interact with Calendly's API v2 with a Personal Access Token (or OAuth access token).

    :param calendly_conn_id: The ``calendly`` connection to use.
    :param rate_limiter: Share a limiter between hooks (e.g. a Redis-backed one); default: one per hook,
        built from the connection's ``rate_limit``/``rate_limit_period``. Without ``rate_limit`` it starts
        from 100 per ``rate_limit_period`` and follows the server's ``X-RateLimit-*`` headers once they come.
    :param clock: Monotonic clock for pacing (injectable for tests).
    :param sleep: Sleep function for pacing and retries (injectable for tests).
    """

    conn_name_attr = "calendly_conn_id"
    default_conn_name = "calendly_default"
    conn_type = "calendly"
    hook_name = "Calendly"

    USER_AGENT: ClassVar[str] = "airflow-provider-calendly"

    def __init__(
        self,
        calendly_conn_id: str = default_conn_name,
        *,
        rate_limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self.calendly_conn_id = calendly_conn_id
        self._rate_limiter = rate_limiter
        self._clock = clock
        self._sleep = sleep
        self._call_count = 0
        self._lock = threading.Lock()
        self._current_user: User | None = None
        self.throttled_seconds = 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(calendly_conn_id={self.calendly_conn_id!r})"

    # -- connection, session, limiter --

    @cached_property
    def settings(self) -> CalendlySettings:
        """The connection, fetched once and validated; the token is registered with the secrets masker."""
        conn = self.get_connection(self.calendly_conn_id)
        settings = CalendlySettings.from_connection(conn)
        _mask(settings.token.get_secret_value())
        if settings.webhook_signing_key is not None:
            _mask(settings.webhook_signing_key.get_secret_value())
        if settings.rate_limit_storage is not None:
            storage = settings.rate_limit_storage.get_secret_value()
            password = urlsplit(storage).password
            if password:  # a URL without one stays readable in logs ("storage redis://host:6379/0 unavailable")
                _mask(storage)
                _mask(password)
        return settings

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def rate_limit(self) -> int:
        """Calls per window the limiter counts: the connection's ``rate_limit``, else the default 100."""
        return self.rate_limiter.limit

    @property
    def rate_limit_period(self) -> float:
        """The limiter's window in seconds: the connection's ``rate_limit_period``, else the default 60."""
        return self.rate_limiter.period

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        if self._rate_limiter is not None:
            return self._rate_limiter
        settings = self.settings
        if settings.rate_limit_storage is not None:
            # One budget per (token, API) in Redis, shared by every worker; Redis's clock unless one is injected.
            return RedisRateLimiter(
                settings.rate_limit,
                settings.rate_limit_period,
                url=settings.rate_limit_storage.get_secret_value(),
                key=budget_key(settings.token.get_secret_value(), settings.base_url),
                clock=None if self._clock is time.monotonic else self._clock,
                sleep=self._sleep,
                lease=max(120.0, 4 * settings.timeout),
            )
        return SlidingWindowRateLimiter(
            settings.rate_limit, settings.rate_limit_period, clock=self._clock, sleep=self._sleep
        )

    @cached_property
    def session(self) -> requests.Session:
        session = requests.Session()
        session.auth = BearerAuth(self.settings.token)
        session.headers.update({"Accept": "application/json", "User-Agent": self.USER_AGENT})
        session.trust_env = False  # never send the token to a proxy or netrc host picked up from the environment
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def close(self) -> None:
        """Close the HTTP session (a new one is opened if the hook is used again)."""
        session = self.__dict__.pop("session", None)
        if session is not None:
            session.close()

    @property
    def call_count(self) -> int:
        """HTTP requests this hook has sent (retries included)."""
        return self._call_count

    # -- the one request path --

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        budget: RateLimiter | None = None,
    ) -> dict[str, Any] | None:
        """Send one API request with pacing, retries and error mapping; return the JSON body (``None`` on 204).

        :param method: HTTP method.
        :param path: Path under the base URL (``/event_types``); absolute URLs are not accepted.
        :param idempotent: Whether resending after a lost answer is harmless (default: by method).
        :param budget: An endpoint's own limiter, paced on top of the token's and fed that endpoint's headers.
        """
        method = method.upper()
        if not path.startswith("/") or path.startswith("//"):
            raise CalendlyConfigError(f"API path must start with a single '/', got {path!r}")
        settings = self.settings
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(settings.max_retries + 1),
            retry=tenacity.retry_if_exception(lambda exc: isinstance(exc, _RetryableFailure) and exc.attempt.retryable),
            wait=self._retry_wait,
            before_sleep=self._log_retry(method, path),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._send_once(method, path, params, json, idempotent=idempotent, budget=budget)
        except _RetryableFailure as failure:
            raise failure.attempt.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    _backoff = tenacity.wait_exponential_jitter(initial=1, max=60, jitter=1)

    def _retry_wait(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _RetryableFailure) and exc.attempt.wait is not None:
            return exc.attempt.wait  # the server said exactly when: no jitter, no extra margin
        return float(self._backoff(retry_state))

    def _log_retry(self, method: str, path: str) -> Callable[[tenacity.RetryCallState], None]:
        def log(retry_state: tenacity.RetryCallState) -> None:
            exc = retry_state.outcome.exception() if retry_state.outcome else None
            reason = str(exc.attempt.error) if isinstance(exc, _RetryableFailure) else repr(exc)
            delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
            self.log.info(
                "Retrying %s %s in %.2f s (attempt %d of %d): %s",
                method,
                path,
                delay,
                retry_state.attempt_number + 1,
                self.settings.max_retries + 1,
                reason,
            )

        return log

    def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        *,
        idempotent: bool | None = None,
        budget: RateLimiter | None = None,
    ) -> dict[str, Any] | None:
        idempotent = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        limiter = _Budgets(self.rate_limiter, budget)
        waited = limiter.acquire()
        with self._lock:
            self._call_count += 1
            self.throttled_seconds += waited
        if waited:
            level = logging.INFO if waited >= 1.0 else logging.DEBUG
            self.log.log(level, "Paced %s %s by %.2f s to stay under the rate limit", method, path, waited)
        try:
            response = self.session.request(
                method,
                f"{self.settings.base_url}{path}",
                params=_clean_params(params),
                json=json,
                timeout=self.settings.timeout,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError:
            limiter.release()
            # A failed TLS handshake fails the same way every time: say where, and the likely fix, at once.
            raise _RetryableFailure(
                _Attempt(_tls_failure(self.settings.base_url, method, path), retryable=False)
            ) from None
        except requests.RequestException as exc:
            limiter.release()
            kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
            error: CalendlyAPIError = CalendlyConnectionError(
                f"request {kind}: {type(exc).__name__}", method=method, path=path
            )
            # A request that never reached the server is always safe to resend.
            never_sent = isinstance(exc, requests.ConnectTimeout) or (
                isinstance(exc, requests.ConnectionError) and "refused" in str(exc).lower()
            )
            raise _RetryableFailure(_Attempt(error, retryable=idempotent or never_sent)) from None
        except BaseException:
            limiter.release()
            raise
        now = time.time()
        try:
            # Observed while the call still holds its slot, so that no other answer can count it as in flight.
            limiter.observe(
                _int_or_none(_header_float(response, "X-RateLimit-Limit")),
                _int_or_none(_header_float(response, "X-RateLimit-Remaining")),
                _reset_after(response, now) if "X-RateLimit-Reset" in response.headers else None,
            )
        finally:
            limiter.release()
        status = response.status_code
        if status == 429:
            wait = _reset_after(response, now)
            if wait is not None:
                limiter.block_for(wait)
            raise _RetryableFailure(_Attempt(error_for_response(response, method, path), retryable=True, wait=wait))
        if status >= 300:
            error = error_for_response(response, method, path)
            raise _RetryableFailure(_Attempt(error, retryable=idempotent and status in RETRYABLE_STATUS))
        if status == 204 or not response.content:
            return None
        try:
            body = response.json()
        except ValueError:
            error = CalendlyAPIError(
                "Calendly sent a malformed JSON body", status_code=status, method=method, path=path
            )
            raise _RetryableFailure(_Attempt(error, retryable=idempotent)) from None
        if not isinstance(body, dict):
            error = CalendlyAPIError(
                "Calendly sent a JSON body that is not an object",
                status_code=status,
                method=method,
                path=path,
            )
            raise _RetryableFailure(_Attempt(error, retryable=idempotent))
        return body

    # -- helpers shared by the public methods --

    def _get_resource(self, path: str, model: type[ModelT]) -> ModelT:
        body = self.request("GET", path)
        return self._parse_resource(body, model, "GET", path)

    @staticmethod
    def _parse_resource(body: dict[str, Any] | None, model: type[ModelT], method: str, path: str) -> ModelT:
        resource = body.get("resource") if body else None
        if not isinstance(resource, dict):
            raise CalendlyAPIError("response has no 'resource' object", method=method, path=path)
        try:
            return model.model_validate(resource)
        except ValidationError as exc:
            raise CalendlyAPIError(
                f"unexpected {model.__name__} shape ({exc.error_count()} validation errors)",
                method=method,
                path=path,
            ) from None

    def paginate(self, path: str, params: Mapping[str, Any], model: type[ModelT]) -> PageIterator[ModelT]:
        """Return a lazy iterator over every item of a list endpoint."""
        return PageIterator(self, path, params, model)

    def resource_path(self, collection: str, uuid_or_uri: str) -> str:
        """Return ``/{collection}/{uuid}`` for a UUID or a URI of this API; reject anything else."""
        if not isinstance(uuid_or_uri, str) or not uuid_or_uri:
            raise CalendlyConfigError(f"expected a {collection} UUID or URI, got {uuid_or_uri!r}")
        if "/" not in uuid_or_uri:
            if not _ID_RE.match(uuid_or_uri):
                raise CalendlyConfigError(f"{uuid_or_uri!r} is not a valid Calendly UUID")
            return f"/{collection}/{uuid_or_uri}"
        segments = self._uri_segments(uuid_or_uri)
        if len(segments) != 2 or segments[0] != collection:
            raise CalendlyConfigError(f"{uuid_or_uri!r} is not a Calendly {collection} URI")
        return f"/{collection}/{segments[1]}"

    def resource_uri(self, collection: str, uuid_or_uri: str) -> str:
        """Return the canonical ``https://api.calendly.com/...`` URI for a UUID or URI (a resource's identity).

        Calendly names every resource by its canonical URI, however the API is reached (directly, through a
        gateway or a recording proxy), so filters, payloads, rows and XComs carry this form.
        """
        return f"{CANONICAL_API_URL}{self.resource_path(collection, uuid_or_uri)}"

    def _uri_segments(self, uri: str) -> list[str]:
        """Parse a canonical URI, or one on the configured base URL, into its path segments.

        The only place that compares a URI's host with the base URL: any other host (or scheme), a query,
        a fragment or an odd path shape is refused before any request, so the token never follows a URI
        to a host the connection does not name.
        """
        parts = urlsplit(uri)
        origin = (parts.scheme, parts.netloc.lower())
        base = urlsplit(self.base_url)
        path = parts.path
        if origin == (base.scheme, base.netloc.lower()):
            if base.path and (path == base.path or path.startswith(base.path + "/")):
                path = path[len(base.path) :]
        elif origin != _CANONICAL_ORIGIN:
            raise CalendlyConfigError(
                f"URI {uri!r} belongs neither to Calendly ({CANONICAL_API_URL}) nor to this connection's API "
                f"({self.base_url}); refusing to send the token to another host"
            )
        segments = [s for s in path.split("/") if s]
        if parts.query or parts.fragment or not segments or not all(_ID_RE.match(s) for s in segments):
            raise CalendlyConfigError(f"{uri!r} is not a valid Calendly URI")
        return segments

    def _invitee_path(self, event_uuid_or_uri: str, invitee_uuid: str | None) -> str:
        if invitee_uuid is None:
            if not isinstance(event_uuid_or_uri, str) or "/" not in event_uuid_or_uri:
                raise CalendlyConfigError("pass an invitee URI, or the scheduled event's UUID/URI and the invitee UUID")
            segments = self._uri_segments(event_uuid_or_uri)
            if len(segments) != 4 or segments[0] != "scheduled_events" or segments[2] != "invitees":
                raise CalendlyConfigError(f"{event_uuid_or_uri!r} is not a Calendly invitee URI")
            return "/" + "/".join(segments)
        event_path = self.resource_path("scheduled_events", event_uuid_or_uri)
        if not _ID_RE.match(invitee_uuid):
            raise CalendlyConfigError(f"{invitee_uuid!r} is not a valid Calendly UUID")
        return f"{event_path}/invitees/{invitee_uuid}"

    def _owner_params(self, user: str | None, organization: str | None) -> dict[str, str]:
        """Scope a listing: the given user/organization, else the token owner's organization."""
        if user is not None or organization is not None:
            params: dict[str, str] = {}
            if user is not None:
                params["user"] = self.resource_uri("users", user)
            if organization is not None:
                params["organization"] = self.resource_uri("organizations", organization)
            return params
        current = self.get_current_user().current_organization
        if not current:
            raise CalendlyAPIError("the token's user has no current_organization; pass user or organization")
        return {"organization": self.resource_uri("organizations", current)}

    # -- public API --

    def get_current_user(self) -> User:
        """Return the token's user (``GET /users/me``), fetched once per hook."""
        if self._current_user is None:
            self._current_user = self._get_resource("/users/me", User)
        return self._current_user

    def test_connection(self) -> tuple[bool, str]:
        """Check the token and say what it can and cannot read (used by the UI's Test button).

        One call to ``/users/me``, then one single-item page per area the provider reads (event types,
        scheduled events, webhook subscriptions): four calls, each naming the scope it needs when refused.
        """
        try:
            user = self.get_current_user()
        except Exception as exc:  # the UI wants a message, whatever went wrong
            return False, f"Calendly connection failed: {exc}"
        who = user.name or user.email or user.uri
        email = f" <{user.email}>" if user.email and user.email != who else ""
        readable: list[str] = []
        refused: list[str] = []
        for area, probe in self._read_probes().items():
            try:
                next(iter(probe().pages()), None)
            except CalendlyAuthError as exc:
                scopes = [d["message"].removeprefix("requires ") for d in exc.details if d.get("parameter") == "scope"]
                refused.append(f"{area} (needs {', '.join(scopes)})" if scopes else f"{area} ({exc.message})")
            except CalendlyError as exc:
                refused.append(f"{area} ({exc})")
            else:
                readable.append(area)
        text = f"Connected to Calendly as {who}{email}"
        if readable:
            text += f"; can read {', '.join(readable)}"
        if refused:
            text += f"; cannot read {', '.join(refused)}"
        return True, text

    def _read_probes(self) -> dict[str, Callable[[], PageIterator[Any]]]:
        return {
            "event types": lambda: self.list_event_types(page_size=1),
            "scheduled events": lambda: self.list_scheduled_events(page_size=1),
            "webhook subscriptions": lambda: self.list_webhook_subscriptions(page_size=1),
        }

    def list_event_types(
        self,
        *,
        user: str | None = None,
        organization: str | None = None,
        active: bool | None = None,
        admin_managed: bool | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[EventType]:
        """List event types of a user or organization (default: the token owner's organization)."""
        count = _page_size(page_size)
        params: dict[str, Any] = {
            "active": active,
            "admin_managed": admin_managed,
            "sort": sort,
            "count": count,
        }
        return self.paginate("/event_types", {**self._owner_params(user, organization), **params}, EventType)

    def get_event_type(self, uuid_or_uri: str) -> EventType:
        """Return one event type."""
        return self._get_resource(self.resource_path("event_types", uuid_or_uri), EventType)

    def list_scheduled_events(
        self,
        *,
        user: str | None = None,
        organization: str | None = None,
        status: str | None = None,
        min_start_time: datetime | str | None = None,
        max_start_time: datetime | str | None = None,
        invitee_email: str | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[ScheduledEvent]:
        """List scheduled events of a user or organization (default: the token owner's organization)."""
        count = _page_size(page_size)
        params: dict[str, Any] = {
            "status": _status(status),
            "min_start_time": _timestamp_param("min_start_time", min_start_time),
            "max_start_time": _timestamp_param("max_start_time", max_start_time),
            "invitee_email": invitee_email,
            "sort": sort,
            "count": count,
        }
        owner = self._owner_params(user, organization)
        return self.paginate("/scheduled_events", {**owner, **params}, ScheduledEvent)

    def get_scheduled_event(self, uuid_or_uri: str) -> ScheduledEvent:
        """Return one scheduled event."""
        return self._get_resource(self.resource_path("scheduled_events", uuid_or_uri), ScheduledEvent)

    def list_event_invitees(
        self,
        event_uuid_or_uri: str,
        *,
        status: str | None = None,
        email: str | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[Invitee]:
        """List the invitees of one scheduled event."""
        count = _page_size(page_size)
        path = f"{self.resource_path('scheduled_events', event_uuid_or_uri)}/invitees"
        params = {"status": _status(status), "email": email, "sort": sort, "count": count}
        return self.paginate(path, params, Invitee)

    def get_invitee(self, event_or_invitee: str, invitee_uuid: str | None = None) -> Invitee:
        """Return one invitee, by invitee URI or by (scheduled event UUID/URI, invitee UUID)."""
        return self._get_resource(self._invitee_path(event_or_invitee, invitee_uuid), Invitee)

    def create_invitee_no_show(self, invitee_uri: str) -> NoShow:
        """Mark an invitee as a no-show (``POST /invitee_no_shows``)."""
        uri = f"{CANONICAL_API_URL}{self._invitee_path(invitee_uri, None)}"
        body = self.request("POST", "/invitee_no_shows", json={"invitee": uri})
        return self._parse_resource(body, NoShow, "POST", "/invitee_no_shows")

    def get_invitee_no_show(self, uuid_or_uri: str) -> NoShow:
        """Return one no-show."""
        return self._get_resource(self.resource_path("invitee_no_shows", uuid_or_uri), NoShow)

    def delete_invitee_no_show(self, uuid_or_uri: str) -> None:
        """Undo a no-show (``DELETE /invitee_no_shows/{uuid}``)."""
        self.request("DELETE", self.resource_path("invitee_no_shows", uuid_or_uri))

    def list_webhook_subscriptions(
        self,
        *,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[WebhookSubscription]:
        """List webhook subscriptions of an organization (default: the token owner's) or of one user."""
        _check_scope(scope, user)
        org = organization or self._owner_params(None, None)["organization"]
        params: dict[str, Any] = {
            "scope": scope,
            "organization": self.resource_uri("organizations", org),
            "user": self.resource_uri("users", user) if user else None,
            "count": _page_size(page_size),
        }
        return self.paginate("/webhook_subscriptions", params, WebhookSubscription)

    def create_webhook_subscription(
        self,
        url: str,
        events: Iterable[str],
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        signing_key: str | None = None,
    ) -> WebhookSubscription:
        """Subscribe ``url`` to webhook ``events`` (e.g. ``invitee.created``)."""
        _check_scope(scope, user)
        event_list = _check_events(events)
        callback = urlsplit(url)
        if callback.scheme not in {"http", "https"} or not callback.hostname:
            raise CalendlyConfigError(f"webhook url must be an http(s) URL, got {url!r}")
        org = organization or self._owner_params(None, None)["organization"]
        payload: dict[str, Any] = {
            "url": url,
            "events": event_list,
            "scope": scope,
            "organization": self.resource_uri("organizations", org),
        }
        if user:
            payload["user"] = self.resource_uri("users", user)
        if signing_key:
            payload["signing_key"] = signing_key
        body = self.request("POST", "/webhook_subscriptions", json=payload)
        return self._parse_resource(body, WebhookSubscription, "POST", "/webhook_subscriptions")

    def get_webhook_subscription(self, uuid_or_uri: str) -> WebhookSubscription:
        """Return one webhook subscription."""
        return self._get_resource(self.resource_path("webhook_subscriptions", uuid_or_uri), WebhookSubscription)

    def delete_webhook_subscription(self, uuid_or_uri: str) -> None:
        """Delete a webhook subscription."""
        self.request("DELETE", self.resource_path("webhook_subscriptions", uuid_or_uri))

    # -- actions: cancel, single-use links, available times, booking, data deletion --

    @cached_property
    def scheduling_rate_limiter(self) -> RateLimiter:
        """The Scheduling API's (``POST /invitees``) own budget, paced on top of the token's main one."""
        settings = self.settings
        windows: list[RateLimiter] = []
        for limit, period in settings.scheduling_rate_limits:
            if settings.rate_limit_storage is not None:
                key = budget_key(
                    settings.token.get_secret_value(), settings.base_url, f"{DEFAULT_KEY_PREFIX}:invitees:{period:g}"
                )
                windows.append(
                    RedisRateLimiter(
                        limit,
                        period,
                        url=settings.rate_limit_storage.get_secret_value(),
                        key=key,
                        clock=None if self._clock is time.monotonic else self._clock,
                        sleep=self._sleep,
                        lease=max(120.0, 4 * settings.timeout),
                    )
                )
            else:
                windows.append(SlidingWindowRateLimiter(limit, period, clock=self._clock, sleep=self._sleep))
        return MultiWindowRateLimiter(windows)

    def cancel_scheduled_event(
        self, uuid_or_uri: str, *, reason: str | None = None, now: datetime | None = None
    ) -> tuple[Cancellation, bool]:
        """Cancel a scheduled event; return ``(cancellation, canceled_by_this_call)``.

        Idempotent: when the POST fails in a way that may mean "already done" (refused, dropped, 5xx), the event
        is read once: an already canceled event is success (``False``: nothing new was canceled), an event that
        has started raises :class:`CalendlyEventInPastError`, anything else re-raises the POST's error.

        :param uuid_or_uri: The scheduled event's UUID or URI.
        :param reason: Reason for the cancellation, shown to the invitees.
        :param now: The current time (injectable for tests).
        """
        path = f"{self.resource_path('scheduled_events', uuid_or_uri)}/cancellation"
        if reason is not None and not isinstance(reason, str):
            raise CalendlyConfigError(f"reason must be a string, got {type(reason).__name__}")
        try:
            body = self.request("POST", path, json={"reason": reason} if reason else {})
        except CalendlyAPIError as exc:
            if isinstance(exc, CalendlyNotFoundError | CalendlyAuthError) and exc.status_code != 403:
                raise
            event = self.get_scheduled_event(uuid_or_uri)
            if event.status == "canceled":
                self.log.info("Scheduled event %s is already canceled (%s)", event.uri, exc)
                return event.cancellation or Cancellation(), False
            started = event.start_time is not None and event.start_time <= (now or datetime.now(timezone.utc))
            if started:
                raise CalendlyEventInPastError(
                    f"scheduled event {event.uri} started at {event.start_time.isoformat()}: "  # type: ignore[union-attr]
                    "Calendly cancels only events that have not started",
                    status_code=exc.status_code,
                    title=exc.title,
                    method="POST",
                    path=path,
                ) from None
            raise
        return self._parse_resource(body, Cancellation, "POST", path), True

    def create_scheduling_link(self, event_type: str, *, max_event_count: int = 1) -> SchedulingLink:
        """Create a single-use scheduling link for an event type (``POST /scheduling_links``).

        :param event_type: The event type's UUID or URI.
        :param max_event_count: Events the link can book; Calendly allows only ``1``.
        """
        if isinstance(max_event_count, bool) or max_event_count != 1:
            raise CalendlyConfigError(f"max_event_count must be 1 (Calendly's only value), got {max_event_count!r}")
        payload = {
            "max_event_count": 1,
            "owner": self.resource_uri("event_types", event_type),
            "owner_type": "EventType",
        }
        body = self.request("POST", "/scheduling_links", json=payload)
        return self._parse_resource(body, SchedulingLink, "POST", "/scheduling_links")

    def list_available_times(
        self,
        event_type: str,
        *,
        start_time: datetime | str,
        end_time: datetime | str,
        now: datetime | None = None,
    ) -> Iterator[AvailableTime]:
        """Yield an event type's bookable start times in ``[start_time, end_time)``, one call per 31 days.

        Calendly answers at most :data:`MAX_AVAILABLE_TIMES_RANGE` per call and rejects a start in the past, so
        a longer range is split and a start already past is moved to ``now``. Lazy: stopping early costs no
        further call.

        :param event_type: The event type's UUID or URI.
        :param start_time: Start of the range (aware datetime or ISO 8601; naive is UTC).
        :param end_time: End of the range; must be after ``start_time`` and in the future.
        :param now: The current time (injectable for tests).
        """
        uri = self.resource_uri("event_types", event_type)
        start = _parse_instant("start_time", start_time)
        end = _parse_instant("end_time", end_time)
        current = now or datetime.now(timezone.utc)
        if end <= start:
            raise CalendlyConfigError(f"end_time ({end.isoformat()}) must be after start_time ({start.isoformat()})")
        if end <= current:
            raise CalendlyConfigError(f"end_time ({end.isoformat()}) is in the past: nothing can be booked")
        return self._available_times(uri, max(start, current + timedelta(seconds=1)), end)

    def _available_times(self, uri: str, start: datetime, end: datetime) -> Iterator[AvailableTime]:
        seen: set[datetime] = set()
        while start < end:
            chunk_end = min(end, start + MAX_AVAILABLE_TIMES_RANGE)
            params = {
                "event_type": uri,
                "start_time": _timestamp_param("start_time", start),
                "end_time": _timestamp_param("end_time", chunk_end),
            }
            body = self.request("GET", "/event_type_available_times", params=params)
            try:
                page = Page[AvailableTime].model_validate(body)
            except ValidationError as exc:
                raise CalendlyAPIError(
                    f"unexpected available times shape ({exc.error_count()} validation errors)",
                    status_code=200,
                    method="GET",
                    path="/event_type_available_times",
                ) from None
            for slot in sorted(page.collection, key=lambda s: s.start_time):
                if start <= slot.start_time < chunk_end and slot.start_time not in seen:
                    seen.add(slot.start_time)
                    yield slot
            start = chunk_end

    def book_meeting(
        self,
        event_type: str,
        start_time: datetime | str,
        invitee: Mapping[str, Any],
        *,
        location: Mapping[str, Any] | None = None,
        questions_and_answers: Iterable[Mapping[str, Any]] | None = None,
        tracking: Mapping[str, Any] | None = None,
        look_first: bool = False,
    ) -> tuple[Invitee, bool]:
        """Book a meeting through the Scheduling API (``POST /invitees``); return ``(invitee, booked_by_this_call)``.

        The endpoint has its own strict limits, paced by :attr:`scheduling_rate_limiter`. A POST whose answer
        was lost (dropped connection, 5xx) may have booked: before sending again, the invitee is looked up (an
        active invitee with that email on an event of that event type at that start time) and returned if found,
        so a meeting is booked once. ``look_first`` looks before the first POST too (an Airflow retry).

        :param event_type: The event type's UUID or URI.
        :param start_time: The slot's start (from :meth:`list_available_times`).
        :param invitee: ``email``, ``timezone`` and ``name`` (or ``first_name``/``last_name``); optionally
            ``text_reminder_number``.
        :param location: Calendly's location object, e.g. ``{"kind": "zoom_conference"}``.
        :param questions_and_answers: Answers to the event type's questions (``question``, ``answer``, ``position``).
        :param tracking: UTM parameters.
        :param look_first: Look for the booking before the first POST too.
        """
        uri = self.resource_uri("event_types", event_type)
        start = _parse_instant("start_time", start_time)
        person = _check_invitee(invitee)
        payload: dict[str, Any] = {
            "event_type": uri,
            "start_time": _timestamp_param("start_time", start),
            "invitee": person,
        }
        if location:
            payload["location"] = dict(location)
        if questions_and_answers:
            payload["questions_and_answers"] = [dict(qa) for qa in questions_and_answers]
        if tracking:
            payload["tracking"] = dict(tracking)
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.settings.max_retries + 1),
            retry=tenacity.retry_if_exception_type((CalendlyConnectionError, CalendlyServerError)),
            wait=self._backoff,
            sleep=self._sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                if look_first or attempt.retry_state.attempt_number > 1:
                    found = self.find_booking(uri, start, person["email"])
                    if found is not None:
                        self.log.info(
                            "The meeting at %s is already booked (invitee %s): not booking again", start, found.uri
                        )
                        return found, False
                body = self.request("POST", "/invitees", json=payload, budget=self.scheduling_rate_limiter)
                return self._parse_resource(body, Invitee, "POST", "/invitees"), True
        raise AssertionError("unreachable")  # pragma: no cover

    def find_booking(self, event_type: str, start_time: datetime | str, email: str) -> Invitee | None:
        """Return the active invitee ``email`` on an event of ``event_type`` starting at ``start_time``, if any."""
        type_uuid = uuid_from_uri(self.resource_uri("event_types", event_type))
        start = _parse_instant("start_time", start_time)
        events = self.list_scheduled_events(
            status="active",
            invitee_email=email,
            min_start_time=start,
            max_start_time=start + timedelta(seconds=1),
        )
        for event in events:
            if event.start_time != start or not event.event_type or uuid_from_uri(event.event_type) != type_uuid:
                continue
            for found in self.list_event_invitees(event.uri, status="active", email=email):
                return found
        return None

    def delete_invitee_data(self, emails: Iterable[str]) -> list[str]:
        """Ask Calendly to delete every invitee's data for ``emails`` (Enterprise; completes within 7 days).

        Resending is harmless (the same deletion), so a lost answer is retried. Returns the emails sent.
        """
        if isinstance(emails, str):
            emails = [emails]
        unique = list(dict.fromkeys(e.strip() for e in emails if isinstance(e, str)))
        bad = [e for e in unique if not _EMAIL_RE.match(e)]
        if not unique or bad:
            raise CalendlyConfigError(f"emails must be a non-empty list of email addresses; invalid: {bad}")
        self.request("POST", "/data_compliance/deletion/invitees", json={"emails": unique}, idempotent=True)
        return unique

    # -- people, routing forms, activity and availability --

    def _organization_uri(self, organization: str | None) -> str:
        """The given organization's URI, else the token owner's current organization."""
        return self._owner_params(None, organization)["organization"]

    def list_organization_memberships(
        self,
        *,
        organization: str | None = None,
        user: str | None = None,
        email: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[OrganizationMembership]:
        """List an organization's memberships, each with its user embedded (default: the token owner's organization).

        :param organization: Organization UUID or URI.
        :param user: Only this user's membership (UUID or URI); without ``organization`` no organization filter.
        :param email: Only the membership of this email address.
        :param page_size: Items per call (1-100).
        """
        params: dict[str, Any] = {"email": email, "count": _page_size(page_size)}
        if user is not None:
            params["user"] = self.resource_uri("users", user)
        if organization is not None or user is None:
            params["organization"] = self._organization_uri(organization)
        return self.paginate("/organization_memberships", params, OrganizationMembership)

    def delete_organization_membership(self, uuid_or_uri: str) -> None:
        """Remove a user from the organization (``DELETE /organization_memberships/{uuid}``)."""
        self.request("DELETE", self.resource_path("organization_memberships", uuid_or_uri))

    def list_groups(self, *, organization: str | None = None, page_size: int = MAX_PAGE_SIZE) -> PageIterator[Group]:
        """List the groups of an organization (default: the token owner's)."""
        params = {"organization": self._organization_uri(organization), "count": _page_size(page_size)}
        return self.paginate("/groups", params, Group)

    def list_group_relationships(
        self,
        *,
        organization: str | None = None,
        group: str | None = None,
        owner: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[GroupRelationship]:
        """List group relationships (one ``member`` and any number of ``admin`` records per owner).

        :param organization: Organization UUID or URI (default: the token owner's).
        :param group: Only this group's relationships (UUID or URI).
        :param owner: Only this organization membership's relationships (UUID or URI).
        :param page_size: Items per call (1-100).
        """
        params: dict[str, Any] = {
            "organization": self._organization_uri(organization),
            "group": self.resource_uri("groups", group) if group is not None else None,
            "owner": self.resource_uri("organization_memberships", owner) if owner is not None else None,
            "count": _page_size(page_size),
        }
        return self.paginate("/group_relationships", params, GroupRelationship)

    def list_routing_forms(
        self, *, organization: str | None = None, sort: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> PageIterator[RoutingForm]:
        """List the routing forms of an organization (default: the token owner's; Teams plan and up)."""
        params = {
            "organization": self._organization_uri(organization),
            "sort": _created_at_sort(sort),
            "count": _page_size(page_size),
        }
        return self.paginate("/routing_forms", params, RoutingForm)

    def get_routing_form(self, uuid_or_uri: str) -> RoutingForm:
        """Return one routing form."""
        return self._get_resource(self.resource_path("routing_forms", uuid_or_uri), RoutingForm)

    def list_routing_form_submissions(
        self, form: str, *, sort: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> PageIterator[RoutingFormSubmission]:
        """List the submissions of one routing form.

        Calendly has no time filter here: read newest first (``sort="created_at:desc"``) and stop iterating at
        the first one older than you need; the iterator fetches no further page.

        :param form: The routing form's UUID or URI.
        :param sort: ``created_at:asc`` or ``created_at:desc``.
        :param page_size: Items per call (1-100).
        """
        params = {
            "form": self.resource_uri("routing_forms", form),
            "sort": _created_at_sort(sort),
            "count": _page_size(page_size),
        }
        return self.paginate("/routing_form_submissions", params, RoutingFormSubmission)

    def get_routing_form_submission(self, uuid_or_uri: str) -> RoutingFormSubmission:
        """Return one routing form submission."""
        path = self.resource_path("routing_form_submissions", uuid_or_uri)
        return self._get_resource(path, RoutingFormSubmission)

    def list_activity_log_entries(
        self,
        *,
        organization: str | None = None,
        min_occurred_at: datetime | str | None = None,
        max_occurred_at: datetime | str | None = None,
        namespace: str | None = None,
        action: str | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[ActivityLogEntry]:
        """List the organization's activity log entries (Enterprise plan; default: the token owner's organization).

        :param min_occurred_at: Only entries that occurred at or after this time.
        :param max_occurred_at: Only entries that occurred before this time.
        :param namespace: Only entries of this category.
        :param action: Only entries of this action.
        :param sort: ``occurred_at:asc`` or ``occurred_at:desc``.
        :param page_size: Items per call (1-100).
        """
        if sort is not None and sort not in {"occurred_at:asc", "occurred_at:desc"}:
            raise CalendlyConfigError(f"sort must be 'occurred_at:asc' or 'occurred_at:desc', got {sort!r}")
        params: dict[str, Any] = {
            "organization": self._organization_uri(organization),
            "min_occurred_at": _timestamp_param("min_occurred_at", min_occurred_at),
            "max_occurred_at": _timestamp_param("max_occurred_at", max_occurred_at),
            "namespace": namespace,
            "action": action,
            "sort": sort,
            "count": _page_size(page_size),
        }
        return self.paginate("/activity_log_entries", params, ActivityLogEntry)

    def list_user_availability_schedules(self, user: str | None = None) -> PageIterator[AvailabilitySchedule]:
        """List one user's availability schedules (default: the token's user); Calendly returns them in one call."""
        user_uri = self.resource_uri("users", user) if user is not None else self.get_current_user().uri
        return self.paginate("/user_availability_schedules", {"user": user_uri}, AvailabilitySchedule)

    def list_event_type_memberships(
        self, event_type: str, *, page_size: int = MAX_PAGE_SIZE
    ) -> PageIterator[EventTypeMembership]:
        """List the hosts of one event type (``/event_type_memberships``), each member embedded."""
        params = {"event_type": self.resource_uri("event_types", event_type), "count": _page_size(page_size)}
        return self.paginate("/event_type_memberships", params, EventTypeMembership)


# --- argument helpers ---------------------------------------------------------------------------------------


def _mask(secret: str) -> None:
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - older task SDKs
        return
    mask_secret(secret)


def _int_or_none(value: float | None) -> int | None:
    return int(value) if value is not None else None


def _page_size(page_size: int) -> int:
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise CalendlyConfigError(f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}, got {page_size!r}")
    return page_size


def _status(status: str | None) -> str | None:
    """A scheduled event's or invitee's ``status`` filter: ``active``, ``canceled`` or none."""
    return None if status is None else CalendlyConfigError.check_choice("status", status, ("active", "canceled"))


def _timestamp_param(name: str, value: datetime | str | None) -> str | None:
    """Format a time filter as Calendly's UTC ISO 8601, rejecting what does not parse."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = pendulum.parse(value)
        except Exception:
            raise CalendlyConfigError(f"{name} is not an ISO 8601 timestamp: {value!r}") from None
        if not isinstance(parsed, datetime):
            raise CalendlyConfigError(f"{name} is not an ISO 8601 timestamp: {value!r}")
        value = parsed
    if not isinstance(value, datetime):
        raise CalendlyConfigError(f"{name} must be a datetime or ISO 8601 string, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _created_at_sort(sort: str | None) -> str | None:
    if sort is not None and sort not in {"created_at:asc", "created_at:desc"}:
        raise CalendlyConfigError(f"sort must be 'created_at:asc' or 'created_at:desc', got {sort!r}")
    return sort


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Drop ``None`` filters and render booleans the way Calendly expects (``true``/``false``)."""
    if not params:
        return None
    clean: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        clean[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return clean


def _check_scope(scope: str, user: str | None) -> None:
    if scope not in {"organization", "user"}:
        raise CalendlyConfigError(f"scope must be 'organization' or 'user', got {scope!r}")
    if scope == "user" and not user:
        raise CalendlyConfigError("scope 'user' needs the user's UUID or URI")


_EVENT_NAME_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def _check_events(events: Iterable[str]) -> list[str]:
    if isinstance(events, str):
        events = [events]
    event_list = list(dict.fromkeys(events))
    if not event_list:
        raise CalendlyConfigError("at least one webhook event is required")
    bad = [e for e in event_list if not isinstance(e, str) or not _EVENT_NAME_RE.match(e)]
    if bad:
        raise CalendlyConfigError(f"invalid webhook event name(s): {bad}")
    return event_list


# --- action argument helpers ---------------------------------------------------------------------------------

MAX_AVAILABLE_TIMES_RANGE = timedelta(days=31)
"""The longest range ``GET /event_type_available_times`` answers in one call (7 days until July 2026)."""
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _parse_instant(name: str, value: datetime | str) -> datetime:
    """Parse a required instant to an aware UTC datetime (naive is UTC), with a clear error."""
    text = _timestamp_param(name, value)
    if text is None:
        raise CalendlyConfigError(f"{name} is required")
    return parse_utc(text)


def _check_invitee(invitee: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the Scheduling API's ``invitee`` object: email, IANA timezone and a name."""
    if not isinstance(invitee, Mapping):
        raise CalendlyConfigError("invitee must be a mapping with email, timezone and name")
    allowed = {"email", "timezone", "name", "first_name", "last_name", "text_reminder_number"}
    unknown = sorted(set(invitee) - allowed)
    if unknown:
        raise CalendlyConfigError(f"invitee has unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    person = {k: v for k, v in invitee.items() if v is not None}
    if not all(isinstance(v, str) for v in person.values()):
        raise CalendlyConfigError("invitee values must be strings")
    if not _EMAIL_RE.match(person.get("email", "")):
        raise CalendlyConfigError(f"invitee email is not an email address: {person.get('email')!r}")
    if not person.get("name") and not person.get("first_name"):
        raise CalendlyConfigError("invitee needs a name (or first_name)")
    tz = person.get("timezone")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz or "")
    except Exception:
        raise CalendlyConfigError(
            f"invitee timezone must be an IANA time zone such as Europe/London, got {tz!r}"
        ) from None
    return person
