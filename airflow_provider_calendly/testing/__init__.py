"""Test your DAGs offline: a local Calendly API emulator with deterministic data, plus pytest fixtures.

``CalendlyEmulator`` serves Calendly's API v2 on loopback (pagination, errors, rate-limit headers, fault
injection); the pytest plugin (``airflow_provider_calendly.testing.pytest_plugin``, loaded automatically when
the package is installed) gives the ``calendly_emulator`` and ``calendly_conn`` fixtures.
"""

from __future__ import annotations

from airflow_provider_calendly.testing.data import REFERENCE_NOW, Dataset, build_dataset
from airflow_provider_calendly.testing.emulator import CalendlyEmulator, FaultConfig, RequestRecord

__all__ = ["REFERENCE_NOW", "CalendlyEmulator", "Dataset", "FaultConfig", "RequestRecord", "build_dataset"]
