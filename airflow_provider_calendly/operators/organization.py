"""Operators of the organization's administration: invite a user (once per email) and revoke invitations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.operators.base import CalendlyBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["CalendlyInviteUserOperator", "CalendlyRevokeInvitationOperator"]


class CalendlyInviteUserOperator(CalendlyBaseOperator):
    """Invite an email to the organization, once: a pending or accepted invitation of it is returned as it is.

    Airflow retries and reruns send no second invitation (the invitations of the email are read first), and
    a lost answer is looked for before anything is resent. Returns ``{"invitation", "invited_now"}``.

    :param invitee_email: The email address to invite. (templated)
    :param organization: Organization UUID or URI; default: the token owner's. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("invitee_email", "organization", "calendly_conn_id")

    def __init__(self, *, invitee_email: str, organization: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.invitee_email = invitee_email
        self.organization = organization

    def execute(self, context: Context) -> dict[str, Any]:
        invitation, sent = self.hook.invite_user(self.invitee_email, organization=self.organization or None)
        self.log.info("%s %s (%s)", "Invited" if sent else "Already invited:", invitation.email, invitation.uri)
        return {"invitation": invitation.model_dump(mode="json"), "invited_now": sent}


class CalendlyRevokeInvitationOperator(CalendlyBaseOperator):
    """Revoke an organization invitation by URI (or UUID), or every pending one of an email; already revoked
    counts as done. Returns ``{"revoked": [uri, …]}``: the canonical URIs this run revoked.

    :param invitation: The invitation's URI, or its UUID in the organization. (templated)
    :param invitee_email: Or an email address: its pending invitations are revoked. (templated)
    :param organization: Organization UUID or URI (with a UUID or an email); default: the token owner's.
        (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("invitation", "invitee_email", "organization", "calendly_conn_id")

    def __init__(
        self,
        *,
        invitation: str | None = None,
        invitee_email: str | None = None,
        organization: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (invitation is None) == (invitee_email is None):
            raise CalendlyConfigError("pass exactly one of invitation or invitee_email")
        self.invitation = invitation
        self.invitee_email = invitee_email
        self.organization = organization

    def execute(self, context: Context) -> dict[str, Any]:
        revoked = self.hook.revoke_invitations(
            invitation=self.invitation or None,
            email=None if self.invitation else self.invitee_email,
            organization=self.organization or None,
        )
        return {"revoked": revoked}
