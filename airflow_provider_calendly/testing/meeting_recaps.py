"""The emulator's Notetaker meeting recaps of the token's user, with their transcripts.

Built from the emulator's dataset, deterministic by seed: a recap of most of the user's past meetings
(``Available``; ``Processing`` just after the meeting, now and then ``Unavailable``), and of one external
meeting, each with a ``Speaker: words`` transcript. Its changes emit ``meeting_recap.*`` (the meeting's snapshot
and the recap). Whether editing a recap's highlights moves its ``updated_at`` is the emulator's
``updated_at_moved_by`` (``"recap_edits"``). A part of
:class:`~airflow_provider_calendly.testing.people.EmulatorPeople`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow_provider_calendly.models import RECAP_HIGHLIGHTS
from airflow_provider_calendly.testing.data import iso
from airflow_provider_calendly.testing.errors import invalid_parameter
from airflow_provider_calendly.testing.people_base import PeopleBase
from airflow_provider_calendly.testing.state import snapshot
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.uris import uuid_from_uri

__all__ = ["EmulatorMeetingRecaps"]

_LINES = (
    "Thanks for joining, shall we start with the agenda?",
    "Sure. We are looking at rolling this out to the whole team.",
    "How many seats would that be, roughly?",
    "About forty, maybe more by the end of the quarter.",
    "Then the team plan fits. I will send a quote today.",
    "Great, and can we get a pilot for two weeks first?",
    "Yes, I will set that up and follow up by email.",
)


class EmulatorMeetingRecaps(PeopleBase):
    """Meeting recaps of the token's user, and their transcripts (by recap URI)."""

    recaps: list[dict[str, Any]]
    transcripts: dict[str, str]

    # -- setup --

    def _build_recaps(self, hosted: list[dict[str, Any]], now: datetime) -> None:
        """Recap most of ``hosted`` (the user's meetings, oldest first) that ended by ``now``, and one external."""
        self.recaps, self.transcripts = [], {}
        for event in hosted:
            end = parse_utc(event["end_time"])
            if end <= now and event["status"] == "active" and self._rng.random() < 0.6:
                self._add_recap(event, created=end + timedelta(minutes=15))
        self._add_recap(None, created=now - timedelta(days=2))  # a meeting Calendly did not schedule

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

    # -- changes --

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
                        and self.hosts(e)
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
