"""Data compliance: deleting invitees' data (Enterprise)."""

from __future__ import annotations

from collections.abc import Iterable

from airflow_provider_calendly.client.base import CalendlyBase
from airflow_provider_calendly.client.params import check_emails

__all__ = ["ComplianceAPI"]


class ComplianceAPI(CalendlyBase):
    """Data deletion requests."""

    def delete_invitee_data(self, emails: Iterable[str]) -> list[str]:
        """Ask Calendly to delete every invitee's data for ``emails`` (Enterprise; completes within 7 days).

        Resending is harmless (the same deletion), so a lost answer is retried. Returns the emails sent.
        """
        unique = check_emails(emails)
        self.request("POST", "/data_compliance/deletion/invitees", json={"emails": unique}, idempotent=True)
        return unique
