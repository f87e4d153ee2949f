"""BigQuery: ``JSON``, ``TIMESTAMP``, and a load job into a staging table merged by ``MERGE`` as the bulk path.

Needs the ``bigquery`` extra (the official Google provider: its ``BigQueryHook``, the ``google-cloud-bigquery``
client, and ``sqlalchemy-bigquery``, which compiles the statements); imported only when a BigQuery connection is used.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa

from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.transfers.dialects.base import SchemaChange, SqlDialect, compile_ddl
from airflow_provider_calendly.transfers.tables import TABLES, ColumnType, TableSpec, sqlalchemy_type

if TYPE_CHECKING:
    from airflow.providers.common.sql.hooks.sql import DbApiHook
    from google.cloud import bigquery

    from airflow_provider_calendly.transfers.warehouse import WarehouseConnection

__all__ = ["PARTITION_COLUMNS", "BigQueryDialect", "partition_column"]

#: The time columns a table is partitioned by (by month), the first it has: the time analysts filter it by.
PARTITION_COLUMNS = ("start_time", "occurred_at", "created_at")
#: BigQuery clusters a table by at most four columns.
CLUSTER_LIMIT = 4
#: How long a staging table outlives a writer that never closed (a crashed worker): BigQuery deletes it then.
STAGE_LIFETIME = timedelta(days=1)
#: The legacy names the API reports a table's column types by, as GoogleSQL (and ``sqlalchemy-bigquery``) names them.
_STANDARD_TYPE = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}
#: GoogleSQL's reserved keywords: ``ALTER TABLE … ADD COLUMN`` quotes a column of one of these names (no other).
_RESERVED = frozenset(
    """all and any array as asc assert_rows_modified at between by case cast collate contains create cross cube
    current default define desc distinct else end enum escape except exclude exists extract false fetch
    following for from full group grouping groups hash having if ignore in inner intersect interval into is join
    lateral left like limit lookup merge natural new no not null nulls of on or order outer over partition
    preceding proto qualify range recursive respect right rollup rows select set some struct tablesample then to
    treat true unbounded union unnest using when where window with within""".split()  # noqa: SIM905
)


def partition_column(spec: TableSpec) -> str | None:
    """The ``TIMESTAMP`` column of ``spec`` its BigQuery table is partitioned by (by month), if it has one of
    :data:`PARTITION_COLUMNS`."""
    names = set(spec.column_names)
    return next((n for n in PARTITION_COLUMNS if n in names and spec.column(n).type is ColumnType.TIMESTAMP), None)


class BigQueryDialect(SqlDialect):
    """BigQuery through the official ``BigQueryHook`` (a ``google_cloud_platform`` connection; the ``bigquery`` extra).

    **Where**: the tables live in the connection's project, in the dataset the transfer's ``schema`` names (else
    the connection's ``schema`` field); the dataset must exist. **Types**: JSON is ``JSON`` (``JSON_VALUE(raw,
    '$.uri')``), timestamps ``TIMESTAMP`` (UTC), integers ``INT64``, numbers ``FLOAT64``, booleans ``BOOL``, text
    ``STRING``.

    **Tables** are created through the API (``BigQueryHook.create_table``) with the registry's descriptions on the
    table and every column, key columns ``REQUIRED``, partitioned by month on the time analysts filter the table by
    (:func:`partition_column`: ``start_time`` of scheduled events, busy times and recaps, ``occurred_at`` of the
    activity log, else ``created_at``; a table with none of them is not partitioned: month partitions keep each table
    far below BigQuery's partition limit however long the history) and clustered by the primary key (the ``MERGE``
    join, and the parent link of child tables). Primary keys are not declared: BigQuery would not enforce them, and
    the ``MERGE`` keeps keys unique. A new column is added by ``ALTER TABLE … ADD COLUMN`` and described by a table
    update. BigQuery has no indexes: link columns get none.

    **Writes**: each chunk of rows is loaded by a load job (newline-delimited JSON, the client's resumable upload)
    into a staging table of the writer's own (``<table>__stage_<token>``, replaced by each load, deleted when the
    writer closes, expiring after :data:`STAGE_LIFETIME` if it never does), then moved by one ``MERGE`` on the
    primary key: never row by row. Deletions are ``DELETE`` / ``UPDATE`` with the keys as one array parameter.

    **No transactions**: each statement commits by itself (BigQuery's multi-statement transactions need a session
    and cannot take in a load job). What keeps a run safe is that every write is idempotent instead: a chunk is
    ``MERGE``\\ d by key (even new rows: the same chunk merged twice lands once), a parent's children are deleted
    by the parent's key and merged again, deletions mark or delete by key, and the sync's position (``sync_state``)
    is written after the rows it covers. A fault mid-run leaves rows of the chunk written or not, never doubled;
    the retry redoes the chunk and lands the same table.
    """

    name = "bigquery"
    conn_types = ("google_cloud_platform", "gcpbigquery")
    exact_rowcount = True
    json_decoded = True
    transactional = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token = uuid.uuid4().hex[:8]
        self._stages: dict[str, bigquery.Table] = {}  # table key -> its staging table, created by this writer

    @classmethod
    def own_hook(cls, conn_id: str) -> DbApiHook:
        from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

        hook: DbApiHook = BigQueryHook(gcp_conn_id=conn_id, use_legacy_sql=False)  # GoogleSQL, not legacy SQL
        return hook

    def make_compiler(self) -> sa.engine.Dialect:
        from sqlalchemy_bigquery import BigQueryDialect as Compiler

        return Compiler(paramstyle="pyformat")  # type: ignore[no-any-return]

    def column_type(self, column_type: ColumnType, *, key: bool) -> Any:
        if column_type is ColumnType.TIMESTAMP:
            from sqlalchemy_bigquery import TIMESTAMP

            return TIMESTAMP()
        return sqlalchemy_type(column_type)

    def reflected_type(self, spelled: str) -> str:
        return _STANDARD_TYPE.get(spelled, spelled)

    def bind_column(self, column_type: ColumnType) -> Callable[[list[Any]], list[Any]] | None:
        # JSON stays Python data: the load's newline-delimited JSON carries it as JSON.
        return None if column_type is ColumnType.JSON else super().bind_column(column_type)

    # -- where the tables are --

    @cached_property
    def project(self) -> str:
        """The connection's project (the tables', and the jobs')."""
        return str(self.hook.project_id)  # type: ignore[attr-defined]

    def default_schema(self) -> str:
        dataset = self.hook.get_connection(self.hook.get_conn_id()).schema
        if not dataset:
            raise CalendlyConfigError(
                f"BigQuery connection {self.hook.get_conn_id()!r} names no dataset: pass the transfer's `schema` "
                "(the dataset of the tables) or set the connection's schema field"
            )
        return str(dataset)

    def table_id(self, table: sa.Table | str, dataset: str | None = None) -> str:
        """The API's id of a table (one of the writer's, or a name in ``dataset``): ``project.dataset.table``."""
        if isinstance(table, sa.Table):
            return f"{self.project}.{table.schema}.{table.name}"
        return f"{self.project}.{dataset}.{table}"

    # -- the connection --

    @cached_property
    def client(self) -> bigquery.Client:
        """The hook's BigQuery client (its credentials, the connection's project and location)."""
        return self.hook.get_client(project_id=self.project, location=self.hook.location)  # type: ignore[attr-defined,no-any-return]

    def connect(self) -> Any:
        # The client library's own DB-API over the hook's client (the hook's get_conn() is the older discovery API);
        # results come over REST: the writer reads only keys and small rows, no Storage Read API session is needed.
        from google.cloud.bigquery import dbapi

        return _Connection(dbapi.connect(self.client, prefer_bqstorage_client=False), self)

    def drop_stages(self) -> None:
        """Delete the staging tables this writer made."""
        for stage in self._stages.values():
            self.client.delete_table(stage, not_found_ok=True)
        self._stages.clear()

    # -- reading --

    def reflect(self, writer: WarehouseConnection, table: sa.Table) -> dict[str, tuple[str, str]] | None:
        from google.api_core.exceptions import NotFound

        try:
            found = self.client.get_table(self.table_id(table))
        except NotFound:
            return None
        return {
            f.name: (
                self.reflected_type(f.field_type),
                self._type(table.c[f.name]) if f.name in table.c else "",
            )
            for f in found.schema
        }

    def _type(self, column: sa.Column[Any]) -> str:
        return self.reflected_type(column.type.compile(dialect=self.compiler))

    def values_source(self, column: sa.ColumnElement[Any], values: Sequence[Any]) -> tuple[Any, Any] | None:
        if not values:
            return None  # no array to type: nothing is read
        # One array parameter: a statement of constant size, however many values.
        array = sa.bindparam("values", type_=sa.ARRAY(column.type))
        return sa.select(sa.literal_column("v")).select_from(sa.text("UNNEST(:values) AS v").bindparams(array)), list(
            values
        )

    # -- schema changes --

    def index_statements(self, writer: WarehouseConnection, table: sa.Table, exists: bool) -> list[str]:
        return []  # BigQuery has no indexes (its tables are clustered by the key)

    def create_table(self, writer: WarehouseConnection, table: sa.Table) -> SchemaChange:
        from google.cloud.bigquery import TimePartitioning

        # What the API creates, as GoogleSQL's DDL spells it (recorded in schema_versions; the descriptions, set
        # through the API too, left out like other warehouses' comment statements).
        resource = self.table_resource(writer, table)
        options: dict[str, Any] = {"bigquery_clustering_fields": resource["clustering"]["fields"]}
        if "timePartitioning" in resource:
            options["bigquery_time_partitioning"] = TimePartitioning.from_api_repr(resource["timePartitioning"])
        ddl = sa.Table(
            table.name,
            sa.MetaData(schema=table.schema),
            *(sa.Column(c.name, c.type, primary_key=c.primary_key) for c in table.columns),
            **options,
        )
        return SchemaChange(
            "create_table", compile_ddl(sa.schema.CreateTable(ddl, if_not_exists=True), self.compiler), table
        )

    def add_column(self, writer: WarehouseConnection, table: sa.Table, column: sa.Column[Any]) -> SchemaChange:
        name = f"`{column.name}`" if column.name in _RESERVED else column.name
        sql = f"ALTER TABLE {table.schema}.{table.name} ADD COLUMN {name} {self._type(column)}"
        return SchemaChange("add_column", sql, table, column)

    def apply_change(self, writer: WarehouseConnection, change: SchemaChange) -> None:
        table = change.table
        if change.kind == "create_table":
            self.hook.create_table(  # type: ignore[attr-defined]
                project_id=self.project,
                dataset_id=table.schema,
                table_id=table.name,
                table_resource=self.table_resource(writer, table),
                exists_ok=True,
            )
        elif change.kind == "add_column" and change.column is not None:
            writer.execute(change.sql, fetch=False)
            self._describe(table, change.column)

    def table_resource(self, writer: WarehouseConnection, table: sa.Table) -> dict[str, Any]:
        """The API's table resource of ``table``: schema with descriptions, month partitions, clustering."""
        spec = _spec(writer, table)
        resource: dict[str, Any] = {
            "schema": {"fields": [self._field(c) for c in table.columns]},
            "description": spec.description,
            "clustering": {"fields": list(spec.primary_key[:CLUSTER_LIMIT])},
        }
        partition = partition_column(spec)
        if partition is not None:
            resource["timePartitioning"] = {"type": "MONTH", "field": partition}
        return resource

    def _field(self, column: sa.Column[Any]) -> dict[str, Any]:
        field = {
            "name": column.name,
            "type": self._type(column),
            "mode": "REQUIRED" if column.primary_key else "NULLABLE",
        }
        if column.comment:
            field["description"] = column.comment
        return field

    def _describe(self, table: sa.Table, column: sa.Column[Any]) -> None:
        """Record a column added by ``ALTER TABLE`` in the table's schema with its description (a table update)."""
        from google.cloud.bigquery import SchemaField

        found = self.client.get_table(self.table_id(table))
        field = SchemaField.from_api_repr(self._field(column))
        listed = any(f.name == column.name for f in found.schema)  # BigQuery lists it; some stand-ins do not yet
        found.schema = [field if f.name == column.name else f for f in found.schema] + ([] if listed else [field])
        self.client.update_table(found, ["schema"])

    # -- writing --

    def fast_path(self, writer: WarehouseConnection) -> bool:
        return True

    def load(
        self, writer: WarehouseConnection, key: str, columns: list[list[Any]], *, upsert: bool, existing: int | None
    ) -> None:
        # Always a MERGE by key, whatever `upsert` says: merging new rows too is what lands a retried chunk once.
        table = writer.tables[key]
        stage = self._stage(table, key)
        self.load_job(stage, table.columns.keys(), columns, truncate=True)
        writer.execute(writer.cached_sql(key, "merge", lambda t: sa.text(self._merge(t, stage))), fetch=False)

    def load_job(
        self, table: bigquery.Table, names: Sequence[str], columns: list[list[Any]], *, truncate: bool
    ) -> None:
        """Load rows (given column by column) into ``table`` with one load job of newline-delimited JSON, replacing
        its rows (``truncate``) or appending to them."""
        from google.cloud import bigquery

        disposition = bigquery.WriteDisposition.WRITE_TRUNCATE if truncate else bigquery.WriteDisposition.WRITE_APPEND
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
            schema=table.schema,
            write_disposition=disposition,
        )
        # No `size`: the client uploads resumably (the multipart upload it would make instead caps the body).
        self.client.load_table_from_file(io.BytesIO(_ndjson(names, columns)), table, job_config=config).result()

    def _stage(self, table: sa.Table, key: str) -> bigquery.Table:
        """The staging table of table ``key``: its columns (all nullable, undescribed), created on first use with an
        expiry."""
        stage = self._stages.get(key)
        if stage is None:
            from google.cloud import bigquery

            stage = bigquery.Table(
                self.table_id(f"{table.name}__stage_{self._token}", table.schema),
                schema=[bigquery.SchemaField(c.name, self._type(c)) for c in table.columns],
            )
            stage.expires = datetime.now(timezone.utc) + STAGE_LIFETIME
            stage.description = f"Rows being merged into {table.name} by a Calendly transfer"
            stage = self._stages[key] = self.client.create_table(stage, exists_ok=True)
        return stage

    def _merge(self, table: sa.Table, stage: bigquery.Table) -> str:
        """The ``MERGE`` of the staged rows into ``table`` by its primary key."""
        preparer = self.compiler.identifier_preparer
        names = [preparer.quote(c.name) for c in table.columns]
        keys = {preparer.quote(c.name) for c in table.primary_key.columns}
        dataset, name = stage.dataset_id, stage.table_id
        on = " AND ".join(f"t.{k} = s.{k}" for k in names if k in keys)
        update = ", ".join(f"{n} = s.{n}" for n in names if n not in keys)
        matched = f" WHEN MATCHED THEN UPDATE SET {update}" if update else ""
        return (
            f"MERGE {preparer.format_table(table)} AS t USING {preparer.quote(dataset)}.{preparer.quote(name)} AS s "
            f"ON {on}{matched} WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) "
            f"VALUES ({', '.join(f's.{n}' for n in names)})"
        )

    def insert(self, table: sa.Table, select: sa.Select[Any] | None, upsert: bool) -> sa.ClauseElement:
        raise NotImplementedError("BigQuery writes through a load job and MERGE (load)")

    # -- lineage --

    def lineage_namespace(self) -> str:
        return "bigquery"

    def lineage_name(self, table: str, schema: str | None) -> str:
        return f"{self.project}.{schema or self.default_schema()}.{table}"


class _Connection:
    """The writer's DB-API connection: the client library's, where ``commit`` and ``rollback`` have nothing to do
    (each statement commits by itself, see :class:`BigQueryDialect`), and closing deletes the staging tables."""

    def __init__(self, connection: Any, dialect: BigQueryDialect) -> None:
        self._connection = connection
        self._dialect = dialect

    def cursor(self) -> Any:
        return self._connection.cursor()

    def commit(self) -> None:
        """Nothing to commit: every statement committed by itself."""

    def rollback(self) -> None:
        """Nothing to roll back: the writes are idempotent, a retry redoes them."""

    def close(self) -> None:
        try:
            self._dialect.drop_stages()
        finally:
            self._connection.close()


def _spec(writer: WarehouseConnection, table: sa.Table) -> TableSpec:
    return TABLES[next(k for k, t in writer.tables.items() if t is table)]


_encode_lines = msgspec.json.Encoder().encode_lines


def _ndjson(names: Sequence[str], columns: list[list[Any]]) -> bytes:
    """Rows (given column by column) as newline-delimited JSON, nulls left out (msgspec writes timestamps as RFC 3339
    and a ``NaN`` as ``null``; what it refuses, e.g. integers beyond 64 bits, takes the standard library's path)."""
    rows = [
        {n: v for n, v in zip(names, values, strict=True) if v is not None} for values in zip(*columns, strict=True)
    ]
    try:
        return _encode_lines(rows)
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return "".join(json.dumps(row, default=_isoformat, ensure_ascii=False) + "\n" for row in rows).encode()


def _isoformat(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
