"""Test your DAGs offline: a local Calendly API emulator with deterministic data, plus pytest fixtures.

``CalendlyEmulator`` serves Calendly's API v2 on loopback (pagination, errors, rate-limit headers, fault
injection); the opt-in pytest plugin (``-p airflow_provider_calendly.testing.pytest_plugin``, or
``pytest_plugins = ["airflow_provider_calendly.testing.pytest_plugin"]`` in a ``conftest.py``) gives the
``calendly_emulator`` and ``calendly_conn`` fixtures.

The names are imported lazily so that ``python -m airflow_provider_calendly.testing.emulator`` runs the module
once, as ``__main__``, without Python warning that it was already imported by this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_calendly.testing.data import REFERENCE_NOW, Dataset, build_dataset
    from airflow_provider_calendly.testing.emulator import CalendlyEmulator
    from airflow_provider_calendly.testing.faults import FaultConfig
    from airflow_provider_calendly.testing.state import RequestRecord
    from airflow_provider_calendly.testing.world import UPDATED_AT_CHANGES

_MODULE_OF = {
    "REFERENCE_NOW": "data",
    "Dataset": "data",
    "build_dataset": "data",
    "CalendlyEmulator": "emulator",
    "FaultConfig": "faults",
    "RequestRecord": "state",
    "UPDATED_AT_CHANGES": "world",
}

__all__ = [
    "REFERENCE_NOW",
    "UPDATED_AT_CHANGES",
    "CalendlyEmulator",
    "Dataset",
    "FaultConfig",
    "RequestRecord",
    "build_dataset",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
