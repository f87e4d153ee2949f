"""Operators that manage Calendly webhook subscriptions idempotently (the recovery is the hook's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.client.params import WEBHOOK_SCOPES
from airflow_provider_calendly.client.webhooks import callback_version
from airflow_provider_calendly.exceptions import CalendlyConfigError, CalendlyWebhookUnhealthyError
from airflow_provider_calendly.operators.base import CalendlyBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = [
    "DEFAULT_WEBHOOK_EVENTS",
    "VERDICT_XCOM_KEY",
    "CalendlyCheckWebhookSubscriptionOperator",
    "CalendlyDeleteWebhookSubscriptionOperator",
    "CalendlyEnsureWebhookSubscriptionOperator",
    "callback_version",
]

DEFAULT_WEBHOOK_EVENTS = ("invitee.created", "invitee.canceled", "routing_form_submission.created")
#: The XCom key the health check records its verdict under, healthy or not (the provider's Airflow page shows it).
VERDICT_XCOM_KEY = "calendly_verdict"


class _WebhookOperator(CalendlyBaseOperator):
    """What the subscription operators share: the callback URL and the subscription's scope."""

    def __init__(
        self,
        *,
        url: str | None,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        group: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        CalendlyConfigError.check_choice("scope", scope, WEBHOOK_SCOPES)
        self.url = url
        self.scope = scope
        self.organization = organization
        self.user = user
        self.group = group

    def _where(self) -> dict[str, Any]:
        """The subscription's scope, as the hook's webhook methods take it (templated blanks mean "not set")."""
        return {
            "scope": self.scope,
            "organization": self.organization or None,
            "user": self.user or None,
            "group": self.group or None,
        }


class CalendlyEnsureWebhookSubscriptionOperator(_WebhookOperator):
    """Make sure ``url`` is subscribed to ``events``; create or replace the subscription only when needed.

    Idempotent: an existing subscription with the same callback URL and scope and the same events is
    returned untouched; one with different events is deleted and re-created; none is created. A disabled one
    is replaced on the next versioned path (``url/vN``) and the result carries ``replaced`` and ``feed_gap``.
    Deliveries are signed with the connection's ``webhook_signing_key`` extra (Calendly does not disclose a
    subscription's key, so pass ``recreate=True`` once after rotating it). Returns the subscription as a dict
    (no key in it).

    :param url: The receiver's public callback URL, e.g. ``https://airflow.example.com/calendly/webhooks``.
        (templated)
    :param events: Event names; the seed's triggers by default. Names Calendly adds later are accepted.
        (templated)
    :param scope: ``organization``, ``user`` (one user's meetings) or ``group`` (one group's).
    :param organization: Organization UUID or URI; default: the token owner's organization. (templated)
    :param user: User UUID or URI, required for scope ``user``. (templated)
    :param group: Group UUID or URI, required for scope ``group``. (templated)
    :param sign: Sign deliveries with the connection's ``webhook_signing_key`` (required by the receiver).
    :param recreate: Replace a matching subscription even when its events are the same.
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("url", "events", "organization", "user", "group", "calendly_conn_id")

    def __init__(
        self,
        *,
        url: str,
        events: Sequence[str] = DEFAULT_WEBHOOK_EVENTS,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        group: str | None = None,
        sign: bool = True,
        recreate: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(url=url, scope=scope, organization=organization, user=user, group=group, **kwargs)
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

    def execute(self, context: Context) -> dict[str, Any]:
        ensured = self.hook.ensure_webhook_subscription(
            self.url or "",
            self.events,
            signing_key=self._signing_key(),
            recreate=self.recreate,
            **self._where(),
        )
        result = ensured.subscription.model_dump(mode="json")
        if ensured.replaced is None:
            return result
        gap_start = ensured.gap_start.isoformat() if ensured.gap_start else None
        gap_end = ensured.gap_end.isoformat() if ensured.gap_end else None
        self.log.warning("No deliveries reached %s from %s to %s: treat it as a feed gap", self.url, gap_start, gap_end)
        return {**result, "replaced": ensured.replaced, "feed_gap": {"gap_start": gap_start, "gap_end": gap_end}}


class CalendlyCheckWebhookSubscriptionOperator(_WebhookOperator):
    """Fail loudly when the subscription posting to ``url`` is missing, disabled or retrying for too long.

    Calendly disables a subscription silently after 24 hours of failed deliveries; run this as a health check
    so the deployment hears about it. Returns the subscription as a dict. Its verdict, healthy or not (with the
    reason), is also recorded under the XCom key :data:`VERDICT_XCOM_KEY`: ``{"url", "healthy", "reason",
    "subscription"}`` (the subscription's ``uri``, ``callback_url``, ``state``, ``events`` and
    ``retry_started_at``, when there is one).

    :param url: The callback URL the subscription was made for (versioned ``…/vN`` paths count). (templated)
    :param max_retrying: Seconds Calendly may have been retrying (``retry_started_at``) before this fails.
    :param scope: ``organization``, ``user`` or ``group``.
    :param organization: Organization UUID or URI; default: the token owner's organization. (templated)
    :param user: User UUID or URI, for scope ``user``. (templated)
    :param group: Group UUID or URI, for scope ``group``. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("url", "organization", "user", "group", "calendly_conn_id")

    def __init__(self, *, url: str, max_retrying: float = 3600.0, **kwargs: Any) -> None:
        super().__init__(url=url, **kwargs)
        self.max_retrying = float(max_retrying)

    def execute(self, context: Context) -> dict[str, Any]:
        ti = context.get("ti")
        try:
            sub = self.hook.check_webhook_subscription(self.url or "", max_retrying=self.max_retrying, **self._where())
        except CalendlyWebhookUnhealthyError as exc:
            if ti is not None:
                ti.xcom_push(key=VERDICT_XCOM_KEY, value={"url": self.url, "healthy": False, "reason": str(exc)})
            raise
        self.log.info("Webhook subscription %s is %s", sub.uri, sub.state)
        found = sub.model_dump(mode="json", include={"uri", "callback_url", "state", "events", "retry_started_at"})
        if ti is not None:
            verdict = {"url": self.url, "healthy": True, "reason": None, "subscription": found}
            ti.xcom_push(key=VERDICT_XCOM_KEY, value=verdict)
        return sub.model_dump(mode="json")


class CalendlyDeleteWebhookSubscriptionOperator(_WebhookOperator):
    """Delete a webhook subscription, by UUID/URI or by callback URL and scope; already gone counts as done.

    Returns ``{"deleted": [...]}``: the canonical URIs of the subscriptions this run deleted.

    :param subscription: The subscription's UUID or URI. (templated)
    :param url: Or the callback URL: every subscription of this scope posting there is deleted. (templated)
    :param scope: ``organization``, ``user`` or ``group`` (with ``url``).
    :param organization: Organization UUID or URI (with ``url``); default: the token owner's. (templated)
    :param user: User UUID or URI (with ``url`` and scope ``user``). (templated)
    :param group: Group UUID or URI (with ``url`` and scope ``group``). (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("subscription", "url", "organization", "user", "group", "calendly_conn_id")

    def __init__(self, *, subscription: str | None = None, url: str | None = None, **kwargs: Any) -> None:
        super().__init__(url=url, **kwargs)
        if (subscription is None) == (url is None):
            raise CalendlyConfigError("pass exactly one of subscription or url")
        self.subscription = subscription

    def execute(self, context: Context) -> dict[str, Any]:
        deleted = self.hook.delete_webhook_subscriptions(
            subscription=self.subscription or None, url=None if self.subscription else self.url or "", **self._where()
        )
        return {"deleted": deleted}
