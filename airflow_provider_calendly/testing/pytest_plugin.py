"""Pytest fixtures for testing DAGs against the Calendly emulator (an opt-in plugin).

Enable it with ``pytest -p airflow_provider_calendly.testing.pytest_plugin`` or, in your top-level
``conftest.py``, ``pytest_plugins = ["airflow_provider_calendly.testing.pytest_plugin"]``. It is not loaded
automatically: installing the provider does not change the fixtures of every pytest run on the machine.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_calendly.testing.emulator import CalendlyEmulator


@pytest.fixture
def calendly_emulator() -> Iterator[CalendlyEmulator]:
    """A fresh emulator (seed 42, small organization) on a free loopback port."""
    with CalendlyEmulator(seed=42, scheduled_events=60) as emulator:
        yield emulator


@pytest.fixture
def calendly_conn(calendly_emulator: CalendlyEmulator, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the ``calendly_default`` connection at the emulator; returns the connection id."""
    monkeypatch.setenv("AIRFLOW_CONN_CALENDLY_DEFAULT", calendly_emulator.connection_json())
    return "calendly_default"
