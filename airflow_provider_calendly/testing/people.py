"""The emulator's contacts, Notetaker meeting recaps and Shares: their data and their changes.

Built from the emulator's dataset, deterministic by seed, for the token's user (every token is the first user's):

* a contact for each invitee of the meetings the user hosts (Calendly creates contacts from scheduling), with
  custom field values of the organization's custom field definitions;
* two Lists (``static_list``), one of them empty, and a View (``dynamic_view``: contacts in Europe), plus
  private notes about a few contacts;
* a recap of most of the user's past meetings (``Available``; ``Processing`` just after the meeting, now and
  then ``Unavailable``), and of one external meeting, each with a ``Speaker: words`` transcript;
* a few Shares of the user's one-on-one event types.

Every change emits the webhook payload Calendly documents: ``contact.*`` (``user_uuid`` and the contact; a
deletion only its ``uri`` and ``deleted_at``) and ``meeting_recap.*`` (the meeting's snapshot and the recap).
Whether editing a recap's highlights moves its ``updated_at`` is the emulator's ``updated_at_moved_by``
(``"recap_edits"``). The endpoints are in :mod:`~airflow_provider_calendly.testing.people_routes`; plan gating
is the organization's (:data:`~airflow_provider_calendly.testing.organization.GATES`).
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.models import CONTACT_FIELDS, RECAP_HIGHLIGHTS, SHARE_SETTINGS
from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter
from airflow_provider_calendly.testing.state import snapshot
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.uris import uuid_from_uri

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.world import World

__all__ = ["EmulatorPeople"]

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EUROPE = {"GB", "DE", "FR", "NL"}
_PLACES = (("US", "NY", "New York"), ("US", "CA", "San Francisco"), ("GB", None, "London"), ("DE", None, "Berlin"))
_TITLES = ("Head of Sales", "CTO", "Operations Manager", "Founder", None)
_LINES = (
    "Thanks for joining, shall we start with the agenda?",
    "Sure. We are looking at rolling this out to the whole team.",
    "How many seats would that be, roughly?",
    "About forty, maybe more by the end of the quarter.",
    "Then the team plan fits. I will send a quote today.",
    "Great, and can we get a pilot for two weeks first?",
    "Yes, I will set that up and follow up by email.",
)


class EmulatorPeople:
    """Contacts, custom field definitions, Lists and Views, notes, meeting recaps and Shares of the token's user.

    :param world: The emulated organization (its clock stamps changes; its listeners get the webhooks).
    :param seed: Seed of the data (same seed, same people).
    """

    def __init__(self, world: World, *, seed: int) -> None:
        self._world = world
        self.state = world.state
        data = self.state.data
        self.owner: dict[str, Any] = data.users[0]
        self._root = data.organization["uri"].rsplit("/organizations/", 1)[0]
        self._rng = random.Random(f"people-{seed}")
        self.definitions: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.contact_lists: list[dict[str, Any]] = []
        self.list_members: dict[str, list[str]] = {}
        self.notes: list[dict[str, Any]] = []
        self.recaps: list[dict[str, Any]] = []
        self.transcripts: dict[str, str] = {}
        self.shares: list[dict[str, Any]] = []
        self._build()

    # -- setup --

    def _id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _uri(self, collection: str, item_id: str | None = None) -> str:
        return f"{self._root}/{collection}/{item_id or self._id()}"

    def _build(self) -> None:
        data = self.state.data
        now = self._world.now()
        org_created = parse_utc(data.organization["created_at"])
        self._build_definitions(iso(org_created + timedelta(days=5)))
        hosted = sorted(
            (
                e
                for e in data.scheduled_events.values()
                if any(m["user"] == self.owner["uri"] for m in e["event_memberships"])
            ),
            key=lambda e: (e["start_time"], e["uri"]),
        )
        by_email: dict[str, dict[str, Any]] = {}
        for event in hosted:
            for invitee in data.invitees[uuid_from_uri(event["uri"])]:
                contact = by_email.get(invitee["email"])
                if contact is None:
                    contact = by_email[invitee["email"]] = self._contact_of(invitee)
                    self.contacts.append(contact)
                when = "last_meeting_date" if parse_utc(event["start_time"]) <= now else "next_meeting_date"
                if when == "last_meeting_date" or contact[when] is None:
                    contact[when] = event["start_time"]
                contact["last_interaction_date"] = contact["last_meeting_date"]
        self._build_lists(iso(org_created + timedelta(days=30)))
        for contact in self.contacts[:3]:
            created = contact["created_at"]
            self.notes.append(
                {
                    "uri": self._uri("notes"),
                    "contact": contact["uri"],
                    "title": f"Follow up with {contact['name']}",
                    "body": "Asked for a quote for the team plan.",
                    "remind_at": None,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        for event in hosted:
            end = parse_utc(event["end_time"])
            if end <= now and event["status"] == "active" and self._rng.random() < 0.6:
                self._add_recap(event, created=end + timedelta(minutes=15))
        self._add_recap(None, created=now - timedelta(days=2))  # a meeting Calendly did not schedule
        solo = self.shareable_event_types()
        for n, event_type in enumerate(solo[:2]):
            share = self._share(
                event_type, {"name": f"{event_type['name']} (for you)"}, iso(now - timedelta(days=3 - n))
            )
            share["status"] = "active" if n == 0 else "expired"
            self.shares.append(share)

    def _build_definitions(self, created: str) -> None:
        options = [
            {"uuid": self._id(), "label": label, "color": color, "is_active": True}
            for label, color in (("Website", "#0069ff"), ("Referral", "#00a2ff"), ("Event", "#8247f5"))
        ]
        event_type = next(t for t in self.state.data.event_types if t["profile"]["owner"] == self.owner["uri"])
        specs: list[dict[str, Any]] = [
            {"label": "Lead source", "field_type": "single_select", "options": options},
            {"label": "Deal size", "field_type": "currency", "currency": "USD"},
            {"label": "Segment", "field_type": "text"},
            {"label": "Interests", "field_type": "tags"},
            {"label": "Renewal date", "field_type": "date"},
            {
                "label": "Company name",
                "field_type": "invitee_question",
                "source": {
                    "type": "event_type_invitee_question",
                    "event_type_uri": event_type["uri"],
                    "question": "Company name",
                },
            },
        ]
        for spec in specs:
            self.definitions.append(
                {
                    "uri": self._uri("contacts/custom_field_definitions"),
                    **spec,
                    "created_at": created,
                    "updated_at": created,
                }
            )

    def _value_of(self, definition: dict[str, Any], invitee: dict[str, Any]) -> Any:
        rng = self._rng
        kind = definition["field_type"]
        if kind == "single_select":
            return rng.choice(definition["options"])["uuid"]
        if kind == "currency":
            return rng.choice((5000, 12500.5, 85000))
        if kind == "tags":
            return rng.sample(["pricing", "integrations", "security", "onboarding"], k=rng.randint(1, 2))
        if kind == "date":
            return f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if kind == "invitee_question":
            answers = {qa["question"]: qa["answer"] for qa in invitee["questions_and_answers"]}
            return answers.get(definition["source"]["question"])
        return rng.choice(("SMB", "Mid-market", "Enterprise"))

    def _contact_of(self, invitee: dict[str, Any]) -> dict[str, Any]:
        rng = self._rng
        contact_id = self._id()
        country, state, city = rng.choice(_PLACES)
        answers = {qa["question"]: qa["answer"] for qa in invitee["questions_and_answers"]}
        values = [
            {"uri": d["uri"], "label": d["label"], "value": self._value_of(d, invitee)}
            for d in self.definitions
            if rng.random() < 0.5
        ]
        return {
            "uri": self._uri("contacts", contact_id),
            "app_url": f"https://calendly.com/app/contacts/{contact_id}",
            "name": invitee["name"],
            "emails": [{"email": invitee["email"], "is_primary": True}],
            "phone_numbers": [{"phone_number": f"+1 555 01{rng.randrange(100):02d}"}] if rng.random() < 0.5 else [],
            "timezone": invitee["timezone"],
            "job_title": rng.choice(_TITLES),
            "company": answers.get("Company name"),
            "country": country,
            "state": state,
            "city": city,
            "linkedin": f"https://www.linkedin.com/in/{contact_id[:8]}" if rng.random() < 0.3 else None,
            "custom_fields": values,
            "created_at": invitee["created_at"],
            "updated_at": invitee["created_at"],
            "first_email_date": None,
            "last_email_date": None,
            "next_meeting_date": None,
            "last_meeting_date": None,
            "last_interaction_date": None,
        }

    def _build_lists(self, created: str) -> None:
        def new_list(name: str, kind: str) -> dict[str, Any]:
            item = {"uri": self._uri("contact_lists"), "name": name, "type": kind, "contact_count": 0}
            return {**item, "created_at": created, "updated_at": created}

        for name, share in (("Hot leads", 0.3), ("Conference follow-ups", 0.0)):
            item = new_list(name, "static_list")
            self.contact_lists.append(item)
            self.list_members[item["uri"]] = [c["uri"] for c in self.contacts if self._rng.random() < share]
        self.contact_lists.append(new_list("Europe", "dynamic_view"))

    def _add_recap(self, event: dict[str, Any] | None, *, created: Any, status: str | None = None) -> dict[str, Any]:
        rng, now = self._rng, self._world.now()
        recap_id = self._id()
        if event is not None:
            invitees = [i for i in self.state.data.invitees[uuid_from_uri(event["uri"])] if i["status"] == "active"]
            name, start, end, location = event["name"], event["start_time"], event["end_time"], event["location"]
        else:
            invitees, name = [], "Partner sync"
            start, end = iso(created - timedelta(hours=1)), iso(created - timedelta(minutes=15))
            location = {"type": "custom", "location": "External video call"}
        attendees = [{"host": True, "user_email": self.owner["email"], "user_name": self.owner["name"]}]
        attendees += [{"host": False, "user_email": i["email"], "user_name": i["name"]} for i in invitees]
        drawn = "Processing" if created > now else ("Unavailable" if rng.random() < 0.07 else "Available")
        status = status or drawn
        stamp = iso(min(created, now))
        uri = self._uri("meeting_recaps", recap_id)
        available = status == "Available"
        guests = ", ".join(a["user_name"] for a in attendees[1:]) or "the partner team"
        recap = {
            "uri": uri,
            "app_url": f"https://calendly.com/app/notetaker/recaps/{recap_id}",
            "event": event["uri"] if event is not None else None,
            "status": status,
            "name": name,
            "location": snapshot(location),
            "start_time": start,
            "end_time": end,
            "created_at": stamp,
            "updated_at": stamp,
            "attendees": attendees,
            "summary_md": f"**{name}** with {guests}: the team plan and a two-week pilot." if available else None,
            "action_items_md": "- Send a quote\n- Set up the pilot" if available else None,
            "discussion_md": "Seats, pricing and the pilot's scope." if available else None,
            "transcript": f"{uri}/transcript",
            "share_link": f"https://calendly.com/recaps/s/{recap_id[:12]}"
            if available and rng.random() < 0.3
            else None,
        }
        self.recaps.append(recap)
        if available:
            speakers = (
                [a["user_name"] for a in attendees] if len(attendees) > 1 else [attendees[0]["user_name"], "Guest"]
            )
            lines = [f"{speakers[n % len(speakers)]}: {_LINES[n]}" for n in range(rng.randint(3, len(_LINES)))]
            self.transcripts[uri] = "\n".join(lines)
        return recap

    def _share(self, event_type: dict[str, Any], settings: dict[str, Any], created: str) -> dict[str, Any]:
        share_id = self._id()
        effective = {
            "name": event_type["name"],
            "duration": event_type["duration"],
            "duration_options": event_type["duration_options"],
            "period_type": "moving",
            "start_date": None,
            "end_date": None,
            "max_booking_time": 60,
            "min_booking_time": 4,
            "hide_location": False,
            "location_configurations": [{"kind": "zoom_conference", "location": None, "position": 0}],
            "availability_rule": {"rules": [], "timezone": self.owner["timezone"]},
        }
        return {
            "uri": self._uri("shares", share_id),
            "contact": None,
            "status": "active",
            "created_at": created,
            "scheduling_links": [
                {
                    "booking_url": f"https://calendly.com/d/{share_id[:6]}",
                    "owner": event_type["uri"],
                    "owner_type": "EventType",
                }
            ],
            "share_override": {**effective, **settings},
        }

    # -- lookups --

    def find(self, items: list[dict[str, Any]], item_uuid: str) -> dict[str, Any]:
        """The item of ``items`` whose URI ends in ``item_uuid``; 404 if none does."""
        found = next((i for i in items if uuid_from_uri(i["uri"]) == item_uuid), None)
        if found is None:
            raise ApiError(404)
        return found

    def shareable_event_types(self) -> list[dict[str, Any]]:
        """One-on-one event types Shares can be made of: the user's own, else (an owner of the organization) any."""
        solo = [t for t in self.state.data.event_types if t["kind"] == "solo"]
        return [t for t in solo if t["profile"]["owner"] == self.owner["uri"]] or solo

    def list_of(self, uri: str) -> dict[str, Any]:
        """The List or View of ``uri`` (404 if there is none), with its ``contact_count`` as of now."""
        item = next((i for i in self.contact_lists if i["uri"] == uri), None)
        if item is None:
            raise ApiError(404)
        item["contact_count"] = len(self.members_of(uri))
        return item

    def members_of(self, list_uri: str) -> list[str]:
        """URIs of the contacts of a List (its members) or a View (the contacts its filter matches)."""
        if list_uri in self.list_members:
            return list(self.list_members[list_uri])
        return [c["uri"] for c in self.contacts if c["country"] in _EUROPE]

    def owner_of(self, event: str, payload: dict[str, Any]) -> str | None:
        """The user a ``contact.*`` or ``meeting_recap.*`` payload belongs to (``None`` for other events)."""
        if event.startswith("contact.") and payload.get("user_uuid"):
            return f"{self._root}/users/{payload['user_uuid']}"
        if event.startswith("meeting_recap."):
            return str(self.owner["uri"])
        return None

    def counts(self) -> dict[str, int]:
        """What a sync of contacts, contact lists and meeting recaps lands, table by table (transcripts included)."""
        available = [r for r in self.recaps if r["status"] == "Available"]
        return {
            "contacts": len(self.contacts),
            "contact_custom_field_values": sum(len(c["custom_fields"]) for c in self.contacts),
            "contact_custom_field_definitions": len(self.definitions),
            "contact_lists": len(self.contact_lists),
            "contact_list_memberships": sum(len(m) for m in self.list_members.values()),
            "meeting_recaps": len(available),
            "meeting_recap_transcripts": sum(
                1 for r in available for line in self.transcripts[r["uri"]].splitlines() if line.strip()
            ),
        }

    # -- changes: contacts --

    def _now(self) -> str:
        return iso(self._world.now())

    def _emit_contact(self, event: str, contact: dict[str, Any], source: str = "api") -> None:
        body = contact if event == "contact.deleted" else {**contact, "creation_source": source}
        self.state.emit(event, {"user_uuid": uuid_from_uri(self.owner["uri"]), "contact": snapshot(body)})

    def check_contact(self, fields: Any, *, creating: bool) -> dict[str, Any]:
        """Calendly's 400s for a contact body: unknown keys, missing name or emails, bad emails or custom fields."""
        if not isinstance(fields, dict) or not fields:
            raise invalid_parameter("body", "must include at least one supported field")
        for key in fields:
            if key not in CONTACT_FIELDS:
                raise invalid_parameter(key, "is not a supported field")
        if creating and not fields.get("name"):
            raise invalid_parameter("name", "is required")
        if creating and not fields.get("emails"):
            raise invalid_parameter("emails", "is required")
        emails = fields.get("emails")
        if emails is not None:
            if not isinstance(emails, list) or not 1 <= len(emails) <= 10:
                raise invalid_parameter("emails", "must list 1 to 10 email addresses")
            if not all(isinstance(e, dict) and _EMAIL_RE.match(str(e.get("email", ""))) for e in emails):
                raise invalid_parameter("emails", "must be email addresses")
            if sum(1 for e in emails if e.get("is_primary") is True) != 1:
                raise invalid_parameter("emails", "exactly one must be primary")
        phones = fields.get("phone_numbers")
        if phones is not None and (not isinstance(phones, list) or len(phones) > 10):
            raise invalid_parameter("phone_numbers", "must list at most 10 phone numbers")
        values = []
        for entry in fields.get("custom_fields") or []:
            definition = next((d for d in self.definitions if uuid_from_uri(d["uri"]) == entry.get("uuid")), None)
            if definition is None or "value" not in entry:
                raise invalid_parameter("custom_fields", "each needs the uuid of a known definition and a value")
            value = entry["value"]
            if definition["field_type"] == "tags" and value is not None and not isinstance(value, list):
                raise invalid_parameter("custom_fields", "a tags field takes an array of strings")
            if definition["field_type"] == "single_select" and value is not None:
                option = next((o for o in definition["options"] if value in (o["uuid"], o["label"])), None)
                if option is None:
                    raise invalid_parameter("custom_fields", "a single_select value must be one of its options")
                value = option["uuid"]
            values.append({"uri": definition["uri"], "label": definition["label"], "value": value})
        body = {k: v for k, v in fields.items() if k != "custom_fields"}
        if "custom_fields" in fields:
            body["custom_fields"] = values
        return body

    def create_contact(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a contact (``POST /contacts``); 409 if one has any of its emails; emits ``contact.created``."""
        with self.state.lock:
            body = self.check_contact(fields, creating=True)
            wanted = {e["email"].lower() for e in body["emails"]}
            if any(e["email"].lower() in wanted for c in self.contacts for e in c["emails"]):
                raise ApiError(409, "A contact with this email already exists.")
            contact_id, now = self.state.new_id(), self._now()
            contact: dict[str, Any] = {
                "uri": self._uri("contacts", contact_id),
                "app_url": f"https://calendly.com/app/contacts/{contact_id}",
                **{name: None for name in CONTACT_FIELDS},
                "phone_numbers": [],
                "custom_fields": [],
                **body,
                "created_at": now,
                "updated_at": now,
                **dict.fromkeys(
                    ("first_email_date", "last_email_date", "next_meeting_date", "last_meeting_date"), None
                ),
                "last_interaction_date": None,
            }
            self.contacts.append(contact)
            result: dict[str, Any] = snapshot(contact)
        self._emit_contact("contact.created", contact)
        return result

    def update_contact(self, contact_uuid: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change a contact (what ``PATCH /contacts/{uuid}`` does); emits ``contact.updated``."""
        with self.state.lock:
            contact = self.find(self.contacts, contact_uuid)
            body = self.check_contact(changes, creating=False)
            if "custom_fields" in body:  # a value per definition: the ones sent replace theirs, the others stay
                sent = {v["uri"] for v in body["custom_fields"]}
                body["custom_fields"] = [v for v in contact["custom_fields"] if v["uri"] not in sent] + body[
                    "custom_fields"
                ]
            contact.update(body, updated_at=self._now())
            result: dict[str, Any] = snapshot(contact)
        self._emit_contact("contact.updated", contact)
        return result

    def delete_contact(self, contact_uuid: str) -> None:
        """Delete a contact (what ``DELETE /contacts/{uuid}`` does), and its notes and memberships; emits
        ``contact.deleted``."""
        with self.state.lock:
            contact = self.find(self.contacts, contact_uuid)
            self.contacts.remove(contact)
            self.notes = [n for n in self.notes if n["contact"] != contact["uri"]]
            for members in self.list_members.values():
                if contact["uri"] in members:
                    members.remove(contact["uri"])
        self._emit_contact("contact.deleted", {"uri": contact["uri"], "deleted_at": self._now()})

    def add_to_list(self, list_uri: str, contact_uris: list[str]) -> None:
        """Add contacts to a List (what ``POST /contact_lists/{uuid}/memberships`` does)."""
        with self.state.lock:
            members = self.list_members[list_uri]
            members.extend(u for u in contact_uris if u not in members)

    # -- changes: meeting recaps --

    def _recap_payload(self, recap: dict[str, Any]) -> dict[str, Any]:
        event = {k: recap[k] for k in ("name", "start_time", "end_time", "location", "attendees")}
        fields = ("summary_md", "action_items_md", "discussion_md", "transcript", "share_link", "created_at")
        return {
            "created_at": recap["created_at"],
            "event": {"uri": recap["event"], **event} if recap["event"] else event,
            "recap": {"uri": recap["uri"], **{k: recap[k] for k in fields}, "updated_at": recap["updated_at"]},
        }

    def new_recap(self, event_uri: str | None = None) -> dict[str, Any]:
        """A recap of a past meeting the user hosted (default: the latest without one), available now; emits
        ``meeting_recap.created``."""
        with self.state.lock:
            events = self.state.data.scheduled_events
            recapped = {r["event"] for r in self.recaps}
            if event_uri is not None:
                event = events.get(uuid_from_uri(event_uri))
            else:
                now = self._world.now()
                event = max(
                    (
                        e
                        for e in events.values()
                        if e["uri"] not in recapped
                        and e["status"] == "active"
                        and parse_utc(e["end_time"]) <= now
                        and any(m["user"] == self.owner["uri"] for m in e["event_memberships"])
                    ),
                    key=lambda e: (e["end_time"], e["uri"]),
                    default=None,
                )
            if event is None:
                raise ValueError("no past meeting of the token's user is left without a recap")
            recap = self._add_recap(event, created=self._world.now(), status="Available")
            payload = self._recap_payload(recap)
            result: dict[str, Any] = snapshot(recap)
        self.state.emit("meeting_recap.created", payload)
        return result

    def check_highlights(self, changes: Any) -> dict[str, Any]:
        """Calendly's 400 for a recap update: unknown top-level keys, or values that are not text or null."""
        if not isinstance(changes, dict):
            raise invalid_parameter("body", "must be a JSON object")
        for key, value in changes.items():
            if key not in RECAP_HIGHLIGHTS:
                raise invalid_parameter(key, "is not a supported field")
            if value is not None and not isinstance(value, str):
                raise invalid_parameter(key, "must be a string or null")
        return changes

    def update_recap(self, recap_uuid: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change a recap's highlights (what ``PATCH /meeting_recaps/{uuid}`` does); emits ``meeting_recap.updated``."""
        with self.state.lock:
            recap = self.find(self.recaps, recap_uuid)
            recap.update(self.check_highlights(changes))
            if "recap_edits" in self._world.updated_at_moved_by:
                recap["updated_at"] = self._now()
            payload, result = self._recap_payload(recap), dict(snapshot(recap))
        self.state.emit("meeting_recap.updated", payload)
        return result

    def delete_recap(self, recap_uuid: str) -> None:
        """Delete a recap and its transcript (what ``DELETE /meeting_recaps/{uuid}`` does); emits
        ``meeting_recap.deleted`` (the meeting's and the recap's URIs and ``deleted_at``)."""
        with self.state.lock:
            recap = self.find(self.recaps, recap_uuid)
            self.recaps.remove(recap)
            self.transcripts.pop(recap["uri"], None)
            event = {"uri": recap["event"]} if recap["event"] else {}
        self.state.emit(
            "meeting_recap.deleted", {"event": event, "recap": {"uri": recap["uri"], "deleted_at": self._now()}}
        )

    # -- changes: shares --

    def create_share(self, body: Any) -> dict[str, Any]:
        """Create a Share of a one-on-one event type of the user (what ``POST /shares`` does)."""
        if not isinstance(body, dict) or not isinstance(body.get("event_type"), str):
            raise invalid_parameter("event_type", "is required")
        with self.state.lock:
            event_type = next(
                (
                    t
                    for t in self.state.data.event_types
                    if uuid_from_uri(t["uri"]) == uuid_from_uri(body["event_type"])
                ),
                None,
            )
            if event_type is None:
                raise ApiError(404)
            if event_type["kind"] != "solo":
                raise invalid_parameter("event_type", "Shares are only available for one-on-one event types")
            settings = self._check_share_settings({k: v for k, v in body.items() if k != "event_type"})
            share = self._share(event_type, settings, self._now())
            self.shares.append(share)
            return dict(snapshot(share))

    def _check_share_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        name = settings.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > 55):
            raise invalid_parameter("name", "must be at most 55 characters")
        duration = settings.get("duration")
        if duration is not None and (not isinstance(duration, int) or not 1 <= duration <= 720):
            raise invalid_parameter("duration", "must be from 1 to 720")
        return {k: v for k, v in settings.items() if k in SHARE_SETTINGS}

    def update_share(self, share_uuid: str, changes: Any) -> dict[str, Any]:
        """Change an active, unbooked Share (what ``PATCH /shares/{uuid}`` does); ``null`` restores a setting."""
        if not isinstance(changes, dict) or not changes:
            raise invalid_parameter("body", "at least one field is required")
        with self.state.lock:
            share = self.find(self.shares, share_uuid)
            if share["status"] != "active":
                raise ApiError(409, f"Only active, unbooked Shares can be updated; this one is {share['status']}.")
            for key in changes:
                if key not in (*SHARE_SETTINGS, "contact"):
                    raise invalid_parameter(key, "is not a supported field")
            if "contact" in changes:
                contact = changes["contact"]
                if contact is not None and not any(c["uri"] == self.state.canonical(contact) for c in self.contacts):
                    raise invalid_parameter("contact", "must be the URI of one of your contacts")
                share["contact"] = self.state.canonical(contact) if contact is not None else None
            owner = share["scheduling_links"][0]["owner"]
            event_type = next(t for t in self.state.data.event_types if t["uri"] == owner)
            restored = self._share(event_type, {}, share["created_at"])["share_override"]
            settings = self._check_share_settings({k: v for k, v in changes.items() if v is not None})
            for key in changes:
                if key in SHARE_SETTINGS:
                    share["share_override"][key] = settings.get(key, restored.get(key))
            return dict(snapshot(share))

    def book_share(self, share_uuid: str) -> None:
        """An invitee books through a Share: it turns ``booked`` (and can no longer change or go)."""
        with self.state.lock:
            self.find(self.shares, share_uuid)["status"] = "booked"

    def delete_share(self, share_uuid: str) -> None:
        """Delete an unbooked Share (what ``DELETE /shares/{uuid}`` does); 409 for a booked one."""
        with self.state.lock:
            share = self.find(self.shares, share_uuid)
            if share["status"] == "booked":
                raise ApiError(409, "A booked Share cannot be deleted.")
            self.shares.remove(share)
