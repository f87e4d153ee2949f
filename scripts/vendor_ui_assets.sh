#!/usr/bin/env bash
# Refresh the charting library the provider's Airflow page ships (airflow_provider_calendly/ui/static/vendor/):
# the built Chart.js file pinned in scripts/ui-assets/package.json, and its license. The wheel carries these files,
# so the page needs no CDN and works offline; `make test` checks they match the pin (tests/ui/test_ui_assets.py).
# Run it after changing the pin, then commit the vendored files.
set -euo pipefail
cd "$(dirname "$0")/ui-assets"
npm ci --no-audit --no-fund --loglevel=error
vendor=../../airflow_provider_calendly/ui/static/vendor
mkdir -p "$vendor"
# Without its source-map comment: the map is not shipped, so nothing asks for it.
grep -v '^//# sourceMappingURL=' node_modules/chart.js/dist/chart.umd.min.js > "$vendor/chart.umd.min.js"
cp node_modules/chart.js/LICENSE.md "$vendor/chart.js.LICENSE.md"
# The built file bundles Chart.js's one dependency, @kurkle/color (MIT too).
cp node_modules/@kurkle/color/LICENSE "$vendor/kurkle-color.LICENSE.md"
echo "vendored Chart.js $(node -p "require('./node_modules/chart.js/package.json').version") into ${vendor#../../}"
