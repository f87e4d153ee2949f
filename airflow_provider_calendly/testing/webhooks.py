"""Webhook subscriptions and signed deliveries for the Calendly emulator.

:class:`EmulatorWebhooks` serves ``GET/POST /webhook_subscriptions`` and ``GET/DELETE
/webhook_subscriptions/{uuid}`` like Calendly (including ``409`` for a second subscription to the same URL and
scope) and, whenever the emulator books, cancels or marks a no-show, POSTs the event to every matching
subscription: ``{"event", "created_at", "created_by", "payload"}``, signed with the subscription's
``signing_key`` in ``Calendly-Webhook-Signature``. Failed deliveries (non-2xx, refused connections, timeouts)
are retried on a background thread after each of ``retry_delays`` seconds, as Calendly retries; retries resend
the same body, re-signed with a fresh timestamp. ``GET /sample_webhook_data`` answers a sample delivery of an
event, built from the organization's own data.

Tests wait with :meth:`EmulatorWebhooks.wait_idle` (a condition variable), never with sleeps::

    emulator.webhooks.subscribe("http://127.0.0.1:8080/calendly/webhooks", ["invitee.created"], signing_key="k")
    emulator.book()
    assert emulator.webhooks.wait_idle(timeout=10)
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter
from airflow_provider_calendly.testing.receiver import ReceiverServer
from airflow_provider_calendly.testing.routes import enum_param, paginate, parse_sort, route, uri_param
from airflow_provider_calendly.testing.state import snapshot
from airflow_provider_calendly.uris import uuid_from_uri
from airflow_provider_calendly.webhooks.signature import SIGNATURE_HEADER, sign

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.organization import EmulatorOrganization
    from airflow_provider_calendly.testing.world import World

#: :class:`ReceiverServer` lives in :mod:`~airflow_provider_calendly.testing.receiver`; this name stays for imports.
__all__ = ["DeliveryAttempt", "EmulatorWebhooks", "ReceiverServer"]

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)
_EVENT_NAME_RE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
_USER_SCOPED_EVENTS_EXCLUDED = frozenset({"routing_form_submission.created"})
#: The scopes a subscription may have: the whole organization, one user's meetings, or a group's.
SCOPES = ("organization", "user", "group")
#: The events ``GET /sample_webhook_data`` has samples of.
SAMPLE_EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "routing_form_submission.created",
    "event_type.created",
    "event_type.updated",
    "event_type.deleted",
    "meeting_recap.created",
    "meeting_recap.updated",
    "meeting_recap.deleted",
    "contact.created",
    "contact.updated",
    "contact.deleted",
)


def _owner(subscription: dict[str, Any]) -> str | None:
    """The user or group a user- or group-scoped subscription covers (``None`` for an organization's)."""
    return subscription.get(subscription["scope"]) if subscription["scope"] != "organization" else None


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST to a subscriber: which subscription, event, attempt number and the HTTP status (0: no answer)."""

    subscription: str
    event: str
    attempt: int
    status: int
    delivered: bool
    at: float


@dataclass
class _Job:
    subscription_uuid: str
    url: str
    key: str | None
    event: str
    body: bytes
    attempt: int = 0


class EmulatorWebhooks:
    """Subscription store and signed delivery with retries for one emulator.

    :param world: The emulated organization (its clock stamps envelopes; its changes are delivered).
    :param organization: Its groups (the ``group`` scope of a subscription).
    :param retry_delays: Seconds to wait before each retry; the delivery is dropped after the last one.
    :param timeout: Seconds to wait for a subscriber's answer.
    :param clock: Wall clock for signature timestamps (injectable to produce stale signatures); envelopes'
        ``created_at`` and the subscriptions' timestamps follow the emulator's own clock, as its data does.
    :param disable_after_failures: Failed attempts in a row after which a subscription turns ``disabled``
        (Calendly disables one after 24 hours of failing deliveries); ``None`` never disables.
    """

    def __init__(
        self,
        world: World,
        organization: EmulatorOrganization,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        disable_after_failures: int | None = None,
    ) -> None:
        self.world = world
        self.state = world.state
        self.organization = organization
        self.disable_after_failures = disable_after_failures
        self._failures: dict[str, int] = {}
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.clock = clock
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self._keys: dict[str, str | None] = {}
        self.attempts: list[DeliveryAttempt] = []
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Job]] = []
        self._seq = itertools.count()
        self._pending = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        self._session.trust_env = False
        self.state.listeners.append(self.on_event)

    def __repr__(self) -> str:
        return f"EmulatorWebhooks(subscriptions={len(self.subscriptions)}, pending={self._pending})"

    def close(self) -> None:
        """Stop the delivery thread (pending retries are dropped)."""
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._pending = 0
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
        self._session.close()

    def _stamp(self) -> str:
        """A resource or envelope timestamp: the emulator's clock (which the change simulator moves)."""
        return iso(self.world.now())

    # -- the subscription store --

    def subscribe(
        self,
        url: str,
        events: Sequence[str],
        *,
        scope: str = "organization",
        organization: str | None = None,
        user: str | None = None,
        group: str | None = None,
        signing_key: str | None = None,
    ) -> dict[str, Any]:
        """Create a subscription (what ``POST /webhook_subscriptions`` does) and return its resource."""
        state = self.state
        data = state.data
        org = state.canonical(organization) if organization else data.organization["uri"]
        user = state.canonical(user) if user else None
        group = state.canonical(group) if group else None
        if urlsplit(url).scheme not in {"http", "https"}:
            raise invalid_parameter("url", "is invalid")
        if (
            isinstance(events, str)
            or not events
            or not all(isinstance(e, str) and _EVENT_NAME_RE.match(e) for e in events)
        ):
            raise invalid_parameter("events", "is invalid")
        if scope not in SCOPES:
            raise invalid_parameter("scope", "is invalid")
        if org != data.organization["uri"]:
            raise ApiError(403, "You do not have access to this organization.")
        owner = {"user": user, "group": group}.get(scope)
        if scope != "organization" and not owner:
            raise invalid_parameter(scope, "is required")
        if scope == "user" and user not in {u["uri"] for u in data.users}:
            raise ApiError(403, "You do not have access to this user.")
        if scope == "group" and self.organization.group_users(owner or "") is None:
            raise ApiError(403, "You do not have access to this group.")
        with self._cond:
            for existing in self.subscriptions.values():
                if existing["callback_url"] == url and existing["scope"] == scope and _owner(existing) == owner:
                    raise ApiError(409, "Hook with this url already exists")
            sub_uuid = state.new_id()
            now = self._stamp()
            resource = {
                "uri": f"{data.base_url}/webhook_subscriptions/{sub_uuid}",
                "callback_url": url,
                "created_at": now,
                "updated_at": now,
                "retry_started_at": None,
                "state": "active",
                "events": list(dict.fromkeys(events)),
                "scope": scope,
                "organization": org,
                "user": user if scope == "user" else None,
                "group": group if scope == "group" else None,
                "creator": data.users[0]["uri"],
            }
            self.subscriptions[sub_uuid] = resource
            self._keys[sub_uuid] = signing_key
        return dict(resource)

    def unsubscribe(self, subscription: str) -> None:
        """Delete a subscription (by URI or UUID), as ``DELETE /webhook_subscriptions/{uuid}`` does."""
        with self._cond:
            if self.subscriptions.pop(uuid_from_uri(subscription), None) is None:
                raise ApiError(404)
            self._keys.pop(uuid_from_uri(subscription), None)

    def disable(self, subscription: str) -> None:
        """Turn a subscription ``disabled`` (what Calendly does after a day of failing deliveries)."""
        with self._cond:
            sub = self.subscriptions[uuid_from_uri(subscription)]
            sub["state"] = "disabled"
            sub["updated_at"] = self._stamp()

    @route("GET", "webhook_subscriptions")
    def handle_get(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) == 1:
            with self._cond:
                resource = self.subscriptions.get(rest[0])
            if resource is None:
                raise ApiError(404)
            return 200, {"resource": dict(resource)}
        if rest:
            raise ApiError(404)
        state = self.state
        org = uri_param(state, query, "organization", "organizations")
        if not org:
            raise invalid_parameter("organization", "is required")
        scope = enum_param(query, "scope", SCOPES)
        if scope is None:
            raise invalid_parameter("scope", "is required")
        if org != state.data.organization["uri"]:
            raise ApiError(403, "You do not have access to this organization.")
        owner = {"user": uri_param(state, query, "user", "users"), "group": uri_param(state, query, "group", "groups")}
        if scope != "organization" and not owner[scope]:
            raise invalid_parameter(scope, f"is required for scope {scope}")
        order = parse_sort(query, ("created_at",), "created_at:asc")
        with self._cond:
            items = [
                dict(s)
                for s in self.subscriptions.values()
                if s["scope"] == scope and s["organization"] == org and _owner(s) == owner.get(scope)
            ]
        return 200, paginate(state, "/webhook_subscriptions", items, query, order)

    @route("POST", "webhook_subscriptions")
    def handle_post(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        if not isinstance(body, dict):
            raise invalid_parameter("body", "must be a JSON object")
        for name in ("url", "events", "organization", "scope"):
            if not body.get(name):
                raise invalid_parameter(name, "is required")
        uris = {k: body[k] for k in ("organization", "user", "group") if isinstance(body.get(k), str)}
        for name, collection in (("organization", "organizations"), ("user", "users"), ("group", "groups")):
            uri_param(self.state, uris, name, collection)
        resource = self.subscribe(
            body["url"],
            body["events"],
            scope=body["scope"],
            organization=body["organization"],
            user=body.get("user"),
            group=body.get("group"),
            signing_key=body.get("signing_key"),
        )
        return 201, {"resource": resource}

    @route("DELETE", "webhook_subscriptions")
    def handle_delete(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        self.unsubscribe(rest[0])
        return 204, None

    @route("GET", "sample_webhook_data")
    def handle_sample(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        """A sample delivery of ``event``, built from the organization's own data, as a subscription of the scope
        asked for would receive it."""
        if rest:
            raise ApiError(404)
        event = enum_param(query, "event", SAMPLE_EVENTS)
        if event is None:
            raise invalid_parameter("event", "is required")
        scope = enum_param(query, "scope", SCOPES)
        if scope is None:
            raise invalid_parameter("scope", "is required")
        org = uri_param(self.state, query, "organization", "organizations")
        if org != self.state.data.organization["uri"]:
            raise ApiError(403, "You do not have access to this organization.")
        owner = uri_param(self.state, query, scope, f"{scope}s") if scope != "organization" else None
        if scope != "organization" and not owner:
            raise invalid_parameter(scope, f"is required for scope {scope}")
        envelope = {
            "event": event,
            "created_at": self._stamp(),
            "created_by": self.state.data.users[0]["uri"],
            "payload": self._sample_payload(event),
        }
        return 200, envelope

    def _sample_payload(self, event: str) -> dict[str, Any]:
        data = self.state.data
        family = event.rsplit(".", 1)[0]
        sample: dict[str, Any] = {"uri": f"{data.base_url}/{family}s/{self.state.new_id()}"}
        with self.state.lock:
            if family in ("invitee", "invitee_no_show"):
                event_uuid = next(uuid for uuid in sorted(data.invitees) if data.invitees[uuid])
                sample = {**data.invitees[event_uuid][0], "scheduled_event": data.scheduled_events[event_uuid]}
            elif family == "event_type":
                sample = data.event_types[0]
            elif family == "routing_form_submission":
                sample = next(s for subs in self.organization.submissions.values() for s in subs)
            copy: dict[str, Any] = snapshot(sample)
        return copy

    # -- delivery --

    def _matches(self, sub: dict[str, Any], event: str, payload: dict[str, Any]) -> bool:
        if event not in sub["events"] or sub["state"] != "active":
            return False
        if sub["scope"] == "organization":
            return True
        if event in _USER_SCOPED_EVENTS_EXCLUDED:
            return False
        scheduled = payload.get("scheduled_event")
        if not isinstance(scheduled, dict):
            scheduled = self.state.data.scheduled_events.get(uuid_from_uri(str(payload.get("event") or ""))) or {}
        hosts = {m.get("user") for m in scheduled.get("event_memberships") or []}
        if sub["scope"] == "group":
            return bool(hosts & (self.organization.group_users(sub["group"]) or set()))
        return sub["user"] in hosts

    def on_event(self, event: str, payload: dict[str, Any]) -> None:
        """Queue a signed delivery of ``event`` to every matching subscription (the emulator's listener)."""
        created_at = self._stamp()
        with self._cond:
            if self._closed:
                return
            for sub_uuid, sub in self.subscriptions.items():
                if not self._matches(sub, event, payload):
                    continue
                envelope = {"event": event, "created_at": created_at, "created_by": sub["creator"], "payload": payload}
                job = _Job(
                    sub_uuid, sub["callback_url"], self._keys.get(sub_uuid), event, json.dumps(envelope).encode()
                )
                self._schedule(job, 0.0)
                self._pending += 1

    def _schedule(self, job: _Job, delay: float) -> None:
        heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), job))
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="emulator-webhooks", daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    self._cond.wait(timeout=(self._heap[0][0] - time.monotonic()) if self._heap else None)
                if self._closed:
                    return
                _, _, job = heapq.heappop(self._heap)
            status = self._post(job)
            delivered = 200 <= status < 300
            with self._cond:
                if self._closed:
                    return
                self.attempts.append(
                    DeliveryAttempt(job.subscription_uuid, job.event, job.attempt + 1, status, delivered, self.clock())
                )
                sub = self.subscriptions.get(job.subscription_uuid)
                if sub is not None and self._note_outcome(job.subscription_uuid, sub, delivered):
                    log.warning("Disabled webhook subscription %s after failed deliveries", sub["uri"])
                    self._pending -= 1
                elif delivered or job.attempt >= len(self.retry_delays) or sub is None:
                    if not delivered:
                        log.warning(
                            "Giving up delivering %s to %s after %d attempts", job.event, job.url, job.attempt + 1
                        )
                    elif sub is not None:
                        sub["retry_started_at"] = None
                    self._pending -= 1
                else:
                    if sub["retry_started_at"] is None:
                        sub["retry_started_at"] = self._stamp()
                    delay = self.retry_delays[job.attempt]
                    job.attempt += 1
                    self._schedule(job, delay)
                self._cond.notify_all()

    def _note_outcome(self, sub_uuid: str, sub: dict[str, Any], delivered: bool) -> bool:
        """Count failures in a row; return ``True`` when this one disables the subscription."""
        if delivered:
            self._failures.pop(sub_uuid, None)
            return False
        failures = self._failures.get(sub_uuid, 0) + 1
        self._failures[sub_uuid] = failures
        if self.disable_after_failures is None or failures < self.disable_after_failures:
            return False
        if sub["retry_started_at"] is None:
            sub["retry_started_at"] = self._stamp()
        sub["state"] = "disabled"
        sub["updated_at"] = self._stamp()
        return True

    def _post(self, job: _Job) -> int:
        headers = {"Content-Type": "application/json", "User-Agent": "Calendly-Emulator-Webhooks"}
        if job.key:
            headers[SIGNATURE_HEADER] = sign(job.key, job.body, timestamp=int(self.clock()))
        try:
            response = self._session.post(job.url, data=job.body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            log.info("Webhook delivery of %s to %s failed: %s", job.event, job.url, type(exc).__name__)
            return 0
        return response.status_code

    # -- synchronisation and inspection --

    @property
    def pending(self) -> int:
        """Deliveries not yet delivered or given up on (retries included)."""
        with self._cond:
            return self._pending

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery was delivered or given up on; ``False`` on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout=timeout)

    def delivered(self, event: str | None = None) -> int:
        """Count successful deliveries (of ``event``, if given)."""
        with self._cond:
            return sum(1 for a in self.attempts if a.delivered and (event is None or a.event == event))
