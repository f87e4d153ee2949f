"""Routing forms and their submissions (Teams plan and up)."""

from __future__ import annotations

from airflow_provider_calendly.client.base import CalendlyBase
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import MAX_PAGE_SIZE, check_page_size, check_sort
from airflow_provider_calendly.models import RoutingForm, RoutingFormSubmission

__all__ = ["RoutingFormsAPI"]


class RoutingFormsAPI(CalendlyBase):
    """Routing forms and their submissions."""

    def list_routing_forms(
        self, *, organization: str | None = None, sort: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> PageIterator[RoutingForm]:
        """List the routing forms of an organization (default: the token owner's; Teams plan and up)."""
        params = {
            "organization": self.organization_uri(organization),
            "sort": check_sort(sort, "created_at"),
            "count": check_page_size(page_size),
        }
        return self.paginate("/routing_forms", params, RoutingForm)

    def get_routing_form(self, uuid_or_uri: str) -> RoutingForm:
        """Return one routing form."""
        return self.get_resource(self.resource_path("routing_forms", uuid_or_uri), RoutingForm)

    def list_routing_form_submissions(
        self, form: str, *, sort: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> PageIterator[RoutingFormSubmission]:
        """List the submissions of one routing form.

        Calendly has no time filter here: read newest first (``sort="created_at:desc"``) and stop iterating at
        the first one older than you need; the iterator fetches no further page.

        :param form: The routing form's UUID or URI.
        :param sort: ``created_at:asc`` or ``created_at:desc``.
        :param page_size: Items per call (1-100).
        """
        params = {
            "form": self.resource_uri("routing_forms", form),
            "sort": check_sort(sort, "created_at"),
            "count": check_page_size(page_size),
        }
        return self.paginate("/routing_form_submissions", params, RoutingFormSubmission)

    def get_routing_form_submission(self, uuid_or_uri: str) -> RoutingFormSubmission:
        """Return one routing form submission."""
        path = self.resource_path("routing_form_submissions", uuid_or_uri)
        return self.get_resource(path, RoutingFormSubmission)
