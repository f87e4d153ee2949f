"""Notetaker: meeting recaps (summary, action items, discussion) and their transcripts (paid plans).

A listing returns the recaps the token's user can see, by default only ``available`` ones, and its items
lack the highlights (``summary_md``, ``action_items_md``, ``discussion_md``): :meth:`get_meeting_recap` has
them. A transcript is plain text, a ``Speaker: words`` line per utterance
(:meth:`~airflow_provider_calendly.models.Transcript.segments`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow_provider_calendly.client.base import CalendlyBase
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import (
    MAX_PAGE_SIZE,
    check_page_size,
    check_recap_highlights,
    timestamp_param,
)
from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.models import MeetingRecap, Transcript

__all__ = ["RECAP_STATUSES", "MeetingRecapsAPI"]

#: The ``status`` filter's values (a recap's own ``status`` reads ``Available``, ``Processing``, ``Unavailable``).
RECAP_STATUSES = ("available", "processing", "unavailable")


class MeetingRecapsAPI(CalendlyBase):
    """Meeting recaps and transcripts."""

    def list_meeting_recaps(
        self,
        *,
        event: str | None = None,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
        status: str | None = None,
        attendee: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[MeetingRecap]:
        """List the recaps the token's user can see (items without the highlights).

        :param event: Only the recap of this scheduled event (UUID or URI).
        :param start_time: Only recaps of meetings that end at or after this time.
        :param end_time: Only recaps of meetings that start at or before this time.
        :param status: ``available`` (Calendly's default), ``processing`` or ``unavailable``.
        :param attendee: Only recaps with this attendee email.
        :param page_size: Items per call (1-100).
        """
        params: dict[str, Any] = {
            "event": self.resource_uri("scheduled_events", event) if event is not None else None,
            "start_time": timestamp_param("start_time", start_time),
            "end_time": timestamp_param("end_time", end_time),
            "status": None if status is None else CalendlyConfigError.check_choice("status", status, RECAP_STATUSES),
            "attendee": attendee,
            "count": check_page_size(page_size),
        }
        return self.paginate("/meeting_recaps", params, MeetingRecap)

    def get_meeting_recap(self, uuid_or_uri: str) -> MeetingRecap:
        """Return one recap with its highlights."""
        return self.get_resource(self.resource_path("meeting_recaps", uuid_or_uri), MeetingRecap)

    def get_meeting_recap_transcript(self, uuid_or_uri: str) -> Transcript:
        """Return a recap's transcript (``GET /meeting_recaps/{uuid}/transcript``)."""
        return self.get_resource(f"{self.resource_path('meeting_recaps', uuid_or_uri)}/transcript", Transcript)

    def update_meeting_recap(self, uuid_or_uri: str, **highlights: str | None) -> MeetingRecap:
        """Change a recap's highlights: any of ``summary_md``, ``action_items_md``, ``discussion_md`` (Markdown).

        Omitted highlights stay as they are; ``None`` clears one. Sending the same change again is harmless.
        """
        path = self.resource_path("meeting_recaps", uuid_or_uri)
        return self.patch_resource(path, check_recap_highlights(highlights), MeetingRecap)

    def delete_meeting_recap(self, uuid_or_uri: str) -> None:
        """Delete a recap (``DELETE /meeting_recaps/{uuid}``); see ``remove_meeting_recap`` for the idempotent form."""
        self.request("DELETE", self.resource_path("meeting_recaps", uuid_or_uri))
