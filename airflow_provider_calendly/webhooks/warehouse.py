"""Land one webhook delivery in the warehouse, reusing the transfer's table writer.

``invitee.created`` / ``invitee.canceled`` (and no-show events, whose payload is the invitee) upsert the
invitee, its answers and its scheduled event into the same ``calendly_*`` tables the
:class:`~airflow_provider_calendly.transfers.calendly_to_sql.CalendlyToSqlOperator` fills, so the nightly sync
and the webhooks converge on the same rows. Deliveries may arrive out of order (Calendly retries): an invitee
row whose ``updated_at`` is newer than the delivery's is left alone. ``routing_form_submission.created`` is
stored in ``<prefix>routing_form_submissions`` (``uri`` primary key, plus the whole submission as ``raw``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from airflow_provider_calendly.models import InviteePayload, RoutingFormSubmission
from airflow_provider_calendly.transfers.calendly_to_sql import resolve_dbapi_hook
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter

__all__ = ["land_delivery"]

_INVITEE_EVENTS = ("invitee.", "invitee_no_show.")


def _as_utc(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _land_invitee(writer: CalendlyTableWriter, payload: dict[str, Any]) -> dict[str, Any]:
    invitee = InviteePayload.model_validate(payload)
    table = writer.table_name("invitees")
    placeholder = writer.dialect.placeholder
    with writer.transaction():
        rows = writer.execute(f"SELECT updated_at FROM {table} WHERE uri = {placeholder}", [invitee.uri])
        stored_at = _as_utc(rows[0][0]) if rows else None
        if stored_at and invitee.updated_at and stored_at > invitee.updated_at:
            return {"table": table, "uri": invitee.uri, "written": False, "reason": "a newer version is stored"}
        if invitee.scheduled_event is not None:
            writer.upsert_scheduled_events([invitee.scheduled_event])
        event_uri = invitee.scheduled_event.uri if invitee.scheduled_event else None
        writer.upsert_invitees([invitee], scheduled_event_uri=event_uri)
    return {"table": table, "uri": invitee.uri, "written": True, "status": invitee.status}


def _land_submission(writer: CalendlyTableWriter, payload: dict[str, Any], table_prefix: str) -> dict[str, Any]:
    submission = RoutingFormSubmission.model_validate(payload)
    table = f"{writer.schema + '.' if writer.schema else ''}{table_prefix}routing_form_submissions"
    p = writer.dialect.placeholder
    key = writer.dialect.key_type
    columns = ("uri", "routing_form", "submitter", "submitter_type", "result_type", "result_value", "created_at", "raw")
    values = [
        submission.uri,
        submission.routing_form,
        submission.submitter,
        submission.submitter_type,
        submission.result.type if submission.result else None,
        json.dumps(submission.result.value) if submission.result else None,
        submission.created_at.isoformat() if submission.created_at else None,
        json.dumps(submission.model_dump(mode="json")),
    ]
    with writer.transaction():
        writer.execute(
            f"CREATE TABLE IF NOT EXISTS {table} (uri {key} PRIMARY KEY, "
            + ", ".join(f"{c} TEXT" for c in columns[1:])
            + ")"
        )
        writer.execute(f"DELETE FROM {table} WHERE uri = {p}", [submission.uri])
        writer.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([p] * len(columns))})", values)
    return {"table": table, "uri": submission.uri, "written": True}


def land_delivery(delivery: dict[str, Any], sql_conn_id: str, *, table_prefix: str = "calendly_") -> dict[str, Any]:
    """Write one delivery (as yielded by the trigger / returned by the sensor) to the warehouse.

    :param delivery: The delivery dict: ``event`` and ``payload`` are used.
    :param sql_conn_id: The warehouse connection (any common-sql database).
    :param table_prefix: Prefix of the warehouse tables.
    :returns: A small JSON-safe summary: table, uri, whether a row was written.
    """
    event = str(delivery.get("event") or "")
    payload = delivery.get("payload")
    if not isinstance(payload, dict):
        raise ValueError("the delivery has no payload object")
    with CalendlyTableWriter(resolve_dbapi_hook(sql_conn_id), table_prefix) as writer:
        if event.startswith(_INVITEE_EVENTS):
            writer.ensure_tables(
                ["scheduled_events", "event_memberships", "event_guests", "invitees", "invitee_answers"]
            )
            result = _land_invitee(writer, payload)
        elif event == "routing_form_submission.created":
            result = _land_submission(writer, payload, table_prefix)
        else:
            return {"event": event, "written": False, "reason": "event not landed"}
    return {"event": event, **result}
