"""Check what a component really called against what :mod:`airflow_provider_calendly.scopes` declares it calls."""

from __future__ import annotations

import re
from collections.abc import Iterable

from airflow_provider_calendly.testing.state import RequestRecord


def undeclared_calls(records: Iterable[RequestRecord], endpoints: Iterable[str]) -> list[str]:
    """The calls among the emulator's ``records`` that no declared endpoint (``"GET /organizations/{uuid}"``,
    a ``{…}`` matching one path segment) matches."""
    patterns = []
    for spec in endpoints:
        method, _, template = spec.partition(" ")
        path = "/".join("[^/]+" if part.startswith("{") else re.escape(part) for part in template.split("/"))
        patterns.append((method, re.compile(f"{path}$")))
    return sorted(
        {
            f"{r.method} {r.path}"
            for r in records
            if not any(r.method == method and pattern.match(r.path) for method, pattern in patterns)
        }
    )
