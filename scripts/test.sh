#!/usr/bin/env bash
# Run the whole test suite. With GRIDCITY_TEST_POSTGRES_URL set to a PostGIS
# database the suite runs on SQLite and on PostGIS (each worker on a database of
# its own, <name>_gw0, <name>_gw1…). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,prod]'
.venv/bin/ruff check gridcity tests scripts
# One worker per core (GRIDCITY_TEST_WORKERS to change it, 0 for none); a
# module's tests stay on one worker, so module fixtures (a running topology,
# a loaded city) are built once.
exec .venv/bin/pytest -n "${GRIDCITY_TEST_WORKERS:-auto}" --dist loadscope "$@"
