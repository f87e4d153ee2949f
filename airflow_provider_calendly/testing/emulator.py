"""A local Calendly API v2 server for tests, demos and benchmarks.

It serves the same paths, query parameters, pagination, error bodies and ``X-RateLimit-*`` headers as
Calendly, checks bearer tokens, and can inject faults (5xx, 429 storms, dropped connections, latency,
malformed bodies, pagination loops). Run it with
``python -m airflow_provider_calendly.testing.emulator --port 8765 --seed 42`` or, in Python::

    with CalendlyEmulator(seed=42) as emulator:
        os.environ["AIRFLOW_CONN_CALENDLY_DEFAULT"] = emulator.connection_json()

Admin endpoints (no token) live under ``/_emulator/``: ``GET stats``, ``POST faults``, ``POST reset_stats``,
``POST bookings``, ``POST cancellations``, ``POST no_shows``, ``POST gates`` (``{"resource": …, "status": 403}``
to gate a resource, ``"status": null`` to lift it; see :mod:`airflow_provider_calendly.testing.organization`),
``POST simulate`` (advance the clock through days of realistic changes, see
:mod:`airflow_provider_calendly.testing.simulator`).

Webhook subscriptions (``/webhook_subscriptions``) get a signed POST for every booking, cancellation and
no-show, retried on failure: see :mod:`airflow_provider_calendly.testing.webhooks`.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import bisect
import contextlib
import json
import logging
import math
import random
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from airflow_provider_calendly.testing.actions import EmulatorActions
from airflow_provider_calendly.testing.data import (
    PRESETS,
    Dataset,
    add_invitee,
    build_dataset,
    cancel_scheduled_event,
    iso,
    new_scheduled_event,
    org_size,
)
from airflow_provider_calendly.testing.errors import ApiError, Listener, invalid_parameter, time_parameter
from airflow_provider_calendly.testing.webhooks import EmulatorWebhooks
from airflow_provider_calendly.timestamps import parse_utc

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.organization import EmulatorOrganization

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
#: Where Calendly's resource URIs live: the emulator mints them here, whatever address it serves on.
CANONICAL_API_URL = "https://api.calendly.com"
#: The limit the ``X-RateLimit-*`` headers announce when no limit is enforced: high enough never to bind.
UNBOUNDED_RATE_LIMIT = 1_000_000
#: The scope each route needs (Calendly's scope catalog); a ``:write`` scope includes its ``:read``.
ROUTE_SCOPES: dict[tuple[str, str], str] = {
    ("GET", "users"): "users:read",
    ("GET", "organizations"): "organizations:read",
    ("GET", "event_types"): "event_types:read",
    ("GET", "scheduled_events"): "scheduled_events:read",
    ("GET", "invitee_no_shows"): "scheduled_events:read",
    ("POST", "invitee_no_shows"): "scheduled_events:write",
    ("DELETE", "invitee_no_shows"): "scheduled_events:write",
    ("GET", "webhook_subscriptions"): "webhooks:read",
    ("POST", "webhook_subscriptions"): "webhooks:write",
    ("DELETE", "webhook_subscriptions"): "webhooks:write",
    ("GET", "routing_form_submissions"): "routing_forms:read",
    ("POST", "scheduled_events"): "scheduled_events:write",
    ("POST", "scheduling_links"): "scheduling_links:write",
    ("GET", "event_type_available_times"): "availability:read",
    ("POST", "invitees"): "scheduled_events:write",
    ("POST", "data_compliance"): "data_compliance:write",
    ("GET", "routing_forms"): "routing_forms:read",
    ("GET", "groups"): "groups:read",
    ("GET", "group_relationships"): "groups:read",
    ("GET", "event_type_memberships"): "event_types:read",
}
SCOPE_MESSAGE = "This operation requires the scopes listed in the 'required_scopes' array."


def _scope_error(scope: str) -> ApiError:
    """Calendly's 403 for a token without the scope a route needs."""
    error = ApiError(403, SCOPE_MESSAGE)
    error.body["required_scopes"] = [scope]
    return error


def has_scope(granted: frozenset[str] | None, scope: str) -> bool:
    """Whether ``granted`` (``None``: a legacy token, every scope) covers ``scope``."""
    if granted is None or scope in granted:
        return True
    domain, _, access = scope.partition(":")
    return access == "read" and f"{domain}:write" in granted


@dataclass
class FaultConfig:
    """Faults to inject; counts (``next_*``) are consumed one call at a time, rates draw from a seeded RNG.

    ``path_prefix`` limits every fault to matching paths.
    """

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    next_errors: int = 0
    rate_limit_storm: int = 0
    storm_headers: bool = True
    drop_rate: float = 0.0
    next_drops: int = 0
    drop_after_commit: int = 0
    malformed_rate: float = 0.0
    truncated_rate: float = 0.0
    next_malformed: int = 0
    latency: float = 0.0
    slow_response: float = 0.0
    next_slow: int = 0
    repeat_page_token: bool = False
    empty_page_with_token: int = 0
    path_prefix: str | None = None
    seed: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        values = dict(data)
        if "error_statuses" in values:
            values["error_statuses"] = tuple(values["error_statuses"])
        return cls(**values)


@dataclass
class RequestRecord:
    """One request as the emulator saw it (never the token: only which token, by index)."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    at: float
    token_id: int | None


@dataclass
class _Bucket:
    window_start: float = 0.0
    count: int = 0
    times: deque[float] = field(default_factory=deque)


#: Counted faults in the order they are drawn: (the ``FaultConfig`` counter, the fault it causes).
#: ``drop_after_commit`` only hits writes (POST, DELETE).
_COUNTED_FAULTS: tuple[tuple[str, str], ...] = (
    ("rate_limit_storm", "storm"),
    ("next_errors", "error"),
    ("next_drops", "drop"),
    ("drop_after_commit", "drop_after_commit"),
    ("next_malformed", "malformed"),
    ("next_slow", "slow"),
)
#: Random faults, drawn after the counted ones: (the ``FaultConfig`` probability, the fault it causes).
_RATE_FAULTS: tuple[tuple[str, str], ...] = (
    ("error_rate", "error"),
    ("drop_rate", "drop"),
    ("malformed_rate", "malformed"),
    ("truncated_rate", "truncated"),
)


class EmulatorState:
    """Thread-safe store of the emulated organization plus rate-limit, fault and stats bookkeeping."""

    def __init__(
        self,
        dataset: Dataset,
        *,
        tokens: dict[str, int],
        rate_limit: int | None,
        rate_limit_period: float,
        rate_limit_algorithm: str,
        latency: float,
        now: Callable[[], datetime],
        monotonic: Callable[[], float],
        seed: int,
        base_url: str = "",
        token_scopes: dict[int, frozenset[str] | None] | None = None,
    ) -> None:
        self.data = dataset
        self.tokens = tokens
        self.base_url = base_url
        self.token_scopes: dict[int, frozenset[str] | None] = dict(token_scopes or {})
        self.rate_limit = rate_limit
        self.rate_limit_period = rate_limit_period
        self.rate_limit_algorithm = rate_limit_algorithm
        self.now = now
        self.monotonic = monotonic
        self.lock = threading.RLock()
        self.faults = FaultConfig(latency=latency)
        self._fault_rng = random.Random(seed)
        self._ids = random.Random(seed + 1)
        self._buckets: dict[int, _Bucket] = {}
        self.requests: list[RequestRecord] = []
        self.listeners: list[Listener] = []
        self.no_shows: dict[str, dict[str, Any]] = {}
        self._invitee_index: dict[str, tuple[str, dict[str, Any]]] = {}
        for event_uuid, invitees in dataset.invitees.items():
            for invitee in invitees:
                self._invitee_index[invitee["uri"].rsplit("/", 1)[-1]] = (event_uuid, invitee)
                if invitee["no_show"]:
                    ns_uuid = invitee["no_show"]["uri"].rsplit("/", 1)[-1]
                    self.no_shows[ns_uuid] = {
                        "uri": invitee["no_show"]["uri"],
                        "invitee": invitee["uri"],
                        "created_at": invitee["no_show"]["created_at"],
                    }
        self._events_by_start: list[dict[str, Any]] = []
        self._resort()

    def _resort(self) -> None:
        self._events_by_start = sorted(self.data.scheduled_events.values(), key=lambda e: (e["start_time"], e["uri"]))

    def new_id(self) -> str:
        with self.lock:
            return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    # -- rate limiting --

    def take_quota(self, token_id: int) -> tuple[bool, dict[str, str]]:
        """Count one call against the token's window; return (allowed, rate-limit headers).

        Like Calendly, every answer carries the headers; without an enforced limit they announce one that
        never binds, so a client that follows them never paces.
        """
        limit = self.rate_limit if self.rate_limit is not None else UNBOUNDED_RATE_LIMIT
        period = self.rate_limit_period
        with self.lock:
            now = self.monotonic()
            bucket = self._buckets.setdefault(token_id, _Bucket(window_start=now))
            if self.rate_limit_algorithm == "sliding":
                while bucket.times and bucket.times[0] <= now - period:
                    bucket.times.popleft()
                allowed = len(bucket.times) < limit
                if allowed:
                    bucket.times.append(now)
                used = len(bucket.times)
                reset = (bucket.times[0] + period - now) if bucket.times else period
            else:
                if now - bucket.window_start >= period:
                    bucket.window_start, bucket.count = now, 0
                allowed = bucket.count < limit
                if allowed:
                    bucket.count += 1
                used = bucket.count
                reset = bucket.window_start + period - now
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used)),
            "X-RateLimit-Reset": str(max(0, math.ceil(reset))),
        }
        if not allowed:
            headers["Retry-After"] = headers["X-RateLimit-Reset"]
        return allowed, headers

    # -- faults --

    def draw_fault(self, method: str, path: str) -> str | None:
        """Decide which fault (if any) this call suffers, consuming counted faults."""
        with self.lock:
            f = self.faults
            if f.path_prefix and not path.startswith(f.path_prefix):
                return None
            rng = self._fault_rng
            for counter, fault in _COUNTED_FAULTS:
                if getattr(f, counter) > 0 and (fault != "drop_after_commit" or method in {"POST", "DELETE"}):
                    setattr(f, counter, getattr(f, counter) - 1)
                    return fault
            for rate, fault in _RATE_FAULTS:
                probability = getattr(f, rate)
                if probability and rng.random() < probability:
                    return fault
            return None

    def error_status(self) -> int:
        with self.lock:
            return self._fault_rng.choice(self.faults.error_statuses)

    # -- stats and events --

    def record(self, record: RequestRecord) -> None:
        with self.lock:
            self.requests.append(record)

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(event, payload)
            except Exception:  # a broken listener must not break the API
                log.exception("emulator listener failed for %s", event)

    def canonical(self, uri: str) -> str:
        """Read a canonical URI given as a filter the way the data names it (the same, unless ``base_url_uris``)."""
        if uri.startswith(CANONICAL_API_URL + "/"):
            return self.data.base_url + uri[len(CANONICAL_API_URL) :]
        return uri

    def check_scope(self, token_id: int, method: str, path: str) -> None:
        """Answer 403 ``Permission Denied`` when the token lacks the scope of this route."""
        head = path.strip("/").split("/", 1)[0]
        scope = ROUTE_SCOPES.get((method, head))
        if scope is not None and not has_scope(self.token_scopes.get(token_id), scope):
            raise _scope_error(scope)

    def invitee(self, invitee_uuid: str) -> tuple[str, dict[str, Any]]:
        try:
            return self._invitee_index[invitee_uuid]
        except KeyError:
            raise ApiError(404) from None

    def index_invitee(self, event_uuid: str, invitee: dict[str, Any]) -> None:
        self._invitee_index[invitee["uri"].rsplit("/", 1)[-1]] = (event_uuid, invitee)

    def events_by_start(self) -> list[dict[str, Any]]:
        return self._events_by_start

    def resort(self) -> None:
        with self.lock:
            self._resort()


# --- request handling ---------------------------------------------------------------------------------------


def _encode_token(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: str) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise invalid_parameter("page_token", "is invalid") from None
    if not isinstance(key, list) or len(key) not in (2, 3):
        raise invalid_parameter("page_token", "is invalid")
    return key[:2]


_T = TypeVar("_T")


def _started(part: _T | None) -> _T:
    """A part the running emulator holds (its state, server, webhooks…), or an error if it is not started."""
    if part is None:
        raise RuntimeError("the emulator is not started")
    return part


def _parse_time(name: str, value: str) -> str:
    """A time filter as the emulator's own ISO text (what it compares stored timestamps with)."""
    return iso(time_parameter(name, value))


def _parse_bool(name: str, value: str) -> bool:
    if value not in {"true", "false"}:
        raise invalid_parameter(name, "must be true or false")
    return value == "true"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one small response per request: do not wait for delayed ACKs
    server: _Server
    _before_send: Callable[[int], None] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("emulator %s", format % args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- plumbing --

    def _send(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> None:
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        before_send, self._before_send = self._before_send, None
        if before_send is not None:
            before_send(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.") from None

    def _handle(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if path.startswith("/_emulator/"):
            self._admin(method, path, query)
            return
        status = 500
        token_id: int | None = None
        recorded = False
        rl_headers: dict[str, str] = {}

        def record(final_status: int) -> None:
            # Record before answering or dropping: a client that got its answer may read the stats at once.
            nonlocal recorded
            if not recorded:
                recorded = True
                state.record(RequestRecord(method, path, query, final_status, state.monotonic(), token_id))

        def drop() -> None:
            record(0)
            self._drop()

        self._before_send = record

        try:
            auth = self.headers.get("Authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else None
            token_id = state.tokens.get(token) if token else None
            if method == "POST":
                body = self._read_json()
            else:
                body = None
                if self.headers.get("Content-Length"):
                    self.rfile.read(int(self.headers["Content-Length"]))
            if token_id is None:
                raise ApiError(401)
            allowed, rl_headers = state.take_quota(token_id)
            if allowed:
                state.check_scope(token_id, method, path)
            fault = state.draw_fault(method, path)
            if state.faults.latency:
                time.sleep(state.faults.latency)
            if not allowed or fault == "storm":
                status = 429
                enforced = not allowed or state.rate_limit is not None
                headers = rl_headers if (state.faults.storm_headers and enforced) or not allowed else {}
                if fault == "storm" and state.faults.storm_headers and not headers:
                    headers = {
                        "X-RateLimit-Limit": "100",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": "1",
                        "Retry-After": "1",
                    }
                self._send(429, ApiError(429).body, headers)
                return
            if fault == "error":
                status = state.error_status()
                self._send(status, ApiError(status).body, rl_headers)
                return
            if fault == "drop":
                status = 0
                drop()
                return
            if fault == "slow":
                time.sleep(state.faults.slow_response)
            status, result = self.server.api.dispatch(method, path, query, body)
            if fault == "drop_after_commit":
                status = 0
                drop()
                return
            if fault == "malformed":
                self._send(status, raw=b"<html>upstream error</html>", headers=rl_headers)
                return
            if fault == "truncated" and result is not None:
                encoded = json.dumps(result).encode()
                self._send(status, raw=encoded[: max(1, len(encoded) // 2)], headers=rl_headers)
                return
            self._send(status, result, rl_headers)
        except ApiError as exc:
            status = exc.status
            self._send(exc.status, exc.body, {**rl_headers, **exc.headers})
        except (BrokenPipeError, ConnectionResetError):
            status = 0
        except Exception:
            log.exception("emulator error on %s %s", method, path)
            status = 500
            self._send(500, ApiError(500).body)
        finally:
            self._before_send = None
            record(status)

    def _admin(self, method: str, path: str, query: dict[str, str]) -> None:
        emulator = self.server.emulator
        try:
            body = self._read_json() if method == "POST" else {}
            if method == "GET" and path == "/_emulator/stats":
                self._send(200, emulator.stats())
            elif method == "POST" and path == "/_emulator/faults":
                emulator.set_faults(**body)
                self._send(200, asdict(emulator.state.faults))
            elif method == "POST" and path == "/_emulator/reset_stats":
                emulator.reset_stats()
                self._send(204)
            elif method == "POST" and path == "/_emulator/bookings":
                event, invitee = emulator.book(**body)
                self._send(201, {"scheduled_event": event, "invitee": invitee})
            elif method == "POST" and path == "/_emulator/cancellations":
                if "invitee_uri" in body:
                    self._send(200, emulator.cancel_invitee(body["invitee_uri"], reason=body.get("reason")))
                else:
                    self._send(200, emulator.cancel_event(body["event_uuid"], reason=body.get("reason")))
            elif method == "POST" and path == "/_emulator/no_shows":
                self._send(201, emulator.mark_no_show(body["invitee_uri"]))
            elif method == "POST" and path == "/_emulator/gates":
                if body.get("status") is None:
                    emulator.organization.ungate(body.get("resource"))
                else:
                    emulator.organization.gate(body["resource"], int(body["status"]))
                self._send(200, dict(emulator.organization.gates))
            elif method == "POST" and path == "/_emulator/simulate":
                from airflow_provider_calendly.testing.simulator import simulate

                self._send(200, simulate(emulator, **body).as_dict())
            else:
                raise ApiError(404)
        except ApiError as exc:
            self._send(exc.status, exc.body)
        except (TypeError, KeyError, ValueError) as exc:
            self._send(400, {"title": "Invalid Argument", "message": str(exc)})


class _Api:
    """Calendly's routes over :class:`EmulatorState` (called with the state lock free)."""

    def __init__(self, emulator: CalendlyEmulator) -> None:
        self.emulator = emulator
        self.state = emulator.state
        self.base = emulator.state.data.base_url
        self.routes: dict[tuple[str, str], Callable[..., tuple[int, Any]]] = {}

    def dispatch(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        segments = [s for s in path.split("/") if s]
        if not segments:
            raise ApiError(404)
        head, rest = segments[0], segments[1:]
        handler = self.routes.get((method, head))
        if handler is not None:
            return handler(rest, query, body)
        with self.state.lock:
            if method == "GET":
                return self._get(head, rest, query)
            if method == "POST" and head == "invitee_no_shows" and not rest:
                return 201, {
                    "resource": self.emulator.mark_no_show(body.get("invitee") if isinstance(body, dict) else None)
                }
            if method == "DELETE" and head == "invitee_no_shows" and len(rest) == 1:
                self.emulator.undo_no_show(rest[0])
                return 204, None
        raise ApiError(404)

    def _get(self, head: str, rest: list[str], query: dict[str, str]) -> tuple[int, Any]:
        data = self.state.data
        if head == "users" and len(rest) == 1:
            if rest[0] == "me":
                return 200, {"resource": data.users[0]}
            return 200, {"resource": self._find(data.users, rest[0])}
        if head == "organizations" and len(rest) == 1:
            if data.organization["uri"].endswith("/" + rest[0]):
                return 200, {"resource": data.organization}
            raise ApiError(404)
        if head == "event_types":
            if not rest:
                return 200, self._list_event_types(query)
            if len(rest) == 1:
                return 200, {"resource": self._find(data.event_types, rest[0])}
        if head == "scheduled_events":
            if not rest:
                return 200, self._list_scheduled_events(query)
            event = data.scheduled_events.get(rest[0])
            if event is None:
                raise ApiError(404)
            if len(rest) == 1:
                return 200, {"resource": event}
            if rest[1] == "invitees":
                if len(rest) == 2:
                    return 200, self._list_invitees(rest[0], query)
                if len(rest) == 3:
                    event_uuid, invitee = self.state.invitee(rest[2])
                    if event_uuid != rest[0]:
                        raise ApiError(404)
                    return 200, {"resource": invitee}
        if head == "invitee_no_shows" and len(rest) == 1:
            no_show = self.state.no_shows.get(rest[0])
            if no_show is None:
                raise ApiError(404)
            return 200, {"resource": no_show}
        raise ApiError(404)

    @staticmethod
    def _find(items: list[dict[str, Any]], item_uuid: str) -> dict[str, Any]:
        for item in items:
            if item["uri"].rsplit("/", 1)[-1] == item_uuid:
                return item
        raise ApiError(404)

    # -- listing --

    def uri_param(self, query: dict[str, str], name: str, collection: str) -> str | None:
        """A URI filter (``user=https://api.calendly.com/users/…``) read canonically; 400 when malformed."""
        value = query.get(name)
        if value is None:
            return None
        uri = self.state.canonical(value)
        rest = uri[len(self.base) :] if uri.startswith(self.base + "/") else ""
        segments = rest.split("/")
        if len(segments) != 3 or segments[1] != collection or not segments[2]:
            raise invalid_parameter(name, f"must be a {collection} URI such as {CANONICAL_API_URL}/{collection}/<uuid>")
        return uri

    def _owner(self, query: dict[str, str]) -> tuple[str | None, str | None]:
        user = self.uri_param(query, "user", "users")
        org = self.uri_param(query, "organization", "organizations")
        if not user and not org:
            raise invalid_parameter("organization", "one of user or organization is required")
        data = self.state.data
        if org and org != data.organization["uri"]:
            raise ApiError(403, "You do not have access to this organization.")
        if user and user not in {u["uri"] for u in data.users}:
            raise ApiError(403, "You do not have access to this user.")
        return user, org

    def _page(
        self,
        path: str,
        items: list[dict[str, Any]],
        query: dict[str, str],
        sort_field: str,
        descending: bool,
    ) -> dict[str, Any]:
        raw_count = query.get("count", str(DEFAULT_PAGE_SIZE))
        if not raw_count.isascii() or not raw_count.isdigit() or not 1 <= int(raw_count) <= MAX_PAGE_SIZE:
            raise invalid_parameter("count", f"must be an integer from 1 to {MAX_PAGE_SIZE}")
        count = int(raw_count)
        items = sorted(items, key=lambda i: (i.get(sort_field) or "", i["uri"]), reverse=descending)
        token = query.get("page_token")
        start = 0
        position = _decode_token(token) if token else ["", ""]
        if position != ["", ""]:
            after = tuple(position)
            keys = [(i.get(sort_field) or "", i["uri"]) for i in items]
            if descending:
                start = next((n for n, k in enumerate(keys) if k < after), len(items))
            else:
                start = bisect.bisect_right(keys, after)
        page = items[start : start + count]
        faults = self.state.faults
        if (
            faults.empty_page_with_token > 0
            and page
            and (not faults.path_prefix or path.startswith(faults.path_prefix))
        ):
            with self.state.lock:
                faults.empty_page_with_token -= 1
            # a fresh token for the same position: the next call resumes where this empty page stood
            next_token: str | None = _encode_token([*position, self.state.new_id()])
            return self._envelope(path, query, [], next_token, token)
        more = start + count < len(items)
        next_token = _encode_token([page[-1].get(sort_field) or "", page[-1]["uri"]]) if more and page else None
        if (
            next_token
            and faults.repeat_page_token
            and token
            and (not faults.path_prefix or path.startswith(faults.path_prefix))
        ):
            next_token = token
        return self._envelope(path, query, page, next_token, token)

    def _envelope(
        self, path: str, query: dict[str, str], page: list[dict[str, Any]], next_token: str | None, token: str | None
    ) -> dict[str, Any]:
        def url(page_token: str | None) -> str | None:
            if not page_token:
                return None
            params = {k: v for k, v in query.items() if k != "page_token"}
            params["page_token"] = page_token
            return f"{self.base}{path}?{urlencode(params)}"

        return {
            "collection": page,
            "pagination": {
                "count": len(page),
                "next_page": url(next_token),
                "previous_page": url(token) if token else None,
                "next_page_token": next_token,
                "previous_page_token": token,
            },
        }

    def _sort(self, query: dict[str, str], allowed: set[str], default: str) -> tuple[str, bool]:
        sort = query.get("sort", default)
        field_name, _, direction = sort.partition(":")
        if field_name not in allowed or direction not in {"asc", "desc"}:
            raise invalid_parameter("sort", f"must be one of {sorted(f'{a}:asc' for a in allowed)} or :desc")
        return field_name, direction == "desc"

    def _list_event_types(self, query: dict[str, str]) -> dict[str, Any]:
        user, _org = self._owner(query)
        items = list(self.state.data.event_types)
        if user:
            items = [e for e in items if e["profile"]["owner"] == user]
        if "active" in query:
            active = _parse_bool("active", query["active"])
            items = [e for e in items if e["active"] == active]
        if "admin_managed" in query:
            managed = _parse_bool("admin_managed", query["admin_managed"])
            items = [e for e in items if e["admin_managed"] == managed]
        sort_field, desc = self._sort(query, {"name", "position", "created_at", "updated_at"}, "name:asc")
        return self._page("/event_types", items, query, sort_field, desc)

    def _list_scheduled_events(self, query: dict[str, str]) -> dict[str, Any]:
        user, _org = self._owner(query)
        items = self.state.events_by_start()
        status = query.get("status")
        if status is not None and status not in {"active", "canceled"}:
            raise invalid_parameter("status", "must be active or canceled")
        lo = _parse_time("min_start_time", query["min_start_time"]) if "min_start_time" in query else None
        hi = _parse_time("max_start_time", query["max_start_time"]) if "max_start_time" in query else None
        email = query.get("invitee_email")
        selected = []
        for event in items:
            if (lo and event["start_time"] < lo) or (hi and event["start_time"] >= hi):
                continue
            if status and event["status"] != status:
                continue
            if user and all(m["user"] != user for m in event["event_memberships"]):
                continue
            if email and all(i["email"] != email for i in self.state.data.invitees[event["uri"].rsplit("/", 1)[-1]]):
                continue
            selected.append(event)
        sort_field, desc = self._sort(query, {"start_time"}, "start_time:asc")
        return self._page("/scheduled_events", selected, query, sort_field, desc)

    def _list_invitees(self, event_uuid: str, query: dict[str, str]) -> dict[str, Any]:
        items = list(self.state.data.invitees[event_uuid])
        status = query.get("status")
        if status is not None:
            if status not in {"active", "canceled"}:
                raise invalid_parameter("status", "must be active or canceled")
            items = [i for i in items if i["status"] == status]
        if "email" in query:
            items = [i for i in items if i["email"] == query["email"]]
        sort_field, desc = self._sort(query, {"created_at"}, "created_at:asc")
        return self._page(f"/scheduled_events/{event_uuid}/invitees", items, query, sort_field, desc)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    state: EmulatorState
    api: _Api
    emulator: CalendlyEmulator


#: Organization-size arguments of :class:`CalendlyEmulator` (fields of :class:`~.data.OrgSize`).
_SIZE_KNOBS = ("hosts", "meetings_per_host_per_day", "days_back", "days_ahead", "event_types_per_host")


class CalendlyEmulator:
    """A Calendly API v2 emulator on loopback, with deterministic data from ``seed``.

    :param seed: Seed of the synthetic organization (same seed, same data).
    :param token: The token the emulator accepts (more with :meth:`add_token`).
    :param port: Port to bind (0 picks a free one).
    :param rate_limit: Calls per ``rate_limit_period`` per token; ``None`` disables limiting.
    :param rate_limit_algorithm: ``"fixed"`` windows (from each window's first call) or ``"sliding"``.
    :param latency: Seconds added to every API call.
    :param scopes: Scopes of ``token`` (``None``: a legacy token allowed everything); a call it lacks the
        scope for gets Calendly's 403 naming the scope in ``required_scopes``.
    :param base_url_uris: Mint URIs on the emulator's own address instead of ``https://api.calendly.com``
        (for old tests only; Calendly always names resources canonically).
    :param now: The emulator's clock (default: the real current time); the data is spread around its value at
        :meth:`start`, and :meth:`advance_clock` (or the change simulator) moves it forward.
    :param preset: A named organization size (:data:`~airflow_provider_calendly.testing.data.PRESETS`, e.g.
        ``"medium"``); ``hosts``, ``meetings_per_host_per_day``, ``days_back`` and ``days_ahead`` in
        ``dataset_options`` override its fields.
    :param dataset_options: Sizes for :func:`~airflow_provider_calendly.testing.data.build_dataset`.
    """

    def __init__(
        self,
        *,
        seed: int = 42,
        token: str = "test-token",  # noqa: S107 - the emulator's own, public test token
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int | None = None,
        rate_limit_period: float = 60.0,
        rate_limit_algorithm: str = "fixed",
        latency: float = 0.0,
        now: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        scopes: Iterable[str] | None = None,
        base_url_uris: bool = False,
        preset: str | None = None,
        **dataset_options: Any,
    ) -> None:
        if rate_limit_algorithm not in {"fixed", "sliding"}:
            raise ValueError("rate_limit_algorithm must be 'fixed' or 'sliding'")
        self.seed = seed
        self.token = token
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        knobs = {k: dataset_options.pop(k) for k in _SIZE_KNOBS if k in dataset_options}
        if preset is not None or knobs:
            dataset_options = {**org_size(preset, **knobs).dataset_options(), **dataset_options}
        self._options = dataset_options
        self._rate_limit = rate_limit
        self._rate_limit_period = float(rate_limit_period)
        self._rate_limit_algorithm = rate_limit_algorithm
        self._latency = float(latency)
        self._clock = now or (lambda: datetime.now(timezone.utc))
        self._clock_offset = timedelta(0)
        self._now: Callable[[], datetime] = lambda: self._clock() + self._clock_offset
        self._monotonic = monotonic
        self._state: EmulatorState | None = None
        self._extra_tokens: dict[str, int] = {}
        self._token_scopes: dict[int, frozenset[str] | None] = {0: None if scopes is None else frozenset(scopes)}
        self._base_url_uris = base_url_uris
        self._webhooks: EmulatorWebhooks | None = None
        self._actions: EmulatorActions | None = None
        self._organization: EmulatorOrganization | None = None

    def __repr__(self) -> str:
        return f"CalendlyEmulator(base_url={self.base_url if self._server else None!r}, seed={self.seed})"

    # -- lifecycle --

    def start(self) -> CalendlyEmulator:
        """Bind, build the dataset for the bound URL and serve on a daemon thread."""
        if self._server is not None:
            return self
        server = _Server((self._host, self._port), _Handler)
        base_url = f"http://{self._host}:{server.server_address[1]}"
        dataset = build_dataset(
            base_url if self._base_url_uris else CANONICAL_API_URL,
            seed=self.seed,
            **{"now": self._now(), **self._options},
        )
        tokens = {self.token: 0, **self._extra_tokens}
        self._state = EmulatorState(
            dataset,
            tokens=tokens,
            base_url=base_url,
            token_scopes=self._token_scopes,
            now=self._now,
            monotonic=self._monotonic,
            seed=self.seed,
            rate_limit=self._rate_limit,
            rate_limit_period=self._rate_limit_period,
            rate_limit_algorithm=self._rate_limit_algorithm,
            latency=self._latency,
        )
        server.state = self._state
        server.emulator = self
        server.api = _Api(self)
        self._server = server
        self._webhooks = EmulatorWebhooks(self).install()
        self._actions = EmulatorActions(self).install()
        from airflow_provider_calendly.testing.organization import EmulatorOrganization  # imports this module

        self._organization = EmulatorOrganization(self).install()
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._webhooks is not None:
            self._webhooks.close()
            self._webhooks = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> CalendlyEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- accessors --

    @property
    def state(self) -> EmulatorState:
        return _started(self._state)

    @property
    def data(self) -> Dataset:
        return self.state.data

    @property
    def base_url(self) -> str:
        """Where the emulator serves (``http://127.0.0.1:<port>``): the connection's host."""
        return self.state.base_url

    @property
    def uri_base(self) -> str:
        """Where the URIs it mints live: ``https://api.calendly.com``, like Calendly's (see ``base_url_uris``)."""
        return self.state.data.base_url

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[-1])

    def url_for(self, uri: str) -> str:
        """The URL on this emulator that serves a resource URI (``https://api.calendly.com/users/…``)."""
        return self.state.base_url + uri[len(self.uri_base) :] if uri.startswith(self.uri_base + "/") else uri

    def connection_json(self, **extra: Any) -> str:
        """The Airflow connection (JSON form) pointing at this emulator, for ``AIRFLOW_CONN_…`` variables."""
        conn: dict[str, Any] = {"conn_type": "calendly", "password": self.token, "host": self.base_url}
        if extra:
            conn["extra"] = extra
        return json.dumps(conn)

    def add_token(self, token: str, *, scopes: Iterable[str] | None = None) -> None:
        """Accept another token, with its own rate-limit bucket (the owner is the first user).

        :param scopes: The scopes it carries (``users:read``, ``scheduled_events:write``…); ``None`` for a
            legacy token that may call everything.
        """
        token_id = len(self._extra_tokens) + 1
        self._extra_tokens[token] = token_id
        self._token_scopes[token_id] = None if scopes is None else frozenset(scopes)
        if self._state is not None:
            self._state.tokens[token] = token_id
            self._state.token_scopes[token_id] = self._token_scopes[token_id]

    def register_route(self, method: str, collection: str, handler: Callable[..., tuple[int, Any]]) -> None:
        """Serve ``method /collection/...`` with ``handler(rest_segments, query, body) -> (status, body)``."""
        self._api.routes[(method, collection)] = handler

    @property
    def _api(self) -> _Api:
        return _started(self._server).api

    @property
    def webhooks(self) -> EmulatorWebhooks:
        """Webhook subscriptions and signed deliveries (see :mod:`airflow_provider_calendly.testing.webhooks`)."""
        return _started(self._webhooks)

    @property
    def actions(self) -> EmulatorActions:
        """Cancellation, scheduling links, available times, booking and deletion (see :mod:`.actions`)."""
        return _started(self._actions)

    @property
    def organization(self) -> EmulatorOrganization:
        """Memberships, groups, routing forms, activity log, availability; plan gating and deletions."""
        return _started(self._organization)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event_name, payload)`` on every booking, cancellation and no-show change."""
        self.state.listeners.append(listener)

    # -- faults and stats --

    def set_faults(self, **settings: Any) -> FaultConfig:
        """Replace the fault settings (see :class:`FaultConfig`); no arguments clears every fault."""
        config = FaultConfig.from_dict(settings)
        with self.state.lock:
            config.latency = config.latency or 0.0
            self.state.faults = config
            self.state._fault_rng = random.Random(config.seed)
        return config

    def clear_faults(self) -> None:
        self.set_faults()

    @property
    def requests(self) -> list[RequestRecord]:
        with self.state.lock:
            return list(self.state.requests)

    def reset_stats(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    def stats(self) -> dict[str, Any]:
        """Counts of requests by status and by path, for tests and benchmarks."""
        records = self.requests
        by_status: dict[str, int] = {}
        by_path: dict[str, int] = {}
        for record in records:
            by_status[str(record.status)] = by_status.get(str(record.status), 0) + 1
            key = f"{record.method} {record.path}"
            by_path[key] = by_path.get(key, 0) + 1
        return {"total": len(records), "by_status": by_status, "by_path": by_path}

    def count(self, *, status: int | None = None, path_prefix: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (status is None or r.status == status) and (path_prefix is None or r.path.startswith(path_prefix))
        )

    # -- counts the tests compare against --

    def count_event_types(self) -> int:
        return len(self.data.event_types)

    def count_scheduled_events(self) -> int:
        return len(self.data.scheduled_events)

    def count_invitees(self) -> int:
        return self.data.invitee_count

    # -- the clock --

    def now(self) -> datetime:
        """The emulator's current time: its clock plus every :meth:`advance_clock` so far."""
        return self._now()

    def advance_clock(self, delta: timedelta) -> datetime:
        """Move the emulator's time forward by ``delta`` (never back) and return the new time."""
        if delta < timedelta(0):
            raise ValueError("the emulator's clock only moves forward")
        with self.state.lock:
            self._clock_offset += delta
        return self._now()

    # -- mutations --

    def _now_iso(self) -> str:
        return iso(self._now())

    def book(
        self,
        *,
        event_type_uri: str | None = None,
        start_time: str | datetime | None = None,
        invitee_email: str | None = None,
        invitee_name: str | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Book a new scheduled event with one invitee; emits ``invitee.created``."""
        state = self.state
        with state.lock:
            data = state.data
            event_type = next((e for e in data.event_types if e["uri"] == event_type_uri), None)
            if event_type_uri and event_type is None:
                raise ValueError(f"unknown event type {event_type_uri}")
            event_type = event_type or next((e for e in data.event_types if e["active"]), None)
            now = self._now()
            if isinstance(start_time, str):
                start = parse_utc(start_time)
            else:
                start = start_time or (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
            rng = random.Random(state.new_id())
            event = new_scheduled_event(data, state.new_id(), event_type, start, booked_at=now, rng=rng)
            invitee = add_invitee(data, event, state.new_id(), rng=rng, now=now, email=invitee_email, name=invitee_name)
            invitee["questions_and_answers"] = [{"question": "Company name", "answer": "Newco", "position": 0}]
            state.index_invitee(event["uri"].rsplit("/", 1)[-1], invitee)
            state.resort()
            payload = {**invitee, "scheduled_event": event}
        state.emit("invitee.created", json.loads(json.dumps(payload)))
        return event, invitee

    def cancel_event(self, event_uuid: str, *, reason: str | None = None) -> dict[str, Any]:
        """Cancel a scheduled event (and its invitees); emits ``invitee.canceled`` per invitee."""
        state = self.state
        with state.lock:
            if event_uuid not in state.data.scheduled_events:
                raise ApiError(404)
            active = [i for i in state.data.invitees[event_uuid] if i["status"] == "active"]
            cancel_scheduled_event(state.data, event_uuid, at=self._now(), reason=reason)
            event = state.data.scheduled_events[event_uuid]
            payloads = [json.loads(json.dumps({**i, "scheduled_event": event})) for i in active]
        for payload in payloads:
            state.emit("invitee.canceled", payload)
        return event

    def cancel_invitee(self, invitee_uri: str, *, reason: str | None = None) -> dict[str, Any]:
        """Cancel one invitee (the event stays active while others remain); emits ``invitee.canceled``."""
        state = self.state
        with state.lock:
            event_uuid, invitee = state.invitee(invitee_uri.rstrip("/").rsplit("/", 1)[-1])
            event = state.data.scheduled_events[event_uuid]
            if invitee["status"] == "canceled":
                return invitee
            now = self._now_iso()
            invitee["status"] = "canceled"
            invitee["cancellation"] = {
                "canceled_by": invitee["name"],
                "reason": reason,
                "canceler_type": "invitee",
                "created_at": now,
            }
            invitee["updated_at"] = now
            event["invitees_counter"]["active"] = max(0, event["invitees_counter"]["active"] - 1)
            event["updated_at"] = now
            if event["invitees_counter"]["active"] == 0:
                event["status"] = "canceled"
                event["cancellation"] = dict(invitee["cancellation"])
            payload = json.loads(json.dumps({**invitee, "scheduled_event": event}))
        state.emit("invitee.canceled", payload)
        return invitee

    def mark_no_show(self, invitee_uri: Any) -> dict[str, Any]:
        """Mark an invitee as a no-show (what ``POST /invitee_no_shows`` does)."""
        state = self.state
        canonical = state.canonical(invitee_uri) if isinstance(invitee_uri, str) else ""
        parts = canonical[len(self.uri_base) :].split("/") if canonical.startswith(self.uri_base + "/") else []
        if len(parts) != 5 or parts[1] != "scheduled_events" or parts[3] != "invitees":
            raise invalid_parameter(
                "invitee", f"must be an invitee URI such as {CANONICAL_API_URL}/scheduled_events/<uuid>/invitees/<uuid>"
            )
        with state.lock:
            _event_uuid, invitee = state.invitee(parts[4])
            if invitee["no_show"] is not None:
                raise ApiError(
                    422,
                    "Invitee is already marked as no show.",
                    [{"parameter": "invitee", "message": "already marked as no show"}],
                )
            now = self._now_iso()
            no_show_uuid = state.new_id()
            no_show = {
                "uri": f"{self.uri_base}/invitee_no_shows/{no_show_uuid}",
                "invitee": invitee["uri"],
                "created_at": now,
            }
            state.no_shows[no_show_uuid] = no_show
            invitee["no_show"] = {"uri": no_show["uri"], "created_at": now}
            invitee["updated_at"] = now
            payload = json.loads(json.dumps(invitee))
        state.emit("invitee_no_show.created", payload)
        return dict(no_show)

    def undo_no_show(self, no_show_uuid: str) -> None:
        """Delete a no-show (what ``DELETE /invitee_no_shows/{uuid}`` does)."""
        state = self.state
        with state.lock:
            no_show = state.no_shows.pop(no_show_uuid.rstrip("/").rsplit("/", 1)[-1], None)
            if no_show is None:
                raise ApiError(404)
            _event_uuid, invitee = state.invitee(no_show["invitee"].rsplit("/", 1)[-1])
            invitee["no_show"] = None
            invitee["updated_at"] = self._now_iso()
            payload = json.loads(json.dumps(invitee))
        state.emit("invitee_no_show.deleted", payload)

    def submit_routing_form(
        self, *, answers: dict[str, str] | None = None, form_uri: str | None = None, invitee_uri: str | None = None
    ) -> dict[str, Any]:
        """Record a routing form submission (see :meth:`EmulatorOrganization.submit`); emits the webhook event."""
        return self.organization.submit(form_uri=form_uri, invitee_uri=invitee_uri, answers=answers)


def main(argv: list[str] | None = None) -> None:
    """Serve the emulator until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_calendly.testing.emulator",
        description="Serve a local Calendly API v2 with deterministic synthetic data until interrupted (Ctrl-C). "
        "It prints the AIRFLOW_CONN_CALENDLY_DEFAULT line that points Airflow at it.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0: a free one)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic data: same seed, same data")
    parser.add_argument("--token", default="test-token", help="the only token the emulator accepts")
    parser.add_argument(
        "--rate-limit", type=int, default=None, help="calls per window before answering 429 (default: unlimited)"
    )
    parser.add_argument("--rate-limit-period", type=float, default=60.0, help="rate-limit window in seconds")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--scheduled-events", type=int, default=300, help="scheduled events in the organization")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None, help="a named organization size")
    parser.add_argument("--hosts", type=int, default=None, help="override the preset's value")
    parser.add_argument("--meetings-per-host-per-day", type=float, default=None, help="override the preset's value")
    parser.add_argument("--days-back", type=float, default=None, help="override the preset's value")
    parser.add_argument("--days-ahead", type=float, default=None, help="override the preset's value")
    args = parser.parse_args(argv)
    sized = args.preset is not None or any(
        v is not None for v in (args.hosts, args.meetings_per_host_per_day, args.days_back, args.days_ahead)
    )
    options: dict[str, Any] = (
        org_size(
            args.preset,
            hosts=args.hosts,
            meetings_per_host_per_day=args.meetings_per_host_per_day,
            days_back=args.days_back,
            days_ahead=args.days_ahead,
        ).dataset_options()
        if sized
        else {"scheduled_events": args.scheduled_events}
    )
    emulator = CalendlyEmulator(
        seed=args.seed,
        token=args.token,
        host=args.host,
        port=args.port,
        rate_limit=args.rate_limit,
        rate_limit_period=args.rate_limit_period,
        latency=args.latency,
        **options,
    ).start()
    print(f"Calendly emulator on {emulator.base_url} (seed {args.seed})", flush=True)
    print(f"export AIRFLOW_CONN_CALENDLY_DEFAULT='{emulator.connection_json()}'", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
