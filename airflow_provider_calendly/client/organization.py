"""Organization: the organization and its users, memberships, invitations, groups and their relationships, the
activity log and availability schedules.

The token's own user (``/users/me``) and the default organization are in
:class:`~airflow_provider_calendly.client.base.CalendlyBase`, since every area scopes by them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow_provider_calendly.client.base import CalendlyBase
from airflow_provider_calendly.client.pagination import PageIterator
from airflow_provider_calendly.client.params import (
    MAX_PAGE_SIZE,
    check_email,
    check_page_size,
    check_sort,
    timestamp_param,
)
from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.models import (
    ActivityLogEntry,
    AvailabilitySchedule,
    Group,
    GroupRelationship,
    Organization,
    OrganizationInvitation,
    OrganizationMembership,
    User,
)
from airflow_provider_calendly.uris import CANONICAL_API_URL

__all__ = ["INVITATION_STATUSES", "OrganizationAPI"]

#: The states of an organization invitation Calendly filters by.
INVITATION_STATUSES = ("pending", "accepted", "declined")


class OrganizationAPI(CalendlyBase):
    """The organization, users, memberships, invitations, groups, the activity log and users' availability."""

    # -- the organization and its users --

    def get_organization(self, organization: str | None = None) -> Organization:
        """Return an organization (default: the token owner's)."""
        return self.get_resource(self.resource_path("organizations", self.organization_uri(organization)), Organization)

    def get_user(self, user: str) -> User:
        """Return one user (``GET /users/{uuid}``; ``/users/me`` is :meth:`get_current_user`)."""
        return self.get_resource(self.resource_path("users", user), User)

    def list_organization_invitations(
        self,
        *,
        organization: str | None = None,
        email: str | None = None,
        status: str | None = None,
        sort: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> PageIterator[OrganizationInvitation]:
        """List the invitations to an organization (default: the token owner's; admins and owners only).

        :param email: Only the invitations of this email address.
        :param status: ``pending``, ``accepted`` or ``declined``.
        :param sort: ``created_at:asc`` or ``created_at:desc``.
        :param page_size: Items per call (1-100).
        """
        params: dict[str, Any] = {
            "email": check_email("email", email) if email is not None else None,
            "status": None
            if status is None
            else CalendlyConfigError.check_choice("status", status, INVITATION_STATUSES),
            "sort": check_sort(sort, "created_at"),
            "count": check_page_size(page_size),
        }
        return self.paginate(f"{self._organization_path(organization)}/invitations", params, OrganizationInvitation)

    def create_organization_invitation(self, email: str, *, organization: str | None = None) -> OrganizationInvitation:
        """Invite ``email`` to the organization (``POST /organizations/{uuid}/invitations``), sent once.

        :meth:`~airflow_provider_calendly.client.recovery.organization.OrganizationRecovery.invite_user` is the
        idempotent form.
        """
        path = f"{self._organization_path(organization)}/invitations"
        return self.post_resource(path, {"email": check_email("email", email)}, OrganizationInvitation)

    def get_organization_invitation(
        self, invitation: str, *, organization: str | None = None
    ) -> OrganizationInvitation:
        """Return one invitation, by its URI, or by its UUID in the organization (default: the token owner's)."""
        return self.get_resource(self._invitation_path(invitation, organization), OrganizationInvitation)

    def delete_organization_invitation(self, invitation: str, *, organization: str | None = None) -> None:
        """Revoke an invitation (``DELETE /organizations/{uuid}/invitations/{uuid}``): its link stops working.

        :meth:`~airflow_provider_calendly.client.recovery.organization.OrganizationRecovery.revoke_invitations`
        counts one already revoked as done."""
        self.request("DELETE", self._invitation_path(invitation, organization))

    def invitation_uri(self, invitation: str, organization: str | None = None) -> str:
        """The canonical URI of an invitation given by URI, or by UUID in the organization (default: the token
        owner's)."""
        return f"{CANONICAL_API_URL}{self._invitation_path(invitation, organization)}"

    def _organization_path(self, organization: str | None) -> str:
        return self.resource_path("organizations", self.organization_uri(organization))

    def _invitation_path(self, invitation: str, organization: str | None) -> str:
        if isinstance(invitation, str) and "/" in invitation:
            return self.identity.nested_path("organizations", "invitations", invitation)
        return self.identity.nested_path(
            "organizations", "invitations", invitation, self.organization_uri(organization)
        )

    # -- memberships, groups, activity, availability --

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
        return self.paginate("/user_availability_schedules", {"user": self.user_uri(user)}, AvailabilitySchedule)
