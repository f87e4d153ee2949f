"""Land one webhook delivery in the warehouse, reusing the transfer's table writer.

``invitee.created`` / ``invitee.canceled`` (and no-show events, whose payload is the invitee) upsert the
invitee, its answers and its scheduled event into the same ``calendly_*`` tables the
:class:`~airflow_provider_calendly.transfers.calendly_to_sql.CalendlyToSqlOperator` fills, so the nightly sync
and the webhooks converge on the same rows. Deliveries may arrive out of order (Calendly retries): an invitee
row whose ``updated_at`` is newer than the delivery's is left alone. ``routing_form_submission.created`` is
upserted into ``<prefix>routing_form_submissions`` and its answers into ``<prefix>routing_form_answers``,
equal to the rows the sync's ``routing_form_submissions`` resource writes. ``contact.*`` and ``meeting_recap.*``
upsert the contact (with its custom field values) or the recap by the change capture's rules
(:mod:`~airflow_provider_calendly.transfers.change_capture`): a row provably newer than the delivery (its
``_as_of`` or ``updated_at``) is left alone, a recap keeps what its payload lacks from the stored row, and
``.deleted`` marks the row (a tombstone). Every table is declared in
:mod:`~airflow_provider_calendly.transfers.tables`.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_calendly.models import (
    Contact,
    ContactWebhookPayload,
    InviteePayload,
    MeetingRecap,
    MeetingRecapWebhookPayload,
    RoutingFormSubmission,
)
from airflow_provider_calendly.timestamps import parse_utc
from airflow_provider_calendly.transfers.change_capture import (
    CONTACT_EVENTS,
    RECAP_EVENTS,
    Stored,
    recap_over_stored,
    stored_is_newer,
)
from airflow_provider_calendly.transfers.deletions import mark_tombstone
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.tables import WEBHOOK_TABLES, build_rows
from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook

__all__ = ["land_delivery"]

_INVITEE_EVENTS = ("invitee.", "invitee_no_show.")


def _land_invitee(writer: CalendlyTableWriter, payload: dict[str, Any]) -> dict[str, Any]:
    invitee = InviteePayload.model_validate(payload)
    table = writer.table_name("invitees")
    with writer.transaction():
        stored_at = writer.stored("invitees", [invitee.uri], "updated_at").get(invitee.uri, (None,))[0]
        if stored_at and invitee.updated_at and stored_at > invitee.updated_at:
            return {"table": table, "uri": invitee.uri, "written": False, "reason": "a newer version is stored"}
        if invitee.scheduled_event is not None:
            writer.upsert_scheduled_events([invitee.scheduled_event])
        event_uri = invitee.scheduled_event.uri if invitee.scheduled_event else None
        writer.upsert_invitees([invitee], scheduled_event_uri=event_uri)
    return {"table": table, "uri": invitee.uri, "written": True, "status": invitee.status}


def _land_submission(writer: CalendlyTableWriter, payload: dict[str, Any]) -> dict[str, Any]:
    submission = RoutingFormSubmission.model_validate(payload)
    writer.write_rows(build_rows("routing_form_submissions", submission))
    return {"table": writer.table_name("routing_form_submissions"), "uri": submission.uri, "written": True}


def land_delivery(delivery: dict[str, Any], sql_conn_id: str, *, table_prefix: str = "calendly_") -> dict[str, Any]:
    """Write one delivery (as yielded by the trigger / returned by the sensor) to the warehouse.

    :param delivery: The delivery dict: ``event`` and ``payload`` are used.
    :param sql_conn_id: The warehouse connection (a warehouse of the README's warehouse table).
    :param table_prefix: Prefix of the warehouse tables.
    :returns: A small JSON-safe summary: table, uri, whether a row was written.
    """
    event = str(delivery.get("event") or "")
    payload = delivery.get("payload")
    if not isinstance(payload, dict):
        raise ValueError("the delivery has no payload object")
    with CalendlyTableWriter(resolve_dbapi_hook(sql_conn_id), table_prefix) as writer:
        if event.startswith(_INVITEE_EVENTS):
            writer.ensure_tables(WEBHOOK_TABLES["invitee"])
            result = _land_invitee(writer, payload)
        elif event == "routing_form_submission.created":
            writer.ensure_tables(WEBHOOK_TABLES["routing_form_submission"])
            result = _land_submission(writer, payload)
        elif event in (*CONTACT_EVENTS, *RECAP_EVENTS):
            writer.ensure_tables(WEBHOOK_TABLES[event.partition(".")[0]])
            result = _land_person(writer, event, payload, delivery.get("created_at"))
        else:
            return {"event": event, "written": False, "reason": "event not landed"}
    return {"event": event, **result}


def _land_person(writer: CalendlyTableWriter, event: str, payload: dict[str, Any], created_at: Any) -> dict[str, Any]:
    """A ``contact.*`` or ``meeting_recap.*`` delivery; ``created_at`` (the envelope's) is the row's ``_as_of``."""
    delivered_at = parse_utc(created_at) if created_at else None
    parsed: ContactWebhookPayload | MeetingRecapWebhookPayload
    item: Contact | MeetingRecap
    if event in CONTACT_EVENTS:
        key, parsed = "contacts", ContactWebhookPayload.model_validate(payload)
        item, deleted_at = parsed.contact, parsed.contact.deleted_at
    else:
        key, parsed = "meeting_recaps", MeetingRecapWebhookPayload.model_validate(payload)
        item, deleted_at = parsed.recap, parsed.recap.deleted_at
    summary = {"table": writer.table_name(key), "uri": parsed.uri}
    deleting = event.endswith(".deleted")
    with writer.transaction():
        found = writer.stored(key, [parsed.uri], "updated_at", "_as_of", "raw").get(parsed.uri)
        stored = Stored(found[0], found[1]) if found else None
        if stored_is_newer(stored, delivered_at, None if deleting else item.updated_at):
            return {**summary, "written": False, "reason": "a newer version is stored"}
        if deleting:
            if delivered_at is None:
                return {**summary, "written": False, "reason": "a deletion without a time"}
            mark_tombstone(writer, key, parsed.uri, deleted_at=deleted_at or delivered_at, as_of=delivered_at)
            return {**summary, "written": True, "deleted": True}
        if isinstance(parsed, MeetingRecapWebhookPayload):
            item = recap_over_stored(parsed, found[2] if found and isinstance(found[2], dict) else {})
        writer.write_rows(build_rows(key, item, as_of=delivered_at))
    return {**summary, "written": True}
