"""Storing deliveries: each once, in one transaction with their receipts; purging what the retention drops.

The receiver writes each verified delivery here *before* answering Calendly, so a delivery that got a 2xx is
never lost; a duplicate (a Calendly retry) is counted, not stored again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from airflow_provider_calendly.webhooks.inbox.records import NewDelivery, Rejection, StoreResult, utc_day
from airflow_provider_calendly.webhooks.inbox.schema import RECEIPT_DAYS, TALLIES, InboxStorage

__all__ = ["DeliveryStore"]

log = logging.getLogger(__name__)

_PURGE_EVERY = 600.0


class DeliveryStore(InboxStorage):
    """Store deliveries and tally receipts; purge old rows."""

    def store(self, delivery: NewDelivery) -> StoreResult:
        """Store one delivery (committed on return); a duplicate ``delivery_id`` is not stored again."""
        return self.store_many([delivery])[0]

    def store_many(
        self,
        deliveries: Sequence[NewDelivery],
        *,
        paths: Sequence[str] | None = None,
        rejected: Sequence[Rejection] = (),
    ) -> list[StoreResult]:
        """Store deliveries in one transaction (group commit): all committed, or none on error.

        :param paths: The callback path each delivery was posted to: its receipt (stored or duplicate) is tallied
            in ``<prefix>receipts``, in the same transaction.
        :param rejected: Deliveries the receiver refused, tallied there too.
        """
        self.create_tables()
        results: list[StoreResult] = []
        table = self.deliveries
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # One writer at a time, so ids commit in increasing order and a reader that saw id N never
                # later finds a smaller id appearing behind its position.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": table.name})
            seen: set[str] = set()
            for item in deliveries:
                if item.delivery_id in seen:
                    results.append(StoreResult(item.delivery_id, stored=False))
                    continue
                seen.add(item.delivery_id)
                row = {
                    "delivery_id": item.delivery_id,
                    "event": item.event,
                    "created_at": item.created_at,
                    "created_by": _clip(item.created_by),
                    "payload_uri": _clip(item.payload_uri),
                    "event_type": _clip(item.event_type),
                    "organization": _clip(item.organization),
                    "received_at": item.received_at,
                    "body": item.body,
                }
                new_id = self._insert_ignore(conn, row)
                results.append(StoreResult(item.delivery_id, stored=new_id is not None, id=new_id))
            receipts: list[tuple[str, float, str]] = [(r.path, r.at, f"rejected_{r.reason}") for r in rejected]
            for path, item, result in zip(paths or (), deliveries, results, strict=False):
                receipts.append((path, item.received_at, "stored" if result.stored else "duplicate"))
            self._tally(conn, receipts)
        self._maybe_purge()
        return results

    def _tally(self, conn: sa.Connection, receipts: Iterable[tuple[str, float, str]]) -> None:
        """Add receipts (callback path, time, tally name) to their path's and day's row."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for path, at, name in receipts:
            key = (_clip(path) or "", utc_day(at))
            row = rows.setdefault(
                key,
                {
                    "path": key[0],
                    "day": key[1],
                    **dict.fromkeys(TALLIES, 0),
                    "last_stored_at": None,
                    "last_rejected_at": None,
                },
            )
            row[name] += 1
            last = "last_rejected_at" if name.startswith("rejected_") else "last_stored_at"
            row[last] = max(at, row[last] or at)
        if not rows:
            return
        t = self.receipts
        insert = self.conflict_insert(t)
        if insert is not None:
            insert = insert.values(list(rows.values()))
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[t.c.path, t.c.day],
                    set_={
                        **{name: t.c[name] + insert.excluded[name] for name in TALLIES},
                        **{
                            last: sa.func.coalesce(insert.excluded[last], t.c[last])
                            for last in ("last_stored_at", "last_rejected_at")
                        },
                    },
                )
            )
            return
        for row in rows.values():
            where = (t.c.path == row["path"]) & (t.c.day == row["day"])
            if conn.execute(sa.select(t.c.path).where(where)).first() is None:
                conn.execute(sa.insert(t).values(**row))
                continue
            conn.execute(
                sa.update(t)
                .where(where)
                .values(
                    **{name: t.c[name] + row[name] for name in TALLIES},
                    **{last: sa.func.coalesce(row[last], t.c[last]) for last in ("last_stored_at", "last_rejected_at")},
                )
            )

    def _insert_ignore(self, conn: sa.Connection, row: dict[str, Any]) -> int | None:
        table = self.deliveries
        new_id = self.insert_if_absent(conn, table, row, ["delivery_id"], table.c.id)
        return int(new_id) if new_id is not None else None

    def _maybe_purge(self) -> None:
        now = self._clock()
        if now - self._last_purge >= _PURGE_EVERY:
            self._last_purge = now
            try:
                self.purge(now=now)
            except Exception:  # purging is housekeeping: never fail a delivery over it
                log.warning("Purging old Calendly webhook deliveries failed", exc_info=True)

    def purge(self, *, now: float | None = None) -> int:
        """Delete deliveries (and claims) older than the retention; return how many deliveries were deleted."""
        self.create_tables()
        cutoff = (self._clock() if now is None else now) - self.retention
        with self.engine.begin() as conn:
            deleted = conn.execute(sa.delete(self.deliveries).where(self.deliveries.c.received_at < cutoff)).rowcount
            conn.execute(sa.delete(self.claims).where(self.claims.c.claimed_at < cutoff))
            first_day = utc_day((self._clock() if now is None else now) - RECEIPT_DAYS * 86400.0)
            conn.execute(sa.delete(self.receipts).where(self.receipts.c.day < first_day))
        if deleted:
            log.info("Purged %d Calendly webhook deliveries older than %.0f s", deleted, self.retention)
        return int(deleted or 0)


def _clip(value: str | None, limit: int = 512) -> str | None:
    return value[:limit] if value is not None else None
