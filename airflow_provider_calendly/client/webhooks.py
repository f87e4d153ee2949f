"""Webhook subscriptions (of an organization, a user or a group): list, create, read, delete, find by callback
URL, judge their health; and Calendly's sample payloads.

Making a subscription exist exactly once (and replacing a disabled one) is recovery:
:meth:`~airflow_provider_calendly.client.recovery.webhooks.WebhooksRecovery.ensure_webhook_subscription`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_calendly.client.base import CalendlyBase
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import (
    MAX_PAGE_SIZE,
    check_callback_url,
    check_events,
    check_page_size,
    check_scope,
)
from airflow_provider_calendly.exceptions import CalendlyWebhookUnhealthyError
from airflow_provider_calendly.models import WebhookSubscription
from airflow_provider_calendly.uris import uuid_from_uri

__all__ = ["WebhooksAPI", "callback_version"]

_VERSION_RE = re.compile(r"^/v([0-9]+)$")


def callback_version(base: str, callback: str) -> int | None:
    """``1`` for ``base`` itself, ``N`` for ``base/vN`` (a replacement's versioned path), else ``None``."""
    base, callback = base.rstrip("/"), callback.rstrip("/")
    if callback == base:
        return 1
    match = _VERSION_RE.match(callback[len(base) :]) if callback.startswith(base) else None
    return int(match.group(1)) if match else None


class WebhooksAPI(CalendlyBase):
    """Webhook subscriptions of an organization or a user."""

    def list_webhook_subscriptions(
        self,
        *,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        group: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[WebhookSubscription]:
        """List webhook subscriptions of an organization (default: the token owner's), one user or one group."""
        params: dict[str, Any] = {
            **self._scope_params(scope, organization, user, group),
            "count": check_page_size(page_size),
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
        group: str | None = None,
    ) -> WebhookSubscription:
        """Subscribe ``url`` to webhook ``events`` (e.g. ``invitee.created``), sent once."""
        payload: dict[str, Any] = {
            "url": check_callback_url(url),
            "events": check_events(events),
            **{k: v for k, v in self._scope_params(scope, organization, user, group).items() if v is not None},
        }
        if signing_key:
            payload["signing_key"] = signing_key
        return self.post_resource("/webhook_subscriptions", payload, WebhookSubscription)

    def get_sample_webhook_data(
        self,
        event: str,
        *,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        group: str | None = None,
    ) -> dict[str, Any]:
        """Return Calendly's sample delivery of ``event`` for a subscription of this scope (``/sample_webhook_data``):
        what a receiver or a DAG can be tested with. A body wrapped as ``{"resource": …}`` is unwrapped."""
        (name,) = check_events([event])
        params = {"event": name, **self._scope_params(scope, organization, user, group)}
        body = self.get("/sample_webhook_data", params) or {}
        resource = body.get("resource")
        return resource if isinstance(resource, dict) else body

    def _scope_params(
        self, scope: str, organization: str | None, user: str | None, group: str | None
    ) -> dict[str, Any]:
        """The ``scope``, ``organization`` and ``user`` or ``group`` a subscription (or its listing) names."""
        check_scope(scope, user, group)
        return {
            "scope": scope,
            "organization": self.organization_uri(organization or None),
            "user": self.resource_uri("users", user) if user else None,
            "group": self.resource_uri("groups", group) if group else None,
        }

    def get_webhook_subscription(self, uuid_or_uri: str) -> WebhookSubscription:
        """Return one webhook subscription."""
        return self.get_resource(self.resource_path("webhook_subscriptions", uuid_or_uri), WebhookSubscription)

    def delete_webhook_subscription(self, uuid_or_uri: str) -> None:
        """Delete a webhook subscription."""
        self.request("DELETE", self.resource_path("webhook_subscriptions", uuid_or_uri))

    def find_webhook_subscriptions(
        self,
        url: str,
        *,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        group: str | None = None,
    ) -> list[WebhookSubscription]:
        """Return the subscriptions of this scope (and its user or group) posting to ``url`` or ``url/vN``."""
        owner = {"user": user, "group": group}.get(scope)
        owner_uuid = uuid_from_uri(self.resource_uri(f"{scope}s", owner)) if owner else None
        found = []
        for sub in self.list_webhook_subscriptions(scope=scope, organization=organization, user=user, group=group):
            if callback_version(url, sub.callback_url) is None or (sub.scope and sub.scope != scope):
                continue
            sub_owner = getattr(sub, scope, None) if scope != "organization" else None
            if owner_uuid and sub_owner and uuid_from_uri(sub_owner) != owner_uuid:
                continue
            found.append(sub)
        return found

    def check_webhook_subscription(
        self,
        url: str,
        *,
        max_retrying: float = 3600.0,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        group: str | None = None,
        now: datetime | None = None,
    ) -> WebhookSubscription:
        """Return the subscription posting to ``url`` (its latest ``…/vN``), or raise when it is not healthy.

        Calendly disables a subscription silently after 24 hours of failed deliveries: this raises
        :class:`~airflow_provider_calendly.exceptions.CalendlyWebhookUnhealthyError` when none exists, when it is
        disabled, or when Calendly has been retrying its deliveries for more than ``max_retrying`` seconds.

        :param url: The callback URL the subscription was made for.
        :param max_retrying: Seconds Calendly may have been retrying (``retry_started_at``) before this fails.
        :param now: The current time (injectable for tests).
        """
        found = self.find_webhook_subscriptions(url, scope=scope, organization=organization, user=user, group=group)
        if not found:
            raise CalendlyWebhookUnhealthyError(f"no webhook subscription posts to {url}: no events are delivered")
        sub = max(found, key=lambda s: callback_version(url, s.callback_url) or 1)
        if sub.state == "disabled":
            raise CalendlyWebhookUnhealthyError(
                f"webhook subscription {sub.uri} is disabled (failing since {sub.retry_started_at}): Calendly "
                "delivers nothing; run CalendlyEnsureWebhookSubscriptionOperator to replace it"
            )
        if sub.retry_started_at is not None:
            retrying = (now or datetime.now(timezone.utc)) - sub.retry_started_at
            if retrying > timedelta(seconds=max_retrying):
                raise CalendlyWebhookUnhealthyError(
                    f"Calendly has been retrying deliveries to {sub.callback_url} since {sub.retry_started_at} "
                    f"({retrying}); it disables the subscription after 24 hours: check the receiver"
                )
        return sub
