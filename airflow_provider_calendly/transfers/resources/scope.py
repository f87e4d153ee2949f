"""What every area's reads share: the sync's scope, the listings read once, and skips.

The scope of a sync is what it reads: the organization (always known) and, for a ``user`` sync, that user.
A listing two resources need (memberships, event types, routing forms) is made once per sync, and the
per-user resources read the members of the membership listing (or only the ``user`` of a user sync).

Skips
-----
Calendly answers 403 or 404 for what the plan (routing forms: Teams; activity log: Enterprise) or the
token's scopes do not allow. Such a resource is skipped with one warning naming the reason, listed under
``skipped`` in the summary, and nothing else is affected; with ``strict_resources=True`` the error is raised.
A shared listing Calendly refused skips every resource that needs it, naming the listing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.hooks.calendly import CalendlyHook, PageIterator
from airflow_provider_calendly.scopes import resource_scopes
from airflow_provider_calendly.transfers.config import SyncConfig, scope_uris
from airflow_provider_calendly.transfers.progress import SyncProgress, SyncStats
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter

__all__ = ["SKIP_STATUSES", "ResourceReaderBase", "Scope", "Skip"]

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


class Skip(Exception):
    """A resource the plan or the token does not allow (carries the API error)."""

    def __init__(self, error: CalendlyAPIError, needed: str | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.needed = needed


class ResourceReaderBase:
    """The state every area's reads share (the arguments are :class:`~.reader.ResourceReader`'s), and skips."""

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
        self._cache: dict[str, list[Any] | Skip] = {}
        self._where: Scope | None = None
        self._running: str | None = None

    def summary(self) -> dict[str, Any]:
        """The summary entries: skipped resources and the rows swept per table."""
        return {"skipped": self.skipped, "deletions": {"policy": self.config.deletions, "rows": self.swept}}

    def _skip(self, resource: str, skip: Skip) -> None:
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
                self._cache[name] = Skip(exc, needed)
            finally:
                self.stats.count_calls(table, pages.pages_fetched)
        cached = self._cache[name]
        if isinstance(cached, Skip):
            raise Skip(cached.error, None if self._running == name else cached.needed)
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

    def _member_uris(self, table: str) -> list[str]:
        """The users a per-user resource reads: the ``user`` of a user sync, else every member (the shared
        membership listing, its calls counted on ``table`` if it is made for it)."""
        scope = self._where_scope()
        if scope.user is not None:
            return [scope.user]
        return [m.user.uri for m in self._shared("memberships", table)]

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
