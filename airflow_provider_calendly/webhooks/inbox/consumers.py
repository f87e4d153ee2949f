"""Consumers of the inbox: each one's position (moved compare-and-set), and claims, so each delivery is acted
on once whatever a restarted trigger replays."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from airflow_provider_calendly.webhooks.inbox.reading import DeliveryReads

__all__ = ["ConsumerPositions"]


class ConsumerPositions(DeliveryReads):
    """Open, read and advance consumer positions (a new one starts at the last id read); claim deliveries."""

    def get_position(self, consumer: str) -> int | None:
        """Return the last id handed out to ``consumer`` (``None`` if it never ran)."""
        self.create_tables()
        c = self.consumers
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(c.c.last_id).where(c.c.consumer == consumer)).scalar_one_or_none()
        return int(value) if value is not None else None

    def open_position(self, consumer: str, *, start: int | None = None) -> int:
        """Return ``consumer``'s position, registering it at ``start`` (default: the current end) if new."""
        existing = self.get_position(consumer)
        if existing is not None:
            return existing
        initial = self.last_id() if start is None else int(start)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.insert(self.consumers).values(consumer=consumer, last_id=initial, updated_at=self._clock())
                )
        except sa.exc.IntegrityError:  # registered concurrently: use theirs
            pass
        position = self.get_position(consumer)
        return initial if position is None else position

    def advance_position(self, consumer: str, expected: int, new: int) -> bool:
        """Move ``consumer`` from ``expected`` to ``new`` atomically; ``False`` if someone else moved it."""
        c = self.consumers
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(c)
                .where(c.c.consumer == consumer, c.c.last_id == expected)
                .values(last_id=new, updated_at=self._clock())
            )
        return bool(result.rowcount == 1)

    # -- consumer claims: act on each delivery once, whatever a trigger replays --

    def claim(self, consumer: str, delivery_ids: Iterable[str]) -> list[str]:
        """Claim deliveries for ``consumer``; return those claimed now (not by an earlier call), in input order.

        One transaction: concurrent claimers of the same delivery cannot both get it. A consuming task calls
        this with the ``delivery_id`` of each triggering event and acts only on what it gets back, so a
        delivery a restarted trigger replays is acted on once.
        """
        self.create_tables()
        wanted = list(dict.fromkeys(delivery_ids))
        if not wanted:
            return []
        table = self.claims
        now = self._clock()
        claimed: list[str] = []
        with self.engine.begin() as conn:
            for item in wanted:
                row = {"consumer": consumer, "delivery_id": item, "claimed_at": now}
                if (
                    self.insert_if_absent(conn, table, row, ["consumer", "delivery_id"], table.c.delivery_id)
                    is not None
                ):
                    claimed.append(item)
        return claimed
