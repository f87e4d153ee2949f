"""Deprecated import path: ``resolve_dbapi_hook`` moved to :mod:`airflow_provider_calendly.transfers.warehouse`.

It resolves a warehouse connection for the transfers and holds no hook. This module only re-exports the old
name for DAGs that import it from here.
"""

from __future__ import annotations

import warnings

from airflow_provider_calendly.transfers.warehouse import resolve_dbapi_hook

__all__ = ["resolve_dbapi_hook"]

warnings.warn(
    "airflow_provider_calendly.hooks.sql is deprecated: import resolve_dbapi_hook from "
    "airflow_provider_calendly.transfers.warehouse",
    DeprecationWarning,
    stacklevel=2,
)
