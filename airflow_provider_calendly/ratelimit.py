"""The rate limiters' old import path, kept so that users' code and DAGs keep working.

The limiters live in :mod:`airflow_provider_calendly.pacing`; import them from there in new code.
"""

from __future__ import annotations

from airflow_provider_calendly import pacing
from airflow_provider_calendly.pacing import *  # noqa: F403  (every public name of pacing, as before)

__all__ = pacing.__all__
