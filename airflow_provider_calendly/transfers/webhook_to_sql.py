"""Land one webhook delivery in the warehouse, reusing the transfer's table writer.

``invitee.created`` / ``invitee.canceled`` (and no-show events, whose payload is the invitee) upsert the
invitee, its answers and its scheduled event into the same ``calendly_*`` tables the
:class:`~airflow_provider_calendly.transfers.calendly_to_sql.CalendlyToSqlOperator` fills, so the nightly sync
and the webhooks converge on the same rows. Deliveries may arrive out of order (Calendly retries): an invitee
row whose ``updated_at`` is newer than the delivery's is left alone. ``routing_form_submission.created`` is
upserted into ``<prefix>routing_form_submissions`` and its answers into ``<prefix>routing_form_answers``,
equal to the rows the sync's ``routing_form_submissions`` resource writes; every table is declared in
:mod:`~airflow_provider_calendly.transfers.tables`.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_calendly.models import InviteePayload, RoutingFormSubmission
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
        else:
            return {"event": event, "written": False, "reason": "event not landed"}
    return {"event": event, **result}
