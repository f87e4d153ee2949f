"""The organization: itself, its users and memberships, groups, invitations, activity log and communications.

Users and memberships come from one listing (the users are embedded); they, the groups and relationships, the
organization and its invitations are re-read in full. The activity log (Enterprise) and the outgoing
communications (Enterprise, opt-in) are logs read incrementally (:mod:`~.incremental`).
"""

from __future__ import annotations

from airflow_provider_calendly.transfers.resources.incremental import IncrementalReader

__all__ = ["OrganizationReads"]


class OrganizationReads(IncrementalReader):
    """``users``, ``organization_memberships``, ``groups``, ``organization``, ``organization_invitations``,
    ``activity_log`` and ``outgoing_communications``."""

    def _users(self) -> bool:
        where = self._org_or_user("users", None, "uri")
        return self._full_read("users", lambda: [m.user for m in self._shared("memberships", "users")], where)

    def _memberships(self) -> bool:
        where = self._org_or_user("organization_memberships", "organization", "user_uri")
        return self._full_read(
            "organization_memberships", lambda: self._shared("memberships", "organization_memberships"), where
        )

    def _groups(self) -> bool:
        c = self.config
        self._full_read(
            "groups",
            lambda: self._counted("groups", self.hook.list_groups(organization=c.organization, page_size=c.page_size)),
            self._org_or_user("groups", "organization", None),
        )
        return self._full_read(
            "group_relationships",
            lambda: self._counted(
                "group_relationships",
                self.hook.list_group_relationships(organization=c.organization, page_size=c.page_size),
            ),
            self._org_or_user("group_relationships", "organization", None),
        )

    def _activity_log(self) -> bool:
        c = self.config
        table_pass = self._pass("activity_log_entries", self.scope)
        listing = self.hook.list_activity_log_entries(
            organization=c.organization,
            min_occurred_at=table_pass.plan.window_start,
            sort="occurred_at:asc",
            page_size=c.page_size,
        )
        return self._log_pass("activity_log_entries", listing, table_pass, lambda entry: entry.occurred_at)

    def _organization(self) -> bool:
        scope = self._where_scope()
        self.stats.count_calls("organizations", 1)
        where = self.writer.tables["organizations"].c.uri == scope.organization
        return self._full_read("organizations", lambda: [self.hook.get_organization(scope.organization)], where)

    def _invitations(self) -> bool:
        scope = self._where_scope()
        listing = self.hook.list_organization_invitations(
            organization=scope.organization, page_size=self.config.page_size
        )
        where = self._org_or_user("organization_invitations", "organization", None)
        return self._full_read(
            "organization_invitations", lambda: self._counted("organization_invitations", listing), where
        )

    def _outgoing(self) -> bool:
        c = self.config
        table_pass = self._pass("outgoing_communications", self.scope)
        listing = self.hook.list_outgoing_communications(
            organization=c.organization, min_created_at=table_pass.plan.window_start, page_size=c.page_size
        )
        return self._log_pass("outgoing_communications", listing, table_pass)
