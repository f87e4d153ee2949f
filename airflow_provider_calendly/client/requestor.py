"""The one request path: pacing under the token's budget, one retry policy, and error mapping.

Every request the client sends goes through :meth:`Requestor.request`: it takes a slot of the token's rate
limit (and of an endpoint's own, if it has one), sends over a ``requests`` session with bearer auth, feeds the
server's rate-limit headers back to the limiter, maps an error to its typed exception and retries (tenacity)
what is safe to retry, waiting exactly the server's reset after a 429.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import requests
import tenacity
from requests.adapters import HTTPAdapter

from airflow_provider_calendly.client.errors import error_for_response, tls_failure
from airflow_provider_calendly.client.params import query_params
from airflow_provider_calendly.client.settings import BearerAuth
from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyConfigError, CalendlyConnectionError
from airflow_provider_calendly.pacing import (
    DEFAULT_KEY_PREFIX,
    Clock,
    MultiWindowRateLimiter,
    PairedBudget,
    RateLimiter,
    Sleep,
    budget_key,
    build_limiter,
    reset_after,
    server_view,
)

if TYPE_CHECKING:
    from airflow_provider_calendly.client.settings import CalendlySettings

__all__ = ["BACKOFF", "IDEMPOTENT_METHODS", "RETRYABLE_STATUS", "Requestor"]

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: The wait between attempts when the server gives no reset: exponential, jittered, at most a minute.
BACKOFF = tenacity.wait_exponential_jitter(initial=1, max=60, jitter=1)


class _Attempt:
    """Why one attempt failed, for the retry predicate and the wait."""

    def __init__(self, error: CalendlyAPIError, *, retryable: bool, wait: float | None = None) -> None:
        self.error = error
        self.retryable = retryable
        self.wait = wait


class _RetryableFailure(Exception):
    """Internal carrier between one attempt and tenacity; never escapes the request path."""

    def __init__(self, attempt: _Attempt) -> None:
        super().__init__(str(attempt.error))
        self.attempt = attempt


class Requestor:
    """Sends requests for one token at one API; the base of every client area.

    The settings come from a subclass: :class:`~airflow_provider_calendly.client.CalendlyClient` is given them,
    :class:`~airflow_provider_calendly.hooks.calendly.CalendlyHook` reads them from its Airflow connection.

    :param rate_limiter: Share a limiter between clients (e.g. a Redis-backed one); default: one per client,
        built from the settings' ``rate_limit``/``rate_limit_period``/``rate_limit_storage``.
    :param clock: Monotonic clock for pacing (injectable for tests).
    :param sleep: Sleep function for pacing and retries (injectable for tests).
    """

    USER_AGENT: ClassVar[str] = "airflow-provider-calendly"

    def __init__(
        self,
        *,
        rate_limiter: RateLimiter | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__()  # cooperative: the hook's BaseHook follows in its MRO
        self._rate_limiter = rate_limiter
        self._clock = clock
        self._sleep = sleep
        self._call_count = 0
        self._lock = threading.Lock()
        #: Seconds spent waiting for the rate limit: pacing before sends, and the waits after 429 answers.
        self.throttled_seconds = 0.0
        #: 429 (rate limited) answers received.
        self.rate_limited_count = 0

    if TYPE_CHECKING:

        @property
        def settings(self) -> CalendlySettings:
            """The validated settings (given to the client, or read from the hook's connection)."""

        @property
        def log(self) -> Any:
            """Where the client logs: the hook's Airflow logger, or a standard one (typed loosely to fit both)."""

    # -- session and budgets --

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """The token's budget: the injected limiter, else one built from the settings."""
        if self._rate_limiter is not None:
            return self._rate_limiter
        return self._window(self.settings.rate_limit, self.settings.rate_limit_period)

    @cached_property
    def scheduling_rate_limiter(self) -> RateLimiter:
        """The Scheduling API's (``POST /invitees``) own budget, paced on top of the token's main one."""
        return MultiWindowRateLimiter(
            [
                self._window(limit, period, f"{DEFAULT_KEY_PREFIX}:invitees:{period:g}")
                for limit, period in self.settings.scheduling_rate_limits
            ]
        )

    def _window(self, limit: int | None, period: float, prefix: str = DEFAULT_KEY_PREFIX) -> RateLimiter:
        """One window of this token's budget: in Redis (one key per token, API and window) when configured."""
        settings = self.settings
        storage = settings.rate_limit_storage
        return build_limiter(
            limit,
            period,
            storage_url=storage.get_secret_value() if storage is not None else None,
            key=budget_key(settings.token.get_secret_value(), settings.base_url, prefix),
            clock=self._clock,
            sleep=self._sleep,
            lease=max(120.0, 4 * settings.timeout),
        )

    @property
    def rate_limit(self) -> int:
        """Calls per window the limiter counts: the connection's ``rate_limit``, else the default 100."""
        return self.rate_limiter.limit

    @property
    def rate_limit_period(self) -> float:
        """The limiter's window in seconds: the connection's ``rate_limit_period``, else the default 60."""
        return self.rate_limiter.period

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
        """Close the HTTP session (a new one is opened if the client is used again)."""
        session = self.__dict__.pop("session", None)
        if session is not None:
            session.close()

    @property
    def call_count(self) -> int:
        """HTTP requests this client has sent (retries included)."""
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
        :param params: Query filters (``None`` values are left out).
        :param json: The JSON body.
        :param idempotent: Whether resending after a lost answer is harmless (default: by method).
        :param budget: An endpoint's own limiter, paced on top of the token's and fed that endpoint's headers.
        """
        method = method.upper()
        if not path.startswith("/") or path.startswith("//"):
            raise CalendlyConfigError(f"API path must start with a single '/', got {path!r}")
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.settings.max_retries + 1),
            retry=tenacity.retry_if_exception(lambda exc: isinstance(exc, _RetryableFailure) and exc.attempt.retryable),
            wait=self._retry_wait,
            before_sleep=self._before_retry(method, path),
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

    def get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """Send one GET (what a :class:`~airflow_provider_calendly.client.pagination.PageIterator` fetches with)."""
        return self.request("GET", path, params=params)

    @staticmethod
    def _retry_wait(retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _RetryableFailure) and exc.attempt.wait is not None:
            return exc.attempt.wait  # the server said exactly when: no jitter, no extra margin
        return float(BACKOFF(retry_state))

    def _before_retry(self, method: str, path: str) -> Callable[[tenacity.RetryCallState], None]:
        """Log a retry; the wait before retrying a 429 counts as time waited for the rate limit."""

        def log(retry_state: tenacity.RetryCallState) -> None:
            exc = retry_state.outcome.exception() if retry_state.outcome else None
            reason = str(exc.attempt.error) if isinstance(exc, _RetryableFailure) else repr(exc)
            delay = retry_state.next_action.sleep if retry_state.next_action else 0.0
            if isinstance(exc, _RetryableFailure) and exc.attempt.error.status_code == 429:
                with self._lock:
                    self.throttled_seconds += delay
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
        limiter = PairedBudget(self.rate_limiter, budget)
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
                params=query_params(params),
                json=json,
                timeout=self.settings.timeout,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError:
            limiter.release()
            # A failed TLS handshake fails the same way every time: say where, and the likely fix, at once.
            raise _RetryableFailure(
                _Attempt(tls_failure(self.settings.base_url, method, path), retryable=False)
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
            limiter.observe(*server_view(response.headers, now))
        finally:
            limiter.release()
        status = response.status_code
        if status == 429:
            with self._lock:
                self.rate_limited_count += 1
            wait = reset_after(response.headers, now)
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
