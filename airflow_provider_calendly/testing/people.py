"""The emulator's contacts, Notetaker meeting recaps and Shares of the token's user: :class:`EmulatorPeople`.

Built from the emulator's dataset, deterministic by seed, for the token's user (every token is the first user's),
in one part per resource family, each its data and its changes:

* :mod:`~airflow_provider_calendly.testing.contacts`: a contact for each invitee of the meetings the user hosts
  (with custom field values), custom field definitions, two Lists and a View, notes;
* :mod:`~airflow_provider_calendly.testing.meeting_recaps`: a recap of most of the user's past meetings (and of
  one external meeting), each with a transcript;
* :mod:`~airflow_provider_calendly.testing.shares`: a few Shares of the user's one-on-one event types;
* :mod:`~airflow_provider_calendly.testing.people_base`: what they share (the user, seeded ids, lookups).

Every change emits the webhook payload Calendly documents (``contact.*``, ``meeting_recap.*``). The endpoints are
in :mod:`~airflow_provider_calendly.testing.people_routes`; plan gating is the organization's
(:data:`~airflow_provider_calendly.testing.organization.GATES`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.testing.contacts import EmulatorContacts
from airflow_provider_calendly.testing.meeting_recaps import EmulatorMeetingRecaps
from airflow_provider_calendly.testing.shares import EmulatorShares

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.world import World

__all__ = ["EmulatorPeople"]


class EmulatorPeople(EmulatorContacts, EmulatorMeetingRecaps, EmulatorShares):
    """Contacts, custom field definitions, Lists and Views, notes, meeting recaps and Shares of the token's user.

    :param world: The emulated organization (its clock stamps changes; its listeners get the webhooks).
    :param seed: Seed of the data (same seed, same people).
    """

    def __init__(self, world: World, *, seed: int) -> None:
        super().__init__(world, seed=seed)
        now = self._world.now()
        events = self.state.data.scheduled_events.values()
        hosted = sorted((e for e in events if self.hosts(e)), key=lambda e: (e["start_time"], e["uri"]))
        # One seeded sequence, drawn part after part: same seed, same people.
        self._build_contacts(hosted, now)
        self._build_recaps(hosted, now)
        self._build_shares(now)

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
