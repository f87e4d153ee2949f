"""Upgrading a warehouse created by an earlier release: additive changes applied, old rows kept, new rows complete."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_calendly.exceptions import CalendlySchemaError
from airflow_provider_calendly.models import Invitee
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.tables import TABLES, ColumnType, schema_fingerprint
from tests.transfers.helpers import Warehouse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DIALECT_FILE = {"sqlite": "sqlite", "duckdb": "duckdb", "postgres": "postgresql"}
#: Columns the simulated older release did not have yet (dropped from the captured DDL).
LATER_COLUMNS = {"invitees": ("reschedule_url", "routing_form_submission"), "event_types": ("deleted_at",)}
#: Columns added to the captured release's tables since (the deletion mark and change capture's as-of time of
#: every resource table).
ADDED_SINCE_V1 = {key: ("_deleted_at", "_as_of") for key in ("event_types", "scheduled_events", "invitees")}


def _previous_release_ddl(writer: CalendlyTableWriter, kind: str, drop: dict[str, tuple[str, ...]]) -> list[str]:
    """The captured DDL of the release before schema versioning, optionally without some later columns.

    The warehouses that release could not land in (MySQL/MariaDB: its keys were too long) get the same tables
    and columns as this release's dialect spells them: the schema an upgrade starts from there.
    """
    if kind not in DIALECT_FILE:
        return [_respelled(writer, sql) for sql in _previous_release_ddl(writer, "postgres", drop)]
    prefix = writer.table_prefix
    text = (FIXTURES / "schema_v1" / f"{DIALECT_FILE[kind]}.sql").read_text()
    statements = [s.strip() for s in text.split(";") if s.strip()]
    statements = [re.sub(r"^(--[^\n]*\n)+", "", s).replace("PREFIX_", prefix) for s in statements]
    out = []
    for sql in statements:
        for key, columns in drop.items():
            if f" {prefix}{key} (" in sql:
                for column in columns:
                    sql = re.sub(rf", {column} \w+", "", sql)
        out.append(sql)
    return out


def _respelled(writer: CalendlyTableWriter, sql: str) -> str:
    """A captured PostgreSQL ``CREATE TABLE`` with each column's type as ``writer``'s dialect spells it."""
    match = re.match(rf"CREATE TABLE IF NOT EXISTS {writer.table_prefix}(\w+) \((.*), PRIMARY KEY \((.*)\)\)$", sql)
    assert match is not None, sql
    key, columns, primary_key = match.groups()
    spec, keyed = TABLES[key], set(primary_key.split(", "))

    def spelled(name: str) -> str:
        column = spec.column(name)
        return str(
            writer.dialect.column_type(column.type, key=name in keyed or column.index).compile(
                dialect=writer.dialect.compiler
            )
        )

    names = [c.split()[0] for c in columns.split(", ")]
    body = ", ".join(f"{name} {spelled(name)}" for name in names)
    return f"CREATE TABLE IF NOT EXISTS {writer.table_name(key)} ({body}, PRIMARY KEY ({primary_key}))"


def _created_through_the_api(writer: CalendlyTableWriter, sql: str) -> None:
    """BigQuery: the table of a captured PostgreSQL ``CREATE TABLE`` made as the dialect makes tables there, through
    the API, with the captured columns only (bqemulator's catalog types a JSON column made by DDL as STRING)."""
    match = re.match(rf"CREATE TABLE IF NOT EXISTS {writer.table_prefix}(\w+) \((.*), PRIMARY KEY", sql)
    assert match is not None, sql
    key, columns = match.groups()
    names = {c.split()[0] for c in columns.split(", ")}
    table = writer.tables[key]
    resource = writer.dialect.table_resource(writer, table)  # type: ignore[attr-defined]
    resource["schema"]["fields"] = [f for f in resource["schema"]["fields"] if f["name"] in names]
    writer.hook.create_table(  # type: ignore[attr-defined]
        dataset_id=writer.schema,
        table_id=table.name,
        table_resource=resource,
        project_id=writer.dialect.project,  # type: ignore[attr-defined]
    )


def _old_warehouse(warehouse: Warehouse, drop: dict[str, tuple[str, ...]]) -> CalendlyTableWriter:
    writer = warehouse.writer()
    with writer.transaction():
        if warehouse.kind == "bigquery":
            for sql in _previous_release_ddl(writer, "postgres", drop):
                _created_through_the_api(writer, sql)
        for sql in _previous_release_ddl(writer, warehouse.kind, drop) if warehouse.kind != "bigquery" else ():
            writer.execute(sql)
        ph = writer.dialect.placeholder
        writer.execute(
            f"INSERT INTO {writer.table_name('invitees')} (uri, email, status) VALUES ({ph}, {ph}, {ph})",
            ["https://api.calendly.com/scheduled_events/OLD/invitees/OLD", "old@example.com", "active"],
        )
    return writer


@pytest.fixture
def invitee() -> Invitee:
    data: dict[str, Any] = json.loads((FIXTURES / "invitee.json").read_text())
    return Invitee.model_validate(data["resource"])


def test_upgrade_adds_columns_keeps_old_rows_and_writes_complete_new_rows(
    warehouse: Warehouse, invitee: Invitee
) -> None:
    writer = _old_warehouse(warehouse, LATER_COLUMNS)
    try:
        assert "reschedule_url" not in (writer.reflect_columns("invitees") or {})
        changes = writer.ensure_tables()
        added = {c for c in changes if "ADD COLUMN" in c}
        assert len(added) == sum(len(c) for c in (*LATER_COLUMNS.values(), *ADDED_SINCE_V1.values()))
        assert any("CREATE TABLE" in c and "schema_versions" in c for c in changes)
        for key, columns in LATER_COLUMNS.items():
            assert set(columns) <= set(writer.reflect_columns(key) or {})
        assert set(writer.reflect_columns("invitees") or {}) == set(TABLES["invitees"].column_names)

        writer.upsert_invitees([invitee])
        old = writer.execute(
            f"SELECT email, reschedule_url FROM {writer.table_name('invitees')} WHERE uri LIKE '%/OLD/%'"
        )
        assert old == [("old@example.com", None)]
        new = writer.execute(
            f"SELECT reschedule_url, routing_form_submission, email FROM {writer.table_name('invitees')} "
            f"WHERE uri = {writer.dialect.placeholder}",
            [invitee.uri],
        )
        assert new == [(invitee.reschedule_url, invitee.routing_form_submission, invitee.email)]
        versions = writer.execute(f"SELECT fingerprint FROM {writer.table_name('schema_versions')}")
        assert versions == [(schema_fingerprint(),)]

        assert writer.ensure_tables() == [], "a second run finds nothing to change"
        assert writer.count("schema_versions") == 1
    finally:
        writer.close()


def test_upgrade_of_the_previous_release_schema_adds_indexes(warehouse: Warehouse) -> None:
    writer = _old_warehouse(warehouse, {})
    try:
        changes = writer.ensure_tables()
        added = sorted(c.split()[2:6:3] for c in changes if "ADD COLUMN" in c)  # [table, column]
        assert added == sorted([writer.table_name(k), c] for k, cols in ADDED_SINCE_V1.items() for c in cols)
        expected = {writer.index_name(k, c.name) for k, spec in TABLES.items() for c in spec.columns if c.index}
        assert writer.index_name("invitees", "scheduled_event_uri") in expected
        if warehouse.kind in ("snowflake", "bigquery"):  # no indexes in Snowflake or BigQuery: none is asked for
            assert not any(c.startswith("CREATE INDEX") for c in writer.schema_evolution.plan(list(TABLES)))
        else:
            catalog = {
                "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index'",
                "duckdb": "SELECT index_name FROM duckdb_indexes()",
                "postgres": "SELECT indexname FROM pg_indexes",
                "mysql": "SELECT index_name FROM information_schema.statistics WHERE table_schema = DATABASE()",
            }[warehouse.kind]
            assert expected <= {r[0] for r in writer.execute(catalog)}
        assert writer.count("invitees") == 1
    finally:
        writer.close()


def test_a_changed_column_type_is_refused_naming_table_column_and_types(warehouse: Warehouse) -> None:
    writer = warehouse.writer()
    try:
        key_type = writer.dialect.column_type(ColumnType.TEXT, key=True).compile(dialect=writer.dialect.compiler)
        text = writer.dialect.types[ColumnType.TEXT]
        with writer.transaction():
            writer.execute(
                f"CREATE TABLE {writer.table_name('invitees')} (uri {key_type} PRIMARY KEY, is_no_show {text})"
            )
        with pytest.raises(CalendlySchemaError) as raised:
            writer.ensure_tables(["invitees"])
        err = raised.value
        assert (err.table, err.column) == (writer.table_name("invitees"), "is_no_show")
        assert writer.dialect.types[ColumnType.BOOLEAN] in err.expected and "rename column" in str(err).lower()
        # nothing was changed: the refused run created no other table
        assert writer.reflect_columns("schema_versions") is None
        assert set(writer.reflect_columns("invitees") or {}) == {"uri", "is_no_show"}
    finally:
        writer.close()


def test_a_column_added_to_the_registry_reaches_ddl_rows_and_readme(
    warehouse: Warehouse, invitee: Invitee, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_calendly.transfers import tables
    from scripts.readme_schema import readme_schema_table

    writer = warehouse.writer()
    writer.ensure_tables()
    writer.close()
    spec = TABLES["invitees"]
    extra = tables.Column("email_domain", tables.ColumnType.TEXT, "domain of the email", lambda i, _c: "example.com")
    monkeypatch.setitem(TABLES, "invitees", replace(spec, columns=(*spec.columns[:-2], extra, *spec.columns[-2:])))
    assert "`email_domain`" in readme_schema_table()

    writer = warehouse.writer()  # a later release, with the column in its registry
    try:
        changes = writer.ensure_tables()
        assert changes == [
            f"ALTER TABLE {writer.table_name('invitees')} ADD COLUMN email_domain TEXT".replace(
                "TEXT", writer.dialect.types[tables.ColumnType.TEXT]
            )
        ]
        writer.upsert_invitees([invitee])
        ph = writer.dialect.placeholder
        rows = writer.execute(
            f"SELECT email_domain FROM {writer.table_name('invitees')} WHERE uri = {ph}", [invitee.uri]
        )
        assert rows == [("example.com",)]
        assert writer.count("schema_versions") == 2
    finally:
        writer.close()


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_columns_carry_the_registry_meaning_as_comments(warehouse: Warehouse, kind: str) -> None:
    if warehouse.kind != kind:
        pytest.skip("one warehouse per parameter")
    writer = warehouse.writer()
    try:
        writer.ensure_tables(["invitees"])
        table = f"{warehouse.prefix}invitees"
        sql = {
            "duckdb": f"SELECT comment FROM duckdb_columns() WHERE table_name = '{table}' AND column_name = 'status'",
            "postgres": f"SELECT col_description('{table}'::regclass, attnum) FROM pg_attribute "
            f"WHERE attrelid = '{table}'::regclass AND attname = 'status'",
        }[kind]
        assert writer.execute(sql) == [(TABLES["invitees"].column("status").description,)]
    finally:
        writer.close()
