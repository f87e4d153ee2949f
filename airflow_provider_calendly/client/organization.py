"""Organization: memberships, groups and their relationships, the activity log and availability schedules.

The token's own user (``/users/me``) and the default organization are in
:class:`~airflow_provider_calendly.client.base.CalendlyBase`, since every area scopes by them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow_provider_calendly.client.base import CalendlyBase
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import MAX_PAGE_SIZE, check_page_size, check_sort, timestamp_param
from airflow_provider_calendly.models import (
    ActivityLogEntry,
    AvailabilitySchedule,
    Group,
    GroupRelationship,
    OrganizationMembership,
)

__all__ = ["OrganizationAPI"]


class OrganizationAPI(CalendlyBase):
    """Memberships, groups, group relationships, the activity log and users' availability schedules."""

    def list_organization_memberships(
        self,
        *,
        organization: str | None = None,
        user: str | None = None,
        email: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[OrganizationMembership]:
        """List an organization's memberships, each with its user embedded (default: the token owner's organization).

        :param organization: Organization UUID or URI.
        :param user: Only this user's membership (UUID or URI); without ``organization`` no organization filter.
        :param email: Only the membership of this email address.
        :param page_size: Items per call (1-100).
        """
        params: dict[str, Any] = {"email": email, "count": check_page_size(page_size)}
        return self.paginate(
            "/organization_memberships", {**self.owner_params(user, organization), **params}, OrganizationMembership
        )

    def delete_organization_membership(self, uuid_or_uri: str) -> None:
        """Remove a user from the organization (``DELETE /organization_memberships/{uuid}``)."""
        self.request("DELETE", self.resource_path("organization_memberships", uuid_or_uri))

    def list_groups(self, *, organization: str | None = None, page_size: int = MAX_PAGE_SIZE) -> PageIterator[Group]:
        """List the groups of an organization (default: the token owner's)."""
        params = {"organization": self.organization_uri(organization), "count": check_page_size(page_size)}
        return self.paginate("/groups", params, Group)

    def list_group_relationships(
        self,
        *,
        organization: str | None = None,
        group: str | None = None,
        owner: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[GroupRelationship]:
        """List group relationships (one ``member`` and any number of ``admin`` records per owner).

        :param organization: Organization UUID or URI (default: the token owner's).
        :param group: Only this group's relationships (UUID or URI).
        :param owner: Only this organization membership's relationships (UUID or URI).
        :param page_size: Items per call (1-100).
        """
        params: dict[str, Any] = {
            "organization": self.organization_uri(organization),
            "group": self.resource_uri("groups", group) if group is not None else None,
            "owner": self.resource_uri("organization_memberships", owner) if owner is not None else None,
            "count": check_page_size(page_size),
        }
        return self.paginate("/group_relationships", params, GroupRelationship)

    def list_activity_log_entries(
        self,
        *,
        organization: str | None = None,
        min_occurred_at: datetime | str | None = None,
        max_occurred_at: datetime | str | None = None,
        namespace: str | None = None,
        action: str | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[ActivityLogEntry]:
        """List the organization's activity log entries (Enterprise plan; default: the token owner's organization).

        :param min_occurred_at: Only entries that occurred at or after this time.
        :param max_occurred_at: Only entries that occurred before this time.
        :param namespace: Only entries of this category.
        :param action: Only entries of this action.
        :param sort: ``occurred_at:asc`` or ``occurred_at:desc``.
        :param page_size: Items per call (1-100).
        """
        params: dict[str, Any] = {
            "organization": self.organization_uri(organization),
            "min_occurred_at": timestamp_param("min_occurred_at", min_occurred_at),
            "max_occurred_at": timestamp_param("max_occurred_at", max_occurred_at),
            "namespace": namespace,
            "action": action,
            "sort": check_sort(sort, "occurred_at"),
            "count": check_page_size(page_size),
        }
        return self.paginate("/activity_log_entries", params, ActivityLogEntry)

    def list_user_availability_schedules(self, user: str | None = None) -> PageIterator[AvailabilitySchedule]:
        """List one user's availability schedules (default: the token's user); Calendly returns them in one call."""
        user_uri = self.resource_uri("users", user) if user is not None else self.get_current_user().uri
        return self.paginate("/user_availability_schedules", {"user": user_uri}, AvailabilitySchedule)
