"""The emulator's HTTP server: each request authenticated, counted against the rate limit, scope-checked,
subjected to the faults asked for, routed and recorded, and answered in Calendly's shapes.

Calendly's API is served at the root; the admin API (:mod:`~airflow_provider_calendly.testing.admin`) under
``/_emulator/``, without a token, rate limit or faults. Repeated query parameters (``namespace=a&namespace=b``,
or ``namespace[]=…``) reach the routes as one comma-separated value, the form array parameters take.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from airflow_provider_calendly.testing.errors import ApiError
from airflow_provider_calendly.testing.routes import Router
from airflow_provider_calendly.testing.state import EmulatorState, RequestRecord

__all__ = ["EmulatorServer"]

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/_emulator/"
#: What a 429 of a ``rate_limit_storm`` says when no limit is enforced (the storm is not the limit's doing).
_STORM_HEADERS = {
    "X-RateLimit-Limit": "100",
    "X-RateLimit-Remaining": "0",
    "X-RateLimit-Reset": "1",
    "Retry-After": "1",
}


def parse_query(raw: str) -> dict[str, str]:
    """The query as one value per name: a repeated name (or ``name[]``) joins its values with commas."""
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw, keep_blank_values=True):
        name = name.removesuffix("[]")
        query[name] = f"{query[name]},{value}" if name in query else value
    return query


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server over one emulator's state and routes."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.state: EmulatorState | None = None
        self.router = Router()

    def serve(self, state: EmulatorState) -> None:
        """Serve ``state`` (bound before it exists: the dataset names the bound port) until :meth:`shutdown`."""
        self.state = state
        self.serve_forever(poll_interval=0.1)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one small response per request: do not wait for delayed ACKs
    server: EmulatorServer
    _before_send: Callable[[int], None] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("emulator %s", format % args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

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

    def _read_body(self, method: str) -> Any:
        """The JSON body of a POST or PATCH (``{}`` when empty); other methods' bodies are read and ignored."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if method not in ("POST", "PATCH") or not raw:
            return {} if method in ("POST", "PATCH") else None
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.") from None

    # -- requests --

    def _handle(self, method: str) -> None:
        state = self.server.state
        assert state is not None
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = parse_query(parts.query)
        if path.startswith(ADMIN_PREFIX):
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

        self._before_send = record
        try:
            auth = self.headers.get("Authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else None
            token_id = state.tokens.get(token) if token else None
            body = self._read_body(method)
            if token_id is None:
                raise ApiError(401)
            allowed, rl_headers = state.quota.take(token_id)
            route, rest = self.server.router.resolve(method, path)
            if allowed and route is not None:
                state.check_scope(token_id, route.scope)
            faults = state.faults
            fault = faults.draw(method, path)
            if faults.config.latency:
                time.sleep(faults.config.latency)
            if not allowed or fault == "storm":
                status = 429
                enforced = not allowed or state.quota.limit is not None
                storm_headers = faults.config.storm_headers
                headers = rl_headers if (storm_headers and enforced) or not allowed else {}
                if fault == "storm" and storm_headers and not headers:
                    headers = dict(_STORM_HEADERS)
                self._send(429, ApiError(429).body, headers)
                return
            if fault == "error":
                status = faults.error_status()
                self._send(status, ApiError(status).body, rl_headers)
                return
            if fault == "drop":
                status = 0
                record(0)
                self._drop()
                return
            if fault == "slow":
                time.sleep(faults.config.slow_response)
            if route is None:
                raise ApiError(404)
            status, result = route.handler(rest, query, body)
            if fault == "drop_after_commit":
                status = 0
                record(0)
                self._drop()
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
        try:
            body = self._read_body(method)
            route, rest = self.server.router.resolve(method, path, admin=True)
            if route is None:
                raise ApiError(404)
            self._send(*route.handler(rest, query, body))
        except ApiError as exc:
            self._send(exc.status, exc.body)
        except (TypeError, KeyError, ValueError) as exc:
            self._send(400, {"title": "Invalid Argument", "message": str(exc)})
