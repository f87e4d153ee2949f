"""The DAGs of the Calendly page's browser test (tests/ui/test_calendly_page.py), in a DAG bundle of their own.

The receiver's URL and the sync's pace come from the test's environment, read when the file is parsed.
"""

from __future__ import annotations

import os
from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_calendly.operators.webhooks import (
    CalendlyCheckWebhookSubscriptionOperator,
    CalendlyEnsureWebhookSubscriptionOperator,
)
from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator
from airflow_provider_calendly.transfers.change_capture import FEED_EVENTS, RECAP_EVENTS

CALLBACK = os.environ.get("CALENDLY_PAGE_CALLBACK", "http://127.0.0.1:8080/calendly/webhooks")
START = datetime(2024, 1, 1)

with DAG("calendly_page_sync", start_date=START, schedule=None, catchup=False, dag_display_name="Calendly → warehouse"):
    CalendlyToSqlOperator(
        task_id="sync",
        sql_conn_id="calendly_page_warehouse",
        webhook_inbox_conn_id="calendly_webhook_inbox",
        progress_interval=0.5,
        page_size=10,
        retries=0,
    )

with DAG("calendly_page_webhooks", start_date=START, schedule=None, catchup=False):
    ensure = CalendlyEnsureWebhookSubscriptionOperator(
        task_id="ensure_subscription",
        url=CALLBACK,
        # The organization's events: Calendly delivers a recap's only to a user-scoped subscription.
        events=[e for e in FEED_EVENTS if e not in RECAP_EVENTS],
        retries=0,
    )
    ensure >> CalendlyCheckWebhookSubscriptionOperator(task_id="check_subscription", url=CALLBACK, retries=0)

# Readable by admins only (tests/ui/auth_manager.py); its display name is markup the page must show as text.
with DAG(
    "private_calendly_page_sync",
    start_date=START,
    schedule=None,
    catchup=False,
    dag_display_name='<img src=x onerror="window.__calendly_pwned=1">private <script>window.__calendly_pwned=2</script>',
):
    CalendlyToSqlOperator(
        task_id="sync",
        sql_conn_id="calendly_page_warehouse",
        table_prefix="private_",
        resources=["event_types"],
        retries=0,
    )
