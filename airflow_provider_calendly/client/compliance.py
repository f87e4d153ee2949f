"""Security and compliance (Enterprise): deleting invitees' or meetings' data, and the outgoing communications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from airflow_provider_calendly.client.base import CalendlyBase
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import (
    MAX_PAGE_SIZE,
    check_emails,
    check_page_size,
    check_past_range,
    timestamp_param,
)
from airflow_provider_calendly.models import OutgoingCommunication

__all__ = ["ComplianceAPI"]


class ComplianceAPI(CalendlyBase):
    """Data deletion requests and the log of emails and SMS Calendly sent."""

    def delete_invitee_data(self, emails: Iterable[str]) -> list[str]:
        """Ask Calendly to delete every invitee's data for ``emails`` (Enterprise; completes within 7 days).

        Resending is harmless (the same deletion), so a lost answer is retried. Returns the emails sent.
        """
        unique = check_emails(emails)
        self.request("POST", "/data_compliance/deletion/invitees", json={"emails": unique}, idempotent=True)
        return unique

    def delete_scheduled_event_data(
        self, start_time: datetime | str, end_time: datetime | str, *, now: datetime | None = None
    ) -> dict[str, str]:
        """Ask Calendly to delete the data of the organization's meetings in a past range of at most 24 months
        (Enterprise; completes within 7 days).

        Resending is harmless (the same deletion), so a lost answer is retried. Returns the range sent.

        :param start_time: Start of the range (aware datetime or ISO 8601; naive is UTC).
        :param end_time: End of the range; in the past.
        :param now: The current time (injectable for tests).
        """
        start, end = check_past_range(start_time, end_time, now=now or datetime.now(timezone.utc))
        body = {"start_time": start, "end_time": end}
        self.request("POST", "/data_compliance/deletion/events", json=body, idempotent=True)
        return body

    def list_outgoing_communications(
        self,
        *,
        organization: str | None = None,
        min_created_at: datetime | str | None = None,
        max_created_at: datetime | str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[OutgoingCommunication]:
        """List the emails and SMS Calendly sent for an organization (Enterprise; default: the token owner's).

        :param min_created_at: Only those created after this time.
        :param max_created_at: Only those created before this time.
        :param page_size: Items per call (1-100).
        """
        params: dict[str, Any] = {
            "organization": self.organization_uri(organization),
            "min_created_at": timestamp_param("min_created_at", min_created_at),
            "max_created_at": timestamp_param("max_created_at", max_created_at),
            "count": check_page_size(page_size),
        }
        return self.paginate("/outgoing_communications", params, OutgoingCommunication)
