#!/usr/bin/env bash
# Install the Debian packages that `make install` compiles against: mysqlclient, the MySQL provider's driver, has no
# Linux wheel and builds against the MariaDB client headers (libmariadb-dev). Idempotent and quick when they are there.
set -euo pipefail

if pkg-config --exists libmariadb 2>/dev/null || pkg-config --exists mysqlclient 2>/dev/null; then
    exit 0
fi
echo "build-deps: installing Debian libmariadb-dev and pkg-config (mysqlclient builds against them)"
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# The package lists may be missing or stale on a new machine: refresh them once if the first try fails.
$SUDO apt-get install -y -qq --no-install-recommends libmariadb-dev pkg-config >/dev/null ||
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends libmariadb-dev pkg-config >/dev/null; }
