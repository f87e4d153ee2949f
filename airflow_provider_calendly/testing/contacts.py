"""The emulator's contacts of the token's user: custom field definitions, contacts, Lists and Views, notes.

Built from the emulator's dataset, deterministic by seed: a contact for each invitee of the meetings the user
hosts (Calendly creates contacts from scheduling), with custom field values of the organization's custom field
definitions; two Lists (``static_list``), one of them empty, and a View (``dynamic_view``: contacts in Europe),
plus private notes about a few contacts. Its changes are the API's, with Calendly's 400s and 409s, and emit
``contact.*`` (``user_uuid`` and the contact; a deletion only its ``uri`` and ``deleted_at``). A part of
:class:`~airflow_provider_calendly.testing.people.EmulatorPeople`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_calendly.models import CONTACT_FIELDS
from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import ApiError, invalid_parameter
from airflow_provider_calendly.testing.people_base import PeopleBase
from airflow_provider_calendly.testing.state import snapshot
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.uris import uuid_from_uri

__all__ = ["EmulatorContacts"]

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_EUROPE = {"GB", "DE", "FR", "NL"}
_PLACES = (("US", "NY", "New York"), ("US", "CA", "San Francisco"), ("GB", None, "London"), ("DE", None, "Berlin"))
_TITLES = ("Head of Sales", "CTO", "Operations Manager", "Founder", None)


class EmulatorContacts(PeopleBase):
    """Custom field definitions, contacts, Lists and Views, and notes of the token's user."""

    definitions: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    contact_lists: list[dict[str, Any]]
    list_members: dict[str, list[str]]
    notes: list[dict[str, Any]]

    # -- setup --

    def _build_contacts(self, hosted: list[dict[str, Any]], now: datetime) -> None:
        """Build the contacts of the invitees of ``hosted`` (the user's meetings, oldest first), as of ``now``."""
        data = self.state.data
        self.definitions, self.contacts, self.contact_lists, self.list_members, self.notes = [], [], [], {}, []
        org_created = parse_utc(data.organization["created_at"])
        self._build_definitions(iso(org_created + timedelta(days=5)))
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

    # -- lookups --

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

    # -- changes --

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
