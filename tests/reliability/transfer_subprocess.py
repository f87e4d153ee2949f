"""Run one CalendlyToSqlOperator transfer in its own process, for the SIGKILL test.

Usage: ``python transfer_subprocess.py <sql_conn_id>``; the connections come from ``AIRFLOW_CONN_*`` variables.
"""

from __future__ import annotations

import sys

from airflow_provider_calendly.transfers.calendly_to_sql import CalendlyToSqlOperator


def main(sql_conn_id: str) -> None:
    op = CalendlyToSqlOperator(
        task_id="land", sql_conn_id=sql_conn_id, mode="full", chunk_size=5, page_size=5, max_concurrency=1
    )
    op.execute({})  # type: ignore[arg-type]
    print("transfer finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
