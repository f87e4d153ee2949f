"""The emulator's admin API under ``/_emulator/`` (no token): drive an emulator running in another process.

``GET stats``, ``POST faults`` (a :class:`~airflow_provider_calendly.testing.faults.FaultConfig` as JSON),
``POST reset_stats``, ``POST bookings``, ``POST cancellations`` (``{"invitee_uri": …}`` or
``{"event_uuid": …}``), ``POST no_shows``, ``POST gates`` (``{"resource": …, "status": 403}`` to gate a
resource, ``"status": null`` to lift it) and ``POST simulate`` (days of realistic changes, see
:mod:`~airflow_provider_calendly.testing.simulator`). A body the operation cannot take answers 400.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from airflow_provider_calendly.testing.organization import EmulatorOrganization
from airflow_provider_calendly.testing.routes import route
from airflow_provider_calendly.testing.simulator import simulate
from airflow_provider_calendly.testing.world import World

__all__ = ["AdminRoutes"]


class AdminRoutes:
    """The ``/_emulator/`` routes of one emulator."""

    def __init__(self, world: World, organization: EmulatorOrganization) -> None:
        self.world = world
        self.state = world.state
        self.organization = organization

    @route("GET", "stats", admin=True)
    def get_stats(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, self.state.stats()

    @route("POST", "faults", admin=True)
    def post_faults(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, asdict(self.state.set_faults(**body))

    @route("POST", "reset_stats", admin=True)
    def post_reset_stats(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        self.state.reset_stats()
        return 204, None

    @route("POST", "bookings", admin=True)
    def post_bookings(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        event, invitee = self.world.book(**body)
        return 201, {"scheduled_event": event, "invitee": invitee}

    @route("POST", "cancellations", admin=True)
    def post_cancellations(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if "invitee_uri" in body:
            return 200, self.world.cancel_invitee(body["invitee_uri"], reason=body.get("reason"))
        return 200, self.world.cancel_event(body["event_uuid"], reason=body.get("reason"))

    @route("POST", "no_shows", admin=True)
    def post_no_shows(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        return 201, self.world.mark_no_show(body["invitee_uri"])

    @route("POST", "gates", admin=True)
    def post_gates(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if body.get("status") is None:
            self.organization.ungate(body.get("resource"))
        else:
            self.organization.gate(body["resource"], int(body["status"]))
        return 200, dict(self.organization.gates)

    @route("POST", "simulate", admin=True)
    def post_simulate(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        return 200, simulate(self.world, **body).as_dict()
