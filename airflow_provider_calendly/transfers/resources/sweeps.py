"""Writing what a read returns, and sweeping the rows of its scope it did not return (deletions).

Deletions
---------
A resource re-read in full (and a ``mode="full"`` pass over scheduled events, invitees, submissions, contacts,
recaps) ends with a sweep (:mod:`~airflow_provider_calendly.transfers.deletions`, by the ``deletions=``
policy) over the rows of its scope. The scope of a sweep is what the pass read: the organization's rows
(tables with an ``organization`` column are filtered on it; the others assume one organization per table
prefix) or, for a ``user`` sync, that user's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from airflow_provider_calendly.transfers.deletions import sweep_deletions
from airflow_provider_calendly.transfers.resources.scope import ResourceReaderBase
from airflow_provider_calendly.transfers.sql_writer import UpsertCounts
from airflow_provider_calendly.transfers.tables import RowsByTable, build_rows

__all__ = ["SweepingReader"]


class SweepingReader(ResourceReaderBase):
    """Write items in chunks, and sweep what a complete read did not see."""

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
