"""Deletion sweeps: the rows of a scope that a complete re-read did not write are rows Calendly no longer returns.

A resource re-read in full (and a ``mode="full"`` pass over scheduled events, invitees, submissions) ends with
a sweep over the rows of its scope: every row the pass did not write (its ``_synced_at`` is older than the
pass) is one Calendly no longer returns. ``deletions="mark"`` sets its ``_deleted_at``; ``"delete"`` removes it
with its child rows; ``"ignore"`` leaves it. A marked row that comes back is un-marked by its upsert (every
write sets ``_deleted_at`` to null). A resumed or skipped pass sweeps nothing: it has not seen everything.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import sqlalchemy as sa

from airflow_provider_calendly.transfers.dialects import bind_timestamp
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.tables import CHILD_TABLES, TABLES

__all__ = ["sweep_deletions"]

_DONE = {"mark": "marked deleted", "delete": "deleted"}

log = logging.getLogger(__name__)


def sweep_deletions(
    writer: CalendlyTableWriter,
    key: str,
    *,
    seen_since: datetime,
    policy: str,
    where: sa.ColumnElement[bool] | None = None,
) -> int:
    """Mark (or delete) the rows of table ``key`` in scope that were not written since ``seen_since``.

    :param seen_since: When the pass that re-read the scope began (rows it wrote have a later ``_synced_at``).
    :param policy: ``mark``, ``delete`` or ``ignore`` (:data:`~.config.DELETIONS`).
    :param where: Condition on ``writer.tables[key]`` selecting the scope's rows; default: every row.
    :returns: How many rows were marked or deleted.
    """
    if policy == "ignore":
        return 0
    table = writer.tables[key]
    # Every dialect stores _synced_at in one comparable form (SQLite: ISO text of one fixed shape).
    seen = bind_timestamp(writer.dialect)(seen_since)
    conditions = [sa.or_(table.c["_synced_at"].is_(None), table.c["_synced_at"] < seen)]
    if policy == "mark":  # marking keeps a row's first mark; deleting also removes rows an earlier run only marked
        conditions.append(table.c["_deleted_at"].is_(None))
    if where is not None:
        conditions.append(where)
    if TABLES[key].primary_key != ("uri",):
        return _sweep_in_place(writer, key, conditions, policy)
    # Only the gone rows' URIs leave the warehouse: a sweep's memory is what was deleted, not the table's size.
    gone = sorted(uri for (uri,) in writer.execute(sa.select(table.c.uri).where(*conditions)))
    if not gone:
        return 0
    with writer.transaction():
        if policy == "mark":
            writer.mark_deleted(key, gone, datetime.now(timezone.utc))
        else:
            for child in CHILD_TABLES.get(key, ()):
                writer.delete_rows(child, str(TABLES[child].parent_column), gone)
            writer.delete_rows(key, "uri", gone)
    log.info("Table %s: %d rows Calendly no longer returns %s", writer.table_name(key), len(gone), _DONE[policy])
    return len(gone)


def _sweep_in_place(
    writer: CalendlyTableWriter, key: str, conditions: list[sa.ColumnElement[bool]], policy: str
) -> int:
    """Sweep a table keyed by more than a URI (a busy time, a meeting location; they have no child tables): one
    ``UPDATE`` (or ``DELETE``) of the rows the conditions select, in one transaction with their count."""
    table = writer.tables[key]
    with writer.transaction():
        (count,) = writer.execute(sa.select(sa.func.count()).select_from(table).where(*conditions))[0]
        if count:
            if policy == "mark":
                at = bind_timestamp(writer.dialect)(datetime.now(timezone.utc))
                writer.execute(sa.update(table).where(*conditions).values(_deleted_at=at))
            else:
                writer.execute(sa.delete(table).where(*conditions))
    if count:
        log.info("Table %s: %d rows Calendly no longer returns %s", writer.table_name(key), count, _DONE[policy])
    return int(count)
