#!/usr/bin/env bash
# The production topology on this machine, without docker: N web processes
# (gunicorn, one gevent worker, as in docker-compose.yml) sharing one
# Redis message queue, the dedicated scheduler process, PostgreSQL/PostGIS.
# Creates the database (with PostGIS) and loads the demo city when needed,
# prints the URLs; Ctrl-C stops everything it started.
#
#   scripts/topology.sh [--web N] [--simulate [SPEED]]
#
# Environment: WEB (2), BASE_PORT (8001: web n listens on BASE_PORT+n-1),
# TOPOLOGY_DB (gridcity_topology), PGHOST (127.0.0.1), PGPORT (5432),
# PGUSER (postgres); GRIDCITY_DATABASE_URL / GRIDCITY_REDIS_URL override the
# database and Redis (redis://127.0.0.1:6379/0; a redis-server is started
# when none answers and one is installed).
set -euo pipefail
cd "$(dirname "$0")/.."

WEB=${WEB:-2}
BASE_PORT=${BASE_PORT:-8001}
SIMULATE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --web) WEB=$2; shift 2 ;;
    --simulate)
      SIMULATE=60
      if [ $# -gt 1 ] && [[ $2 =~ ^[0-9.]+$ ]]; then SIMULATE=$2; shift; fi
      shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -c "import gunicorn, requests" 2>/dev/null \
  || .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[prod,simulate]"

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
if [ -z "${GRIDCITY_DATABASE_URL:-}" ]; then
  DB=${TOPOLOGY_DB:-gridcity_topology}
  if ! psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    echo "creating database $DB"
    psql -q -d postgres -c "CREATE DATABASE $DB"
  fi
  psql -q -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  export GRIDCITY_DATABASE_URL="postgresql://$PGUSER@$PGHOST:$PGPORT/$DB"
fi

pids=()
stop() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "stopped"
}
trap stop INT TERM EXIT

export GRIDCITY_REDIS_URL=${GRIDCITY_REDIS_URL:-redis://127.0.0.1:6379/0}
if ! redis-cli -u "$GRIDCITY_REDIS_URL" ping >/dev/null 2>&1; then
  command -v redis-server >/dev/null || { echo "no Redis at $GRIDCITY_REDIS_URL and no redis-server" >&2; exit 1; }
  echo "starting redis-server"
  redis-server --port 6379 --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
  pids+=($!)
  for _ in $(seq 50); do redis-cli -u "$GRIDCITY_REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

export GRIDCITY_INSTANCE_DIR=${GRIDCITY_INSTANCE_DIR:-$PWD/instance/topology}
export GRIDCITY_SOCKETIO_CHANNEL=${GRIDCITY_SOCKETIO_CHANNEL:-gridcity-topology}
export GRIDCITY_SCHEDULER_MODE=off
export GRIDCITY_DB_POOL_SIZE=${GRIDCITY_DB_POOL_SIZE:-16} GRIDCITY_DB_MAX_OVERFLOW=${GRIDCITY_DB_MAX_OVERFLOW:-16}
mkdir -p "$GRIDCITY_INSTANCE_DIR"
# One-off steps first (this also writes the secret key every process shares).
.venv/bin/gridcity db upgrade
.venv/bin/gridcity demo load --if-empty

LOGS=$GRIDCITY_INSTANCE_DIR/logs
mkdir -p "$LOGS"
.venv/bin/gridcity scheduler >"$LOGS/scheduler.log" 2>&1 &
pids+=($!)
urls=()
for n in $(seq "$WEB"); do
  port=$((BASE_PORT + n - 1))
  .venv/bin/gunicorn -k gevent --worker-connections 2000 -w 1 -b "127.0.0.1:$port" gridcity.wsgi:app \
    >"$LOGS/web$n.log" 2>&1 &
  pids+=($!)
  urls+=("http://127.0.0.1:$port/")
done
for url in "${urls[@]}"; do
  for _ in $(seq 150); do
    .venv/bin/python -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1] + 'login', timeout=2)" "$url" \
      2>/dev/null && break
    sleep 0.2
  done
done

.venv/bin/gridcity demo logins
echo
echo "database   $GRIDCITY_DATABASE_URL"
echo "redis      $GRIDCITY_REDIS_URL (channel $GRIDCITY_SOCKETIO_CHANNEL)"
echo "scheduler  pid ${pids[-$((WEB + 1))]}, log $LOGS/scheduler.log"
for n in $(seq "$WEB"); do echo "web $n      ${urls[$((n - 1))]}  (log $LOGS/web$n.log)"; done
echo "Ctrl-C stops them all."
if [ -n "$SIMULATE" ]; then
  .venv/bin/gridcity simulate --url "${urls[0]%/}" --speed "$SIMULATE" || true
fi
wait
