"""Webhook subscriptions made to exist once (a disabled one replaced, the feed gap reported) and deleted once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any

from airflow_provider_calendly.client.params import check_callback_url, check_events, check_scope
from airflow_provider_calendly.client.recovery.once import delete_once, write_once
from airflow_provider_calendly.client.webhooks import WebhooksAPI, callback_version
from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyConfigError
from airflow_provider_calendly.models import WebhookSubscription

__all__ = ["EnsuredSubscription", "WebhooksRecovery"]


@dataclass(frozen=True)
class EnsuredSubscription:
    """What :meth:`WebhooksRecovery.ensure_webhook_subscription` did.

    :param subscription: The subscription that now posts to the URL.
    :param created: Whether this call created it.
    :param replaced: The URI of the disabled subscription it replaced, if any.
    :param gap_start: When deliveries to the replaced one started failing (the feed gap's start).
    :param gap_end: When the replacement was created (the feed gap's end).
    """

    subscription: WebhookSubscription
    created: bool
    replaced: str | None = None
    gap_start: datetime | None = None
    gap_end: datetime | None = None


def _may_have_subscribed(exc: CalendlyAPIError) -> bool:
    # Calendly refuses a second subscription for the same URL and scope with a 409.
    return exc.status_code == 409


class WebhooksRecovery(WebhooksAPI):
    """Ensure a subscription and delete subscriptions, however an answer is lost and whoever ran before."""

    def ensure_webhook_subscription(
        self,
        url: str,
        events: Iterable[str],
        *,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        signing_key: str | None = None,
        recreate: bool = False,
        group: str | None = None,
    ) -> EnsuredSubscription:
        """Make sure ``url`` is subscribed to ``events``; create, replace or keep the subscription as needed.

        An enabled subscription with the same callback URL, scope and events is kept; others posting there are
        deleted; none left means one is created (a 409 because a concurrent run created it counts as done). A
        disabled one (Calendly gave up delivering) is replaced by one on the next versioned path (``url/vN``),
        created before the old one is deleted, and the time without deliveries is reported as a feed gap.

        :param url: The receiver's public callback URL.
        :param events: Event names (names Calendly adds later are accepted).
        :param scope: ``organization``, ``user`` or ``group``.
        :param organization: Organization UUID or URI; default: the token owner's organization.
        :param user: User UUID or URI, required for scope ``user``.
        :param signing_key: The key Calendly signs deliveries with (it never discloses a subscription's key).
        :param recreate: Replace a matching subscription even when its events are the same.
        :param group: Group UUID or URI, required for scope ``group``.
        """
        check_scope(scope, user, group)
        wanted_events = check_events(events)
        wanted = set(wanted_events)
        where: dict[str, Any] = {"scope": scope, "organization": organization, "user": user, "group": group}
        existing = self.find_webhook_subscriptions(check_callback_url(url), **where)
        matching = [s for s in existing if set(s.events) == wanted and not recreate]
        # An earlier replacement whose answer was lost left a new one next to the disabled: keep the newest enabled.
        keep = max(
            matching, key=lambda s: (s.state != "disabled", callback_version(url, s.callback_url) or 1), default=None
        )
        for sub in existing:
            if sub is not keep:
                self.log.info("Replacing webhook subscription %s (events %s)", sub.uri, sorted(sub.events))
                self._delete_subscription(sub.uri)

        def create(callback: str) -> WebhookSubscription:
            return self.create_webhook_subscription(callback, wanted_events, signing_key=signing_key, **where)

        if keep is not None and keep.state == "disabled":
            version = max(callback_version(url, s.callback_url) or 1 for s in existing) + 1
            new_url = f"{url.rstrip('/')}/v{version}"
            self.log.warning(
                "Webhook subscription %s is disabled (retrying since %s): replacing it with one on %s",
                keep.uri,
                keep.retry_started_at,
                new_url,
            )
            created = create(new_url)
            self._delete_subscription(keep.uri)
            return EnsuredSubscription(
                created,
                created=True,
                replaced=keep.uri,
                gap_start=keep.retry_started_at or keep.updated_at or keep.created_at,
                gap_end=created.created_at or datetime.now(timezone.utc),
            )
        if keep is not None:
            self.log.info("Webhook subscription %s for %s is up to date", keep.uri, url)
            return EnsuredSubscription(keep, created=False)

        def look(failure: CalendlyAPIError | None) -> WebhookSubscription | None:
            again = [s for s in self.find_webhook_subscriptions(url, **where) if set(s.events) == wanted]
            return again[0] if again else None

        subscription, created_now = write_once(partial(create, url), look, may_have_applied=_may_have_subscribed)
        self.log.info(
            "%s webhook subscription %s for %s (events %s)",
            "Created" if created_now else "Found the concurrently created",
            subscription.uri,
            url,
            sorted(wanted),
        )
        return EnsuredSubscription(subscription, created=created_now)

    def delete_webhook_subscriptions(
        self,
        *,
        subscription: str | None = None,
        url: str | None = None,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        group: str | None = None,
    ) -> list[str]:
        """Delete a subscription by UUID/URI, or every one of this scope posting to ``url``; return those deleted.

        Already gone counts as done (and is not in the returned list of canonical URIs).
        """
        if (subscription is None) == (url is None):
            raise CalendlyConfigError("pass exactly one of subscription or url")
        if subscription is not None:
            targets = [self.resource_uri("webhook_subscriptions", subscription)]
        else:
            found = self.find_webhook_subscriptions(
                url or "", scope=scope, organization=organization, user=user, group=group
            )
            targets = [self.resource_uri("webhook_subscriptions", s.uri) for s in found]
            if not targets:
                self.log.info("No webhook subscription posts to %s: nothing to delete", url)
        return [target for target in targets if self._delete_subscription(target)]

    def _delete_subscription(self, uri: str) -> bool:
        deleted = delete_once(partial(self.delete_webhook_subscription, uri))
        self.log.info("Deleted webhook subscription %s" if deleted else "Webhook subscription %s was already gone", uri)
        return deleted
