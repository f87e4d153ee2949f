"""A local Calendly API v2 server for tests, demos and benchmarks: :class:`CalendlyEmulator`.

It serves the same paths, query parameters, pagination, error bodies and ``X-RateLimit-*`` headers as
Calendly, checks bearer tokens and their scopes, and can inject faults (5xx, 429 storms, dropped connections,
latency, malformed bodies, pagination loops). Run it with
``python -m airflow_provider_calendly.testing.emulator --port 8765 --seed 42`` or, in Python::

    with CalendlyEmulator(seed=42) as emulator:
        os.environ["AIRFLOW_CONN_CALENDLY_DEFAULT"] = emulator.connection_json()

This module is the facade over the emulator's layers, each in its own module: the organization's data
(:mod:`.data`, :mod:`.organization`, :mod:`.people` with its parts :mod:`.contacts`, :mod:`.meeting_recaps` and
:mod:`.shares`) and the running state (:mod:`.state`), the changes made to it (:mod:`.world`, :mod:`.simulator`),
the routes (:mod:`.routes` and the areas :mod:`.scheduling`, :mod:`.organization_routes`, :mod:`.availability`,
:mod:`.administration`, :mod:`.people_routes`, :mod:`.actions`, :mod:`.webhooks`, :mod:`.admin`), the HTTP
server (:mod:`.server`) and the command line (:mod:`.cli`). Adding an endpoint is one ``@route`` method in its area and its scope in
:data:`airflow_provider_calendly.scopes.ENDPOINT_SCOPES`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from airflow_provider_calendly.testing.actions import EmulatorActions
from airflow_provider_calendly.testing.admin import AdminRoutes
from airflow_provider_calendly.testing.administration import EmulatorAdministration
from airflow_provider_calendly.testing.availability import EmulatorAvailability
from airflow_provider_calendly.testing.data import Dataset, build_dataset, org_size
from airflow_provider_calendly.testing.errors import ApiError, Listener
from airflow_provider_calendly.testing.faults import FaultConfig
from airflow_provider_calendly.testing.organization import EmulatorOrganization
from airflow_provider_calendly.testing.organization_routes import OrganizationRoutes
from airflow_provider_calendly.testing.people import EmulatorPeople
from airflow_provider_calendly.testing.people_routes import PeopleRoutes
from airflow_provider_calendly.testing.quota import RateLimitWindows
from airflow_provider_calendly.testing.routes import Handler, Route
from airflow_provider_calendly.testing.scheduling import SchedulingRoutes
from airflow_provider_calendly.testing.server import EmulatorServer
from airflow_provider_calendly.testing.state import Clock, EmulatorState, RequestRecord
from airflow_provider_calendly.testing.webhooks import EmulatorWebhooks
from airflow_provider_calendly.testing.world import UPDATED_AT_CHANGES, World, validate_updated_at_moved_by
from airflow_provider_calendly.uris import CANONICAL_API_URL

__all__ = ["ApiError", "CalendlyEmulator", "FaultConfig", "RequestRecord"]

#: Organization-size arguments of :class:`CalendlyEmulator` (fields of :class:`~.data.OrgSize`).
_SIZE_KNOBS = ("hosts", "meetings_per_host_per_day", "days_back", "days_ahead", "event_types_per_host")

_T = TypeVar("_T")


def _started(part: _T | None) -> _T:
    """A part the running emulator holds (its state, server, webhooks…), or an error if it is not started."""
    if part is None:
        raise RuntimeError("the emulator is not started")
    return part


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
    :param updated_at_moved_by: Which changes move the changed resource's ``updated_at``: any of
        ``"cancellations"``, ``"no_shows"``, ``"reconfirmations"``, ``"recap_edits"`` (default: all of them).
        Calendly's reference does not say; ``()`` emulates a Calendly where none of them does (see :mod:`.world`).
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
        updated_at_moved_by: Collection[str] = UPDATED_AT_CHANGES,
        preset: str | None = None,
        **dataset_options: Any,
    ) -> None:
        self.seed = seed
        self.token = token
        self._host = host
        self._port = port
        knobs = {k: dataset_options.pop(k) for k in _SIZE_KNOBS if k in dataset_options}
        if preset is not None or knobs:
            dataset_options = {**org_size(preset, **knobs).dataset_options(), **dataset_options}
        self._options = dataset_options
        self._quota = RateLimitWindows(rate_limit, float(rate_limit_period), rate_limit_algorithm, monotonic)
        self._latency = float(latency)
        self._clock = Clock(now or (lambda: datetime.now(timezone.utc)))
        self._monotonic = monotonic
        self._tokens: dict[str, int] = {token: 0}
        self._token_scopes: dict[int, frozenset[str] | None] = {0: None if scopes is None else frozenset(scopes)}
        self._base_url_uris = base_url_uris
        self.updated_at_moved_by = validate_updated_at_moved_by(updated_at_moved_by)
        self._server: EmulatorServer | None = None
        self._state: EmulatorState | None = None
        self._world: World | None = None
        self._webhooks: EmulatorWebhooks | None = None
        self._actions: EmulatorActions | None = None
        self._organization: EmulatorOrganization | None = None
        self._availability: EmulatorAvailability | None = None
        self._administration: EmulatorAdministration | None = None
        self._people: EmulatorPeople | None = None

    def __repr__(self) -> str:
        return f"CalendlyEmulator(base_url={self.base_url if self._server else None!r}, seed={self.seed})"

    # -- lifecycle --

    def start(self) -> CalendlyEmulator:
        """Bind, build the dataset for the bound URL and serve on a daemon thread."""
        if self._server is not None:
            return self
        server = EmulatorServer((self._host, self._port))
        base_url = f"http://{self._host}:{server.server_address[1]}"
        dataset = build_dataset(
            base_url if self._base_url_uris else CANONICAL_API_URL,
            seed=self.seed,
            **{"now": self._clock.now(), **self._options},
        )
        state = EmulatorState(
            dataset,
            tokens=self._tokens,
            token_scopes=self._token_scopes,
            base_url=base_url,
            clock=self._clock,
            monotonic=self._monotonic,
            quota=self._quota,
            latency=self._latency,
            seed=self.seed,
        )
        world = World(state, updated_at_moved_by=self.updated_at_moved_by)
        organization = EmulatorOrganization(world, seed=self.seed)
        people = EmulatorPeople(world, seed=self.seed)
        self._webhooks = EmulatorWebhooks(world, organization)
        self._webhooks.owner_of = people.owner_of
        self._actions = EmulatorActions(world, organization)
        organization_routes = OrganizationRoutes(organization)
        self._availability = EmulatorAvailability(world, organization, seed=self.seed)
        self._administration = EmulatorAdministration(world, organization, seed=self.seed)
        router = server.router
        router.install(SchedulingRoutes(world, organization))
        router.install(organization_routes, wrap=organization_routes.guard)
        router.install(self._availability, wrap=organization_routes.guard)
        router.install(self._administration, wrap=organization_routes.guard)
        router.install(PeopleRoutes(people), wrap=organization_routes.guard)
        router.install(self._actions)
        router.install(self._webhooks)
        router.install(AdminRoutes(world, organization))
        self._state, self._world, self._organization, self._server = state, world, organization, server
        self._people = people
        threading.Thread(target=server.serve, args=(state,), name="calendly-emulator", daemon=True).start()
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
    def world(self) -> World:
        """The changes to the emulated organization (see :mod:`~airflow_provider_calendly.testing.world`)."""
        return _started(self._world)

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
        token_id = len(self._tokens)
        self._token_scopes[token_id] = None if scopes is None else frozenset(scopes)
        self._tokens[token] = token_id

    def register_route(self, method: str, collection: str, handler: Handler) -> None:
        """Serve ``method /collection/...`` with ``handler(rest_segments, query, body) -> (status, body)``.

        A route replaced this way keeps the scope the emulator's own route needs.
        """
        router = _started(self._server).router
        existing = router.get(method, collection)
        router.add(Route(method, collection, handler, existing.scope if existing else None))

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

    @property
    def availability(self) -> EmulatorAvailability:
        """Busy times, event type availability, meeting limits and locations (see :mod:`.availability`)."""
        return _started(self._availability)

    @property
    def administration(self) -> EmulatorAdministration:
        """The organization's invitations and communications, and event type writes (see :mod:`.administration`)."""
        return _started(self._administration)

    @property
    def people(self) -> EmulatorPeople:
        """Contacts, custom fields, Lists, notes, meeting recaps and Shares of the token's user, and their changes."""
        return _started(self._people)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event_name, payload)`` on every booking, cancellation and no-show change."""
        self.state.listeners.append(listener)

    # -- faults and stats --

    def set_faults(self, **settings: Any) -> FaultConfig:
        """Replace the fault settings (see :class:`FaultConfig`); no arguments clears every fault."""
        return self.state.set_faults(**settings)

    def clear_faults(self) -> None:
        self.set_faults()

    @property
    def requests(self) -> list[RequestRecord]:
        return self.state.recorded()

    def reset_stats(self) -> None:
        self.state.reset_stats()

    def stats(self) -> dict[str, Any]:
        """Counts of requests by status and by path, for tests and benchmarks."""
        return self.state.stats()

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
        return self._clock.now()

    def advance_clock(self, delta: timedelta) -> datetime:
        """Move the emulator's time forward by ``delta`` (never back) and return the new time."""
        return self._clock.advance(delta)

    # -- changes (see World) --

    def book(self, **booking: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """Book a new scheduled event with one invitee (``event_type_uri``, ``start_time``, ``invitee_email``,
        ``invitee_name``; see :meth:`World.book`); emits ``invitee.created``."""
        return self.world.book(**booking)

    def cancel_event(self, event_uuid: str, *, reason: str | None = None) -> dict[str, Any]:
        """Cancel a scheduled event (and its invitees); emits ``invitee.canceled`` per invitee."""
        return self.world.cancel_event(event_uuid, reason=reason)

    def cancel_invitee(self, invitee_uri: str, *, reason: str | None = None) -> dict[str, Any]:
        """Cancel one invitee (the event stays active while others remain); emits ``invitee.canceled``."""
        return self.world.cancel_invitee(invitee_uri, reason=reason)

    def mark_no_show(self, invitee_uri: Any) -> dict[str, Any]:
        """Mark an invitee as a no-show (what ``POST /invitee_no_shows`` does)."""
        return self.world.mark_no_show(invitee_uri)

    def undo_no_show(self, no_show_uuid: str) -> None:
        """Delete a no-show (what ``DELETE /invitee_no_shows/{uuid}`` does)."""
        self.world.undo_no_show(no_show_uuid)

    def submit_routing_form(
        self, *, answers: dict[str, str] | None = None, form_uri: str | None = None, invitee_uri: str | None = None
    ) -> dict[str, Any]:
        """Record a routing form submission (see :meth:`EmulatorOrganization.submit`); emits the webhook event."""
        return self.organization.submit(form_uri=form_uri, invitee_uri=invitee_uri, answers=answers)


if __name__ == "__main__":
    from airflow_provider_calendly.testing.cli import main

    main(CalendlyEmulator)
