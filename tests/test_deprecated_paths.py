"""Old import paths users' DAGs copied keep working, with a DeprecationWarning naming the new one."""

from __future__ import annotations

import importlib
import sys

import pytest

MOVED = [
    ("airflow_provider_calendly.hooks.sql", "resolve_dbapi_hook", "airflow_provider_calendly.transfers.warehouse"),
    (
        "airflow_provider_calendly.webhooks.warehouse",
        "land_delivery",
        "airflow_provider_calendly.transfers.webhook_to_sql",
    ),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED)
def test_old_path_warns_and_re_exports_the_same_object(
    old: str, name: str, new: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The new module first: importing Airflow the first time sends warnings to logging, out of pytest's sight.
    moved_to = importlib.import_module(new)
    monkeypatch.delitem(sys.modules, old, raising=False)  # imported fresh, so its warning is raised again
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated: import {name} from {new}"):
        shim = importlib.import_module(old)
    assert getattr(shim, name) is getattr(moved_to, name)
