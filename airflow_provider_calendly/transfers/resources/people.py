"""The token's user's people: contacts (and their custom field definitions), contact lists, meeting recaps.

Contacts, Lists and recaps are the token's user's: Calendly returns what that user can see, whatever
organization or user the sync names.

Contacts are read newest ``updated_at`` first down to the window's start (a contact's ``updated_at`` moves with
every change of its fields). A List's members are read per List and the Lists re-read in full (a View's contacts
are its filters' matches: not read). Recaps are listed by meeting time (recaps of meetings that ended since the
window's start), and a listed recap costs a call only when it is new, or its ``updated_at`` or ``status`` differ
from the stored row (the listing lacks the highlights, which the stored row keeps); whether editing a recap's
highlights moves the ``updated_at`` a listing shows, Calendly's reference does not say: the webhook feed
(``meeting_recap.updated`` carries them) or a ``mode="full"`` run catches such an edit (and an edit of a recap
whose meeting ended before the window).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timezone

import sqlalchemy as sa

from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.models import ContactList, ContactListMembership, MeetingRecap
from airflow_provider_calendly.transfers.resources.incremental import IncrementalReader

__all__ = ["PeopleReads"]


class PeopleReads(IncrementalReader):
    """``contacts``, ``contact_lists`` and ``meeting_recaps``."""

    def _contacts(self) -> bool:
        self._full_read(
            "contact_custom_field_definitions",
            lambda: self._counted(
                "contact_custom_field_definitions", self.hook.list_contact_custom_field_definitions()
            ),
            None,
        )
        table_pass = self._pass("contacts", self.scope)
        seen_since = self.writer.synced_at or datetime.now(timezone.utc)
        listing = self.hook.list_contacts(sort="updated_at:desc", page_size=self.config.page_size)
        try:
            self._write("contacts", self._newest_first(listing, table_pass, "updated_at"))
        finally:
            self.stats.count_calls("contacts", listing.pages_fetched)
        if table_pass.plan.mode == "full" and not table_pass.plan.resumed:
            self._sweep("contacts", seen_since)
        table_pass.finish(self.clock())
        return True

    def _contact_lists(self) -> bool:
        def lists() -> Iterator[ContactList]:
            for item in self._counted("contact_lists", self.hook.list_contact_lists()):
                if item.type == "dynamic_view":
                    yield item  # a View's contacts are whatever its saved filters match now: not materialized
                    continue
                members = self.hook.list_contacts(
                    contact_list=item.uri, exclude_custom_fields=True, page_size=self.config.page_size
                )
                try:
                    found = [
                        ContactListMembership(contact=c.uri, name=c.name, email=c.primary_email)
                        for c in self._counted("contact_list_memberships", members)
                    ]
                except CalendlyAPIError as exc:
                    self._gone_since_listed(exc, "Contact list", item.uri, self.hook.get_contact_list)
                    continue
                yield item.model_copy(update={"memberships": found})

        return self._full_read("contact_lists", lists, None)

    def _meeting_recaps(self) -> bool:
        table_pass = self._pass("meeting_recaps", self.scope)
        plan = table_pass.plan
        seen_since = self.writer.synced_at or datetime.now(timezone.utc)
        listing = self.hook.list_meeting_recaps(start_time=plan.window_start, page_size=self.config.page_size)
        try:
            for page in listing.pages():
                if listing.pages_fetched == 1:
                    table_pass.record()
                recaps = list(self._recaps_of(page.collection, full=plan.mode == "full"))
                # A recap whose transcript was not read leaves its stored one alone: written apart from the others.
                for read in (True, False):
                    self._write("meeting_recaps", [r for r in recaps if (r.transcript_segments is not None) is read])
        finally:
            self.stats.count_calls("meeting_recaps", listing.pages_fetched)
        if plan.mode == "full" and not plan.resumed:
            self._sweep("meeting_recaps", seen_since)
        table_pass.finish(self.clock())
        return True

    def _recaps_of(self, items: Sequence[MeetingRecap], *, full: bool) -> Iterator[MeetingRecap]:
        """Each listed recap as its full resource: read again only when new or changed, else the listing's fields
        over the stored row's (which keeps the highlights a listing lacks); its transcript read when asked for and
        not stored yet."""
        stored = self.writer.stored("meeting_recaps", [r.uri for r in items], "updated_at", "status", "raw")
        transcribed = self._stored_transcripts([r.uri for r in items]) if self.config.include_transcripts else set()
        for item in items:
            updated_at, status, known = stored.get(item.uri, (None, None, None))
            changed = updated_at != item.updated_at or (status is not None and status != item.status)
            if full or not isinstance(known, dict) or "summary_md" not in known or changed:
                recap = self.hook.get_meeting_recap(item.uri)
                self.stats.count_calls("meeting_recaps", 1)
            else:
                recap = MeetingRecap.model_validate({**known, **item.model_dump(mode="json", exclude_unset=True)})
            if self.config.include_transcripts and item.uri not in transcribed:
                try:
                    transcript = self.hook.get_meeting_recap_transcript(item.uri)
                except CalendlyAPIError as exc:
                    if exc.status_code != 404:  # a transcript not available (yet): nothing to store
                        raise
                else:
                    recap = recap.model_copy(update={"transcript_segments": transcript.segments()})
                finally:
                    self.stats.count_calls("meeting_recap_transcripts", 1)
            yield recap

    def _stored_transcripts(self, uris: Sequence[str]) -> set[str]:
        """The recaps among ``uris`` whose transcript is stored."""
        table = self.writer.tables["meeting_recap_transcripts"]
        query = sa.select(table.c.meeting_recap_uri).where(table.c.meeting_recap_uri.in_(list(uris))).distinct()
        return {uri for (uri,) in self.writer.execute(query)} if uris else set()
