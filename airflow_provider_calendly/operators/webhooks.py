"""Operators that manage Calendly webhook subscriptions idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyConfigError, CalendlyNotFoundError
from airflow_provider_calendly.hooks.calendly import CalendlyHook

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_calendly.models import WebhookSubscription

__all__ = [
    "DEFAULT_WEBHOOK_EVENTS",
    "CalendlyDeleteWebhookSubscriptionOperator",
    "CalendlyEnsureWebhookSubscriptionOperator",
]

DEFAULT_WEBHOOK_EVENTS = ("invitee.created", "invitee.canceled", "routing_form_submission.created")


def _same_url(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


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
            if not _same_url(sub.callback_url, url) or (sub.scope and sub.scope != self.scope):
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
