"""Idempotent recovery: every write whose answer may be lost takes effect once, always the same way.

A write that fails in a way that may still have applied (a dropped connection, a 5xx, a conflict with an
earlier attempt) is never blindly sent again: the client *looks* for its effect first, and an effect found
is success (``False``: nothing new was done by this call). :func:`write_once` is that shape, and every action
here is one use of it: cancel an event, book a meeting, mark a no-show, create a webhook subscription. A
delete's lost answer shows as "already gone" (:func:`delete_once`). Operators stay thin: one call here each.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any, TypeVar

import tenacity

from airflow_provider_calendly.client.organization import OrganizationAPI
from airflow_provider_calendly.client.params import (
    check_callback_url,
    check_email,
    check_event_type_fields,
    check_events,
    check_invitee,
    check_scope,
    parse_instant,
    timestamp_param,
)
from airflow_provider_calendly.client.requestor import BACKOFF
from airflow_provider_calendly.client.scheduling import SchedulingAPI
from airflow_provider_calendly.client.webhooks import WebhooksAPI, callback_version
from airflow_provider_calendly.exceptions import (
    CalendlyAPIError,
    CalendlyAuthError,
    CalendlyConfigError,
    CalendlyConnectionError,
    CalendlyEventInPastError,
    CalendlyNotFoundError,
    CalendlyServerError,
)
from airflow_provider_calendly.models import (
    Cancellation,
    EventType,
    Invitee,
    NoShow,
    OrganizationInvitation,
    WebhookSubscription,
)
from airflow_provider_calendly.pacing import Sleep

__all__ = ["EnsuredSubscription", "IdempotentActions", "UndoneNoShow", "delete_once", "write_once"]

T = TypeVar("T")


def write_once(
    send: Callable[[], T],
    look: Callable[[CalendlyAPIError | None], T | None],
    *,
    may_have_applied: Callable[[CalendlyAPIError], bool],
    look_first: bool = False,
    resends: int = 0,
    sleep: Sleep = time.sleep,
) -> tuple[T, bool]:
    """Make a write take effect once; return ``(result, sent_by_this_call)``.

    With ``look_first`` (an Airflow retry, or a write that is cheap to check) the effect is looked for before
    anything is sent. A failure that cannot have applied is raised as it is. After one that may have applied,
    the effect is looked for before sending again (after a backoff, at most ``resends`` times) and once more
    before the last failure is raised.

    :param send: Sends the write once; returns its result.
    :param look: Returns the write's effect if it is there, else ``None``; it is given the failure that made it
        look (``None`` when looking first) and may raise a clearer error of its own.
    :param may_have_applied: Whether a failure leaves the write's outcome unknown.
    :param look_first: Look before the first send too.
    :param resends: How many times the write may be sent again when it is not found.
    :param sleep: Sleep function for the backoff (injectable for tests).
    """
    failure: CalendlyAPIError | None = None
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(resends + 1),
        retry=tenacity.retry_if_exception(lambda exc: exc is failure and may_have_applied(exc)),
        wait=BACKOFF,
        sleep=sleep,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                if look_first or failure is not None:
                    found = look(failure)
                    if found is not None:
                        return found, False
                try:
                    return send(), True
                except CalendlyAPIError as exc:
                    failure = exc
                    raise
    except CalendlyAPIError as exc:
        if exc is failure and may_have_applied(exc):
            found = look(exc)
            if found is not None:
                return found, False
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def delete_once(delete: Callable[[], None]) -> bool:
    """Delete; return ``False`` if it was already gone (a 404: an earlier attempt, or someone else, deleted it)."""
    try:
        delete()
    except CalendlyNotFoundError:
        return False
    return True


@dataclass(frozen=True)
class UndoneNoShow:
    """What :meth:`IdempotentActions.undo_invitee_no_show` did, with canonical URIs.

    :param no_show: The no-show's URI (``None``: the invitee had none).
    :param invitee: The invitee's URI, when the no-show was found through it.
    :param deleted: Whether this call deleted it (``False``: already undone).
    """

    no_show: str | None
    invitee: str | None
    deleted: bool


@dataclass(frozen=True)
class EnsuredSubscription:
    """What :meth:`IdempotentActions.ensure_webhook_subscription` did.

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


def _may_have_canceled(exc: CalendlyAPIError) -> bool:
    # Calendly refuses to cancel a canceled event with a 403; a 404 or a bad token changed nothing.
    return not (isinstance(exc, CalendlyNotFoundError | CalendlyAuthError) and exc.status_code != 403)


def _lost_or_refused_twice(exc: CalendlyAPIError) -> bool:
    # No answer, a 5xx, or a refusal because it is done already (a concurrent or earlier attempt: the invitee is
    # marked, the email invited).
    return exc.status_code is None or exc.status_code >= 500 or exc.status_code in (400, 409, 422)


def _may_have_booked(exc: CalendlyAPIError) -> bool:
    return isinstance(exc, CalendlyConnectionError | CalendlyServerError)


def _may_have_subscribed(exc: CalendlyAPIError) -> bool:
    # Calendly refuses a second subscription for the same URL and scope with a 409.
    return exc.status_code == 409


class IdempotentActions(SchedulingAPI, WebhooksAPI, OrganizationAPI):
    """The write actions that survive a lost answer and Airflow's retries without doubling anything."""

    def cancel_scheduled_event(
        self, uuid_or_uri: str, *, reason: str | None = None, now: datetime | None = None
    ) -> tuple[Cancellation, bool]:
        """Cancel a scheduled event; return ``(cancellation, canceled_by_this_call)``.

        When the POST fails in a way that may mean "already done" (refused, dropped, 5xx), the event is read
        once: an already canceled event is success (``False``: nothing new was canceled), an event that has
        started raises :class:`CalendlyEventInPastError`, anything else re-raises the POST's error.

        :param uuid_or_uri: The scheduled event's UUID or URI.
        :param reason: Reason for the cancellation, shown to the invitees.
        :param now: The current time (injectable for tests).
        """
        path = f"{self.resource_path('scheduled_events', uuid_or_uri)}/cancellation"

        def look(failure: CalendlyAPIError | None) -> Cancellation | None:
            event = self.get_scheduled_event(uuid_or_uri)
            if event.status == "canceled":
                self.log.info("Scheduled event %s is already canceled (%s)", event.uri, failure)
                return event.cancellation or Cancellation()
            if event.start_time is not None and event.start_time <= (now or datetime.now(timezone.utc)):
                raise CalendlyEventInPastError(
                    f"scheduled event {event.uri} started at {event.start_time.isoformat()}: "
                    "Calendly cancels only events that have not started",
                    status_code=failure.status_code if failure else None,
                    title=failure.title if failure else None,
                    method="POST",
                    path=path,
                ) from None
            return None

        send = partial(self.create_cancellation, uuid_or_uri, reason=reason)
        return write_once(send, look, may_have_applied=_may_have_canceled)

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
        start = parse_instant("start_time", start_time)
        person = check_invitee(invitee)
        payload: dict[str, Any] = {
            "event_type": uri,
            "start_time": timestamp_param("start_time", start),
            "invitee": person,
        }
        if location:
            payload["location"] = dict(location)
        if questions_and_answers:
            payload["questions_and_answers"] = [dict(qa) for qa in questions_and_answers]
        if tracking:
            payload["tracking"] = dict(tracking)

        def look(failure: CalendlyAPIError | None) -> Invitee | None:
            found = self.find_booking(uri, start, person["email"])
            if found is not None:
                self.log.info("The meeting at %s is already booked (invitee %s): not booking again", start, found.uri)
            return found

        return write_once(
            partial(self.create_invitee, payload),
            look,
            may_have_applied=_may_have_booked,
            look_first=look_first,
            resends=self.settings.max_retries,
            sleep=self._sleep,
        )

    def mark_invitee_no_show(self, invitee_uri: str) -> tuple[NoShow, bool]:
        """Mark an invitee as a no-show once; return ``(no_show, marked_by_this_call)``.

        The invitee is read first: if it is already marked, its no-show is returned without a POST. If the POST
        fails in a way that may still have applied it (dropped connection, 5xx, a conflict from a concurrent
        mark), the invitee is read again and an existing no-show counts as success.

        :param invitee_uri: The invitee's URI.
        """

        def look(failure: CalendlyAPIError | None) -> NoShow | None:
            invitee = self.get_invitee(invitee_uri)
            ref = invitee.no_show
            if ref is None or not ref.uri:
                return None
            return NoShow(uri=ref.uri, invitee=invitee.uri, created_at=ref.created_at)

        send = partial(self.create_invitee_no_show, invitee_uri)
        return write_once(send, look, may_have_applied=_lost_or_refused_twice, look_first=True)

    def undo_invitee_no_show(self, *, no_show: str | None = None, invitee: str | None = None) -> UndoneNoShow:
        """Undo a no-show, by its UUID/URI or by the invitee's URI; an already undone one counts as success.

        :param no_show: The no-show's UUID or URI.
        :param invitee: Or the invitee's URI: its current no-show, if any, is undone.
        """
        if (no_show is None) == (invitee is None):
            raise CalendlyConfigError("pass exactly one of no_show or invitee")
        invitee_uri = self.identity.invitee_uri(invitee) if invitee is not None else None
        if no_show is None:
            ref = self.get_invitee(invitee_uri)  # type: ignore[arg-type]
            if ref.no_show is None or not ref.no_show.uri:
                self.log.info("Invitee %s has no no-show: nothing to undo", invitee_uri)
                return UndoneNoShow(None, invitee_uri, deleted=False)
            no_show = ref.no_show.uri
        uri = self.resource_uri("invitee_no_shows", no_show)
        deleted = delete_once(partial(self.delete_invitee_no_show, uri))
        self.log.info("Undid no-show %s" if deleted else "No-show %s does not exist (already undone)", uri)
        return UndoneNoShow(uri, invitee_uri, deleted=deleted)

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

    # -- organization invitations and event types --

    def invite_user(self, email: str, *, organization: str | None = None) -> tuple[OrganizationInvitation, bool]:
        """Invite ``email`` to the organization once; return ``(invitation, sent_by_this_call)``.

        The organization's invitations of that email are read first: a pending or accepted one is returned and
        nothing is sent (a declined one is invited again). A POST whose answer was lost, or refused because an
        earlier attempt invited the email already, is looked for again before anything is resent.

        :param email: The invitee's email address.
        :param organization: Organization UUID or URI; default: the token owner's.
        """
        address = check_email("email", email)

        def look(failure: CalendlyAPIError | None) -> OrganizationInvitation | None:
            for found in self.list_organization_invitations(organization=organization, email=address):
                if (found.email or "").lower() == address.lower() and found.status in (None, "pending", "accepted"):
                    self.log.info(
                        "%s is invited already (%s, %s): not inviting again", address, found.uri, found.status
                    )
                    return found
            return None

        send = partial(self.create_organization_invitation, address, organization=organization)
        return write_once(send, look, may_have_applied=_lost_or_refused_twice, look_first=True)

    def revoke_invitations(
        self, *, invitation: str | None = None, email: str | None = None, organization: str | None = None
    ) -> list[str]:
        """Revoke an invitation by URI (or UUID in the organization), or every pending one of ``email``; return the
        canonical URIs revoked by this call (already revoked counts as done, and is not listed)."""
        if (invitation is None) == (email is None):
            raise CalendlyConfigError("pass exactly one of invitation or email")
        if invitation is not None:
            targets = [self.invitation_uri(invitation, organization)]
        else:
            pending = self.list_organization_invitations(
                organization=organization, email=check_email("email", email), status="pending"
            )
            targets = [found.uri for found in pending]
            if not targets:
                self.log.info("No pending invitation of %s: nothing to revoke", email)
        revoked = [uri for uri in targets if delete_once(partial(self.delete_organization_invitation, uri))]
        self.log.info("Revoked %d invitation(s) of %d", len(revoked), len(targets))
        return revoked

    def ensure_event_type(self, name: str, *, owner: str | None = None, **fields: Any) -> tuple[EventType, bool]:
        """Create a one-on-one event type named ``name`` unless its owner has one so named; return
        ``(event_type, created_by_this_call)``. An existing one is returned as it is (change it with
        :meth:`update_event_type`), so Airflow retries and reruns create it once.

        :param name: The event type's name (what makes it the same event type).
        :param owner: The owning user's UUID or URI (default: the token's user).
        :param fields: As :meth:`create_event_type` takes them.
        """
        check_event_type_fields(fields)
        owner_uri = self.user_uri(owner)

        def look(failure: CalendlyAPIError | None) -> EventType | None:
            for found in self.list_event_types(user=owner_uri):
                if found.name == name and found.deleted_at is None:
                    self.log.info("%s already has the event type %r (%s)", owner_uri, name, found.uri)
                    return found
            return None

        send = partial(self.create_event_type, name, owner=owner_uri, **fields)
        return write_once(send, look, may_have_applied=_may_have_booked, look_first=True)
