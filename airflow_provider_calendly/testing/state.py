"""What one running emulator holds: the organization's data and indexes, its clock, tokens, faults and traffic.

:class:`EmulatorState` is the layer everything else reads: the routes serve from it, the world
(:mod:`~airflow_provider_calendly.testing.world`) changes it, the HTTP server records requests in it. It knows
nothing of HTTP or of the changes' meaning; its lock guards every read and write of the data.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_calendly.scopes import grants
from airflow_provider_calendly.testing.data import Dataset
from airflow_provider_calendly.testing.errors import ApiError, Listener
from airflow_provider_calendly.testing.faults import FaultConfig, Faults
from airflow_provider_calendly.testing.quota import RateLimitWindows
from airflow_provider_calendly.uris import CANONICAL_API_URL, uuid_from_uri

__all__ = ["SCOPE_MESSAGE", "Clock", "EmulatorState", "RequestRecord", "snapshot"]

log = logging.getLogger(__name__)

SCOPE_MESSAGE = "This operation requires the scopes listed in the 'required_scopes' array."


def snapshot(value: Any) -> Any:
    """A deep, JSON-only copy of ``value``: what a response or a webhook payload carries, detached from the data."""
    return json.loads(json.dumps(value))


class Clock:
    """The emulator's time: a base clock plus every :meth:`advance` so far (it never moves back)."""

    def __init__(self, base: Callable[[], datetime]) -> None:
        self._base = base
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._base() + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("the emulator's clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()


@dataclass
class RequestRecord:
    """One request as the emulator saw it (never the token: only which token, by index)."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    at: float
    token_id: int | None


class EmulatorState:
    """Thread-safe store of the emulated organization plus its clock, tokens, faults, quota and request log.

    :param dataset: The organization (see :func:`~airflow_provider_calendly.testing.data.build_dataset`).
    :param tokens: Accepted tokens and their ids (the request log names a token by id only).
    :param token_scopes: Scopes of each token id (``None``: a legacy token that may call everything).
    :param base_url: Where the emulator serves (``http://127.0.0.1:<port>``).
    :param clock: The emulator's time (timestamps of changes, webhook envelopes, "now" of time filters).
    :param monotonic: The clock rate-limit windows are measured with.
    :param quota: The rate limit per token.
    :param seed: Seed of the ids it mints.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        tokens: dict[str, int],
        token_scopes: dict[int, frozenset[str] | None],
        base_url: str,
        clock: Clock,
        monotonic: Callable[[], float],
        quota: RateLimitWindows,
        latency: float,
        seed: int,
    ) -> None:
        self.data = dataset
        self.tokens = tokens
        self.token_scopes = token_scopes
        self.base_url = base_url
        self.clock = clock
        self.monotonic = monotonic
        self.quota = quota
        self.seed = seed
        self.lock = threading.RLock()
        self.faults = Faults(FaultConfig(latency=latency))
        self._ids = random.Random(seed + 1)
        self.requests: list[RequestRecord] = []
        self.listeners: list[Listener] = []
        self.no_shows: dict[str, dict[str, Any]] = {}
        self._invitee_index: dict[str, tuple[str, dict[str, Any]]] = {}
        for event_uuid, invitees in dataset.invitees.items():
            for invitee in invitees:
                self.index_invitee(event_uuid, invitee)
                if invitee["no_show"]:
                    self.no_shows[uuid_from_uri(invitee["no_show"]["uri"])] = {
                        "uri": invitee["no_show"]["uri"],
                        "invitee": invitee["uri"],
                        "created_at": invitee["no_show"]["created_at"],
                    }
        self._events_by_start: list[dict[str, Any]] = []
        self.resort()

    def now(self) -> datetime:
        return self.clock.now()

    def new_id(self) -> str:
        with self.lock:
            return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    # -- identity --

    def canonical(self, uri: str) -> str:
        """Read a URI given as a filter the way the data names it (the same, unless ``base_url_uris``).

        The canonical ``https://api.calendly.com/…`` and the emulator's own address name the same resource.
        """
        for alias in (CANONICAL_API_URL, self.base_url):
            if uri.startswith(alias + "/"):
                return self.data.base_url + uri[len(alias) :]
        return uri

    def check_scope(self, token_id: int, scope: str | None) -> None:
        """Answer Calendly's 403 ``Permission Denied`` naming ``scope`` when the token lacks it."""
        if scope is not None and not grants(self.token_scopes.get(token_id), scope):
            error = ApiError(403, SCOPE_MESSAGE)
            error.body["required_scopes"] = [scope]
            raise error

    # -- indexes --

    def invitee(self, invitee_uuid: str) -> tuple[str, dict[str, Any]]:
        """The scheduled event UUID and the invitee of ``invitee_uuid``; 404 if there is none."""
        try:
            return self._invitee_index[invitee_uuid]
        except KeyError:
            raise ApiError(404) from None

    def index_invitee(self, event_uuid: str, invitee: dict[str, Any]) -> None:
        self._invitee_index[uuid_from_uri(invitee["uri"])] = (event_uuid, invitee)

    def unindex_invitee(self, invitee: dict[str, Any]) -> None:
        self._invitee_index.pop(uuid_from_uri(invitee["uri"]), None)

    def events_by_start(self) -> list[dict[str, Any]]:
        """Scheduled events by start time (a new list after every :meth:`resort`)."""
        return self._events_by_start

    def resort(self) -> None:
        with self.lock:
            self._events_by_start = sorted(
                self.data.scheduled_events.values(), key=lambda e: (e["start_time"], e["uri"])
            )

    # -- traffic --

    def record(self, record: RequestRecord) -> None:
        with self.lock:
            self.requests.append(record)

    def recorded(self) -> list[RequestRecord]:
        with self.lock:
            return list(self.requests)

    def reset_stats(self) -> None:
        with self.lock:
            self.requests.clear()

    def stats(self) -> dict[str, Any]:
        """Counts of requests by status and by path, for tests and benchmarks."""
        records = self.recorded()
        by_status: dict[str, int] = {}
        by_path: dict[str, int] = {}
        for record in records:
            by_status[str(record.status)] = by_status.get(str(record.status), 0) + 1
            key = f"{record.method} {record.path}"
            by_path[key] = by_path.get(key, 0) + 1
        return {"total": len(records), "by_status": by_status, "by_path": by_path}

    def set_faults(self, **settings: Any) -> FaultConfig:
        """Replace the fault settings (see :class:`FaultConfig`); no arguments clears every fault."""
        config = FaultConfig.from_dict(settings)
        config.latency = config.latency or 0.0
        self.faults.replace(config)
        return config

    # -- changes --

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Tell every listener (the webhook deliveries, tests) of a change; a failing listener is logged only."""
        for listener in list(self.listeners):
            try:
                listener(event, payload)
            except Exception:  # a broken listener must not break the API
                log.exception("emulator listener failed for %s", event)
