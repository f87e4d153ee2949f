"""Calendly types ``duration``, positions and ``invitees_counter`` as JSON ``number``: 30.0 and 30.5 are valid.

They parse and land in every warehouse: integral values as they are, a fraction rounded into the INTEGER
column (the row's ``raw`` keeps the exact value).
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_calendly.testing.emulator import CalendlyEmulator
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator, resolve_dbapi_hook
from tests.transfers.helpers import Warehouse


def test_number_fields_sent_as_floats_land(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    with CalendlyEmulator(seed=3, scheduled_events=4) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", emulator.connection_json())
        first, second = emulator.data.event_types[:2]
        first["duration"], second["duration"] = 30.0, 22.5
        first["custom_questions"][0]["position"] = 0.0
        event = next(iter(emulator.data.scheduled_events.values()))
        event["invitees_counter"] = {k: float(v) for k, v in event["invitees_counter"].items()}
        CalendlyToSqlOperator(
            task_id="land", sql_conn_id=warehouse.conn_id, table_prefix=warehouse.prefix, mode="full"
        ).execute({})  # type: ignore[arg-type]
    db = resolve_dbapi_hook(warehouse.conn_id)
    rows = dict(db.get_records(f"SELECT uri, duration FROM {warehouse.prefix}event_types"))
    assert (rows[first["uri"]], rows[second["uri"]]) == (30, 22)  # 22.5 rounds half to even
    raw = db.get_records(f"SELECT raw FROM {warehouse.prefix}event_types WHERE uri = '{second['uri']}'")
    stored = raw[0][0] if isinstance(raw[0][0], dict) else json.loads(raw[0][0])
    assert stored["duration"] == 22.5
    counter = db.get_records(
        f"SELECT invitees_total, invitees_limit FROM {warehouse.prefix}scheduled_events WHERE uri = '{event['uri']}'"
    )
    assert tuple(counter[0]) == (int(event["invitees_counter"]["total"]), int(event["invitees_counter"]["limit"]))
