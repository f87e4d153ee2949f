"""The reader of one sync's resources (all but scheduled events and invitees): each area's reads, composed.

:class:`ResourceReader` is used by :class:`~airflow_provider_calendly.transfers.sync.CalendlySqlSync`: it
reads one resource at a time and writes its rows through the table writer's public methods.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property

from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.transfers.resources.organization import OrganizationReads
from airflow_provider_calendly.transfers.resources.people import PeopleReads
from airflow_provider_calendly.transfers.resources.routing import RoutingReads
from airflow_provider_calendly.transfers.resources.scheduling import SchedulingReads
from airflow_provider_calendly.transfers.resources.scope import SKIP_STATUSES, Skip
from airflow_provider_calendly.transfers.tables import RESOURCE_TABLES

__all__ = ["ResourceReader"]


class ResourceReader(SchedulingReads, OrganizationReads, RoutingReads, PeopleReads):
    """Read the resources of one sync (all but scheduled events and invitees) and sweep deletions.

    :param hook: The Calendly hook.
    :param writer: The table writer of the warehouse.
    :param config: The sync's arguments.
    :param scope: The sync's scope key (its ``sync_state`` scope).
    :param stats: The sync's counts, which this reader adds to.
    :param clock: Returns the current UTC time.
    :param progress: The sync's progress reports (each resource is a phase; each chunk written may report).
    """

    @cached_property
    def _readers(self) -> dict[str, Callable[[], bool]]:
        """Each resource's read, by name."""
        return {
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
        except Skip as skip:
            self._skip(resource, skip)
        except CalendlyAPIError as exc:
            if exc.status_code not in SKIP_STATUSES:
                raise
            self._skip(resource, Skip(exc))
        finally:
            main = RESOURCE_TABLES[resource][0]
            self.stats[main].seconds += time.monotonic() - started
