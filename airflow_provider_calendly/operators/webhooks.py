"""Operators that manage Calendly webhook subscriptions idempotently."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_calendly.exceptions import (
    CalendlyAPIError,
    CalendlyConfigError,
    CalendlyNotFoundError,
    CalendlyWebhookUnhealthyError,
)
from airflow_provider_calendly.hooks.calendly import CalendlyHook

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_calendly.models import WebhookSubscription

__all__ = [
    "DEFAULT_WEBHOOK_EVENTS",
    "CalendlyCheckWebhookSubscriptionOperator",
    "CalendlyDeleteWebhookSubscriptionOperator",
    "CalendlyEnsureWebhookSubscriptionOperator",
]

DEFAULT_WEBHOOK_EVENTS = ("invitee.created", "invitee.canceled", "routing_form_submission.created")


_VERSION_RE = re.compile(r"^/v([0-9]+)$")


def callback_version(base: str, callback: str) -> int | None:
    """``1`` for ``base`` itself, ``N`` for ``base/vN`` (a replacement's versioned path), else ``None``."""
    base, callback = base.rstrip("/"), callback.rstrip("/")
    if callback == base:
        return 1
    match = _VERSION_RE.match(callback[len(base) :]) if callback.startswith(base) else None
    return int(match.group(1)) if match else None


class _WebhookOperator(BaseOperator):
    def __init__(
        self,
        *,
        url: str | None,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        calendly_conn_id: str = CalendlyHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.url = url
        self.scope = scope
        self.organization = organization
        self.user = user
        self.calendly_conn_id = calendly_conn_id

    @cached_property
    def hook(self) -> CalendlyHook:
        return CalendlyHook(calendly_conn_id=self.calendly_conn_id)

    def _find(self, url: str) -> list[WebhookSubscription]:
        """Subscriptions of this scope (and user, for scope ``user``) posting to ``url``."""
        found = []
        for sub in self.hook.list_webhook_subscriptions(
            scope=self.scope, organization=self.organization or None, user=self.user or None
        ):
            if callback_version(url, sub.callback_url) is None or (sub.scope and sub.scope != self.scope):
                continue
            if self.scope == "user" and self.user and sub.user and not sub.user.rstrip("/").endswith(self.user):
                continue
            found.append(sub)
        return found


class CalendlyEnsureWebhookSubscriptionOperator(_WebhookOperator):
    """Make sure ``url`` is subscribed to ``events``; create or replace the subscription only when needed.

    Idempotent: an existing subscription with the same callback URL and scope and the same events is
    returned untouched; one with different events is deleted and re-created; none is created. Deliveries are
    signed with the connection's ``webhook_signing_key`` extra (Calendly does not disclose a subscription's
    key, so pass ``recreate=True`` once after rotating it). Returns the subscription as a dict (no key in it).

    :param url: The receiver's public callback URL, e.g. ``https://airflow.example.com/calendly/webhooks``.
        (templated)
    :param events: Event names; the seed's triggers by default. Names Calendly adds later are accepted.
        (templated)
    :param scope: ``organization`` or ``user``.
    :param organization: Organization UUID or URI; default: the token owner's organization. (templated)
    :param user: User UUID or URI, required for scope ``user``. (templated)
    :param sign: Sign deliveries with the connection's ``webhook_signing_key`` (required by the receiver).
    :param recreate: Replace a matching subscription even when its events are the same.
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("url", "events", "organization", "user", "calendly_conn_id")

    def __init__(
        self,
        *,
        url: str,
        events: Sequence[str] = DEFAULT_WEBHOOK_EVENTS,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        sign: bool = True,
        recreate: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(url=url, scope=scope, organization=organization, user=user, **kwargs)
        self.events = [events] if isinstance(events, str) else list(events)
        self.sign = sign
        self.recreate = recreate

    def _signing_key(self) -> str | None:
        if not self.sign:
            return None
        key = self.hook.settings.webhook_signing_key
        if key is None or not key.get_secret_value():
            raise CalendlyConfigError(
                f"Connection {self.calendly_conn_id!r} has no 'webhook_signing_key' extra: the receiver rejects "
                "unsigned deliveries (set the extra, or pass sign=False if your receiver does not verify)"
            )
        return key.get_secret_value()

    def _create(self, url: str) -> WebhookSubscription:
        return self.hook.create_webhook_subscription(
            url,
            self.events,
            scope=self.scope,
            organization=self.organization or None,
            user=self.user or None,
            signing_key=self._signing_key(),
        )

    def execute(self, context: Context) -> dict[str, Any]:
        url = self.url
        if not url:
            raise CalendlyConfigError("url is required")
        wanted = set(self.events)
        existing = self._find(url)
        keep = next((s for s in existing if set(s.events) == wanted), None) if not self.recreate else None
        for sub in existing:
            if sub is keep:
                continue
            self.log.info("Replacing webhook subscription %s (events %s)", sub.uri, sorted(sub.events))
            try:
                self.hook.delete_webhook_subscription(sub.uri)
            except CalendlyNotFoundError:
                self.log.info("Webhook subscription %s was already deleted", sub.uri)
        if keep is not None and keep.state == "disabled":
            return self._replace_disabled(url, keep, existing)
        if keep is not None:
            self.log.info("Webhook subscription %s for %s is up to date", keep.uri, url)
            return keep.model_dump(mode="json")
        try:
            created = self._create(url)
        except CalendlyAPIError as exc:
            if exc.status_code != 409:
                raise
            # Created concurrently (Calendly refuses a second subscription for the same URL and scope).
            again = [s for s in self._find(url) if set(s.events) == wanted]
            if not again:
                raise
            self.log.info("Webhook subscription for %s was created concurrently: %s", url, again[0].uri)
            return again[0].model_dump(mode="json")
        self.log.info("Created webhook subscription %s for %s (events %s)", created.uri, url, sorted(wanted))
        return created.model_dump(mode="json")

    def _replace_disabled(
        self, url: str, old: WebhookSubscription, existing: list[WebhookSubscription]
    ) -> dict[str, Any]:
        """Create the replacement on the next versioned path first, then delete the disabled one."""
        version = max(callback_version(url, s.callback_url) or 1 for s in existing) + 1
        new_url = f"{url.rstrip('/')}/v{version}"
        self.log.warning(
            "Webhook subscription %s is disabled (retrying since %s): replacing it with one on %s",
            old.uri,
            old.retry_started_at,
            new_url,
        )
        created = self._create(new_url)
        try:
            self.hook.delete_webhook_subscription(old.uri)
        except CalendlyNotFoundError:
            self.log.info("Webhook subscription %s was already deleted", old.uri)
        since = old.retry_started_at or old.updated_at or old.created_at
        until = created.created_at or datetime.now(timezone.utc)
        gap = {"gap_start": since.isoformat() if since else None, "gap_end": until.isoformat()}
        self.log.warning("No deliveries reached %s from %s to %s: treat it as a feed gap", url, *gap.values())
        return {**created.model_dump(mode="json"), "replaced": old.uri, "feed_gap": gap}


class CalendlyCheckWebhookSubscriptionOperator(_WebhookOperator):
    """Fail loudly when the subscription posting to ``url`` is missing, disabled or retrying for too long.

    Calendly disables a subscription silently after 24 hours of failed deliveries; run this as a health check
    so the deployment hears about it. Returns the subscription as a dict.

    :param url: The callback URL the subscription was made for (versioned ``…/vN`` paths count). (templated)
    :param max_retrying: Seconds Calendly may have been retrying (``retry_started_at``) before this fails.
    :param scope: ``organization`` or ``user``.
    :param organization: Organization UUID or URI; default: the token owner's organization. (templated)
    :param user: User UUID or URI, for scope ``user``. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("url", "organization", "user", "calendly_conn_id")

    def __init__(self, *, url: str, max_retrying: float = 3600.0, **kwargs: Any) -> None:
        super().__init__(url=url, **kwargs)
        self.max_retrying = float(max_retrying)

    def execute(self, context: Context) -> dict[str, Any]:
        url = self.url or ""
        found = self._find(url)
        if not found:
            raise CalendlyWebhookUnhealthyError(f"no webhook subscription posts to {url}: no events are delivered")
        sub = max(found, key=lambda s: callback_version(url, s.callback_url) or 1)
        if sub.state == "disabled":
            raise CalendlyWebhookUnhealthyError(
                f"webhook subscription {sub.uri} is disabled (failing since {sub.retry_started_at}): Calendly "
                "delivers nothing; run CalendlyEnsureWebhookSubscriptionOperator to replace it"
            )
        if sub.retry_started_at is not None:
            retrying = datetime.now(timezone.utc) - sub.retry_started_at
            if retrying > timedelta(seconds=self.max_retrying):
                raise CalendlyWebhookUnhealthyError(
                    f"Calendly has been retrying deliveries to {sub.callback_url} since {sub.retry_started_at} "
                    f"({retrying}); it disables the subscription after 24 hours: check the receiver"
                )
        self.log.info("Webhook subscription %s is %s", sub.uri, sub.state)
        return sub.model_dump(mode="json")


class CalendlyDeleteWebhookSubscriptionOperator(_WebhookOperator):
    """Delete a webhook subscription, by UUID/URI or by callback URL and scope; already gone counts as done.

    :param subscription: The subscription's UUID or URI. (templated)
    :param url: Or the callback URL: every subscription of this scope posting there is deleted. (templated)
    :param scope: ``organization`` or ``user`` (with ``url``).
    :param organization: Organization UUID or URI (with ``url``); default: the token owner's. (templated)
    :param user: User UUID or URI (with ``url`` and scope ``user``). (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("subscription", "url", "organization", "user", "calendly_conn_id")

    def __init__(self, *, subscription: str | None = None, url: str | None = None, **kwargs: Any) -> None:
        super().__init__(url=url, **kwargs)
        if (subscription is None) == (url is None):
            raise CalendlyConfigError("pass exactly one of subscription or url")
        self.subscription = subscription

    def execute(self, context: Context) -> dict[str, Any]:
        targets = [self.subscription] if self.subscription else [s.uri for s in self._find(self.url or "")]
        deleted = []
        for target in targets:
            try:
                self.hook.delete_webhook_subscription(target)
            except CalendlyNotFoundError:
                self.log.info("Webhook subscription %s does not exist: nothing to delete", target)
                continue
            self.log.info("Deleted webhook subscription %s", target)
            deleted.append(target)
        if not targets:
            self.log.info("No webhook subscription posts to %s: nothing to delete", self.url)
        return {"deleted": deleted}
