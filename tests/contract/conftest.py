"""What the contract tests share: an HTTP session holding the emulator's token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from airflow_provider_calendly.testing import CalendlyEmulator


@pytest.fixture
def session(calendly_emulator: CalendlyEmulator) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {calendly_emulator.token}"
        yield s
