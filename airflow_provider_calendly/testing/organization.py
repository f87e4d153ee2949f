"""The emulator's people, routing forms, activity log and availability: their data, gating and changes.

Built from the emulator's dataset so that everything agrees with it: every user has an organization membership
and a group, event type hosts are members, routing form submissions answer their form's questions and their
submitters are real invitees (who point back at the submission), availability schedules belong to members.
Their endpoints are in :mod:`~airflow_provider_calendly.testing.organization_routes`.

Plan gating is switchable per resource (:meth:`EmulatorOrganization.gate`): a gated resource answers 403
``Permission Denied`` (or 404) the way Calendly answers a plan or a role that does not include the feature.
``POST /data_compliance/deletion/invitees`` (served by :mod:`~airflow_provider_calendly.testing.actions`)
removes invitees through :meth:`EmulatorOrganization.delete_invitee_data`.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import ApiError
from airflow_provider_calendly.testing.state import snapshot
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.uris import uuid_from_uri

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.world import World

__all__ = ["GATES", "GATE_MESSAGES", "EmulatorOrganization"]

#: Gateable resources and the paths each covers.
GATES: dict[str, tuple[str, ...]] = {
    "organization_memberships": ("organization_memberships",),
    "groups": ("groups", "group_relationships"),
    "routing_forms": ("routing_forms", "routing_form_submissions"),
    "activity_log": ("activity_log_entries",),
    "availability_schedules": ("user_availability_schedules",),
    "event_type_hosts": ("event_type_memberships",),
    # organization administration, availability and communications (their routes: .administration, .availability)
    "organization_invitations": ("organizations/{organization}/invitations",),
    "locations": ("locations",),
    "busy_times": ("user_busy_times",),
    "outgoing_communications": ("outgoing_communications",),
}
#: What a gated resource says in its 403 (default: Calendly's "Permission Denied" message).
GATE_MESSAGES: dict[str, str] = {
    "activity_log": "Please upgrade your Calendly account to Enterprise.",
    "outgoing_communications": "This endpoint requires an Enterprise subscription.",
}

_GROUP_NAMES = ("Sales", "Customer Success", "Engineering")
_COMPANY_SIZES = ("1-10", "11-50", "51-200", "201+")
_NEEDS = ("A product demo", "Pricing for my team", "Help with an integration", "Onboarding support")
_UTM = (
    {
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "brand",
        "utm_term": "scheduling",
        "utm_content": None,
    },
    {
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring",
        "utm_term": None,
        "utm_content": "cta",
    },
    {"utm_source": None, "utm_medium": None, "utm_campaign": None, "utm_term": None, "utm_content": None},
)
_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


class EmulatorOrganization:
    """People, groups, routing forms, activity log and availability of the emulated organization."""

    def __init__(self, world: World, *, seed: int) -> None:
        self._world = world
        self.state = world.state
        data = world.state.data
        self.organization_uri: str = data.organization["uri"]
        # Mint URIs the way the dataset does (whatever its host), never from a request's base URL.
        self._root = self.organization_uri.rsplit("/organizations/", 1)[0]
        self._rng = random.Random(f"organization-{seed}")
        self.gates: dict[str, int] = {}
        self.memberships: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.group_relationships: list[dict[str, Any]] = []
        self.routing_forms: list[dict[str, Any]] = []
        self.submissions: dict[str, list[dict[str, Any]]] = {}
        self.activity: list[dict[str, Any]] = []
        self.schedules: list[dict[str, Any]] = []
        self.event_type_hosts: dict[str, list[dict[str, Any]]] = {}
        self._build()

    # -- setup --

    def _id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _uri(self, collection: str) -> str:
        return f"{self._root}/{collection}/{self._id()}"

    def _build(self) -> None:
        data = self.state.data
        org_created = parse_utc(data.organization["created_at"])
        roles = ["owner", "admin"]
        for n, user in enumerate(data.users):
            joined = iso(org_created + timedelta(days=n))
            self.memberships.append(
                {
                    "uri": self._uri("organization_memberships"),
                    "role": roles[n] if n < len(roles) else "user",
                    "user": {k: v for k, v in user.items() if k not in {"current_organization", "resource_type"}},
                    "organization": self.organization_uri,
                    "created_at": joined,
                    "updated_at": joined,
                }
            )
            self._log(joined, "User", "Added", {"email": user["email"], "role": self.memberships[-1]["role"]})
        for n, name in enumerate(_GROUP_NAMES[: max(1, min(len(_GROUP_NAMES), len(data.users)))]):
            created = iso(org_created + timedelta(days=10 + n))
            self.groups.append(
                {
                    "uri": self._uri("groups"),
                    "name": name,
                    "organization": self.organization_uri,
                    "member_count": 0,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            self._log(created, "Group", "Created", {"name": name})
        for n, membership in enumerate(self.memberships):
            self._relate(self.groups[n % len(self.groups)], membership, "member")
        owner = self.memberships[0]
        for group in self.groups:
            if not any(r["owner"]["uri"] == owner["uri"] and r["role"] == "member" for r in self._relations(group)):
                self._relate(group, owner, "admin")
        self._build_hosts()
        self._build_schedules()
        self._build_routing_forms()
        self.activity.sort(key=lambda e: (e["occurred_at"], e["uri"]))

    def _relations(self, group: dict[str, Any]) -> list[dict[str, Any]]:
        return [r for r in self.group_relationships if r["group"] == group["uri"]]

    def _relate(self, group: dict[str, Any], membership: dict[str, Any], role: str) -> None:
        at = max(group["created_at"], membership["created_at"])
        self.group_relationships.append(
            {
                "uri": self._uri("group_relationships"),
                "role": role,
                "owner": {"type": "OrganizationMembership", **snapshot(membership)},
                "organization": self.organization_uri,
                "group": group["uri"],
                "created_at": at,
                "updated_at": at,
            }
        )
        if role == "member":
            group["member_count"] += 1

    def _build_hosts(self) -> None:
        users = self.state.data.users
        for n, event_type in enumerate(self.state.data.event_types):
            owner = event_type["profile"]["owner"]
            hosts = [u for u in users if u["uri"] == owner]
            if event_type["kind"] == "group" and len(users) > 1:
                hosts.append(next(u for u in users[(n + 1) % len(users) :] + users if u["uri"] != owner))
            self.event_type_hosts[event_type["uri"]] = [
                {
                    "uri": self._uri("event_type_memberships"),
                    "event_type": event_type,  # embedded live: changes to the event type show here too
                    "member": {k: v for k, v in host.items() if k not in {"current_organization", "resource_type"}},
                    "created_at": event_type["created_at"],
                    "updated_at": event_type["created_at"],
                }
                for host in hosts
            ]

    def _build_schedules(self) -> None:
        for n, user in enumerate(self.state.data.users):
            start, end = ("08:00", "16:00") if n % 2 else ("09:00", "17:00")
            rules: list[dict[str, Any]] = [
                {
                    "type": "wday",
                    "wday": day,
                    "intervals": [] if day in {"saturday", "sunday"} else [{"from": start, "to": end}],
                }
                for day in _WEEKDAYS
            ]
            self.schedules.append(
                {
                    "uri": self._uri("user_availability_schedules"),
                    "default": True,
                    "name": "Working hours",
                    "user": user["uri"],
                    "timezone": user["timezone"],
                    "rules": rules,
                }
            )
            if n == 0:
                self.schedules.append(
                    {
                        "uri": self._uri("user_availability_schedules"),
                        "default": False,
                        "name": "Conference week",
                        "user": user["uri"],
                        "timezone": user["timezone"],
                        "rules": [
                            {"type": "wday", "wday": day, "intervals": [{"from": "12:00", "to": "14:00"}]}
                            for day in _WEEKDAYS[1:6]
                        ]
                        + [{"type": "date", "date": "2026-03-02", "intervals": []}],
                    }
                )

    def _build_routing_forms(self) -> None:
        data = self.state.data
        created = parse_utc(data.organization["created_at"]) + timedelta(days=20)
        for n, (name, status) in enumerate((("Talk to sales", "published"), ("Support triage", "draft"))):
            created += timedelta(days=n)
            form: dict[str, Any] = {
                "uri": self._uri("routing_forms"),
                "name": name,
                "status": status,
                "organization": self.organization_uri,
                "questions": [
                    {"uuid": self._id(), "name": "Name", "type": "name", "required": True, "answer_choices": []},
                    {"uuid": self._id(), "name": "Email", "type": "email", "required": True, "answer_choices": []},
                    {
                        "uuid": self._id(),
                        "name": "Company size",
                        "type": "select",
                        "required": True,
                        "answer_choices": list(_COMPANY_SIZES),
                    },
                    {
                        "uuid": self._id(),
                        "name": "What do you need?",
                        "type": "textarea",
                        "required": False,
                        "answer_choices": [],
                    },
                ],
                "created_at": iso(created),
                "updated_at": iso(created),
            }
            self.routing_forms.append(form)
            self.submissions[form["uri"]] = []
            self._log(iso(created), "RoutingForm", "Created", {"name": name})
        published = self.routing_forms[0]
        for event_uuid in sorted(data.invitees):
            for invitee in data.invitees[event_uuid]:
                if self._rng.random() < 0.25:
                    self._submit(published, invitee, at=parse_utc(invitee["created_at"]) - timedelta(minutes=3))
        # Someone who filled the form in but booked nothing.
        self._submit(published, None, at=parse_utc(data.organization["created_at"]) + timedelta(days=30))

    def _submit(
        self,
        form: dict[str, Any],
        invitee: dict[str, Any] | None,
        *,
        at: datetime,
        answers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        rng = self._rng
        by_name = {q["name"]: q for q in form["questions"]}
        if answers is None:
            answers = {
                "Name": invitee["name"] if invitee else "Pat Prospect",
                "Email": invitee["email"] if invitee else "pat.prospect@lead.example",
                "Company size": rng.choice(_COMPANY_SIZES),
                "What do you need?": rng.choice(_NEEDS),
            }
        event_type_uri = None
        if invitee is not None:
            event = self.state.data.scheduled_events.get(uuid_from_uri(invitee["event"]))
            event_type_uri = event["event_type"] if event else None
        tracking = dict((invitee or {}).get("tracking") or {**rng.choice(_UTM), "salesforce_uuid": None})
        submission = {
            "uri": self._uri("routing_form_submissions"),
            "routing_form": form["uri"],
            "questions_and_answers": [
                {
                    "question_uuid": by_name[q]["uuid"] if q in by_name else self._id(),
                    "question": q,
                    "answer": a,
                }
                for q, a in answers.items()
            ],
            "tracking": {k: tracking.get(k) for k in (*_UTM[0], "salesforce_uuid")},
            "result": (
                {"type": "event_type", "value": event_type_uri}
                if event_type_uri
                else {
                    "type": "custom_message",
                    "value": {"headline": "Thanks!", "body": "We will get back to you shortly."},
                }
            ),
            "submitter": invitee["uri"] if invitee else None,
            "submitter_type": "Invitee" if invitee else None,
            "created_at": iso(at),
            "updated_at": iso(at),
        }
        self.submissions[form["uri"]].append(submission)
        if invitee is not None:
            invitee["routing_form_submission"] = submission["uri"]
        return submission

    def _log(self, at: str, namespace: str, action: str, details: dict[str, Any]) -> None:
        owner = self.state.data.users[0]
        self.activity.append(
            {
                "uri": self._uri("activity_log_entries"),
                "occurred_at": at,
                "organization": self.organization_uri,
                "namespace": namespace,
                "action": action,
                "fully_qualified_name": f"{namespace}.{action}",
                "actor": {
                    "type": "User",
                    "uri": owner["uri"],
                    "display_name": owner["name"],
                    "alternative_identifier": owner["email"],
                    "organization": {"uri": self.organization_uri, "role": "owner"},
                },
                "details": details,
            }
        )

    def record_activity(self, namespace: str, action: str, details: dict[str, Any], *, at: str | None = None) -> None:
        """Add an activity log entry (for simulators: Calendly logs the organization's admin changes)."""
        with self.state.lock:
            self._log(at or self._now(), namespace, action, details)
            self.activity.sort(key=lambda e: (e["occurred_at"], e["uri"]))

    # -- gating --

    def gate(self, resource: str, status: int = 403) -> None:
        """Answer ``status`` (403 or 404) for ``resource`` (a key of :data:`GATES`), as a plan without it does."""
        if resource not in GATES:
            raise ValueError(f"unknown resource {resource!r}; one of {sorted(GATES)}")
        if status not in (403, 404):
            raise ValueError("status must be 403 or 404")
        self.gates[resource] = status

    def ungate(self, resource: str | None = None) -> None:
        """Lift the gate of ``resource`` (every gate when ``None``)."""
        if resource is None:
            self.gates.clear()
        else:
            self.gates.pop(resource, None)

    @staticmethod
    def gated_resource(collection: str) -> str | None:
        """The key of :data:`GATES` covering ``collection`` (``None``: it cannot be gated)."""
        return next((name for name, paths in GATES.items() if collection in paths), None)

    def gate_of(self, collection: str) -> int | None:
        """The status a gated ``collection`` answers (``None``: it is served)."""
        resource = self.gated_resource(collection)
        return self.gates.get(resource) if resource is not None else None

    def check_gate(self, collection: str) -> None:
        """Answer the gate of ``collection`` (an :class:`ApiError`), if it is gated."""
        status = self.gate_of(collection)
        if status is not None:
            raise ApiError(status, GATE_MESSAGES.get(self.gated_resource(collection) or "") if status == 403 else None)

    # -- lookups for other routes --

    def group_users(self, group_uri: str) -> set[str] | None:
        """URIs of the users who are members of a group (``None``: no such group in the organization)."""
        if all(g["uri"] != group_uri for g in self.groups):
            return None
        return {r["owner"]["user"]["uri"] for r in self.group_relationships if r["group"] == group_uri}

    def default_schedule(self, user_uri: str) -> str | None:
        """URI of a user's default availability schedule (what the user's event types follow)."""
        return next((s["uri"] for s in self.schedules if s["user"] == user_uri and s["default"]), None)

    # -- changes --

    def _now(self) -> str:
        return iso(self._world.now())

    def remove_member(self, membership_or_user_uri: str) -> dict[str, Any]:
        """Remove a user from the organization: its membership, group relationships and event type hosting."""
        with self.state.lock:
            key = uuid_from_uri(membership_or_user_uri)
            membership = next(
                (m for m in self.memberships if key in {uuid_from_uri(m["uri"]), uuid_from_uri(m["user"]["uri"])}), None
            )
            if membership is None:
                raise ApiError(404)
            if membership["role"] == "owner":
                raise ApiError(403, "The owner of an organization cannot be removed.")
            self.memberships.remove(membership)
            for relation in [r for r in self.group_relationships if r["owner"]["uri"] == membership["uri"]]:
                self.group_relationships.remove(relation)
                if relation["role"] == "member":
                    group = next(g for g in self.groups if g["uri"] == relation["group"])
                    group["member_count"] -= 1
                    group["updated_at"] = self._now()
            user_uri = membership["user"]["uri"]
            for uri, hosts in self.event_type_hosts.items():
                self.event_type_hosts[uri] = [h for h in hosts if h["member"]["uri"] != user_uri]
            self._log(self._now(), "User", "Removed", {"email": membership["user"]["email"]})
            removed: dict[str, Any] = snapshot(membership)
            return removed

    def delete_routing_form(self, form_uri: str) -> None:
        """Delete a routing form (its submissions go with it)."""
        with self.state.lock:
            form = next((f for f in self.routing_forms if uuid_from_uri(f["uri"]) == uuid_from_uri(form_uri)), None)
            if form is None:
                raise ApiError(404)
            self.routing_forms.remove(form)
            self.submissions.pop(form["uri"], None)
            self._log(self._now(), "RoutingForm", "Deleted", {"name": form["name"]})

    def delete_invitee_data(self, emails: list[str]) -> int:
        """Data-compliance deletion: remove every invitee with these emails, its no-show and its submissions."""
        wanted = {e.lower() for e in emails}
        with self.state.lock:
            gone_invitees = self._world.delete_invitees(emails)
            gone_uris = {
                s["uri"]
                for subs in self.submissions.values()
                for s in subs
                if s["submitter"] in gone_invitees
                or any(a["answer"] and a["answer"].lower() in wanted for a in s["questions_and_answers"])
            }
            for form_uri, subs in self.submissions.items():
                self.submissions[form_uri] = [s for s in subs if s["uri"] not in gone_uris]
            self._log(self._now(), "DataCompliance", "InviteesDeleted", {"count": len(gone_invitees)})
        return len(gone_invitees)

    def submit(
        self,
        *,
        form_uri: str | None = None,
        invitee_uri: str | None = None,
        answers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Record a submission of a form (default: the first published one); emits ``routing_form_submission.created``."""
        state = self.state
        with state.lock:
            form = next(
                (
                    f
                    for f in self.routing_forms
                    if (form_uri is None and f["status"] == "published") or f["uri"] == form_uri
                ),
                None,
            )
            if form is None:
                raise ApiError(404)
            invitee = state.invitee(uuid_from_uri(invitee_uri))[1] if invitee_uri else None
            submission: dict[str, Any] = snapshot(self._submit(form, invitee, at=self._world.now(), answers=answers))
        state.emit("routing_form_submission.created", submission)
        return submission
