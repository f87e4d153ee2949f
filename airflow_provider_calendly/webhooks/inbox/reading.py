"""Reading the inbox: deliveries after a position (filtered), the receipts of each callback path, backlogs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

import sqlalchemy as sa

from airflow_provider_calendly.webhooks.inbox.records import Delivery, Receipts, utc_day
from airflow_provider_calendly.webhooks.inbox.schema import InboxStorage

__all__ = ["DeliveryReads"]


class DeliveryReads(InboxStorage):
    """Read deliveries, receipts and the consumers' backlogs."""

    def fetch(
        self,
        *,
        after_id: int = 0,
        events: Iterable[str] | None = None,
        event_type: str | None = None,
        organization: str | None = None,
        received_after: float | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """Return up to ``limit`` deliveries with ``id > after_id`` matching the filters, oldest first.

        :param events: Event names to match (any of them); ``None`` matches all.
        :param event_type: Event type URI (or UUID) to match.
        :param organization: Organization URI (or UUID) the receiver tagged the delivery with.
        :param received_after: Only deliveries received at or after this Unix time.
        """
        self.create_tables()
        t = self.deliveries
        query = sa.select(t).where(t.c.id > after_id)
        event_list = list(events) if events is not None else None
        if event_list is not None:
            query = query.where(t.c.event.in_(event_list))
        if event_type:
            query = query.where(_uri_match(t.c.event_type, event_type))
        if organization:
            query = query.where(_uri_match(t.c.organization, organization))
        if received_after is not None:
            query = query.where(t.c.received_at >= received_after)
        query = query.order_by(t.c.id).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [Delivery(**{key: row[key] for key in _DELIVERY_FIELDS}) for row in rows]

    def get(self, delivery_id_: str) -> Delivery | None:
        """Return the delivery with this ``delivery_id``, if stored."""
        self.create_tables()
        t = self.deliveries
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.delivery_id == delivery_id_)).mappings().first()
        return Delivery(**{key: row[key] for key in _DELIVERY_FIELDS}) if row else None

    def count(self) -> int:
        """Return the number of stored deliveries."""
        self.create_tables()
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(self.deliveries)).scalar_one())

    def last_id(self) -> int:
        """Return the largest delivery id stored so far (0 when empty)."""
        self.create_tables()
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(self.deliveries.c.id), 0))).scalar_one())

    def receipts_since(self, since: float) -> list[Receipts]:
        """Every callback path's receipts from the UTC day of ``since`` on, by path and day."""
        self.create_tables()
        t = self.receipts
        query = sa.select(t).where(t.c.day >= utc_day(since)).order_by(t.c.path, t.c.day)
        with self.engine.connect() as conn:
            return [Receipts(**dict(row)) for row in conn.execute(query).mappings()]

    def count_after(self, position: int) -> int:
        """How many stored deliveries have an id above ``position``: a consumer at ``position`` has yet to read them."""
        self.create_tables()
        t = self.deliveries
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(t.c.id > position)).scalar_one())

    def consumers_backlog(self) -> dict[str, tuple[int, int, float]]:
        """Each named consumer's position, the deliveries stored after it (its backlog) and when it last moved."""
        self.create_tables()
        c, d = self.consumers, self.deliveries
        pending = sa.select(sa.func.count()).where(d.c.id > c.c.last_id).scalar_subquery()
        query = sa.select(c.c.consumer, c.c.last_id, pending, c.c.updated_at).order_by(c.c.consumer)
        with self.engine.connect() as conn:
            return {name: (int(last), int(n), float(at)) for name, last, n, at in conn.execute(query)}


_DELIVERY_FIELDS = tuple(f.name for f in fields(Delivery))


def _uri_match(column: Any, value: str) -> Any:
    """Match a full URI exactly, or a bare UUID as the URI's last segment."""
    if "/" in value:
        return column == value.rstrip("/")
    return column.like(f"%/{value}")
