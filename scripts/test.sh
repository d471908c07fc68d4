#!/usr/bin/env bash
# Run the whole test suite. With GRIDCITY_TEST_POSTGRES_URL set to a PostGIS
# database the suite runs on SQLite and on PostGIS. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,prod]'
.venv/bin/ruff check gridcity tests scripts
exec .venv/bin/pytest "$@"
