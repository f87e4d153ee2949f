"""What the provider's Airflow page shows, as one JSON document: syncs, webhook health, 30 days of trends.

Nothing is configured for it: it reads what the syncs and the receiver already record.

* **Syncs** are the task instances of :class:`~airflow_provider_calendly.transfers.calendly_to_sql.CalendlyToSqlOperator`
  (and of its subclasses the API server imports) that ran in the last :data:`WINDOW_DAYS` days, with their XComs
  in Airflow's metadata database: the summary each pass returns, and the progress a running pass reports
  (:data:`~airflow_provider_calendly.transfers.calendly_to_sql.PROGRESS_XCOM_KEY`).
* **Webhooks** come from the receiver's inbox (the ``[calendly_webhooks]`` section's ``inbox_conn_id``): what
  each callback path received per day and each consumer's backlog; the subscription operators' XComs add each
  subscription's state, events and the health check's last verdict.

Only the DAGs the user may read are looked at. Values are copied field by field, by name and type, from what
the operators return (never a whole XCom): the XComs hold no token, key or invitee data, and nothing an XCom
may hold besides reaches the page.

* :mod:`~.document`: the assembly, :func:`collect_status` and :func:`build_status`;
* :mod:`~.runs`: reading Airflow's metadata database (task instances, XComs, DAG names);
* :mod:`~.syncs` and :mod:`~.webhooks`: each section and its charts;
* :mod:`~.values`: values read by name and type, timestamps.
"""

from __future__ import annotations

from airflow_provider_calendly.ui.status.document import WINDOW_DAYS, build_status, collect_status
from airflow_provider_calendly.ui.status.runs import MAX_TASK_INSTANCES, TaskRun, operator_names
from airflow_provider_calendly.ui.status.syncs import PASSES_CHARTED, PASSES_SHOWN
from airflow_provider_calendly.ui.status.webhooks import InboxSource

__all__ = [
    "MAX_TASK_INSTANCES",
    "PASSES_CHARTED",
    "PASSES_SHOWN",
    "WINDOW_DAYS",
    "InboxSource",
    "TaskRun",
    "build_status",
    "collect_status",
    "operator_names",
]
