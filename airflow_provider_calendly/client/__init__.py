"""The Calendly API v2 client under the Airflow hook, in the manner of stripe-python's requestor.

* :mod:`~.settings`: the validated settings and bearer auth; :mod:`~.errors`: HTTP status -> typed exception;
* :mod:`~.requestor`: the one request path (pacing, retries, error mapping);
* :mod:`~.pagination`: the page-shape check and the lazy page iterator; :mod:`~.identity`: UUIDs and URIs;
* :mod:`~.params`: every argument check; :mod:`~.base`: what the areas share;
* one module per Calendly area: :mod:`~.scheduling`, :mod:`~.organization`, :mod:`~.availability`,
  :mod:`~.routing_forms`, :mod:`~.webhooks`, :mod:`~.compliance`, :mod:`~.contacts`, :mod:`~.meeting_recaps`,
  :mod:`~.shares`;
* :mod:`~.recovery`: the writes that take effect once however their answers are lost (the one shape, and a
  module per area).

:class:`CalendlyClient` composes them and needs no Airflow connection::

    client = CalendlyClient(CalendlySettings(token="..."))
    for event_type in client.list_event_types():
        ...

:class:`~airflow_provider_calendly.hooks.calendly.CalendlyHook` is the same API with its settings read from an
Airflow connection.
"""

from __future__ import annotations

import logging
import time

from airflow_provider_calendly.client.availability import AvailabilityAPI
from airflow_provider_calendly.client.compliance import ComplianceAPI
from airflow_provider_calendly.client.organization import OrganizationAPI
from airflow_provider_calendly.client.recovery import IdempotentActions
from airflow_provider_calendly.client.routing_forms import RoutingFormsAPI
from airflow_provider_calendly.client.settings import CalendlySettings
from airflow_provider_calendly.pacing import Clock, RateLimiter, Sleep

__all__ = ["CalendlyAPI", "CalendlyClient", "CalendlySettings"]

_log = logging.getLogger(__name__)


class CalendlyAPI(IdempotentActions, OrganizationAPI, AvailabilityAPI, RoutingFormsAPI, ComplianceAPI):
    """Every Calendly area the provider uses; a subclass supplies the settings (and the logger)."""


class CalendlyClient(CalendlyAPI):
    """A Calendly API client for one token, usable without Airflow.

    :param settings: The token, base URL and limits.
    :param rate_limiter: Share a limiter between clients; default: one built from ``settings``.
    :param clock: Monotonic clock for pacing (injectable for tests).
    :param sleep: Sleep function for pacing and retries (injectable for tests).
    """

    def __init__(
        self,
        settings: CalendlySettings,
        *,
        rate_limiter: RateLimiter | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(rate_limiter=rate_limiter, clock=clock, sleep=sleep)
        self._settings = settings

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._settings.base_url!r})"

    @property
    def settings(self) -> CalendlySettings:
        return self._settings

    @property
    def log(self) -> logging.Logger:
        return _log
