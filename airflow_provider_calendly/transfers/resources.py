"""How each resource other than scheduled events and invitees is read, plus skips and deletion sweeps.

:class:`ResourceReader` is used by :class:`~airflow_provider_calendly.transfers.sync.CalendlySqlSync`: it
reads one resource at a time and writes its rows through the table writer's public methods.

How each resource is read
-------------------------
=============================  ============================================================================
``event_types``                every page of ``/event_types``; re-read in full
``users``,                     every page of ``/organization_memberships`` (one listing serves both, the
``organization_memberships``   users are embedded); re-read in full
``groups``                     ``/groups`` and ``/group_relationships``; re-read in full
``routing_forms``              ``/routing_forms`` of the organization (questions embedded); re-read in full
``routing_form_submissions``   ``/routing_form_submissions?form=…`` per form, newest first, stopping at the
                               first one created before the form's window (incremental, below)
``activity_log``               ``/activity_log_entries`` sorted by ``occurred_at`` from the window's start
                               (incremental, below; Enterprise plan)
``availability_schedules``     ``/user_availability_schedules?user=…`` per member (the membership listing)
``event_type_hosts``           ``/event_type_memberships?event_type=…`` per event type (the event type
                               listing, shared with ``event_types``)
``organization``               ``/organizations/{uuid}``: one call
``organization_invitations``   ``/organizations/{uuid}/invitations``; re-read in full
``locations``                  ``/locations?user=…`` per member; re-read in full
``busy_times``                 ``/user_busy_times?user=…`` per member, from now to ``busy_times_horizon``
                               ahead in 7-day calls; the rows of that window are re-read (opt-in)
``outgoing_communications``    ``/outgoing_communications`` from the window's start by ``created_at``
                               (incremental, below; Enterprise plan; opt-in)
``contacts``                   ``/contacts`` newest ``updated_at`` first, stopping at the window's start
                               (incremental, below); ``/contacts/custom_field_definitions`` re-read in full
``contact_lists``              ``/contact_lists`` and, per List, ``/contacts?contact_list=…`` (its members);
                               re-read in full (a View's contacts are its filters' matches: not read)
``meeting_recaps``             ``/meeting_recaps`` of meetings ending from the window's start (incremental);
                               ``/meeting_recaps/{uuid}`` only for a recap new or changed in the listing, and
                               ``…/transcript`` (``include_transcripts``) only for one not stored yet
=============================  ============================================================================

Contacts, Lists and recaps are the token's user's: Calendly returns what that user can see, whatever
organization or user the sync names.

A listing two resources need (memberships, event types, routing forms) is made once per sync.

Incremental resources
---------------------
Submissions, activity entries, outgoing communications, contacts and recaps follow the scheduled events' rules
(see :mod:`.passes`): each has a ``sync_state`` row whose watermark is the start of its last complete pass; an
incremental pass reads what was created (occurred, changed) since ``watermark - lookback``; an unfinished pass is
resumed and finally sets the watermark its first attempt started at; ``mode="full"`` reads everything into the
same state. Submissions have no time filter in Calendly's API, so each form is read newest first and the listing
stops at the window's start (no further page is fetched); each form has its own state row (scope ``<scope> <form
uri>``), so a form seen for the first time is read in full. Activity entries are read oldest first and committed
in chunks, each with its progress, exactly like scheduled events. Outgoing communications are read from the
window's start with no order Calendly documents: chunks are committed as they come, and the watermark moves once
all of them are.

Contacts are read newest ``updated_at`` first down to the window's start (a contact's ``updated_at`` moves with
every change of its fields). Recaps are listed by meeting time (recaps of meetings that ended since the window's
start), and a listed recap costs a call only when it is new, or its ``updated_at`` or ``status`` differ from the
stored row (the listing lacks the highlights, which the stored row keeps); whether editing a recap's highlights
moves the ``updated_at`` a listing shows, Calendly's reference does not say: the webhook feed
(``meeting_recap.updated`` carries them) or a ``mode="full"`` run catches such an edit (and an edit of a recap
whose meeting ended before the window).

Busy times
----------
Calendly answers busy times only from now on (at most 7 days a call). Each run reads every member's (or the
``user``'s) busy times from now to ``busy_times_horizon`` ahead and sweeps the rows of that window it did not
see (a meeting canceled, an external event removed); rows before now are not re-read, so the table keeps the
busy times of the past as the last run before them saw them.

Skips
-----
Calendly answers 403 or 404 for what the plan (routing forms: Teams; activity log: Enterprise) or the
token's scopes do not allow. Such a resource is skipped with one warning naming the reason, listed under
``skipped`` in the summary, and nothing else is affected; with ``strict_resources=True`` the error is raised.

Deletions
---------
A resource re-read in full (and a ``mode="full"`` pass over scheduled events, invitees, submissions) ends with
a sweep (:mod:`.deletions`) over the rows of its scope. The scope of a sweep is what the pass read: the
organization's rows (tables with an ``organization`` column are filtered on it; the others assume one
organization per table prefix) or, for a ``user`` sync, that user's rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.hooks.calendly import CalendlyHook, PageIterator
from airflow_provider_calendly.models import ContactList, ContactListMembership, MeetingRecap, RoutingFormSubmission
from airflow_provider_calendly.scopes import resource_scopes
from airflow_provider_calendly.transfers.config import DELETIONS, SyncConfig, scope_uris, validate_deletions
from airflow_provider_calendly.transfers.deletions import sweep_deletions
from airflow_provider_calendly.transfers.passes import TablePass
from airflow_provider_calendly.transfers.progress import SyncProgress, SyncStats
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter, UpsertCounts
from airflow_provider_calendly.transfers.tables import RESOURCE_TABLES, RowsByTable, build_rows

if TYPE_CHECKING:
    from pydantic import BaseModel

# DELETIONS, validate_deletions and sweep_deletions are re-exported: they were public here before they moved.
__all__ = ["DELETIONS", "SKIP_STATUSES", "ResourceReader", "sweep_deletions", "validate_deletions"]

#: Statuses that mean "the plan or the token does not include this resource" (401, a bad token, is no skip).
SKIP_STATUSES = (403, 404)
#: Listings several tables read (each fetched once a sync): the hook method, the sync scope arguments it takes,
#: and what a refusal of it is called in a skip reason.
_SHARED_LISTINGS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "event_types": ("list_event_types", ("user", "organization"), "the event type listing"),
    "memberships": ("list_organization_memberships", ("organization", "user"), "the organization membership listing"),
    "routing_forms": ("list_routing_forms", ("organization",), "the routing form listing"),
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """What a sync reads: the organization URI (always known) and the user URI of a ``user`` sync."""

    organization: str
    user: str | None


class _Skip(Exception):
    """A resource the plan or the token does not allow (carries the API error)."""

    def __init__(self, error: CalendlyAPIError, needed: str | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.needed = needed


# --- the reader -----------------------------------------------------------------------------------------------


class ResourceReader:
    """Read the resources of one sync (all but scheduled events and invitees) and sweep deletions.

    :param hook: The Calendly hook.
    :param writer: The table writer of the warehouse.
    :param config: The sync's arguments.
    :param scope: The sync's scope key (its ``sync_state`` scope).
    :param stats: The sync's counts, which this reader adds to.
    :param clock: Returns the current UTC time.
    :param progress: The sync's progress reports (each resource is a phase; each chunk written may report).
    """

    def __init__(
        self,
        *,
        hook: CalendlyHook,
        writer: CalendlyTableWriter,
        config: SyncConfig,
        scope: str,
        stats: SyncStats,
        clock: Callable[[], datetime],
        progress: SyncProgress | None = None,
    ) -> None:
        self.hook = hook
        self.writer = writer
        self.config = config
        self.scope = scope
        self.stats = stats
        self.clock = clock
        self.progress = progress
        self.skipped: dict[str, dict[str, Any]] = {}
        self.swept: dict[str, int] = {}
        self._cache: dict[str, list[Any] | _Skip] = {}
        self._where: Scope | None = None
        self._running: str | None = None
        self._readers: dict[str, Callable[[], bool]] = {
            "event_types": self._event_types,
            "users": self._users,
            "organization_memberships": self._memberships,
            "groups": self._groups,
            "routing_forms": self._routing_forms,
            "routing_form_submissions": self._submissions,
            "activity_log": self._activity_log,
            "availability_schedules": self._schedules,
            "event_type_hosts": self._event_type_hosts,
            "organization": self._organization,
            "organization_invitations": self._invitations,
            "locations": self._locations,
            "busy_times": self._busy_times,
            "outgoing_communications": self._outgoing,
            "contacts": self._contacts,
            "contact_lists": self._contact_lists,
            "meeting_recaps": self._meeting_recaps,
        }

    @property
    def resources(self) -> tuple[str, ...]:
        """The resources this reader handles, in the sync's order."""
        return tuple(r for r in self.config.resources if r in self._readers)

    def run(self, resource: str) -> None:
        """Read ``resource``, skipping it (or, with ``strict_resources``, failing) on 403/404."""
        started = time.monotonic()
        if self.progress is not None:
            self.progress.begin(resource)
        self._running = {"organization_memberships": "memberships"}.get(resource, resource)
        try:
            self._readers[resource]()
        except _Skip as skip:
            self._skip(resource, skip)
        except CalendlyAPIError as exc:
            if exc.status_code not in SKIP_STATUSES:
                raise
            self._skip(resource, _Skip(exc))
        finally:
            main = RESOURCE_TABLES[resource][0]
            self.stats[main].seconds += time.monotonic() - started

    def summary(self) -> dict[str, Any]:
        """The summary entries: skipped resources and the rows swept per table."""
        return {"skipped": self.skipped, "deletions": {"policy": self.config.deletions, "rows": self.swept}}

    def _skip(self, resource: str, skip: _Skip) -> None:
        error = skip.error
        if self.config.strict_resources:
            log.error("Resource %s is not readable (%s) and strict_resources is set", resource, error)
            raise error
        reason = (
            f"{error.status_code} {error.title or ''}: {error.message}".replace(" :", ":").strip()
            if error.message
            else f"{error.status_code} {error.title or ''}".strip()
        )
        if skip.needed:
            reason = f"needs {skip.needed}, which Calendly refused: {reason}"
        log.warning(
            "Skipping resource %s: Calendly answered %s (the plan or the token's scopes do not include it; it "
            "needs %s); pass strict_resources=True to fail instead",
            resource,
            reason,
            ", ".join(resource_scopes(resource)),
        )
        self.skipped[resource] = {
            "status": error.status_code,
            "reason": reason,
            "scopes": list(resource_scopes(resource)),
        }

    # -- shared listings (each made once per sync) --

    def _where_scope(self) -> Scope:
        if self._where is None:
            organization, user = scope_uris(self.config, self.hook)
            if organization is None:
                organization = self.hook.organization_uri()
            self._where = Scope(organization=organization, user=user)
        return self._where

    def _listing(self, name: str, table: str, listing: Callable[[], PageIterator[Any]], needed: str) -> list[Any]:
        """Every item of a shared listing, fetched once; its calls are counted on ``table``."""
        if name not in self._cache:
            pages = listing()
            try:
                self._cache[name] = [item for page in pages.pages() for item in page.collection]
            except CalendlyAPIError as exc:
                if exc.status_code not in SKIP_STATUSES:
                    raise
                self._cache[name] = _Skip(exc, needed)
            finally:
                self.stats.count_calls(table, pages.pages_fetched)
        cached = self._cache[name]
        if isinstance(cached, _Skip):
            raise _Skip(cached.error, None if self._running == name else cached.needed)
        return cached

    def _counted(self, table: str, pages: PageIterator[Any]) -> Iterator[Any]:
        """Yield the items of ``pages``, counting the calls they took on ``table`` (also when reading fails)."""
        try:
            yield from pages
        finally:
            self.stats.count_calls(table, pages.pages_fetched)

    def _shared(self, name: str, table: str) -> list[Any]:
        """The items of one of :data:`_SHARED_LISTINGS` (event types, memberships, routing forms), read once."""
        method, scope, needed = _SHARED_LISTINGS[name]
        c = self.config
        args = {arg: getattr(c, arg) for arg in scope}
        return self._listing(name, table, lambda: getattr(self.hook, method)(**args, page_size=c.page_size), needed)

    # -- writing --

    def _write(self, key: str, items: Iterable[Any], rows_of: Callable[[Any], RowsByTable] | None = None) -> None:
        """Write the rows of ``items`` (and their children) in chunks of ``chunk_size`` items.

        :param rows_of: An item's rows (default: :func:`~.tables.build_rows` of the item as it is).
        """
        buffer: RowsByTable = {}
        n = 0
        for item in items:
            for table, rows in (rows_of(item) if rows_of is not None else build_rows(key, item)).items():
                buffer.setdefault(table, []).extend(rows)
            n += 1
            if n >= self.config.chunk_size:
                self.stats.record(self.writer.write_rows(buffer))
                buffer, n = {}, 0
                if self.progress is not None:
                    self.progress.tick()
        if n:
            self.stats.record(self.writer.write_rows(buffer))

    def _full_read(
        self,
        key: str,
        read: Callable[[], Iterable[Any]],
        where: sa.ColumnElement[bool] | None,
        rows_of: Callable[[Any], RowsByTable] | None = None,
    ) -> bool:
        """Write everything ``read`` returns into ``key``, then sweep the scope's rows (``where``) it did not return."""
        seen_since = self.writer.synced_at or datetime.now(timezone.utc)
        self._write(key, read(), rows_of)
        self._sweep(key, seen_since, where)
        return True

    def _sweep(self, key: str, seen_since: datetime, where: sa.ColumnElement[bool] | None = None) -> None:
        n = sweep_deletions(self.writer, key, seen_since=seen_since, policy=self.config.deletions, where=where)
        if n:
            self.swept[key] = self.swept.get(key, 0) + n
            self.stats.record({key: UpsertCounts(deleted=n)})

    def _org_or_user(self, key: str, org_column: str | None, user_column: str | None) -> sa.ColumnElement[bool] | None:
        """The sweep scope of table ``key``: the user's rows in a ``user`` sync, else the organization's (or all)."""
        scope = self._where_scope()
        columns = self.writer.tables[key].c
        if scope.user is not None and user_column is not None:
            return columns[user_column] == scope.user
        if org_column is not None:
            return columns[org_column] == scope.organization
        return None

    # -- full re-reads --

    def _event_types(self) -> bool:
        where = self._org_or_user("event_types", None, "profile_owner")
        return self._full_read("event_types", lambda: self._shared("event_types", "event_types"), where)

    def _users(self) -> bool:
        where = self._org_or_user("users", None, "uri")
        return self._full_read("users", lambda: [m.user for m in self._shared("memberships", "users")], where)

    def _memberships(self) -> bool:
        where = self._org_or_user("organization_memberships", "organization", "user_uri")
        return self._full_read(
            "organization_memberships", lambda: self._shared("memberships", "organization_memberships"), where
        )

    def _groups(self) -> bool:
        c = self.config
        self._full_read(
            "groups",
            lambda: self._counted("groups", self.hook.list_groups(organization=c.organization, page_size=c.page_size)),
            self._org_or_user("groups", "organization", None),
        )
        return self._full_read(
            "group_relationships",
            lambda: self._counted(
                "group_relationships",
                self.hook.list_group_relationships(organization=c.organization, page_size=c.page_size),
            ),
            self._org_or_user("group_relationships", "organization", None),
        )

    def _routing_forms(self) -> bool:
        where = self._org_or_user("routing_forms", "organization", None)
        return self._full_read("routing_forms", lambda: self._shared("routing_forms", "routing_forms"), where)

    def _member_uris(self, table: str) -> list[str]:
        """The users a per-user resource reads: the ``user`` of a user sync, else every member (the shared
        membership listing, its calls counted on ``table`` if it is made for it)."""
        scope = self._where_scope()
        if scope.user is not None:
            return [scope.user]
        return [m.user.uri for m in self._shared("memberships", table)]

    def _schedules(self) -> bool:
        def schedules() -> Iterator[BaseModel]:
            for user in self._member_uris("availability_schedules"):
                yield from self._counted("availability_schedules", self.hook.list_user_availability_schedules(user))

        where = self._org_or_user("availability_schedules", None, "user_uri")
        return self._full_read("availability_schedules", schedules, where)

    def _event_type_hosts(self) -> bool:
        event_types = [e.uri for e in self._shared("event_types", "event_type_hosts")]

        def hosts() -> Iterator[BaseModel]:
            for uri in event_types:
                pages = self.hook.list_event_type_memberships(uri, page_size=self.config.page_size)
                try:
                    yield from self._counted("event_type_hosts", pages)
                except CalendlyAPIError as exc:
                    self._gone_since_listed(exc, "Event type", uri, self.hook.get_event_type)

        where = None
        if self._where_scope().user is not None:  # a user sync reads the hosts of that user's event types only
            where = self.writer.tables["event_type_hosts"].c.event_type_uri.in_(event_types)
        return self._full_read("event_type_hosts", hosts, where)

    def _gone_since_listed(self, exc: CalendlyAPIError, what: str, uri: str, get: Callable[[str], Any]) -> None:
        """Return if a 404 for ``uri``'s sub-listing means it was deleted since it was listed; else re-raise.

        Only a 404 whose parent is gone too is a deletion; otherwise the sub-listing itself is refused (a skip).
        """
        if exc.status_code != 404:
            raise exc
        try:
            get(uri)
        except CalendlyAPIError as missing:
            if missing.status_code != 404:
                raise
            log.info("%s %s is gone since it was listed; its items are not read", what, uri)
            return
        raise exc

    # -- incremental: routing form submissions (per form) and the activity log --

    def _pass(self, table: str, scope: str) -> TablePass:
        """Plan one pass of ``table`` over ``scope`` (:mod:`.passes`' rules); the caller records that it began."""
        c = self.config
        return TablePass.plan_for(self.writer, [table], scope, now=self.clock(), mode=c.mode, lookback=c.lookback)

    def _submissions(self) -> bool:
        forms = self._shared("routing_forms", "routing_form_submissions")
        seen_since = self.writer.synced_at or datetime.now(timezone.utc)
        complete = self.config.mode == "full"
        for form in forms:
            table_pass = self._pass("routing_form_submissions", f"{self.scope} {form.uri}")
            table_pass.record()
            plan = table_pass.plan
            complete = complete and plan.mode == "full" and not plan.resumed
            listing = self.hook.list_routing_form_submissions(
                form.uri, sort="created_at:desc", page_size=self.config.page_size
            )

            def newest_first(
                listing: PageIterator[RoutingFormSubmission] = listing, start: datetime | None = plan.window_start
            ) -> Iterator[RoutingFormSubmission]:
                for item in listing:
                    if start is not None and item.created_at is not None and item.created_at < start:
                        return  # older than the window: no further page is fetched
                    yield item

            try:
                self._write("routing_form_submissions", newest_first())
            except CalendlyAPIError as exc:
                self._gone_since_listed(exc, "Routing form", form.uri, self.hook.get_routing_form)
                continue
            finally:
                self.stats.count_calls("routing_form_submissions", listing.pages_fetched)
            table_pass.finish(self.clock())
        if complete:
            self._sweep("routing_form_submissions", seen_since)
        return True

    def _activity_log(self) -> bool:
        c = self.config
        table_pass = self._pass("activity_log_entries", self.scope)
        listing = self.hook.list_activity_log_entries(
            organization=c.organization,
            min_occurred_at=table_pass.plan.window_start,
            sort="occurred_at:asc",
            page_size=c.page_size,
        )
        return self._log_pass("activity_log_entries", listing, table_pass, lambda entry: entry.occurred_at)

    def _log_pass(
        self,
        key: str,
        listing: PageIterator[Any],
        table_pass: TablePass,
        progress: Callable[[Any], datetime | None] | None = None,
    ) -> bool:
        """Read a log (activity, communications) from the pass's window start, committing chunks as they come.

        :param progress: How far a chunk (its last item) got, for an order that allows resuming from it.
        """
        buffer: list[Any] = []
        try:
            for page in listing.pages():
                if listing.pages_fetched == 1:
                    # Recorded once Calendly answers: a gated (skipped) log leaves no unfinished pass behind.
                    table_pass.record()
                for item in page.collection:
                    buffer.append(item)
                    if len(buffer) >= self.config.chunk_size:
                        self._commit_chunk(key, buffer, table_pass, progress)
                        buffer = []
            if buffer:
                self._commit_chunk(key, buffer, table_pass, progress)
        finally:
            self.stats.count_calls(key, listing.pages_fetched)
        table_pass.finish(self.clock())
        return True

    def _commit_chunk(
        self, key: str, items: Sequence[Any], table_pass: TablePass, progress: Callable[[Any], datetime | None] | None
    ) -> None:
        """One chunk and the pass's progress (its last item's) in one transaction."""
        with self.writer.transaction():
            self._write(key, items)
            if progress is not None:
                table_pass.progress(progress(items[-1]))

    # -- the organization, its invitations, members' locations and busy times, communications --

    def _organization(self) -> bool:
        scope = self._where_scope()
        self.stats.count_calls("organizations", 1)
        where = self.writer.tables["organizations"].c.uri == scope.organization
        return self._full_read("organizations", lambda: [self.hook.get_organization(scope.organization)], where)

    def _invitations(self) -> bool:
        scope = self._where_scope()
        listing = self.hook.list_organization_invitations(
            organization=scope.organization, page_size=self.config.page_size
        )
        where = self._org_or_user("organization_invitations", "organization", None)
        return self._full_read(
            "organization_invitations", lambda: self._counted("organization_invitations", listing), where
        )

    def _locations(self) -> bool:
        def locations() -> Iterator[tuple[str, int, BaseModel]]:
            for user in self._member_uris("locations"):
                for position, location in enumerate(self._counted("locations", self.hook.list_user_locations(user))):
                    yield user, position, location

        where = self._org_or_user("locations", None, "user_uri")
        return self._full_read(
            "locations",
            locations,
            where,
            lambda item: build_rows("locations", item[2], user_uri=item[0], position=item[1]),
        )

    def _busy_times(self) -> bool:
        start = self.clock()
        end = start + self.config.busy_times_horizon

        def busy() -> Iterator[tuple[str, BaseModel]]:
            for user in self._member_uris("user_busy_times"):
                before = self.hook.call_count
                try:
                    for interval in self.hook.list_user_busy_times(user, start_time=start, end_time=end, now=start):
                        yield user, interval
                finally:
                    self.stats.count_calls("user_busy_times", self.hook.call_count - before)

        table, bind = self.writer.tables["user_busy_times"], self.writer.dialect.bind_timestamp
        window = sa.and_(table.c.start_time >= bind(start), table.c.start_time < bind(end))
        scope = self._org_or_user("user_busy_times", None, "user_uri")
        return self._full_read(
            "user_busy_times",
            busy,
            window if scope is None else sa.and_(window, scope),
            lambda item: build_rows("user_busy_times", item[1], user_uri=item[0]),
        )

    def _outgoing(self) -> bool:
        c = self.config
        table_pass = self._pass("outgoing_communications", self.scope)
        listing = self.hook.list_outgoing_communications(
            organization=c.organization, min_created_at=table_pass.plan.window_start, page_size=c.page_size
        )
        return self._log_pass("outgoing_communications", listing, table_pass)

    # -- contacts, contact lists, meeting recaps (the token's user's) --

    def _newest_first(self, listing: PageIterator[Any], table_pass: TablePass, field: str) -> Iterator[Any]:
        """The items of a listing sorted by ``field`` descending, down to the pass's window start (no page further).

        The pass is recorded once Calendly answers, so a gated resource leaves no unfinished pass behind.
        """
        start = table_pass.plan.window_start
        for page in listing.pages():
            if listing.pages_fetched == 1:
                table_pass.record()
            for item in page.collection:
                at = getattr(item, field)
                if start is not None and at is not None and at < start:
                    return
                yield item

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

    # -- scheduled events and invitees of a full pass --

    def sweep_events(self, tables: Sequence[str], seen_since: datetime) -> None:
        """After a complete ``mode="full"`` events pass: sweep the scheduled events and invitees it did not see."""
        scope = self._where_scope()
        events: sa.ColumnElement[bool] | None = None
        invitees: sa.ColumnElement[bool] | None = None
        if scope.user is not None:
            members = self.writer.tables["event_memberships"]
            hosted = sa.select(members.c.scheduled_event_uri).where(members.c.user_uri == scope.user)
            events = self.writer.tables["scheduled_events"].c.uri.in_(hosted)
            invitees = self.writer.tables["invitees"].c.scheduled_event_uri.in_(hosted)
        if "scheduled_events" in tables:
            self._sweep("scheduled_events", seen_since, events)
        if "invitees" in tables:
            self._sweep("invitees", seen_since, invitees)
