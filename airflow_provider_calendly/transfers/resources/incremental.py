"""How incremental resources are read: a pass per table and scope, logs committed in chunks, newest first.

Incremental resources
---------------------
Submissions, activity entries, outgoing communications, contacts and recaps follow the scheduled events' rules
(see :mod:`~airflow_provider_calendly.transfers.passes`): each has a ``sync_state`` row whose watermark is the
start of its last complete pass; an incremental pass reads what was created (occurred, changed) since
``watermark - lookback``; an unfinished pass is resumed and finally sets the watermark its first attempt started
at; ``mode="full"`` reads everything into the same state. Submissions have no time filter in Calendly's API, so
each form is read newest first and the listing stops at the window's start (no further page is fetched); each
form has its own state row (scope ``<scope> <form uri>``), so a form seen for the first time is read in full.
Activity entries are read oldest first and committed in chunks, each with its progress, exactly like scheduled
events. Outgoing communications are read from the window's start with no order Calendly documents: chunks are
committed as they come, and the watermark moves once all of them are. Contacts and recaps: see
:mod:`~airflow_provider_calendly.transfers.resources.people`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from airflow_provider_calendly.hooks.calendly import PageIterator
from airflow_provider_calendly.transfers.passes import TablePass
from airflow_provider_calendly.transfers.resources.sweeps import SweepingReader

__all__ = ["IncrementalReader"]


class IncrementalReader(SweepingReader):
    """Plan a table's pass, and read a listing within its window."""

    def _pass(self, table: str, scope: str) -> TablePass:
        """Plan one pass of ``table`` over ``scope`` (:mod:`.passes`' rules); the caller records that it began."""
        c = self.config
        return TablePass.plan_for(self.writer, [table], scope, now=self.clock(), mode=c.mode, lookback=c.lookback)

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
