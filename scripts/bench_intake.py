"""Intake and sweeper benchmark: the production server under reporters' load.

Run by hand (not in CI) against a scratch PostGIS database::

    .venv/bin/python scripts/bench_intake.py \
        [--postgres-url postgresql://postgres@127.0.0.1/gc_bench_intake] \
        [--web 2] [--worker gevent|threads] [--clients 16] [--threads 16] \
        [--seconds 20] [--rate 100] [--crowd 32] \
        [--sweep-cases 100000]

The database named in the URL is DROPPED and recreated, migrated and loaded
with the demo city (fixed seed). The server runs the production way, as
docker-compose's web1 and web2: W (default 2) ``gunicorn -k gevent -w 1
gridcity.wsgi:app`` subprocesses (``--worker threads``: ``--threads T``) on
free loopback ports, scheduler off; each phone keeps to one of them (round
robin, as behind nginx). The CPU lines add the web processes together.
``--web 1`` measures a single process.

Measured:
1. ceiling: closed-loop ``GET /api/v1/me`` (signed in: the session cookie,
   the user and their scope, four small queries) with the same clients as the
   intake run; the CPU lines split the cores between the server, the clients
   and the rest of the (shared) machine;
2. intake: N clients, each its own inspector with its own session, POST JSON
   reports (random event category, random point in the reporter's work grid,
   fresh client UUID) as fast as answered; 201s/s, latency, intake/ceiling;
3. fixed rate: open-loop reports at R/s (each request has a scheduled send
   time; latency counts from it, so a server that falls behind cannot hide
   its queue);
4. crowd: after a quiet spell longer than the locator's refresh interval, C
   inspectors (more than the server's pooled connections) report as fast as
   answered for 8 s; every report must be answered;
5. sweeper: 100,000 dispatched cases COPYed in, a fraction due, ``sweep(now)``
   timed, then again (must mark nothing).

N defaults to 12, under the 15 connections of SQLAlchemy's default pool: at
or above it, a locator refresh (every 2 s) can deadlock the server (the
refresh holds the locator's lock and waits for a second pool connection while
every pooled connection belongs to a request waiting on that lock), and the
throughput figures would measure the stall. The crowd probe (C = 32) checks
exactly that, last, because it may leave the server wedged.

Human-readable lines first; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import requests
import shapely
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from gridcity import create_app
from gridcity.core.migrate import upgrade
from gridcity.core.settings import REPO_ROOT, normalize_database_url
from gridcity.extensions import db
from gridcity.simulate.client import field_photo, report_multipart
from gridcity.simulate.topology import free_port, gunicorn_argv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Burners, calibration_line, calibration_seconds  # noqa: E402 - beside this script

SEED = 20260214
PASSWORD = "gridcity-demo"  # gridcity.demo.city.DEMO_PASSWORD
REQUEST_TIMEOUT = 10.0
QUIET_SECONDS = 3.0  # longer than the locator's default refresh interval (2 s)
PROBE_SECONDS = 8.0
TARGETS = {"intake_ratio": 0.4, "fixed_rate_p99_ms": 100.0, "sweep_seconds": 5.0}


def say(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------- database and city


def recreate_database(url: str) -> None:
    """Drop and create the URL's database, with PostGIS."""
    target = make_url(normalize_database_url(url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()


def reporters(n: int) -> list[dict]:
    """The first ``n`` inspectors with the unit grid polygons of their work grids."""
    from gridcity.geo.models import UnitGrid, inspector_work_grid
    from gridcity.org.models import Role, User

    users = db.session.execute(
        select(User.username, inspector_work_grid.c.work_grid_id)
        .join(inspector_work_grid, inspector_work_grid.c.user_id == User.id)
        .where(User.role == Role.INSPECTOR.value, User.active)
        .order_by(User.username)
    ).all()
    grids: dict[str, list[int]] = {}
    for username, work_grid_id in users:
        grids.setdefault(username, []).append(work_grid_id)
    if len(grids) < n:
        raise SystemExit(f"only {len(grids)} inspectors in the demo city; use --clients <= {len(grids)}")
    out = []
    for username in sorted(grids)[:n]:
        wkb = db.session.scalars(
            select(func.ST_AsBinary(UnitGrid.geom)).where(UnitGrid.work_grid_id.in_(grids[username]))
        ).all()
        out.append(
            {
                "username": username,
                "work_grids": grids[username],
                "geoms": shapely.from_wkb([bytes(w) for w in wkb]),
            }
        )
    return out


def event_categories() -> list[str]:
    from gridcity.taxonomy.models import Category, CategoryMajor

    return list(
        db.session.scalars(
            select(Category.code)
            .join(CategoryMajor)
            .where(CategoryMajor.kind == "event", Category.active)
            .order_by(Category.code)
        )
    )


# ---------------------------------------------------------------- the server


def start_server(
    url: str, instance_dir: Path, worker: str, threads: int, log_path: Path
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDCITY_")}
    env.update(
        GRIDCITY_DATABASE_URL=url,
        GRIDCITY_INSTANCE_DIR=str(instance_dir),
        GRIDCITY_SECRET_KEY="bench-intake-secret",
        GRIDCITY_SCHEDULER_MODE="off",
    )
    log = log_path.open("wb")
    proc = subprocess.Popen(
        gunicorn_argv(port, worker, threads),
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{log_tail(log_path)}")
        try:
            requests.get(f"{base}/api/v1/me", timeout=2)
            return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"gunicorn did not answer within 60 s:\n{log_tail(log_path)}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def worker_pid(master: int) -> int:
    """The one gunicorn worker (the master's child)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    return int(entry.name)
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker process found")


class CpuMeter:
    """Cores busy during a phase: the server worker, this process (the
    clients), and the whole machine (the rest is PostgreSQL and anything
    else running). The machine is shared, so the split tells whether a slow
    figure is ours."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, server_pids: list[int], db_url: str) -> None:
        self.server_pids, self.db_url = server_pids, db_url

    def _server(self) -> float:
        """CPU seconds of the web workers together."""
        total = 0
        for pid in self.server_pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / self.TICK

    @staticmethod
    def _machine() -> tuple[float, float]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]
        return (sum(values) - idle) / CpuMeter.TICK, sum(values) / CpuMeter.TICK

    def _sessions(self) -> int:
        """Connections ever opened to the database (PostgreSQL >= 14)."""
        target = make_url(normalize_database_url(self.db_url))
        engine = create_engine(target, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                opened = conn.scalar(
                    text("SELECT sessions FROM pg_stat_database WHERE datname = :d"), {"d": target.database}
                )
        finally:
            engine.dispose()
        return int(opened or 0) - 1  # less this one

    def start(self) -> None:
        self.t = time.perf_counter()
        self.server, self.client, self.machine = self._server(), time.process_time(), self._machine()
        self.sessions = self._sessions()

    def stop(self, requests_sent: int) -> dict:
        seconds = time.perf_counter() - self.t
        server = self._server() - self.server
        busy, total = (b - a for a, b in zip(self.machine, self._machine(), strict=True))
        cores = total / seconds
        return {
            "server_cores": server / seconds,
            "client_cores": (time.process_time() - self.client) / seconds,
            "machine_busy_cores": busy / seconds,
            "cores": round(cores),
            "server_cpu_ms_per_request": 1000 * server / max(requests_sent, 1),
            "new_db_connections": self._sessions() - self.sessions,
        }


# ---------------------------------------------------------------- clients


class Client:
    """One inspector's phone: its own session, its own random stream."""

    def __init__(self, base: str, reporter: dict, categories: list[str], seed: int) -> None:
        self.base, self.reporter, self.categories = base, reporter, categories
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.geoms = reporter["geoms"]
        self.bounds = shapely.bounds(self.geoms)
        self.sent: list[tuple[str, object]] = []  # (client UUID, status) of each report

    def login(self) -> None:
        # Signing in and every later POST carry the session's CSRF token.
        token = self.http.get(f"{self.base}/api/v1/csrf", timeout=REQUEST_TIMEOUT).json()["csrf_token"]
        self.http.headers["X-CSRFToken"] = token
        r = self.http.post(
            f"{self.base}/api/v1/login",
            timeout=REQUEST_TIMEOUT,
            json={"username": self.reporter["username"], "password": PASSWORD},
        )
        r.raise_for_status()
        self.http.headers["X-CSRFToken"] = r.json()["csrf_token"]

    def point(self) -> tuple[float, float]:
        """Uniform in a random unit grid of the reporter's work grid (rejection
        in the grid's box; a clipped grid falls back to a point on it)."""
        k = self.rng.randrange(len(self.geoms))
        minx, miny, maxx, maxy = self.bounds[k]
        for _ in range(50):
            lon, lat = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if shapely.contains_xy(self.geoms[k], lon, lat):
                return lon, lat
        p = shapely.point_on_surface(self.geoms[k])
        return p.x, p.y

    def report(self) -> dict:
        lon, lat = self.point()
        return {
            "category": self.rng.choice(self.categories),
            "lon": lon,
            "lat": lat,
            "accuracy_m": round(self.rng.uniform(3, 25), 1),
            "description": "bench intake",
            "client_uuid": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
        }

    def send(self, kind: str) -> tuple[object, float]:
        """(status or exception name, seconds)."""
        t = time.perf_counter()
        try:
            if kind == "me":
                r = self.http.get(f"{self.base}/api/v1/me", timeout=REQUEST_TIMEOUT)
            else:
                body = self.report()
                # As the app sends it: an inspector's report carries a photo.
                r = self.http.post(
                    f"{self.base}/api/v1/reports",
                    timeout=REQUEST_TIMEOUT,
                    **report_multipart(body, [field_photo()]),
                )
            status: object = r.status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        if kind != "me":
            self.sent.append((body["client_uuid"], status))
        return status, time.perf_counter() - t


def closed_loop(clients: list[Client], kind: str, seconds: float) -> dict:
    """Every client sends, waits for the answer, sends again, until time is up."""
    ok_status = 200 if kind == "me" else 201
    results: list[list] = [[] for _ in clients]
    start = time.perf_counter()
    stop_at = start + seconds

    def work(i: int) -> None:
        while time.perf_counter() < stop_at:
            results[i].append(clients[i].send(kind))

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 2 * REQUEST_TIMEOUT + 5)
    elapsed = time.perf_counter() - start
    flat = [r for rs in results for r in rs]
    return summarise(flat, ok_status, elapsed)


def open_loop(clients: list[Client], rate: float, seconds: float) -> dict:
    """Reports at a fixed rate: request i is due at start + i/rate; any free
    client takes the next one. Latency counts from the due time."""
    total = int(rate * seconds)
    lock = threading.Lock()
    next_index = [0]
    results: list[tuple] = []
    start = time.perf_counter() + 0.2
    # A server that falls far behind is not waited for: what is not sent by
    # then counts as an error.
    give_up = start + seconds + 2 * REQUEST_TIMEOUT

    def work(client: Client) -> None:
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= total or time.perf_counter() > give_up:
                return
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status, service = client.send("report")
            done = time.perf_counter()
            with lock:
                results.append((status, done - due, service, done))

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, give_up + REQUEST_TIMEOUT + 5 - time.perf_counter()))
    with lock:
        results = list(results)
    unsent = [("not_sent", float("nan"), float("nan"), start)] * (total - len(results))
    results += unsent
    out = summarise([(s, lat) for s, lat, _, _ in results], 201, max(r[3] for r in results) - start)
    service = summarise([(s, svc) for s, _, svc, _ in results], 201, 1.0)
    out["service_p50_ms"], out["service_p99_ms"] = service["p50_ms"], service["p99_ms"]
    out["scheduled"] = total
    return out


def summarise(results: list[tuple], ok_status: int, elapsed: float) -> dict:
    ok = [lat for status, lat in results if status == ok_status]
    errors = Counter(str(status) for status, _ in results if status != ok_status)
    p = np.percentile(ok, [50, 95, 99]) * 1000 if ok else [float("nan")] * 3
    return {
        "ok": len(ok),
        "requests": len(results),
        "errors": dict(errors),
        "seconds": elapsed,
        "per_s": len(ok) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": float(p[0]),
        "p95_ms": float(p[1]),
        "p99_ms": float(p[2]),
    }


def describe(name: str, r: dict) -> str:
    errors = ", ".join(f"{k}×{v}" for k, v in sorted(r["errors"].items())) or "none"
    line = (
        f"{name}: {r['per_s']:,.1f}/s ({r['ok']:,} ok of {r['requests']:,} in {r['seconds']:.1f} s); "
        f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms; errors: {errors}"
    )
    if "server_cores" in r:
        line += (
            f"\n    cpu: server {r['server_cores']:.2f} cores ({r['server_cpu_ms_per_request']:.1f} ms per "
            f"request), clients {r['client_cores']:.2f}, machine busy {r['machine_busy_cores']:.2f} of "
            f"{r['cores']}; new database connections {r['new_db_connections']}"
        )
    return line


def measured(meter: CpuMeter, phase, *args) -> dict:
    meter.start()
    result = phase(*args)
    result.update(meter.stop(result["requests"]))
    return result


# ---------------------------------------------------------------- sweeper


CASE_COLUMNS = (
    "number",
    "client_uuid",
    "source",
    "reporter_id",
    "category_id",
    "urgency",
    "description",
    "lon",
    "lat",
    "geom",
    "unit_grid_id",
    "community_id",
    "street_id",
    "district_id",
    "work_grid_id",
    "area_id",
    "state",
    "version",
    "unit_id",
    "reported_at",
    "accepted_at",
    "filed_at",
    "dispatched_at",
    "rework_count",
    "extension_count",
    "suspension_count",
    "return_count",
    "handle_clock",
    "handle_budget_s",
    "handle_used_s",
    "handle_started_at",
    "deadline_at",
    "warn_at",
    "warned",
    "overdue",
)


def seed_open_cases(n: int, now: datetime, due: float, warning: float, rng: np.random.Generator) -> dict:
    """COPY ``n`` dispatched cases whose clocks run: a ``due`` fraction past
    their deadline at ``now``, a ``warning`` fraction past the warning point
    only, the rest not yet warned. Commits."""
    from gridcity.cases.deadlines import calendar
    from gridcity.geo.services import load_grid_rows
    from gridcity.org.models import Role, Unit, User
    from gridcity.taxonomy.models import Category
    from gridcity.workcalendar.clock import budget_seconds

    grids = load_grid_rows()
    cal = calendar()
    categories = [
        (c.id, c.deadline_clock, budget_seconds(cal, c.deadline_clock, c.deadline_amount))
        for c in db.session.scalars(select(Category).order_by(Category.id))
    ]
    units = list(db.session.scalars(select(Unit.id).order_by(Unit.id)))
    inspectors = list(db.session.scalars(select(User.id).where(User.role == Role.INSPECTOR.value)))

    g = rng.integers(0, len(grids.ids), n)
    points = shapely.point_on_surface(grids.geoms[g])
    ewkb = shapely.to_wkb(shapely.set_srid(points, 4326), hex=True, include_srid=True)
    cat = rng.integers(0, len(categories), n)
    budget = np.array([categories[c][2] for c in cat])
    u = rng.random(n)
    # Seconds from now to the deadline: negative when overdue.
    to_deadline = np.where(
        u < due,
        -rng.uniform(60, 2 * 86400, n),
        np.where(
            u < due + warning,
            rng.uniform(0.01, 1.0, n) * 0.25 * budget,
            0.25 * budget + rng.uniform(60, 10 * 86400, n),
        ),
    )
    buffer = io.StringIO()
    base = now.replace(tzinfo=None)

    def ts(d: datetime) -> str:
        return d.isoformat(sep=" ")

    for i in range(n):
        k = int(g[i])
        cat_id, clock, b = categories[cat[i]]
        deadline = base + timedelta(seconds=float(to_deadline[i]))
        started = deadline - timedelta(seconds=float(b))
        reported = started - timedelta(seconds=float(rng.uniform(600, 7200)))
        wg, area = int(grids.work_grid_ids[k]), int(grids.area_ids[k])
        row = (
            f"BENCH{i:09d}",
            f"bench-sweep-{i:08d}",
            "inspector",
            str(inspectors[i % len(inspectors)]),
            str(cat_id),
            "normal",
            "",
            repr(points[i].x),
            repr(points[i].y),
            ewkb[i],
            str(int(grids.ids[k])),
            str(int(grids.community_ids[k])),
            str(int(grids.street_ids[k])),
            str(int(grids.district_ids[k])),
            str(wg) if wg >= 0 else r"\N",
            str(area) if area >= 0 else r"\N",
            "dispatched",
            "4",
            str(units[i % len(units)]),
            ts(reported),
            ts(reported + timedelta(minutes=5)),
            ts(reported + timedelta(minutes=9)),
            ts(started),
            "0",
            "0",
            "0",
            "0",
            clock,
            repr(float(b)),
            "0",
            ts(started),
            ts(deadline),
            ts(deadline - timedelta(seconds=0.25 * float(b))),
            "f",
            "f",
        )
        buffer.write("\t".join(row) + "\n")
    buffer.seek(0)
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor:
        cursor.copy_expert(f"COPY case_file ({', '.join(CASE_COLUMNS)}) FROM STDIN", buffer)
    db.session.commit()
    return {
        "overdue": int(np.count_nonzero(to_deadline <= 0)),
        "warned": int(np.count_nonzero(to_deadline <= 0.25 * budget)),
    }


def bench_sweeper(out: dict, n: int, due: float, warning: float, rng: np.random.Generator) -> None:
    from gridcity.cases.sweeper import sweep

    now = datetime.now(UTC).replace(microsecond=0)
    t = time.perf_counter()
    expected = seed_open_cases(n, now, due, warning, rng)
    out["sweep_seed_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE case_file"))
        conn.execute(text("ANALYZE case_event"))
    analyze = time.perf_counter() - t
    say(
        f"sweeper: {n:,} dispatched cases COPYed in {out['sweep_seed_seconds']:.1f} s "
        f"(ANALYZE {analyze:.1f} s); due at sweep time: {expected['overdue']:,} overdue, "
        f"{expected['warned']:,} past the warning point"
    )

    t, machine = time.perf_counter(), CpuMeter._machine()
    first = sweep(now)
    out["sweep_seconds"] = time.perf_counter() - t
    busy, total = (b - a for a, b in zip(machine, CpuMeter._machine(), strict=True))
    out["sweep_machine_busy_cores"] = busy / out["sweep_seconds"]
    t = time.perf_counter()
    second = sweep(now)
    out["sweep_again_seconds"] = time.perf_counter() - t
    marked = db.session.execute(
        text(
            "SELECT count(*) FILTER (WHERE overdue), count(*) FILTER (WHERE warned) "
            "FROM case_file WHERE number LIKE 'BENCH%'"
        )
    ).one()
    events = db.session.scalar(text("SELECT count(*) FROM case_event WHERE action IN ('warn', 'overdue')"))
    db.session.rollback()
    out.update(
        sweep_cases=n,
        sweep_expected_overdue=expected["overdue"],
        sweep_expected_warned=expected["warned"],
        sweep_marked_warned=first["warned"],
        sweep_marked_overdue=first["overdue"],
        sweep_again_marked=sum(second.values()),
        sweep_events=events,
        # An overdue mark implies the warning: a case past its deadline gets one
        # "overdue" event, a case only past its warning point one "warn" event.
        sweep_correct=(
            first["overdue"] == expected["overdue"] == marked[0]
            and first["warned"] == expected["warned"] - expected["overdue"]
            and marked[1] == expected["warned"]
            and events == first["warned"] + first["overdue"]
        ),
    )
    say(
        f"sweep(now): {out['sweep_seconds']:.2f} s (target < {TARGETS['sweep_seconds']:.0f} s), "
        f"marked {first['warned']:,} warned + {first['overdue']:,} overdue "
        f"(expected {expected['warned'] - expected['overdue']:,} + {expected['overdue']:,}; "
        f"rows now warned {marked[1]:,}, overdue {marked[0]:,}; "
        f"{events:,} history events); machine busy {out['sweep_machine_busy_cores']:.2f} cores"
    )
    say(
        f"sweep(now) again: {out['sweep_again_seconds']:.2f} s, marked {out['sweep_again_marked']} "
        f"({'idempotent' if out['sweep_again_marked'] == 0 else 'NOT idempotent'})"
    )


# ---------------------------------------------------------------- main


def crowd_probe(clients: list[Client], quiet_seconds: float, seconds: float) -> dict:
    """After a quiet spell longer than the locator's refresh interval, more
    inspectors than the server has pooled connections report as fast as
    answered (a shift starting). Every report must be answered."""
    time.sleep(quiet_seconds)
    return closed_loop(clients, "report", seconds)


def bench_http(
    out: dict, args: argparse.Namespace, url: str, people: list[dict], categories: list[str], tmp_path: Path
) -> None:
    # As docker-compose runs it: N web processes of one worker each, sharing the
    # database and the media folder; each phone keeps to one of them (as behind
    # nginx), round robin.
    log_paths = [tmp_path / f"gunicorn-{n}.log" for n in range(args.web)]
    servers = []
    try:
        for log_path in log_paths:
            servers.append(start_server(url, tmp_path / "server", args.worker, args.threads, log_path))
        worker = "-k gevent" if args.worker == "gevent" else f"--threads {args.threads}"
        for proc, base in servers:
            say(f"server: gunicorn -w 1 {worker} on {base} (pid {proc.pid})")
        everyone = [
            Client(servers[n % len(servers)][1], p, categories, args.seed + n) for n, p in enumerate(people)
        ]
        for c in everyone:
            c.login()
        clients = everyone[: args.clients]
        # Warm-up (sessions, pool, SQLAlchemy's caches); one client alone
        # first, so the locator's index is built before the crowd arrives.
        for _ in range(3):
            clients[0].send("report")
        warm = closed_loop(clients, "report", 2.0)
        closed_loop(clients, "me", 1.0)
        say(f"warm-up: {warm['ok']} reports; machine load average {os.getloadavg()[0]:.2f}")
        meter = CpuMeter([worker_pid(proc.pid) for proc, _ in servers], url)

        ceiling = measured(meter, closed_loop, clients, "me", args.ceiling_seconds)
        say(describe(f"ceiling (GET /api/v1/me, {args.clients} clients)", ceiling))
        intake = measured(meter, closed_loop, clients, "report", args.seconds)
        say(describe(f"intake (POST /api/v1/reports, {args.clients} clients)", intake))
        ratio = intake["per_s"] / ceiling["per_s"] if ceiling["per_s"] else 0.0
        say(f"intake/ceiling: {ratio:.2f} (target >= {TARGETS['intake_ratio']})")
        if args.overload:
            overload_phase(out, args, servers, people, categories, meter, ceiling, intake)
            for c in everyone:
                c.http.close()
            return
        fixed = measured(meter, open_loop, clients, args.rate, args.rate_seconds)
        say(
            describe(f"fixed rate ({args.rate:.0f}/s scheduled, {fixed['scheduled']:,} reports)", fixed)
            + f"\n    service time (send to answer) p50 {fixed['service_p50_ms']:.1f} ms, "
            f"p99 {fixed['service_p99_ms']:.1f} ms"
        )
        say(
            f"fixed-rate p99 {fixed['p99_ms']:.1f} ms from the scheduled time "
            f"(target < {TARGETS['fixed_rate_p99_ms']:.0f} ms); achieved {fixed['per_s']:.1f}/s"
        )
        # Last, as it may leave the server wedged.
        probe = crowd_probe(everyone[: args.crowd], QUIET_SECONDS, PROBE_SECONDS) if args.crowd else None
        if probe is not None:
            say(
                describe(f"crowd ({args.crowd} clients after {QUIET_SECONDS:.0f} s quiet)", probe)
                + ("" if not probe["errors"] else "\n    the server stalled (client timeouts)")
            )
        for c in everyone:
            c.http.close()
    finally:
        for proc, _ in servers:
            stop_server(proc)
            say(f"server {proc.pid} stopped (exit {proc.returncode})")
    log_lines = [line for path in log_paths for line in path.read_text(errors="replace").splitlines()]
    server_errors = [line for line in log_lines if "Traceback" in line or "[ERROR]" in line]
    pool_timeouts = sum("QueuePool limit" in line for line in log_lines)
    if server_errors:
        say(
            f"server log: {len(server_errors)} error(s), {pool_timeouts} pool timeout(s); last lines:\n"
            + "\n".join(log_tail(path, 4) for path in log_paths)
        )
    for name, r in (("ceiling", ceiling), ("intake", intake), ("fixed", fixed)):
        for key in (
            "per_s",
            "ok",
            "requests",
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "errors",
            "server_cores",
            "client_cores",
            "machine_busy_cores",
            "server_cpu_ms_per_request",
            "new_db_connections",
        ):
            out[f"{name}_{key}"] = r[key]
    out.update(
        fixed_rate_target=args.rate,
        fixed_service_p50_ms=fixed["service_p50_ms"],
        fixed_service_p99_ms=fixed["service_p99_ms"],
        intake_ceiling_ratio=ratio,
        crowd_clients=args.crowd,
        crowd_ok=None if probe is None else probe["ok"],
        crowd_requests=None if probe is None else probe["requests"],
        crowd_errors=None if probe is None else probe["errors"],
        server_error_lines=len(server_errors),
        server_pool_timeouts=pool_timeouts,
        cores=ceiling["cores"],
    )


def overload_phase(out, args, servers, people, categories, meter, ceiling, intake) -> None:
    """Twice the rate this machine sustains (the closed-loop intake just
    measured), open loop, with enough phones that the server, not the
    clients, sets the pace. Accepted answers must stay quick; the rest is 503."""
    sustained = intake["per_s"]
    rate = 2 * sustained
    phones = [
        Client(servers[n % len(servers)][1], people[n % len(people)], categories, args.seed + 1000 + n)
        for n in range(args.overload_clients)
    ]
    for c in phones:
        c.login()
    r = measured(meter, open_loop, phones, rate, args.rate_seconds)
    sent = [entry for c in phones for entry in c.sent]
    books = account(args.postgres_url, sent)
    shed = r["errors"].get("503", 0)
    others = {k: v for k, v in r["errors"].items() if k != "503"}
    server_ms_per_accepted = r["server_cores"] * r["seconds"] * 1000 / max(r["ok"], 1)
    say(
        describe(
            f"overload ({rate:.0f}/s = 2 x the sustained {sustained:.1f}/s, {r['scheduled']:,} reports)", r
        )
        + f"\n    accepted (201) service time p50 {r['service_p50_ms']:.1f} ms, p99 {r['service_p99_ms']:.1f} ms; "
        f"shed with 503: {shed} ({100 * shed / max(r['requests'], 1):.1f} %); other errors: {others or 'none'}"
        f"\n    server CPU {server_ms_per_accepted:.1f} ms per accepted report; "
        f"accepted/s to the sustained rate {r['per_s'] / sustained if sustained else 0:.2f}; "
        f"accepted/s to the ceiling (GET /me) {r['per_s'] / ceiling['per_s'] if ceiling['per_s'] else 0:.2f}"
        f"\n    acknowledged (201) {books['acknowledged']}: lost {books['lost']}, duplicated "
        f"{books['duplicated']}; refused (503) that made a case anyway: {books['refused_but_made']}"
    )
    for c in phones:
        c.http.close()
    out.update(
        overload_sustained_per_s=sustained,
        overload_rate=rate,
        overload_accepted_per_s=r["per_s"],
        overload_accepted=r["ok"],
        overload_requests=r["requests"],
        overload_shed_503=shed,
        overload_shed_share=shed / max(r["requests"], 1),
        overload_other_errors=others,
        overload_accepted_p99_ms=r["p99_ms"],
        overload_accepted_service_p99_ms=r["service_p99_ms"],
        overload_server_cpu_ms_per_accepted=server_ms_per_accepted,
        overload_server_cpu_ms_per_request=r["server_cpu_ms_per_request"],
        overload_to_sustained=r["per_s"] / sustained if sustained else None,
        overload_lost=books["lost"],
        overload_duplicated=books["duplicated"],
        overload_refused_but_made=books["refused_but_made"],
        ceiling_per_s=ceiling["per_s"],
        intake_per_s=intake["per_s"],
        intake_server_cpu_ms_per_request=intake["server_cpu_ms_per_request"],
        intake_ceiling_ratio=intake["per_s"] / ceiling["per_s"] if ceiling["per_s"] else 0.0,
        cores=ceiling["cores"],
    )


def account(url: str, sent: list[tuple[str, object]]) -> dict:
    """Every acknowledged (201) report exists exactly once; a refused (503) one made nothing."""
    engine = create_engine(normalize_database_url(url), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    text(
                        "SELECT client_uuid, count(*) FROM case_file WHERE client_uuid = ANY(:ids) GROUP BY 1"
                    ),
                    {"ids": [u for u, _ in sent]},
                ).all()
            )
    finally:
        engine.dispose()
    acknowledged = [u for u, status in sent if status == 201]
    return {
        "acknowledged": len(acknowledged),
        "lost": sum(1 for u in acknowledged if counts.get(u, 0) == 0),
        "duplicated": sum(1 for u in acknowledged if counts.get(u, 0) > 1),
        "refused_but_made": sum(1 for u, status in sent if status == 503 and counts.get(u, 0) > 0),
    }


def run(args: argparse.Namespace) -> dict:
    url = args.postgres_url
    out: dict = {
        "clients": args.clients,
        "web_processes": args.web,
        "threads": args.threads,
        "seconds": args.seconds,
        "ceiling_endpoint": "GET /api/v1/me",
    }
    t = time.perf_counter()
    recreate_database(url)
    upgrade(url)
    say(f"schema: fresh database {make_url(url).database} migrated in {time.perf_counter() - t:.1f} s")

    with tempfile.TemporaryDirectory(prefix="gc_bench_intake_") as tmp:
        tmp_path = Path(tmp)
        app = create_app({"database_url": url, "instance_dir": tmp_path / "bench", "scheduler_mode": "off"})
        with app.app_context():
            from gridcity.demo.city import build_demo_city

            t = time.perf_counter()
            city = build_demo_city(seed=args.seed)
            db.session.commit()
            say(
                f"demo city: {city['unit_grids']:,} unit grids, {city['work_grids']} work grids, "
                f"{len(city['users']['inspector'])} inspectors, {city['categories']} categories "
                f"in {time.perf_counter() - t:.1f} s"
            )
            people = reporters(max(args.clients, args.crowd))
            categories = event_categories()
            db.session.rollback()
        say(
            f"clients: {args.clients} inspectors ({people[0]['username']}…{people[args.clients - 1]['username']}), "
            f"{len(categories)} event categories; crowd probe: {args.crowd}"
        )
        bench_http(out, args, url, people, categories, tmp_path)
        if args.overload:
            return out
        with app.app_context():
            bench_sweeper(
                out, args.sweep_cases, args.due_fraction, args.warn_fraction, np.random.default_rng(args.seed)
            )
            db.session.remove()
            db.engine.dispose()

    def to_target(value, target):
        return None if value != value else value / target  # NaN: nothing answered

    out["fixed_p99_to_target"] = to_target(out["fixed_p99_ms"], TARGETS["fixed_rate_p99_ms"])
    out["sweep_to_target"] = out["sweep_seconds"] / TARGETS["sweep_seconds"]
    out["fixed_achieved_to_rate"] = out["fixed_per_s"] / args.rate
    out["meets"] = {
        "intake_ratio": out["intake_ceiling_ratio"] >= TARGETS["intake_ratio"],
        "fixed_rate_p99": out["fixed_p99_ms"] < TARGETS["fixed_rate_p99_ms"],
        "sweep_seconds": out["sweep_seconds"] < TARGETS["sweep_seconds"],
        "sweep_idempotent": out["sweep_again_marked"] == 0,
        "crowd_answered": None if out["crowd_ok"] is None else not out["crowd_errors"],
    }
    return out


def _plain(value):
    """Rounded floats; NaN (no successful request) as null, which JSON has."""
    if isinstance(value, float):
        return None if value != value else round(value, 3)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1/gc_bench_intake",
        help="scratch database; it is dropped and recreated",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=16,
        help="concurrent inspectors (--crowd adds a burst after a quiet spell)",
    )
    parser.add_argument(
        "--web", type=int, default=2, help="web processes, gunicorn -w 1 each (docker-compose: web1, web2)"
    )
    parser.add_argument(
        "--worker",
        choices=("gevent", "threads"),
        default="gevent",
        help="gunicorn worker (docker-compose: gevent)",
    )
    parser.add_argument("--threads", type=int, default=16, help="gunicorn --threads (--worker threads)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the intake run")
    parser.add_argument("--ceiling-seconds", type=float, default=10.0, help="length of the ceiling run")
    parser.add_argument("--rate", type=float, default=100.0, help="reports/s of the fixed-rate run")
    parser.add_argument("--rate-seconds", type=float, default=20.0, help="length of the fixed-rate run")
    parser.add_argument("--sweep-cases", type=int, default=100_000, help="open cases for the sweeper")
    parser.add_argument("--due-fraction", type=float, default=0.10, help="share past the deadline")
    parser.add_argument("--warn-fraction", type=float, default=0.05, help="share past the warning point only")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--crowd",
        type=int,
        default=32,
        help="inspectors reporting at once after a quiet spell, last (0: skip)",
    )
    parser.add_argument(
        "--overload",
        action="store_true",
        help="after the ceiling and the intake run: twice the sustained rate, open loop (no fixed/crowd/sweeper)",
    )
    parser.add_argument("--overload-clients", type=int, default=64, help="phones of the overload run")
    parser.add_argument(
        "--burners", type=int, default=0, help="CPU burners spinning meanwhile (a busy machine)"
    )
    args = parser.parse_args(argv)
    if "bench" not in (make_url(args.postgres_url).database or ""):
        parser.error("refusing to drop a database whose name lacks 'bench'")

    calibration = calibration_seconds()
    say(
        calibration_line(calibration)
        + (f" (then {args.burners} CPU burner(s) start)" if args.burners else "")
    )
    burners = Burners(args.burners)
    try:
        out = run(args)
    finally:
        burners.stop()
    out.update(calibration_seconds=calibration, burners=args.burners)
    say(calibration_line(calibration_seconds()) + " (after the run)")
    print(json.dumps({k: _plain(v) for k, v in out.items()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
