#!/usr/bin/env bash
# Install what the browser tests in tests/ui need: Debian's chromium and npm's playwright-core.
# Idempotent and quick when everything is already there. Never downloads a browser through npm:
# playwright-core drives /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

PW_DIR=tests/ui/playwright

if ! command -v chromium >/dev/null 2>&1; then
    echo "ci-system-deps: installing Debian chromium"
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi
chromium --version 2>/dev/null

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "ci-system-deps: node and npm are required for tests/ui (install Node.js 18+)" >&2
    exit 1
fi

want=$(node -p "require('./${PW_DIR}/package.json').dependencies['playwright-core']")
have=$(node -p "try { require('./${PW_DIR}/node_modules/playwright-core/package.json').version } catch (e) { '' }")
if [ "$want" != "$have" ]; then
    echo "ci-system-deps: installing playwright-core@${want}"
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
    if [ -f "${PW_DIR}/package-lock.json" ]; then
        npm ci --prefix "$PW_DIR" --no-audit --no-fund --loglevel=error
    else
        npm install --prefix "$PW_DIR" --no-audit --no-fund --loglevel=error
    fi
fi
echo "ci-system-deps: playwright-core $(node -p "require('./${PW_DIR}/node_modules/playwright-core/package.json').version") ready"
