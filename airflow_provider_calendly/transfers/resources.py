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
=============================  ============================================================================

A listing two resources need (memberships, event types, routing forms) is made once per sync.

Incremental resources
---------------------
Submissions and activity entries follow the scheduled events' rules (see :mod:`.sync`): each has a
``sync_state`` row whose watermark is the start of its last complete pass; an incremental pass reads what was
created (occurred) since ``watermark - lookback``; an unfinished pass is resumed and finally sets the watermark
its first attempt started at; ``mode="full"`` reads everything into the same state. Submissions have no time
filter in Calendly's API, so each form is read newest first and the listing stops at the window's start (no
further page is fetched); each form has its own state row (scope ``<scope> <form uri>``), so a form seen for
the first time is read in full. Activity entries are read oldest first and committed in chunks, each with its
progress, exactly like scheduled events.

Skips
-----
Calendly answers 403 or 404 for what the plan (routing forms: Teams; activity log: Enterprise) or the
token's scopes do not allow. Such a resource is skipped with one warning naming the reason, listed under
``skipped`` in the summary, and nothing else is affected; with ``strict_resources=True`` the error is raised.

Deletions
---------
A resource re-read in full (and a ``mode="full"`` pass over scheduled events, invitees, submissions) ends with
a sweep over the rows of its scope: every row the pass did not write (its ``_synced_at`` is older than the
pass) is one Calendly no longer returns. ``deletions="mark"`` sets its ``_deleted_at``; ``"delete"`` removes it
with its child rows; ``"ignore"`` leaves it. A marked row that comes back is un-marked by its upsert (every
write sets ``_deleted_at`` to null). A resumed or skipped pass sweeps nothing: it has not seen everything.
The scope of a sweep is what the pass read: the organization's rows (tables with an ``organization`` column
are filtered on it; the others assume one organization per table prefix) or, for a ``user`` sync, that
user's rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyConfigError
from airflow_provider_calendly.models import (
    ActivityLogEntry,
    RoutingFormSubmission,
)
from airflow_provider_calendly.transfers.dialects import bind_timestamp
from airflow_provider_calendly.transfers.sql_writer import SyncState
from airflow_provider_calendly.transfers.tables import CHILD_TABLES, RESOURCE_TABLES, TABLES, RowsByTable, build_rows

if TYPE_CHECKING:
    from pydantic import BaseModel

    from airflow_provider_calendly.hooks.calendly import PageIterator
    from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
    from airflow_provider_calendly.transfers.sync import CalendlySqlSync

__all__ = ["DELETIONS", "SKIP_STATUSES", "ResourceReader", "sweep_deletions", "validate_deletions"]

#: What to do with rows Calendly no longer returns.
DELETIONS: tuple[str, ...] = ("mark", "delete", "ignore")
#: Statuses that mean "the plan or the token does not include this resource" (401, a bad token, is no skip).
SKIP_STATUSES = (403, 404)
_DONE = {"mark": "marked deleted", "delete": "deleted"}
#: Rows per ``IN (…)`` list of a sweep statement.
_BATCH = 500
#: Listings several tables read (each fetched once a sync): the hook method, the sync scope arguments it takes,
#: and what a refusal of it is called in a skip reason.
_SHARED_LISTINGS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "event_types": ("list_event_types", ("user", "organization"), "the event type listing"),
    "memberships": ("list_organization_memberships", ("organization", "user"), "the organization membership listing"),
    "routing_forms": ("list_routing_forms", ("organization",), "the routing form listing"),
}

log = logging.getLogger(__name__)


def validate_deletions(deletions: str) -> str:
    """Return ``deletions`` if it is ``mark``, ``delete`` or ``ignore``."""
    return CalendlyConfigError.check_choice("deletions", deletions, DELETIONS)


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


# --- deletion sweeps ------------------------------------------------------------------------------------------


def _batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _BATCH):
        yield items[i : i + _BATCH]


def sweep_deletions(
    writer: CalendlyTableWriter,
    key: str,
    *,
    seen_since: datetime,
    policy: str,
    where: str = "",
    params: Sequence[Any] = (),
) -> int:
    """Mark (or delete) the rows of table ``key`` in scope that were not written since ``seen_since``.

    :param seen_since: When the pass that re-read the scope began (rows it wrote have a later ``_synced_at``).
    :param policy: ``mark``, ``delete`` or ``ignore`` (:data:`DELETIONS`).
    :param where: SQL condition selecting the scope's rows (placeholders in the dialect's style), or empty.
    :param params: Parameters of ``where``.
    :returns: How many rows were marked or deleted.
    """
    if policy == "ignore":
        return 0
    table = writer.table_name(key)
    ph = writer.dialect.placeholder
    # Marking keeps a row's first mark; deleting also removes rows an earlier run only marked.
    # Only the gone rows' URIs leave the warehouse: a sweep's memory is what was deleted, not the table's size.
    # Every dialect stores _synced_at in one comparable form (SQLite: ISO text of one fixed shape).
    conditions = [
        c
        for c in (
            "_deleted_at IS NULL" if policy == "mark" else "",
            f"({where})" if where else "",
            f"(_synced_at IS NULL OR _synced_at < {ph})",
        )
        if c
    ]
    rows = writer.execute(
        f"SELECT uri FROM {table} WHERE {' AND '.join(conditions)}",
        [*params, bind_timestamp(writer.dialect)(seen_since)],
    )
    gone = sorted(uri for (uri,) in rows)
    if not gone:
        return 0
    now = datetime.now(timezone.utc)
    with writer.transaction():
        for batch in _batches(gone):
            marks = ", ".join(ph for _ in batch)
            if policy == "mark":
                writer.execute(
                    f"UPDATE {table} SET _deleted_at = {ph} WHERE uri IN ({marks})",
                    [bind_timestamp(writer.dialect)(now), *batch],
                )
                continue
            for child in CHILD_TABLES.get(key, ()):
                link = TABLES[child].parent_column
                writer.execute(f"DELETE FROM {writer.table_name(child)} WHERE {link} IN ({marks})", list(batch))
            writer.execute(f"DELETE FROM {table} WHERE uri IN ({marks})", list(batch))
    log.info("Table %s: %d rows Calendly no longer returns %s", table, len(gone), _DONE[policy])
    return len(gone)


# --- the reader -----------------------------------------------------------------------------------------------


class ResourceReader:
    """Read the resources of one sync (all but scheduled events and invitees) and sweep deletions.

    :param sync: The sync it belongs to (its hook, writer, config, clock, stats and pass planning).
    :param scope: The sync's scope key (its ``sync_state`` scope).
    """

    def __init__(self, sync: CalendlySqlSync, scope: str) -> None:
        self.sync = sync
        self.hook = sync.hook
        self.writer: CalendlyTableWriter = sync.writer
        self.config = sync.config
        self.scope = scope
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
        }

    @property
    def resources(self) -> tuple[str, ...]:
        """The resources this reader handles, in the sync's order."""
        return tuple(r for r in self.sync.resources if r in self._readers)

    def run(self, resource: str) -> None:
        """Read ``resource``, skipping it (or, with ``strict_resources``, failing) on 403/404."""
        started = time.monotonic()
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
            self.sync.stats[main].seconds += time.monotonic() - started

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
            "Skipping resource %s: Calendly answered %s (the plan or the token's scopes do not include it); "
            "pass strict_resources=True to fail instead",
            resource,
            reason,
        )
        self.skipped[resource] = {"status": error.status_code, "reason": reason}

    # -- shared listings (each made once per sync) --

    def _where_scope(self) -> Scope:
        if self._where is None:
            user = self.hook.resource_uri("users", self.config.user) if self.config.user else None
            if self.config.organization is not None:
                organization = self.hook.resource_uri("organizations", self.config.organization)
            else:
                organization = str(self.hook.get_current_user().current_organization or "")
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
                self.sync.stats[table].api_calls += pages.pages_fetched
        cached = self._cache[name]
        if isinstance(cached, _Skip):
            raise _Skip(cached.error, None if self._running == name else cached.needed)
        return cached

    def _counted(self, table: str, pages: PageIterator[Any]) -> Iterator[Any]:
        """Yield the items of ``pages``, counting the calls they took on ``table`` (also when reading fails)."""
        try:
            yield from pages
        finally:
            self.sync.stats[table].api_calls += pages.pages_fetched

    def _shared(self, name: str, table: str) -> list[Any]:
        """The items of one of :data:`_SHARED_LISTINGS` (event types, memberships, routing forms), read once."""
        method, scope, needed = _SHARED_LISTINGS[name]
        c = self.config
        args = {arg: getattr(c, arg) for arg in scope}
        return self._listing(name, table, lambda: getattr(self.hook, method)(**args, page_size=c.page_size), needed)

    # -- writing --

    def _write(self, key: str, items: Iterable[BaseModel]) -> None:
        """Write the rows of ``items`` (and their children) in chunks of ``chunk_size`` items."""
        buffer: RowsByTable = {}
        n = 0
        for item in items:
            for table, rows in build_rows(key, item).items():
                buffer.setdefault(table, []).extend(rows)
            n += 1
            if n >= self.config.chunk_size:
                self.sync._record(self.writer.write_rows(buffer))
                buffer, n = {}, 0
        if n:
            self.sync._record(self.writer.write_rows(buffer))

    def _full_read(self, key: str, read: Callable[[], Iterable[BaseModel]], where: tuple[str, list[Any]]) -> bool:
        """Write everything ``read`` returns into ``key``, then sweep the scope's rows it did not return."""
        seen_since = self.writer.synced_at or datetime.now(timezone.utc)
        self._write(key, read())
        self._sweep(key, seen_since, *where)
        return True

    def _sweep(self, key: str, seen_since: datetime, where: str, params: Sequence[Any]) -> None:
        n = sweep_deletions(
            self.writer, key, seen_since=seen_since, policy=self.config.deletions, where=where, params=params
        )
        if n:
            self.swept[key] = self.swept.get(key, 0) + n

    def _eq(self, column: str, value: Any) -> tuple[str, list[Any]]:
        return f"{column} = {self.writer.dialect.placeholder}", [value]

    def _org_or_user(self, org_column: str | None, user_column: str | None) -> tuple[str, list[Any]]:
        """The sweep scope: the user's rows in a ``user`` sync, else the organization's (or every row)."""
        scope = self._where_scope()
        if scope.user is not None and user_column is not None:
            return self._eq(user_column, scope.user)
        if org_column is not None:
            return self._eq(org_column, scope.organization)
        return "", []

    # -- full re-reads --

    def _event_types(self) -> bool:
        where = self._org_or_user(None, "profile_owner")
        return self._full_read("event_types", lambda: self._shared("event_types", "event_types"), where)

    def _users(self) -> bool:
        where = self._org_or_user(None, "uri")
        return self._full_read("users", lambda: [m.user for m in self._shared("memberships", "users")], where)

    def _memberships(self) -> bool:
        where = self._org_or_user("organization", "user_uri")
        return self._full_read(
            "organization_memberships", lambda: self._shared("memberships", "organization_memberships"), where
        )

    def _groups(self) -> bool:
        c = self.config
        where = self._org_or_user("organization", None)
        self._full_read(
            "groups",
            lambda: self._counted("groups", self.hook.list_groups(organization=c.organization, page_size=c.page_size)),
            where,
        )
        return self._full_read(
            "group_relationships",
            lambda: self._counted(
                "group_relationships",
                self.hook.list_group_relationships(organization=c.organization, page_size=c.page_size),
            ),
            where,
        )

    def _routing_forms(self) -> bool:
        where = self._org_or_user("organization", None)
        return self._full_read("routing_forms", lambda: self._shared("routing_forms", "routing_forms"), where)

    def _schedules(self) -> bool:
        scope = self._where_scope()

        def schedules() -> Iterator[BaseModel]:
            users = (
                [scope.user]
                if scope.user is not None
                else [m.user.uri for m in self._shared("memberships", "availability_schedules")]
            )
            for user in users:
                yield from self._counted("availability_schedules", self.hook.list_user_availability_schedules(user))

        return self._full_read("availability_schedules", schedules, self._org_or_user(None, "user_uri"))

    def _event_type_hosts(self) -> bool:
        event_types = [e.uri for e in self._shared("event_types", "event_type_hosts")]

        def hosts() -> Iterator[BaseModel]:
            for uri in event_types:
                pages = self.hook.list_event_type_memberships(uri, page_size=self.config.page_size)
                try:
                    yield from self._counted("event_type_hosts", pages)
                except CalendlyAPIError as exc:
                    self._gone_since_listed(exc, "Event type", uri, self.hook.get_event_type)

        where: tuple[str, list[Any]] = ("", [])
        if self._where_scope().user is not None:  # a user sync reads the hosts of that user's event types only
            marks = ", ".join(self.writer.dialect.placeholder for _ in event_types)
            where = (f"event_type_uri IN ({marks})", list(event_types)) if event_types else ("1 = 0", [])
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

    def _begin(
        self, table: str, scope: str, *, record: bool = True
    ) -> tuple[SyncState, datetime, datetime | None, str, bool]:
        """Plan one pass of ``table`` over ``scope`` (the scheduled events' rules) and record that it started.

        :param record: Record it now; else the caller does (:meth:`_started`), once Calendly has answered.
        """
        state = self.writer.get_sync_state(table, scope)
        pass_started, window_start, mode, resumed = self.sync._plan_pass({table: state}, self.sync.clock())
        state = state or SyncState(table_name=table, scope=scope)
        state.pass_started_at = pass_started
        state.pass_mode = mode
        state.resume_from = window_start
        if record:
            self.writer.put_sync_state(state)
        return state, pass_started, window_start, mode, resumed

    def _finish(self, state: SyncState, pass_started: datetime) -> None:
        state.watermark = pass_started
        state.pass_started_at = None
        state.pass_mode = None
        state.resume_from = None
        state.last_success_at = self.sync.clock()
        self.writer.put_sync_state(state)

    def _submissions(self) -> bool:
        stats = self.sync.stats["routing_form_submissions"]
        forms = self._shared("routing_forms", "routing_form_submissions")
        seen_since = self.writer.synced_at or datetime.now(timezone.utc)
        complete = self.config.mode == "full"
        for form in forms:
            state, pass_started, window_start, mode, resumed = self._begin(
                "routing_form_submissions", f"{self.scope} {form.uri}"
            )
            complete = complete and mode == "full" and not resumed
            listing = self.hook.list_routing_form_submissions(
                form.uri, sort="created_at:desc", page_size=self.config.page_size
            )

            def newest_first(
                listing: PageIterator[RoutingFormSubmission] = listing, start: datetime | None = window_start
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
                stats.api_calls += listing.pages_fetched
            self._finish(state, pass_started)
        if complete:
            self._sweep("routing_form_submissions", seen_since, "", [])
        return True

    def _activity_log(self) -> bool:
        c = self.config
        stats = self.sync.stats["activity_log_entries"]
        # The pass is recorded once Calendly answers: a gated (skipped) log leaves no unfinished pass behind.
        state, pass_started, window_start, _mode, _resumed = self._begin(
            "activity_log_entries", self.scope, record=False
        )
        listing = self.hook.list_activity_log_entries(
            organization=c.organization, min_occurred_at=window_start, sort="occurred_at:asc", page_size=c.page_size
        )
        buffer: list[ActivityLogEntry] = []
        try:
            for page in listing.pages():
                if listing.pages_fetched == 1:
                    self.writer.put_sync_state(state)
                for item in page.collection:
                    buffer.append(item)
                    if len(buffer) >= c.chunk_size:
                        self._commit_activity(buffer, state)
                        buffer = []
            if buffer:
                self._commit_activity(buffer, state)
        finally:
            stats.api_calls += listing.pages_fetched
        self._finish(state, pass_started)
        return True

    def _commit_activity(self, entries: Sequence[ActivityLogEntry], state: SyncState) -> None:
        """One chunk and the pass's progress (its last ``occurred_at``) in one transaction."""
        with self.writer.transaction():
            self._write("activity_log_entries", entries)
            last = entries[-1].occurred_at
            if last is not None:
                state.resume_from = last
                self.writer.put_sync_state(state)

    # -- scheduled events and invitees of a full pass --

    def sweep_events(self, tables: Sequence[str], seen_since: datetime) -> None:
        """After a complete ``mode="full"`` events pass: sweep the scheduled events and invitees it did not see."""
        scope = self._where_scope()
        ph = self.writer.dialect.placeholder
        members = self.writer.table_name("event_memberships")
        events: tuple[str, list[Any]] = ("", [])
        invitees: tuple[str, list[Any]] = ("", [])
        if scope.user is not None:
            hosted = f"SELECT scheduled_event_uri FROM {members} WHERE user_uri = {ph}"
            events = (f"uri IN ({hosted})", [scope.user])
            invitees = (f"scheduled_event_uri IN ({hosted})", [scope.user])
        if "scheduled_events" in tables:
            self._sweep("scheduled_events", seen_since, *events)
        if "invitees" in tables:
            self._sweep("invitees", seen_since, *invitees)
