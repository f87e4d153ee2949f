"""The organization's writes that take effect once: invite a user, revoke invitations, create an event type."""

from __future__ import annotations

from functools import partial
from typing import Any

from airflow_provider_calendly.client.organization import OrganizationAPI
from airflow_provider_calendly.client.params import check_email, check_event_type_fields
from airflow_provider_calendly.client.recovery.once import answer_lost, delete_once, lost_or_refused_twice, write_once
from airflow_provider_calendly.client.scheduling import SchedulingAPI
from airflow_provider_calendly.exceptions import CalendlyAPIError, CalendlyConfigError
from airflow_provider_calendly.models import EventType, OrganizationInvitation

__all__ = ["OrganizationRecovery"]


class OrganizationRecovery(OrganizationAPI, SchedulingAPI):
    """Invitations and event type creation, each once however its answer is lost."""

    def invite_user(self, email: str, *, organization: str | None = None) -> tuple[OrganizationInvitation, bool]:
        """Invite ``email`` to the organization once; return ``(invitation, sent_by_this_call)``.

        The organization's invitations of that email are read first: a pending or accepted one is returned and
        nothing is sent (a declined one is invited again). A POST whose answer was lost, or refused because an
        earlier attempt invited the email already, is looked for again before anything is resent.

        :param email: The invitee's email address.
        :param organization: Organization UUID or URI; default: the token owner's.
        """
        address = check_email("email", email)

        def look(failure: CalendlyAPIError | None) -> OrganizationInvitation | None:
            for found in self.list_organization_invitations(organization=organization, email=address):
                if (found.email or "").lower() == address.lower() and found.status in (None, "pending", "accepted"):
                    self.log.info(
                        "%s is invited already (%s, %s): not inviting again", address, found.uri, found.status
                    )
                    return found
            return None

        send = partial(self.create_organization_invitation, address, organization=organization)
        return write_once(send, look, may_have_applied=lost_or_refused_twice, look_first=True)

    def revoke_invitations(
        self, *, invitation: str | None = None, email: str | None = None, organization: str | None = None
    ) -> list[str]:
        """Revoke an invitation by URI (or UUID in the organization), or every pending one of ``email``; return the
        canonical URIs revoked by this call (already revoked counts as done, and is not listed)."""
        if (invitation is None) == (email is None):
            raise CalendlyConfigError("pass exactly one of invitation or email")
        if invitation is not None:
            targets = [self.invitation_uri(invitation, organization)]
        else:
            pending = self.list_organization_invitations(
                organization=organization, email=check_email("email", email), status="pending"
            )
            targets = [found.uri for found in pending]
            if not targets:
                self.log.info("No pending invitation of %s: nothing to revoke", email)
        revoked = [uri for uri in targets if delete_once(partial(self.delete_organization_invitation, uri))]
        self.log.info("Revoked %d invitation(s) of %d", len(revoked), len(targets))
        return revoked

    def ensure_event_type(self, name: str, *, owner: str | None = None, **fields: Any) -> tuple[EventType, bool]:
        """Create a one-on-one event type named ``name`` unless its owner has one so named; return
        ``(event_type, created_by_this_call)``. An existing one is returned as it is (change it with
        :meth:`update_event_type`), so Airflow retries and reruns create it once.

        :param name: The event type's name (what makes it the same event type).
        :param owner: The owning user's UUID or URI (default: the token's user).
        :param fields: As :meth:`create_event_type` takes them.
        """
        check_event_type_fields(fields)
        owner_uri = self.user_uri(owner)

        def look(failure: CalendlyAPIError | None) -> EventType | None:
            for found in self.list_event_types(user=owner_uri):
                if found.name == name and found.deleted_at is None:
                    self.log.info("%s already has the event type %r (%s)", owner_uri, name, found.uri)
                    return found
            return None

        send = partial(self.create_event_type, name, owner=owner_uri, **fields)
        return write_once(send, look, may_have_applied=answer_lost, look_first=True)
