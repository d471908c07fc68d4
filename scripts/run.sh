#!/usr/bin/env bash
# Run GridCity on this machine: embedded SQLite database, demo city loaded.
# Needs only Python 3.11+ with pip and venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
export GRIDCITY_INSTANCE_DIR=${GRIDCITY_INSTANCE_DIR:-$PWD/instance}
.venv/bin/gridcity db upgrade
.venv/bin/gridcity demo load --if-empty
.venv/bin/gridcity demo logins
exec .venv/bin/gridcity serve
