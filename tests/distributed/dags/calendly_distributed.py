"""The DAGs the CeleryExecutor deployment test runs (tests/distributed/test_celery_deployment.py).

- ``calendly_dist_partitioned``: one organization synced as parallel tasks, the pattern docs/production.md
  documents: the tables are created once, event types are synced once for the organization, and scheduled
  events with their invitees are synced by a task per user, mapped over the organization's members.
- ``calendly_dist_worker_kill``: one full sync of scheduled events, with retries, whose worker the test
  SIGKILLs mid-sync.
- ``calendly_dist_webhooks``: scheduled on a Calendly Asset whose AssetWatcher follows the webhook inbox;
  each run claims its deliveries and records what it saw and what it claimed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Asset, AssetWatcher, task

from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator
from airflow_provider_calendly.triggers.calendly import CalendlyWebhookTrigger

WAREHOUSE = "dist_warehouse"
INBOX = "calendly_webhook_inbox"
CONSUMER = "calendly_dist_webhooks"
#: Small pages and chunks: more calls per row, and a committed chunk early in the sync for the kill to land after.
PAGE_SIZE = 20
CHUNK_SIZE = 10
RETRIES: dict[str, Any] = {"retries": 3, "retry_delay": timedelta(seconds=1)}
START = datetime(2024, 1, 1)


@task
def create_tables(table_prefix: str) -> None:
    """Create every table before the mapped tasks start, so they never race to create the same one."""
    from airflow_provider_calendly.transfers.sql_writer import CalendlyTableWriter
    from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook

    with CalendlyTableWriter(resolve_dbapi_hook(WAREHOUSE), table_prefix) as writer:
        writer.ensure_tables()


@task
def organization_users() -> list[str]:
    """Return the URIs of the organization's members: one mapped sync task each."""
    from airflow_provider_calendly.hooks.calendly import CalendlyHook

    return [membership.user.uri for membership in CalendlyHook().list_organization_memberships()]


with DAG(dag_id="calendly_dist_partitioned", schedule=None, start_date=START, catchup=False, max_active_tasks=8):
    tables = create_tables("part_")
    event_types = CalendlyToSqlOperator(
        task_id="event_types", sql_conn_id=WAREHOUSE, resources=["event_types"], table_prefix="part_", mode="full"
    )
    events_by_user = CalendlyToSqlOperator.partial(
        task_id="events_by_user",
        sql_conn_id=WAREHOUSE,
        calendly_resources=["scheduled_events", "invitees"],  # `resources` is BaseOperator.partial's own
        table_prefix="part_",
        mode="full",
        page_size=PAGE_SIZE,
        chunk_size=CHUNK_SIZE,
        **RETRIES,
    ).expand(user=organization_users())
    tables >> [event_types, events_by_user]


with DAG(dag_id="calendly_dist_worker_kill", schedule=None, start_date=START, catchup=False):
    CalendlyToSqlOperator(
        task_id="full_sync",
        sql_conn_id=WAREHOUSE,
        calendly_conn_id="calendly_kill",
        resources=["scheduled_events"],
        table_prefix="kill_",
        mode="full",
        page_size=5,  # a call per 5 events: long enough a sync for the kill to land mid-way
        chunk_size=CHUNK_SIZE,
        **RETRIES,
    )


bookings = Asset(
    name="calendly_dist_bookings",
    uri="calendly://webhooks/dist",
    group="calendly",
    watchers=[
        AssetWatcher(
            name="calendly_dist_watcher",
            trigger=CalendlyWebhookTrigger(
                inbox_conn_id=INBOX, events=["invitee.created"], consumer=CONSUMER, after_id=0, poll_interval=0.2
            ),
        )
    ],
)


@task
def act_on_deliveries(triggering_asset_events: Any = None, run_id: str | None = None) -> int:
    """Claim this run's deliveries and record, per delivery, that this run saw it and whether it claimed it."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from airflow_provider_calendly.webhooks.inbox import WebhookInbox

    ids = [
        event.extra["payload"]["delivery_id"]
        for events in (triggering_asset_events or {}).values()
        for event in events
        if isinstance((event.extra or {}).get("payload"), dict)
    ]
    claimed = set(WebhookInbox.from_conn_id(INBOX).claim(CONSUMER, ids))
    rows = [(run_id, delivery, delivery in claimed) for delivery in ids]
    if rows:
        PostgresHook(postgres_conn_id=WAREHOUSE).insert_rows(
            "dist_runs_seen", rows, target_fields=["run_id", "delivery_id", "claimed"]
        )
    return len(claimed)


with DAG(dag_id="calendly_dist_webhooks", schedule=[bookings], start_date=START, catchup=False, max_active_runs=64):
    act_on_deliveries()
