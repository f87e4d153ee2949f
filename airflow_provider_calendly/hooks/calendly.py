"""CalendlyHook: the Airflow face of the Calendly client.

The hook is :class:`~airflow_provider_calendly.client.CalendlyAPI` (every endpoint, the one request path,
pacing, retries, typed errors, lazy pagination, idempotent actions) with its settings read from an Airflow
``calendly`` connection: fetched once, validated, and its secrets registered with Airflow's masker. The names
users import from this module (``CalendlySettings``, ``PageIterator``, ``MAX_PAGE_SIZE``…) stay importable here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

from airflow_provider_calendly.client import CalendlyAPI
from airflow_provider_calendly.client.errors import error_for_response, required_scopes
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import MAX_PAGE_SIZE, check_page_size
from airflow_provider_calendly.client.requestor import IDEMPOTENT_METHODS, RETRYABLE_STATUS
from airflow_provider_calendly.client.scheduling import MAX_AVAILABLE_TIMES_RANGE
from airflow_provider_calendly.client.settings import BearerAuth, CalendlySettings
from airflow_provider_calendly.exceptions import CalendlyAuthError, CalendlyError
from airflow_provider_calendly.pacing import Clock, RateLimiter, Sleep
from airflow_provider_calendly.scopes import OPT_IN_RESOURCES, RESOURCE_ENDPOINTS, resource_scopes, sync_scopes
from airflow_provider_calendly.uris import CANONICAL_API_URL

__all__ = [
    "CANONICAL_API_URL",
    "IDEMPOTENT_METHODS",
    "MAX_AVAILABLE_TIMES_RANGE",
    "MAX_PAGE_SIZE",
    "RETRYABLE_STATUS",
    "BearerAuth",
    "CalendlyHook",
    "CalendlySettings",
    "PageIterator",
    "check_page_size",
    "error_for_response",
    "required_scopes",
]


def _mask(secret: str) -> None:
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - older task SDKs
        return
    mask_secret(secret)


class CalendlyHook(CalendlyAPI, BaseHook):
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

    def __init__(
        self,
        calendly_conn_id: str = default_conn_name,
        *,
        rate_limiter: RateLimiter | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(rate_limiter=rate_limiter, clock=clock, sleep=sleep)
        self.calendly_conn_id = calendly_conn_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(calendly_conn_id={self.calendly_conn_id!r})"

    @cached_property
    def settings(self) -> CalendlySettings:
        """The connection, fetched once and validated; its secrets are registered with the secrets masker."""
        settings = CalendlySettings.from_connection(self.get_connection(self.calendly_conn_id))
        for secret in settings.secrets():
            _mask(secret)
        return settings

    def test_connection(self) -> tuple[bool, str]:
        """Check the token and say what it can and cannot read, by scope (used by the UI's Test button).

        One call to ``/users/me`` (``users:read``), then one single-item read per read scope the provider uses
        (:meth:`_read_probes`); a refusal names the scope Calendly says is missing. Then what a default sync
        needs (derived from :mod:`airflow_provider_calendly.scopes`) and which of it the token lacks. Write
        scopes are not checked: nothing proves one without writing.
        """
        try:
            user = self.get_current_user()
        except Exception as exc:  # the UI wants a message, whatever went wrong
            return False, f"Calendly connection failed: {exc}"
        who = user.name or user.email or user.uri
        email = f" <{user.email}>" if user.email and user.email != who else ""
        readable: list[str] = []
        refused: list[str] = []
        missing: set[str] = set()
        for area, probe in self._read_probes().items():
            try:
                probe()
            except CalendlyAuthError as exc:
                scopes = [d["message"].removeprefix("requires ") for d in exc.details if d.get("parameter") == "scope"]
                missing.update(scopes)
                # Without a missing scope named, the plan or the user's role refused it.
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
        defaults = [r for r in RESOURCE_ENDPOINTS if r not in OPT_IN_RESOURCES]
        needed = sync_scopes(defaults)
        lacking = [s for s in needed if s in missing]
        text += f"; a default sync needs {', '.join(needed)}"
        if lacking:
            skipped = [r for r in defaults if set(resource_scopes(r)) & set(lacking)]
            text += f"; without {', '.join(lacking)} it cannot read {', '.join(skipped)}"
        return True, text

    def _read_probes(self) -> dict[str, Callable[[], Any]]:
        """One single-item read per read scope the provider uses, by what it reads."""

        def first(listing: PageIterator[Any]) -> Any:
            return next(iter(listing.pages()), None)

        me = self.get_current_user().uri
        return {
            "event types": lambda: first(self.list_event_types(page_size=1)),
            "scheduled events": lambda: first(self.list_scheduled_events(page_size=1)),
            "webhook subscriptions": lambda: first(self.list_webhook_subscriptions(page_size=1)),
            "the organization": self.get_organization,
            "groups": lambda: first(self.list_groups(page_size=1)),
            "routing forms": lambda: first(self.list_routing_forms(page_size=1)),
            "availability": lambda: first(self.list_user_availability_schedules(me)),
            "locations": lambda: first(self.list_user_locations(me)),
            "the activity log": lambda: first(self.list_activity_log_entries(page_size=1)),
            "outgoing communications": lambda: first(self.list_outgoing_communications(page_size=1)),
        }
