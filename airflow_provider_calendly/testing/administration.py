"""Administration for the emulator: the organization and its invitations, the communications Calendly sent, and
event types made or changed through the API.

Like Calendly (its published reference):

* ``GET /organizations/{uuid}``; ``GET /organizations/{uuid}/invitations`` (``email``, ``status``, sorted by
  ``created_at``, paginated) and ``…/invitations/{uuid}``; ``POST …/invitations`` (``{"email"}`` → ``201``; an
  email already invited and pending, or already a member, answers ``400``); ``DELETE …/invitations/{uuid}``
  (``204``; the invitation is gone, so a second revoke answers ``404``). Only this organization (``403``).
* ``GET /outgoing_communications?organization`` (``min_created_at``/``max_created_at``, paginated; Enterprise):
  the confirmation emails and reminder SMS of the organization's bookings. Calendly's reference shows these
  items without a ``uri``, and so does the emulator.
* ``POST /event_types`` (one-on-one, ``owner`` and ``name`` required), ``PATCH /event_types/{uuid}`` (one-on-one
  event types only: ``400`` for others) and ``POST /one_off_event_types`` (kept apart: Calendly lists no one-off
  event types).

Invitations and communications are built from the dataset (same seed, same data); the invitations and the
communications are gateable (``organization_invitations``, ``outgoing_communications``).
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter
from airflow_provider_calendly.testing.routes import enum_param, paginate, parse_sort, route, time_param, uri_param
from airflow_provider_calendly.testing.state import snapshot
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.uris import uuid_from_uri

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.organization import EmulatorOrganization
    from airflow_provider_calendly.testing.world import World

__all__ = ["INVITATION_STATUSES", "EmulatorAdministration"]

INVITATION_STATUSES = ("pending", "accepted", "declined")
#: The invitations' path, as :data:`~airflow_provider_calendly.testing.organization.GATES` names it.
INVITATIONS = "organizations/{organization}/invitations"
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COLOR_RE = re.compile(r"^#[a-f0-9]{6}$")
#: The fields of a one-on-one event type ``POST``/``PATCH /event_types`` set.
_EVENT_TYPE_FIELDS = (
    "name",
    "active",
    "description",
    "duration",
    "duration_options",
    "locations",
    "color",
    "locale",
    "start_time_increment",
    "before_buffer",
    "after_buffer",
)


class EmulatorAdministration:
    """The organization, its invitations, its communications log and event type writes, of one emulator."""

    def __init__(self, world: World, organization: EmulatorOrganization, *, seed: int) -> None:
        self.world = world
        self.state = world.state
        self.organization = organization
        self._rng = random.Random(f"administration-{seed}")
        data = self.state.data
        self._root = data.base_url
        self.invitations: list[dict[str, Any]] = []
        self.communications: list[dict[str, Any]] = []
        self.one_off_event_types: list[dict[str, Any]] = []
        created = parse_utc(data.organization["created_at"])
        for n, (email, status) in enumerate(
            (("new.hire@acme.example", "pending"), ("contractor@partner.example", "declined"))
        ):
            at = iso(created + timedelta(days=40 + n))
            self.invitations.append(self._invitation(email, status, at))
        accepted = self._invitation(data.users[-1]["email"], "accepted", data.users[-1]["created_at"])
        self.invitations.append({**accepted, "user": data.users[-1]["uri"]})
        self._build_communications()

    def _id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _invitation(self, email: str, status: str, at: str) -> dict[str, Any]:
        org = self.organization.organization_uri
        return {
            "uri": f"{org}/invitations/{self._id()}",
            "organization": org,
            "email": email,
            "status": status,
            "created_at": at,
            "updated_at": at,
            "last_sent_at": at,
            "user": None,
        }

    def _build_communications(self) -> None:
        data, now = self.state.data, self.world.now()
        for event_uuid in sorted(data.invitees):
            event = data.scheduled_events[event_uuid]
            host = event["event_memberships"][0]
            for invitee in data.invitees[event_uuid]:
                if self._rng.random() < 0.5:
                    subject = f"Confirmed: {event['name']}"
                    self._communicate("email", invitee["email"], subject, invitee["created_at"], event, host)
                reminder = parse_utc(event["start_time"]) - timedelta(days=1)
                if self._rng.random() < 0.2 and reminder <= now:
                    phone = f"+1555{self._rng.randrange(10**7):07d}"
                    self._communicate("sms", phone, "", iso(reminder), event, host)
        self.communications.sort(key=lambda c: (c["created_at"], c["uri"]))

    def _communicate(
        self, kind: str, to: str, subject: str, at: str, event: dict[str, Any], host: dict[str, Any]
    ) -> None:
        self.communications.append(
            {
                "uri": f"{self._root}/outgoing_communications/{self._id()}",  # sort key only: not served
                "type": kind,
                "to": to,
                "from": "notifications@calendly.com" if kind == "email" else "+15550199",
                "subject": subject,
                "body": f"{event['name']} with {host['user_name']} at {event['start_time']}",
                "sender_uri": host["user"],
                "sender_email": host["user_email"],
                "event_type_uri": event["event_type"],
                "event_uri": event["uri"],
                "sent_at": at,
                "created_at": at,
            }
        )

    def served_communications(self, lo: str | None = None, hi: str | None = None) -> list[dict[str, Any]]:
        """The communications ``GET /outgoing_communications`` lists, created in ``[lo, hi)``, as served."""
        return [_served(c) for c in self._communications(lo, hi)]

    def _communications(self, lo: str | None, hi: str | None) -> list[dict[str, Any]]:
        return [
            c
            for c in self.communications
            if (lo is None or c["created_at"] >= lo) and (hi is None or c["created_at"] < hi)
        ]

    # -- the organization and its invitations --

    def _organization(self, org_uuid: str) -> None:
        if org_uuid != uuid_from_uri(self.organization.organization_uri):
            raise ApiError(403, "You do not have access to this organization.")

    def _invitations_path(self, rest: list[str], *lengths: int) -> None:
        """Check a path ``/organizations/{uuid}/invitations[/{uuid}]`` of ``lengths`` segments after the collection:
        this organization's, and its invitations not gated."""
        if len(rest) not in lengths or rest[1] != "invitations":
            raise ApiError(404)
        self._organization(rest[0])
        self.organization.check_gate(INVITATIONS)

    def _find_invitation(self, invitation_uuid: str) -> dict[str, Any]:
        found = next((i for i in self.invitations if uuid_from_uri(i["uri"]) == invitation_uuid), None)
        if found is None:
            raise ApiError(404)
        return found

    @route("GET", "organizations")
    def get_organization(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) == 1:
            self._organization(rest[0])
            return 200, {"resource": snapshot(self.state.data.organization)}
        self._invitations_path(rest, 2, 3)
        with self.state.lock:
            if len(rest) == 3:
                return 200, {"resource": snapshot(self._find_invitation(rest[2]))}
            items = self.invitations
            status = enum_param(query, "status", INVITATION_STATUSES)
            if status is not None:
                items = [i for i in items if i["status"] == status]
            if "email" in query:
                items = [i for i in items if i["email"].lower() == query["email"].lower()]
            order = parse_sort(query, ("created_at",), "created_at:asc")
            return 200, paginate(self.state, f"/organizations/{rest[0]}/invitations", snapshot(items), query, order)

    @route("POST", "organizations")
    def post_invitation(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        self._invitations_path(rest, 2)
        email = body.get("email") if isinstance(body, dict) else None
        if not isinstance(email, str) or not _EMAIL_RE.match(email):
            raise invalid_parameter("email", "must be an email address")
        with self.state.lock:
            if any(m["user"]["email"].lower() == email.lower() for m in self.organization.memberships):
                raise invalid_parameter("email", "is already a member of this organization")
            if any(i["email"].lower() == email.lower() and i["status"] == "pending" for i in self.invitations):
                raise invalid_parameter("email", "has already been invited")
            invitation = self._invitation(email, "pending", iso(self.world.now()))
            self.invitations.append(invitation)
            self.organization.record_activity("Invitation", "Sent", {"email": email})
            return 201, {"resource": snapshot(invitation)}

    @route("DELETE", "organizations")
    def delete_invitation(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        self._invitations_path(rest, 3)
        with self.state.lock:
            self.invitations.remove(self._find_invitation(rest[2]))
        return 204, None

    # -- outgoing communications --

    @route("GET", "outgoing_communications")
    def get_communications(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        org = uri_param(self.state, query, "organization", "organizations")
        if org is None:
            raise invalid_parameter("organization", "is required")
        if org != self.organization.organization_uri:
            raise ApiError(403, "You do not have access to this organization.")
        lo = time_param("min_created_at", query["min_created_at"]) if "min_created_at" in query else None
        hi = time_param("max_created_at", query["max_created_at"]) if "max_created_at" in query else None
        order = parse_sort({}, ("created_at",), "created_at:asc")
        page = paginate(self.state, "/outgoing_communications", snapshot(self._communications(lo, hi)), query, order)
        page["collection"] = [_served(c) for c in page["collection"]]
        return 200, page

    # -- event types made and changed through the API --

    def _user(self, value: Any, name: str) -> dict[str, Any]:
        uri = uri_param(self.state, {name: value} if isinstance(value, str) else {}, name, "users")
        if uri is None:
            raise invalid_parameter(name, "is required")
        user = next((u for u in self.state.data.users if u["uri"] == uri), None)
        if user is None:
            raise ApiError(403, "This user is not in your organization")
        return user

    def _event_type_fields(self, body: dict[str, Any]) -> dict[str, Any]:
        fields = {k: body[k] for k in _EVENT_TYPE_FIELDS if k in body}
        if "name" in fields and (not isinstance(fields["name"], str) or not fields["name"].strip()):
            raise invalid_parameter("name", "must not be blank")
        duration = fields.get("duration")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= 720
        ):
            raise invalid_parameter("duration", "must be a whole number from 1 to 720")
        if "color" in fields and not (isinstance(fields["color"], str) and _COLOR_RE.match(fields["color"])):
            raise invalid_parameter("color", "must be a hexadecimal color such as #0069ff")
        return fields

    @route("POST", "event_types")
    def post_event_type(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        body = body if isinstance(body, dict) else {}
        owner = self._user(body.get("owner"), "owner")
        if not isinstance(body.get("name"), str):
            raise invalid_parameter("name", "is required")
        return 201, {"resource": self.world.create_event_type(owner, self._event_type_fields(body))}

    @route("PATCH", "event_types")
    def patch_event_type(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if len(rest) != 1:
            raise ApiError(404)
        event_type = next((e for e in self.state.data.event_types if uuid_from_uri(e["uri"]) == rest[0]), None)
        if event_type is None:
            raise ApiError(404)
        if event_type["kind"] != "solo":
            raise invalid_parameter("uuid", "only one-on-one (solo) event types can be updated")
        fields = self._event_type_fields(body if isinstance(body, dict) else {})
        return 200, {"resource": self.world.update_event_type(event_type, fields)}

    @route("POST", "one_off_event_types")
    def post_one_off_event_type(self, rest: list[str], query: dict[str, str], body: Any) -> tuple[int, Any]:
        if rest:
            raise ApiError(404)
        body = body if isinstance(body, dict) else {}
        host = self._user(body.get("host"), "host")
        name, duration, setting = body.get("name"), body.get("duration"), body.get("date_setting")
        if not isinstance(name, str) or not name.strip() or len(name) > 55:
            raise invalid_parameter("name", "is required (at most 55 characters)")
        if isinstance(duration, bool) or not isinstance(duration, int | float) or not 0 < duration <= 720:
            raise invalid_parameter("duration", "must be a number of minutes up to 720")
        if not isinstance(setting, dict) or not setting.get("type"):
            raise invalid_parameter("date_setting", "is required")
        now = self.world.now()
        with self.state.lock:
            uri = f"{self._root}/event_types/{self.state.new_id()}"
            one_off = {
                "uri": uri,
                "name": name,
                "active": True,
                "slug": f"one-off-{uuid_from_uri(uri)[:8]}",
                "scheduling_url": f"https://calendly.com/d/{uuid_from_uri(uri)[:12]}",
                "duration": duration,
                "kind": "solo",
                "kind_description": "One-on-One",
                "pooling_type": None,
                "type": "AdhocEventType",
                "color": "#0069ff",
                "created_at": iso(now),
                "updated_at": iso(now),
                "internal_note": None,
                "description_plain": None,
                "description_html": None,
                "profile": {"type": "User", "name": host["name"], "owner": host["uri"]},
                "secret": True,
                "booking_method": "instant",
                "custom_questions": [],
                "deleted_at": None,
                "admin_managed": False,
                "locale": "en",
                "locations": [body["location"]] if isinstance(body.get("location"), dict) else None,
                "start_time_increment": None,
            }
            self.one_off_event_types.append(one_off)
        return 201, {"resource": snapshot(one_off)}


def _served(communication: dict[str, Any]) -> dict[str, Any]:
    """A communication as served: without the ``uri`` the emulator keeps only to page by."""
    return {k: v for k, v in communication.items() if k != "uri"}
