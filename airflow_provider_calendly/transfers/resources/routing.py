"""Routing forms (re-read in full, questions embedded) and their submissions (per form, incremental).

Routing forms need the Teams plan: on a plan without them both resources are skipped (:mod:`~.scope`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from airflow_provider_calendly.exceptions import CalendlyAPIError
from airflow_provider_calendly.hooks.calendly import PageIterator
from airflow_provider_calendly.models import RoutingFormSubmission
from airflow_provider_calendly.transfers.resources.incremental import IncrementalReader

__all__ = ["RoutingReads"]


class RoutingReads(IncrementalReader):
    """``routing_forms`` and ``routing_form_submissions``."""

    def _routing_forms(self) -> bool:
        where = self._org_or_user("routing_forms", "organization", None)
        return self._full_read("routing_forms", lambda: self._shared("routing_forms", "routing_forms"), where)

    def _submissions(self) -> bool:
        forms = self._shared("routing_forms", "routing_form_submissions")
        seen_since = self.writer.synced_at or datetime.now(timezone.utc)
        complete = self.config.mode == "full"
        for form in forms:
            table_pass = self._pass("routing_form_submissions", f"{self.scope} {form.uri}")
            table_pass.record()
            plan = table_pass.plan
            complete = complete and plan.mode == "full" and not plan.resumed
            listing = self.hook.list_routing_form_submissions(
                form.uri, sort="created_at:desc", page_size=self.config.page_size
            )

            def newest_first(
                listing: PageIterator[RoutingFormSubmission] = listing, start: datetime | None = plan.window_start
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
                self.stats.count_calls("routing_form_submissions", listing.pages_fetched)
            table_pass.finish(self.clock())
        if complete:
            self._sweep("routing_form_submissions", seen_since)
        return True
