"""CalendlyToSqlOperator: land Calendly in any DB-API warehouse (the resources of ``DEFAULT_RESOURCES`` by default).

The operator is thin: it resolves the two hooks and hands them to
:class:`~airflow_provider_calendly.transfers.sync.CalendlySqlSync` (the engine; its module documents the
incremental scheme and the crash/retry guarantees), which writes through
:class:`~airflow_provider_calendly.transfers.sql_writer.CalendlyTableWriter` into the tables declared in
:mod:`~airflow_provider_calendly.transfers.tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.sql.hooks.sql import DbApiHook
from airflow.sdk import Asset, BaseOperator

from airflow_provider_calendly.client.params import is_templated
from airflow_provider_calendly.exceptions import CalendlyConfigError
from airflow_provider_calendly.hooks.calendly import MAX_PAGE_SIZE, CalendlyHook
from airflow_provider_calendly.transfers.config import (
    DEFAULT_BUSY_TIMES_HORIZON,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_LOOKBACK,
    DEFAULT_RESOURCES,
    MODES,
    RESOURCES,
    SyncConfig,
    tables_for_resources,
    validate_resources,
)
from airflow_provider_calendly.transfers.dialects import SqlDialect, detect_dialect, validate_identifier
from airflow_provider_calendly.transfers.reconcile import RefreshWindow
from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
from airflow_provider_calendly.transfers.sync import CalendlySqlSync
from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook
from airflow_provider_calendly.uris import CANONICAL_API_URL

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The XCom key a running sync reports its progress under (at most every ``progress_interval`` seconds).
PROGRESS_XCOM_KEY = "calendly_progress"

#: Operator attributes passed as they are to :class:`~airflow_provider_calendly.transfers.sync.SyncConfig`.
_CONFIG_ATTRIBUTES = (
    "organization",
    "user",
    "mode",
    "lookback",
    "chunk_size",
    "page_size",
    "max_concurrency",
    "invitee_refresh",
    "invitee_refresh_window",
    "deletions",
    "strict_resources",
    "webhook_inbox_conn_id",
    "busy_times_horizon",
    "include_transcripts",
    "progress_interval",
)

__all__ = [
    "DEFAULT_LOOKBACK",
    "DEFAULT_RESOURCES",
    "MODES",
    "PROGRESS_XCOM_KEY",
    "RESOURCES",
    "CalendlySqlSync",
    "CalendlyToSqlOperator",
    "calendly_table_asset",
    "resolve_dbapi_hook",
    "tables_for_resources",
]


def calendly_table_asset(sql_conn_id: str, table: str, *, schema: str | None = None) -> Asset:
    """Return the Asset a sync into ``table`` of ``sql_conn_id`` emits, for scheduling downstream DAGs on it.

    :param sql_conn_id: Warehouse connection id.
    :param table: Full table name, prefix included (e.g. ``calendly_invitees``).
    :param schema: Schema the table lives in, if the sync was given one.
    """
    qualified = f"{schema}.{table}" if schema else table
    return Asset(name=f"{sql_conn_id}.{qualified}", uri=f"calendly-sql://{sql_conn_id}/{qualified}", group="calendly")


class CalendlyToSqlOperator(BaseOperator):
    """Copy Calendly (event types, meetings, invitees, people, routing forms, activity…) into SQL tables.

    Rows are upserted by primary key; see :mod:`~airflow_provider_calendly.transfers.resources` for how each
    resource is read, which are incremental, and how skips and deletions work.

    Writes through the warehouse's official common-sql hook, each warehouse its own way (see the README's
    warehouse table and :mod:`~airflow_provider_calendly.transfers.dialects`); a warehouse it is not tested on
    is refused with a :class:`~airflow_provider_calendly.exceptions.CalendlyConfigError` before any API call.
    Tables are created if missing (see :mod:`~airflow_provider_calendly.transfers.sql_writer` for the schema),
    and each table is declared as an outlet Asset (:func:`calendly_table_asset`) so downstream DAGs can be
    scheduled on it. The XCom is a small summary dict (rows, calls, time per table), never data;
    while it runs, the task reports its progress under the XCom key :data:`PROGRESS_XCOM_KEY`.

    :param sql_conn_id: Warehouse connection: ``sqlite``, ``postgres``, ``duckdb`` or ``mysql`` (MySQL and
        MariaDB). (templated)
    :param calendly_conn_id: The ``calendly`` connection. (templated)
    :param resources: Any of :data:`RESOURCES` (``event_types``, ``scheduled_events``, ``invitees``, ``users``,
        ``organization_memberships``, ``groups``, ``routing_forms``, ``routing_form_submissions``,
        ``activity_log``, ``availability_schedules``, ``event_type_hosts``, ``organization``,
        ``organization_invitations``, ``locations``, ``busy_times``, ``outgoing_communications``, ``contacts``,
        ``contact_lists``, ``meeting_recaps``); default:
        :data:`DEFAULT_RESOURCES`, all but the opt-in ``busy_times`` and ``outgoing_communications``.
    :param calendly_resources: The same as ``resources``, under a name ``BaseOperator.partial`` does not claim
        for Airflow's executor resources: use it in ``.partial(...).expand(...)`` (see docs/production.md).
    :param organization: Organization UUID or URI; default: the token owner's organization. (templated)
    :param user: User UUID or URI, to sync one user's data. (templated)
    :param table_prefix: Prefix of the table names; a safe SQL identifier. (templated)
    :param schema: Schema to create the tables in; default: the connection's default. (templated)
    :param mode: ``incremental`` (re-read a start-time window; see the module docs) or ``full``. (templated)
    :param lookback: How far before the last pass an incremental run starts reading (default 30 days).
    :param chunk_size: Scheduled events per committed chunk (with their invitees).
    :param page_size: Items per Calendly API page (1-100).
    :param max_concurrency: Invitee listings in flight at once; the connection's rate limit still applies.
    :param invitee_refresh: ``reconcile`` (default: an incremental pass lists invitees only of events that are
        new, changed, or inside ``invitee_refresh_window``) or ``all`` (every listed event's, the previous
        scheme). (templated)
    :param invitee_refresh_window: ``(before, after)`` timedeltas around now whose meetings' invitees are
        always re-read, because no-shows (after a meeting) and reconfirmations (before it) change an invitee
        without touching its event; default 7 days back to 2 days ahead.
    :param deletions: Rows Calendly no longer returns (seen by full re-reads and ``mode="full"``): ``mark``
        (default: set ``_deleted_at``; un-marked if they come back), ``delete`` or ``ignore``. (templated)
    :param strict_resources: Fail on a resource the plan or token does not allow (Calendly's 403/404) instead
        of skipping it with a warning (skips are listed under ``skipped`` in the XCom).
    :param webhook_inbox_conn_id: Connection of the webhook receiver's inbox (``docs/webhooks.md``): an
        incremental pass first applies its deliveries without API calls and, while the organization's
        subscription stays active, does not re-read the refresh window's past. (templated)
    :param busy_times_horizon: How far ahead ``busy_times`` reads each run (default 7 days: one call per member).
    :param include_transcripts: Land meeting recaps' transcripts too (``<prefix>meeting_recap_transcripts``, an
        utterance a row; one call per recap whose transcript is not stored yet). Off by default: transcripts are
        large and hold everything that was said.
    :param progress_interval: Seconds between progress reports: a log line (pages and rows done, calls used,
        rate-limit wait, ETA) and the XCom :data:`PROGRESS_XCOM_KEY`, which the provider's Airflow page shows.
    """

    template_fields: Sequence[str] = (
        "sql_conn_id",
        "calendly_conn_id",
        "organization",
        "user",
        "table_prefix",
        "schema",
        "mode",
        "invitee_refresh",
        "deletions",
        "webhook_inbox_conn_id",
    )
    ui_color = "#006bff"

    def __init__(
        self,
        *,
        sql_conn_id: str,
        calendly_conn_id: str = CalendlyHook.default_conn_name,
        resources: Sequence[str] = DEFAULT_RESOURCES,
        organization: str | None = None,
        user: str | None = None,
        table_prefix: str = "calendly_",
        schema: str | None = None,
        mode: str = "incremental",
        lookback: timedelta = DEFAULT_LOOKBACK,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        page_size: int = MAX_PAGE_SIZE,
        max_concurrency: int = 4,
        invitee_refresh: str = "reconcile",
        invitee_refresh_window: RefreshWindow | tuple[timedelta, timedelta] | None = None,
        calendly_resources: Sequence[str] | None = None,
        deletions: str = "mark",
        strict_resources: bool = False,
        webhook_inbox_conn_id: str | None = None,
        busy_times_horizon: timedelta = DEFAULT_BUSY_TIMES_HORIZON,
        include_transcripts: bool = False,
        progress_interval: float = 30.0,
        **kwargs: Any,
    ) -> None:
        if calendly_resources is not None:
            if resources is not DEFAULT_RESOURCES:
                raise CalendlyConfigError("pass resources or calendly_resources, not both")
            resources = calendly_resources
        # ``resources`` is BaseOperator's executor-resources argument too, hence the distinct attribute name.
        # Every non-templated argument is checked now (the same SyncConfig checks run again at execute).
        SyncConfig(
            resources=validate_resources(resources),
            mode="incremental" if is_templated(mode) else mode,
            lookback=lookback,
            chunk_size=chunk_size,
            page_size=page_size,
            max_concurrency=max_concurrency,
            invitee_refresh="reconcile" if is_templated(invitee_refresh) else invitee_refresh,
            invitee_refresh_window=invitee_refresh_window,
            deletions="mark" if is_templated(deletions) else deletions,
            strict_resources=strict_resources,
            webhook_inbox_conn_id=webhook_inbox_conn_id,
            busy_times_horizon=busy_times_horizon,
            include_transcripts=include_transcripts,
            progress_interval=progress_interval,
        )
        window = RefreshWindow.coerce(invitee_refresh_window)
        self.calendly_resources = validate_resources(resources)
        if not is_templated(table_prefix):
            validate_identifier(table_prefix, what="table_prefix", allow_empty=True)
        if schema is not None and not is_templated(schema):
            validate_identifier(schema, what="schema")
        if not sql_conn_id:
            raise CalendlyConfigError("sql_conn_id is required: the warehouse connection to write to")
        if "outlets" not in kwargs and not any(is_templated(v) for v in (sql_conn_id, table_prefix, schema)):
            kwargs["outlets"] = [
                calendly_table_asset(sql_conn_id, f"{table_prefix}{t}", schema=schema)
                for t in tables_for_resources(self.calendly_resources)
            ]
        super().__init__(**kwargs)
        self.sql_conn_id = sql_conn_id
        self.calendly_conn_id = calendly_conn_id
        self.organization = organization
        self.user = user
        self.table_prefix = table_prefix
        self.schema = schema
        self.mode = mode
        self.lookback = lookback
        self.chunk_size = chunk_size
        self.page_size = page_size
        self.max_concurrency = max_concurrency
        self.invitee_refresh = invitee_refresh
        self.invitee_refresh_window = (window.before, window.after)
        self.deletions = deletions
        self.strict_resources = strict_resources
        self.webhook_inbox_conn_id = webhook_inbox_conn_id
        self.busy_times_horizon = busy_times_horizon
        self.include_transcripts = include_transcripts
        self.progress_interval = progress_interval
        self._summary: dict[str, Any] | None = None
        self._dialect: SqlDialect | None = None

    @cached_property
    def hook(self) -> CalendlyHook:
        """The Calendly hook."""
        return CalendlyHook(calendly_conn_id=self.calendly_conn_id)

    @cached_property
    def sql_hook(self) -> DbApiHook:
        """The warehouse's common-sql hook (a clear error if the connection is missing or not SQL)."""
        return resolve_dbapi_hook(self.sql_conn_id)

    def execute(self, context: Context) -> dict[str, Any]:
        # Validate everything (templates are rendered now) before any API call or write.
        config = SyncConfig(
            resources=self.calendly_resources, **{name: getattr(self, name) for name in _CONFIG_ATTRIBUTES}
        )
        validate_identifier(self.table_prefix, what="table_prefix", allow_empty=True)
        if self.schema is not None:
            validate_identifier(self.schema, what="schema")
        _ = self.hook.settings  # a broken calendly connection fails here, before the warehouse is touched
        writer = CalendlyTableWriter(self.sql_hook, self.table_prefix, schema=self.schema)  # refuses untested ones
        self._dialect = writer.dialect
        ti = context.get("ti")
        report = None if ti is None else lambda progress: ti.xcom_push(key=PROGRESS_XCOM_KEY, value=progress)
        try:
            summary = CalendlySqlSync(hook=self.hook, writer=writer, config=config, on_progress=report).run()
        finally:
            writer.close()
        summary["warehouse"] = {
            "conn_id": self.sql_conn_id,
            "dialect": writer.dialect.name,
            "table_prefix": self.table_prefix,
            "schema": self.schema,
        }
        self._summary = summary
        return summary

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Describe the run for OpenLineage: Calendly collections in, warehouse tables out.

        Returns ``None`` when the OpenLineage provider is not installed (its imports are lazy on purpose).
        """
        try:
            from airflow.providers.common.compat.openlineage.facet import Dataset
            from airflow.providers.openlineage.extractors import OperatorLineage
        except ImportError:
            return None
        base_url = self.hook.base_url if "settings" in self.hook.__dict__ else CANONICAL_API_URL
        namespace = base_url.replace("https://", "calendly://").replace("http://", "calendly://")
        inputs = [Dataset(namespace=namespace, name=resource) for resource in self.calendly_resources]
        outputs = [Dataset(namespace=space, name=name) for space, name in self.lineage_outputs()]
        return OperatorLineage(inputs=inputs, outputs=outputs)

    def lineage_outputs(self) -> list[tuple[str, str]]:
        """``(namespace, name)`` of each table the sync writes, as OpenLineage names the warehouse's datasets
        (e.g. ``mysql://host:3306`` and ``database.table``, ``snowflake://account`` and ``DB.SCHEMA.TABLE``)."""
        dialect = self._dialect or detect_dialect(self.sql_hook)
        namespace = dialect.lineage_namespace()
        return [
            (namespace, dialect.lineage_name(f"{self.table_prefix}{t}", self.schema))
            for t in tables_for_resources(self.calendly_resources)
        ]
