"""The page's files: the vendored Chart.js is the pinned build, shipped with its licenses; the page loads only
its own files, through relative URLs; the plugin adds the page to the UI without building anything on import."""

from __future__ import annotations

import json
import re

from airflow_provider_calendly.ui.app import STATIC
from airflow_provider_calendly.ui.plugin import URL_PREFIX, CalendlyUiPlugin, LazyApp
from tests.conftest import REPO_ROOT

PIN = REPO_ROOT / "scripts" / "ui-assets" / "package.json"


def test_the_vendored_chart_js_is_the_pinned_build_with_its_licenses() -> None:
    pinned = json.loads(PIN.read_text())["dependencies"]["chart.js"]
    built = (STATIC / "vendor" / "chart.umd.min.js").read_text()
    assert re.match(r"/\*!\n \* Chart\.js v(\S+)\n", built).group(1) == pinned  # type: ignore[union-attr]
    assert "sourceMappingURL" not in built  # the map is not shipped: nothing may ask for it
    for license_file in ("chart.js.LICENSE.md", "kurkle-color.LICENSE.md"):
        assert (STATIC / "vendor" / license_file).read_text().startswith("The MIT License")


def test_the_page_loads_only_its_own_files_by_relative_urls() -> None:
    html = (STATIC / "index.html").read_text()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources == ["static/page.css", "static/vendor/chart.umd.min.js", "static/page.js"]
    assert all((STATIC / s.removeprefix("static/")).is_file() for s in sources)
    script = (STATIC / "page.js").read_text()
    assert re.findall(r"fetch\('([^']+)'", script) == ["api/status"]
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script


def test_the_plugin_adds_a_navigation_entry_and_builds_its_app_lazily() -> None:
    (view,) = CalendlyUiPlugin.external_views
    assert view["name"] == "Calendly" and view["destination"] == "nav" and view["url_route"] == "calendly"
    assert view["href"] == f"{URL_PREFIX.lstrip('/')}/"  # relative: resolved against the UI's own base URL
    assert (STATIC / view["icon"].removeprefix(f"{URL_PREFIX.lstrip('/')}/static/")).is_file()
    (app,) = CalendlyUiPlugin.fastapi_apps
    assert app["url_prefix"] == URL_PREFIX and isinstance(app["app"], LazyApp)
    assert app["app"]._app is None  # importing the plugin (every Airflow process does) built nothing
