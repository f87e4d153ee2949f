"""Contact actions: create (idempotent on email), update, delete (already gone is done)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_calendly.exceptions import CalendlyConfigError, CalendlyNotFoundError
from airflow_provider_calendly.operators.base import CalendlyBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

__all__ = ["CalendlyCreateContactOperator", "CalendlyDeleteContactOperator", "CalendlyUpdateContactOperator"]


def _one_of(contact: str | None, contact_email: str | None) -> None:
    if (contact is None) == (contact_email is None):
        raise CalendlyConfigError("pass exactly one of contact or contact_email")


class CalendlyCreateContactOperator(CalendlyBaseOperator):
    """Create a contact unless one with this email exists: reruns and retries never make a second one.

    :param contact_email: The contact's primary email address (what identifies it). (templated)
    :param name: The contact's name. (templated)
    :param fields: Other fields: ``phone_numbers``, ``company``, ``job_title``, ``timezone``, ``country``,
        ``state``, ``city``, ``linkedin``, ``custom_fields``. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("contact_email", "name", "fields", "calendly_conn_id")

    def __init__(self, *, contact_email: str, name: str, fields: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.contact_email = contact_email
        self.name = name
        self.fields = fields

    def execute(self, context: Context) -> dict[str, Any]:
        contact, created = self.hook.ensure_contact(self.contact_email, name=self.name, **(self.fields or {}))
        self.log.info("%s contact %s", "Created" if created else "Found the existing", contact.uri)
        return {"contact": contact.model_dump(mode="json"), "created": created}


class CalendlyUpdateContactOperator(CalendlyBaseOperator):
    """Change a contact's fields (found by UUID/URI or by email); sending the same change again is harmless.

    ``emails`` and ``phone_numbers`` replace the contact's lists (Calendly's PATCH semantics).

    :param changes: The fields to set (see :class:`CalendlyCreateContactOperator`). (templated)
    :param contact: The contact's UUID or URI. (templated)
    :param contact_email: Or its email address. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("changes", "contact", "contact_email", "calendly_conn_id")

    def __init__(
        self, *, changes: dict[str, Any], contact: str | None = None, contact_email: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        _one_of(contact, contact_email)
        self.changes = changes
        self.contact = contact
        self.contact_email = contact_email

    def execute(self, context: Context) -> dict[str, Any]:
        uri = self.hook.contact_uri(contact=self.contact, email=self.contact_email)
        if uri is None:
            raise CalendlyNotFoundError(f"no contact has the email {self.contact_email}", status_code=404)
        return self.hook.update_contact(uri, self.changes).model_dump(mode="json")


class CalendlyDeleteContactOperator(CalendlyBaseOperator):
    """Delete a contact (by UUID/URI or email); one already gone, or no contact with the email, is success.

    :param contact: The contact's UUID or URI. (templated)
    :param contact_email: Or its email address. (templated)
    :param calendly_conn_id: The ``calendly`` connection.
    """

    template_fields: Sequence[str] = ("contact", "contact_email", "calendly_conn_id")

    def __init__(self, *, contact: str | None = None, contact_email: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _one_of(contact, contact_email)
        self.contact = contact
        self.contact_email = contact_email

    def execute(self, context: Context) -> dict[str, Any]:
        uri, deleted = self.hook.remove_contact(contact=self.contact, email=self.contact_email)
        return {"contact": uri, "deleted": deleted}
