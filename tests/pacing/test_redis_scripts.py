"""The Redis limiter's Lua ships as a file next to its module and loads into one script per operation."""

from __future__ import annotations

from airflow_provider_calendly.pacing.decisions import NEW_WINDOW_AFTER
from airflow_provider_calendly.pacing.redis import lua_scripts


def test_every_script_loads_with_the_prelude_and_the_shared_constant() -> None:
    scripts = lua_scripts()
    assert set(scripts) == {"acquire", "release", "observe", "block"}
    for script in scripts.values():
        assert "local function fmt(x)" in script  # the prelude: ``now`` and the number format
        assert "NEW_WINDOW_AFTER" not in script
    assert f"local gap = {NEW_WINDOW_AFTER!r}" in scripts["observe"]
