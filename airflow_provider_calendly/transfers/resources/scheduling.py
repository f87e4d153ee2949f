"""Scheduling and availability: event types and their hosts, members' schedules, locations and busy times.

Event types are re-read in full; their hosts are read per event type of the same listing (``/event_type_memberships``).
Availability schedules and locations are read per member (the membership listing), or for the ``user`` of a
user sync, and re-read in full.

Busy times
----------
Calendly answers busy times only from now on (at most 7 days a call). Each run reads every member's (or the
``user``'s) busy times from now to ``busy_times_horizon`` ahead and sweeps the rows of that window it did not
see (a meeting canceled, an external event removed); rows before now are not re-read, so the table keeps the
busy times of the past as the last run before them saw them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import sqlalchemy as sa

from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.transfers.resources.sweeps import SweepingReader
from airflow_provider_calendly.transfers.tables import build_rows

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["SchedulingReads"]


class SchedulingReads(SweepingReader):
    """``event_types``, ``event_type_hosts``, ``availability_schedules``, ``locations`` and ``busy_times``."""

    def _event_types(self) -> bool:
        where = self._org_or_user("event_types", None, "profile_owner")
        return self._full_read("event_types", lambda: self._shared("event_types", "event_types"), where)

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
