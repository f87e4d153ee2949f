"""The webhook receiver: an ASGI (FastAPI) app Calendly posts deliveries to.

``POST <prefix>/webhooks`` verifies the ``Calendly-Webhook-Signature`` header, parses the envelope with the
provider's models and stores the delivery in the durable inbox before answering ``200``. Answers:

======  =====================================================================================================
200     stored (``{"status": "stored"}``) or already stored (``{"status": "duplicate"}``, a Calendly retry)
400     the body is not a webhook envelope (nothing stored)
401     the signature is missing, malformed, wrong, or its timestamp is outside the tolerance
413     the body is larger than ``max_body_bytes``
415     the body is not declared ``application/json`` (Calendly always sends JSON)
503     no signing key is configured, or the inbox could not be written (Calendly will retry)
======  =====================================================================================================

``POST <prefix>/webhooks/v<N>`` does the same (versioned callback paths let a disabled subscription be replaced
before the old one is deleted). ``GET <prefix>/webhooks/health`` returns the counters of accepted, duplicate
and rejected deliveries and ``last_delivery``: the last accepted delivery's time per callback path (one path
per subscription). The receiver never answers ``410``: Calendly deletes a subscription that answers ``410``.
Every accepted, duplicate and refused delivery is also tallied by callback path and day in the inbox's
``receipts`` (shared by every API server and worker, unlike these in-process counters): what the provider's
Airflow page shows.

Concurrent deliveries are written by one background thread in group commits: every delivery waits for the
commit (fsync) that contains it before its 2xx goes out, and one commit covers all deliveries that arrived
meanwhile, so durability does not cap throughput at one fsync per request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr, ValidationError
from starlette.concurrency import run_in_threadpool

from airflow_provider_calendly.models import WebhookEnvelope
from airflow_provider_calendly.webhooks.inbox import (
    DEFAULT_INBOX_CONN_ID,
    DEFAULT_RETENTION,
    NewDelivery,
    Rejection,
    StoreResult,
    WebhookInbox,
)
from airflow_provider_calendly.webhooks.signature import DEFAULT_TOLERANCE, SIGNATURE_HEADER, SignatureError, verify

__all__ = ["DEFAULT_MAX_BODY_BYTES", "WebhookReceiver", "create_app"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_COUNTERS = (
    "received",
    "stored",
    "duplicate",
    "rejected_signature_missing",
    "rejected_signature_malformed",
    "rejected_signature_stale",
    "rejected_signature_mismatch",
    "rejected_malformed",
    "rejected_too_large",
    "rejected_content_type",
    "unavailable",
)


_Stored = tuple[NewDelivery, str, "Future[StoreResult]"]


class _GroupCommitWriter:
    """One thread that stores queued deliveries in batches, resolving each delivery's future after commit.

    Refused deliveries are queued too, without a future: they are tallied with the next batch.
    """

    def __init__(self, inbox: WebhookInbox, *, max_batch: int = 512) -> None:
        self._inbox = inbox
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Stored | Rejection | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="calendly-inbox-writer", daemon=True)
        self._thread.start()

    def submit(self, delivery: NewDelivery, path: str) -> Future[StoreResult]:
        """Queue a delivery posted to callback ``path``; its future resolves once it is committed."""
        future: Future[StoreResult] = Future()
        self._queue.put((delivery, path, future))
        return future

    def reject(self, rejection: Rejection) -> None:
        """Queue a refused delivery's tally (nothing waits for it)."""
        self._queue.put(rejection)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            stored = [item for item in batch if not isinstance(item, Rejection)]
            try:
                results = self._inbox.store_many(
                    [delivery for delivery, _, _ in stored],
                    paths=[path for _, path, _ in stored],
                    rejected=[item for item in batch if isinstance(item, Rejection)],
                )
            except Exception as exc:
                log.exception("Storing %d Calendly webhook deliveries failed", len(stored))
                for _, _, future in stored:
                    future.set_exception(exc)
            else:
                for (_, _, future), result in zip(stored, results, strict=True):
                    future.set_result(result)
            if stop:
                return


class WebhookReceiver:
    """The receiver's state: signing keys (resolved lazily), the inbox, its writer and the counters.

    :param signing_keys: Keys that may sign deliveries (several during a key rotation). Default: the
        ``webhook_signing_key`` extra of ``calendly_conn_id``, read on the first delivery.
    :param calendly_conn_id: The ``calendly`` connection whose signing key verifies deliveries.
    :param inbox: The inbox to store into; default: the one of ``inbox_conn_id``.
    :param inbox_conn_id: Connection of the inbox database (SQLite file under ``AIRFLOW_HOME`` if undefined).
    :param tolerance: Seconds a signature's timestamp may differ from this server's clock.
    :param retention: Seconds deliveries are kept in the inbox.
    :param organization: Organization URI to tag deliveries with (a ``?organization=`` query parameter on
        the callback URL overrides it), for triggers filtering on organization.
    :param max_body_bytes: Largest accepted body.
    :param clock: Wall clock in Unix seconds (injectable for tests).
    """

    def __init__(
        self,
        *,
        signing_keys: Sequence[str] | None = None,
        calendly_conn_id: str = "calendly_default",
        inbox: WebhookInbox | None = None,
        inbox_conn_id: str = DEFAULT_INBOX_CONN_ID,
        tolerance: float = DEFAULT_TOLERANCE,
        retention: float = DEFAULT_RETENTION,
        organization: str | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys: list[SecretStr] | None = (
            [SecretStr(k) for k in signing_keys if k] if signing_keys is not None else None
        )
        self.calendly_conn_id = calendly_conn_id
        self._inbox = inbox
        self.inbox_conn_id = inbox_conn_id
        self.tolerance = float(tolerance)
        self.retention = float(retention)
        self.organization = organization
        self.max_body_bytes = max_body_bytes
        self.clock = clock
        self.stats: dict[str, int] = dict.fromkeys(_COUNTERS, 0)
        self.last_delivery: dict[str, float] = {}  # callback path (one per subscription) -> Unix time
        self._writer: _GroupCommitWriter | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        keys = "unresolved" if self._keys is None else f"{len(self._keys)} key(s)"
        return f"{type(self).__name__}(signing_keys=<{keys}>, inbox_conn_id={self.inbox_conn_id!r})"

    # -- lazily resolved resources (the plugin is imported at API-server start, before connections matter) --

    def _resolve_keys(self) -> list[SecretStr]:
        if self._keys is None:
            from airflow_provider_calendly.hooks.calendly import CalendlyHook

            key = CalendlyHook(calendly_conn_id=self.calendly_conn_id).settings.webhook_signing_key
            self._keys = [key] if key is not None and key.get_secret_value() else []
        return self._keys

    def _resolve_writer(self) -> _GroupCommitWriter:
        with self._lock:
            if self._writer is None:
                if self._inbox is None:
                    self._inbox = WebhookInbox.from_conn_id(self.inbox_conn_id, retention=self.retention)
                self._inbox.create_tables()
                self._writer = _GroupCommitWriter(self._inbox)
            return self._writer

    @property
    def inbox(self) -> WebhookInbox:
        """The inbox (opened on first use)."""
        self._resolve_writer()
        assert self._inbox is not None
        return self._inbox

    def close(self) -> None:
        """Flush and stop the writer thread."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    # -- the request path --

    def _count(self, name: str) -> None:
        with self._lock:
            self.stats[name] += 1

    async def _reject(
        self, request: Request, status: int, counter: str, reason: str, body: bytes, client: str
    ) -> JSONResponse:
        self._count(counter)
        log.warning("Rejected Calendly webhook delivery from %s: %s", client, reason)
        log.debug("Body of the rejected delivery: %r", body[:2048])
        kind = "signature" if counter.startswith("rejected_signature") else "other"
        try:
            writer = self._writer if self._writer is not None else await run_in_threadpool(self._resolve_writer)
            writer.reject(Rejection(request.url.path, kind, self.clock()))
        except Exception:  # the tally is for people watching; the answer does not depend on it
            log.debug("Could not tally a rejected delivery", exc_info=True)
        return JSONResponse({"status": "rejected", "reason": reason}, status_code=status)

    async def handle(self, request: Request) -> JSONResponse:
        self._count("received")
        client = request.client.host if request.client else "unknown"
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return await self._reject(request, 413, "rejected_too_large", "body too large", b"", client)
        body = await request.body()
        if len(body) > self.max_body_bytes:
            return await self._reject(request, 413, "rejected_too_large", "body too large", b"", client)
        try:
            keys = self._keys if self._keys is not None else await run_in_threadpool(self._resolve_keys)
        except Exception as exc:
            self._count("unavailable")
            log.error("Cannot read the webhook signing key of connection %r: %s", self.calendly_conn_id, exc)
            return JSONResponse({"status": "unavailable", "reason": "signing key unavailable"}, status_code=503)
        if not keys:
            self._count("unavailable")
            log.error(
                "No webhook signing key configured (connection %r, extra 'webhook_signing_key'): refusing deliveries",
                self.calendly_conn_id,
            )
            return JSONResponse({"status": "unavailable", "reason": "no signing key configured"}, status_code=503)
        try:
            verify(
                request.headers.get(SIGNATURE_HEADER),
                body,
                [k.get_secret_value() for k in keys],
                tolerance=self.tolerance,
                clock=self.clock,
            )
        except SignatureError as exc:
            return await self._reject(request, 401, f"rejected_signature_{exc.reason}", str(exc), body, client)
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            reason = f"content type must be application/json, got {media_type or 'none'!r}"
            return await self._reject(request, 415, "rejected_content_type", reason, body, client)
        try:
            document = json.loads(body)
            envelope = WebhookEnvelope.model_validate(document)
            envelope.parsed_payload()
        except (ValueError, ValidationError) as exc:
            problem = f"{exc.error_count()} validation error(s)" if isinstance(exc, ValidationError) else "not JSON"
            return await self._reject(
                request, 400, "rejected_malformed", f"not a webhook envelope ({problem})", body, client
            )
        organization = request.query_params.get("organization") or self.organization
        delivery = NewDelivery.from_envelope(envelope, body, received_at=self.clock(), organization=organization)
        try:
            writer = self._writer if self._writer is not None else await run_in_threadpool(self._resolve_writer)
            result = await asyncio.wrap_future(writer.submit(delivery, request.url.path))
        except Exception as exc:
            self._count("unavailable")
            log.error("Could not store Calendly webhook delivery %s: %s", delivery.delivery_id, exc)
            return JSONResponse({"status": "unavailable", "reason": "inbox unavailable"}, status_code=503)
        with self._lock:
            self.last_delivery[request.url.path] = self.clock()
        if result.stored:
            self._count("stored")
            log.debug("Stored Calendly %s delivery %s as #%s", envelope.event, delivery.delivery_id, result.id)
            return JSONResponse({"status": "stored", "delivery_id": delivery.delivery_id})
        self._count("duplicate")
        log.info("Calendly %s delivery %s was already stored", envelope.event, delivery.delivery_id)
        return JSONResponse({"status": "duplicate", "delivery_id": delivery.delivery_id})


def create_app(*, prefix: str = "", receiver: WebhookReceiver | None = None, **receiver_kwargs: Any) -> FastAPI:
    """Build the receiver app; ``POST {prefix}/webhooks`` takes deliveries.

    :param prefix: Path prefix of the routes (the Airflow plugin mounts the app under ``/calendly`` itself).
    :param receiver: A configured :class:`WebhookReceiver`; otherwise one is built from ``receiver_kwargs``.
    """
    state = receiver or WebhookReceiver(**receiver_kwargs)
    prefix = prefix.rstrip("/")
    app = FastAPI(
        title="Calendly webhook receiver",
        description="Receives signed Calendly webhook deliveries into a durable inbox.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.receiver = state

    @app.post(f"{prefix}/webhooks", include_in_schema=False)
    async def receive(request: Request) -> JSONResponse:
        return await state.handle(request)

    # Versioned callback paths, so a disabled subscription can be replaced before it is deleted (Calendly
    # refuses two subscriptions on one URL). No route ever answers 410: Calendly deletes a subscription on 410.
    @app.post(f"{prefix}/webhooks/v{{version:int}}", include_in_schema=False)
    async def receive_versioned(request: Request, version: int) -> JSONResponse:
        return await state.handle(request)

    @app.get(f"{prefix}/webhooks/health", include_in_schema=False)
    async def health() -> dict[str, Any]:
        with state._lock:
            last = {path: _iso(at) for path, at in sorted(state.last_delivery.items())}
        return {"status": "ok", "stats": dict(state.stats), "last_delivery": last}

    return app


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
