"""Deprecated import path: ``land_delivery`` moved to :mod:`airflow_provider_calendly.transfers.webhook_to_sql`.

Landing a delivery in the warehouse is a transfer; the webhooks package (receiver, inbox) does not depend on
the table layer. This module only re-exports the old name for DAGs that import it from here.
"""

from __future__ import annotations

import warnings

from airflow_provider_calendly.transfers.webhook_to_sql import land_delivery

__all__ = ["land_delivery"]

warnings.warn(
    "airflow_provider_calendly.webhooks.warehouse is deprecated: import land_delivery from "
    "airflow_provider_calendly.transfers.webhook_to_sql",
    DeprecationWarning,
    stacklevel=2,
)
