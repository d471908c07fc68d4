#!/usr/bin/env bash
# Run GridCity on this machine: embedded SQLite database, demo city loaded.
# Needs only Python 3.11+ with pip and venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
export GRIDCITY_INSTANCE_DIR=${GRIDCITY_INSTANCE_DIR:-$PWD/instance}
# A quiet console: warnings and errors only (GRIDCITY_LOG_LEVEL=INFO shows every request).
export GRIDCITY_LOG_LEVEL=${GRIDCITY_LOG_LEVEL:-WARNING}
.venv/bin/gridcity db upgrade
.venv/bin/gridcity demo load --if-empty
.venv/bin/gridcity demo logins
# `run.sh --simulate` (or GRIDCITY_SIMULATE=1) also plays a working day
# against the server (`gridcity simulate`, options in GRIDCITY_SIMULATE_ARGS).
if [ "${1:-}" = "--simulate" ] || [ -n "${GRIDCITY_SIMULATE:-}" ]; then
  .venv/bin/python -c "import requests" 2>/dev/null \
    || .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[simulate]"
  .venv/bin/gridcity serve &
  server=$!
  trap 'kill $server 2>/dev/null' INT TERM EXIT
  url="http://${GRIDCITY_HOST:-127.0.0.1}:${GRIDCITY_PORT:-5000}"
  for _ in $(seq 150); do
    .venv/bin/python -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1] + '/login', timeout=2)" \
      "$url" 2>/dev/null && break
    sleep 0.2
  done
  # shellcheck disable=SC2086
  .venv/bin/gridcity simulate --url "$url" ${GRIDCITY_SIMULATE_ARGS:-} || true
  wait "$server"
  exit
fi
exec .venv/bin/gridcity serve
