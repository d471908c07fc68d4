"""Live events benchmark: the production topology under a steady report load.

Run by hand (not in CI)::

    .venv/bin/python scripts/bench_live.py \
        [--postgres-url postgresql://postgres@127.0.0.1/gc_bench_live] \
        [--redis-url redis://127.0.0.1:6379/0] [--sockets 200] [--rate 50] \
        [--dispatch-rate 5] [--seconds 20] [--open-cases 10000] \
        [--worker gevent|threads] [--threads 160]

The database named in the URL is DROPPED and recreated, migrated and loaded
with the demo city; 10,000 open cases are COPYed in (the sweeper benchmark's
bulk loader, ``scripts/bench_intake.py``), 20 % of them filed and waiting for
dispatch. Then the production topology starts (``gridcity.simulate.topology``):
two ``gunicorn -k gevent -w 1 gridcity.wsgi:app`` web processes (as
docker-compose runs them; ``--worker threads``: ``--threads T`` instead) on one Redis
channel of their own, and the ``gridcity scheduler`` process.

Measured:
1. delivery: S Socket.IO clients (WebSocket), spread evenly over the two web
   processes and held by two client processes: half (--staff-share) are staff
   sockets (dispatcher1/2, operator1, leader1 — they hear every case), the rest unit
   handlers' sockets (all ten demo units — they hear their unit's dispatches).
   Inspectors POST reports at R/s (open loop: each report has its scheduled
   send time) to both web processes in turn; dispatchers dispatch filed cases
   at D/s. For every event and every socket that should hear it: the time
   from the POST returning to the socket receiving it (an event may arrive
   before the response: counted as 0 ms, and how often is reported).
   Missed deliveries are counted, not hidden.
2. map state: the server time to answer the live map's initial state for the
   open cases (GET /api/v1/dispatch/map as a dispatcher; when that endpoint
   is missing, every page of GET /api/v1/cases?state=open&limit=500, said so).

Human-readable lines first; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import requests
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_common import Burners, calibration_line, calibration_seconds  # noqa: E402 - beside this script

from gridcity.simulate.client import ApiError, ApiSession, LiveClient, disconnect_all, field_photo  # noqa: E402
from gridcity.simulate.topology import Topology  # noqa: E402

STAFF = ("dispatcher1", "dispatcher2", "operator1", "leader1")
TARGETS = {"p95_ms": 250.0, "map_state_seconds": 1.0}
QUIET_SECONDS = 3.0  # after the last POST: wait until no event arrived for this long…
GRACE_SECONDS = 60.0  # …or at most this long


def say(line: str) -> None:
    print(line, flush=True)


def load_bench_intake():
    spec = importlib.util.spec_from_file_location("bench_intake", ROOT / "scripts" / "bench_intake.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- database


def prepare_database(url: str, open_cases: int, filed_share: float, folder: Path) -> dict:
    from sqlalchemy import text

    from gridcity import create_app
    from gridcity.core.migrate import upgrade
    from gridcity.core.settings import normalize_database_url
    from gridcity.demo.city import build_demo_city
    from gridcity.extensions import db

    intake = load_bench_intake()
    intake.recreate_database(url)
    url = normalize_database_url(url)
    upgrade(url)
    app = create_app({"database_url": url, "instance_dir": folder, "secret_key": "bench-live"})
    with app.app_context():
        t = time.perf_counter()
        build_demo_city(seed=1)
        db.session.commit()
        city = time.perf_counter() - t
        t = time.perf_counter()
        # Deadlines all in the future: nothing is due during the run.
        intake.seed_open_cases(open_cases, datetime.now(UTC), 0.0, 0.0, np.random.default_rng(1))
        filed = int(open_cases * filed_share)
        db.session.execute(
            text(
                "UPDATE case_file SET state = 'filed', dispatched_at = NULL, handle_started_at = NULL "
                "WHERE id IN (SELECT id FROM case_file ORDER BY id LIMIT :n)"
            ),
            {"n": filed},
        )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        seeded = time.perf_counter() - t
        to_dispatch = [
            tuple(r)
            for r in db.session.execute(
                text("SELECT id, version FROM case_file WHERE state = 'filed' ORDER BY id")
            )
        ]
        db.session.remove()
        db.engine.dispose()
    say(
        f"database: demo city in {city:.1f} s; {open_cases:,} open cases ({filed:,} filed) COPYed in {seeded:.1f} s"
    )
    return {"url": url, "to_dispatch": to_dispatch}


# ---------------------------------------------------------------- client processes


def socket_plan(urls: list[str], sockets: int, units: list[str], staff_share: float) -> list[tuple[str, str]]:
    """(web URL, username) per socket: a ``staff_share`` of staff sockets,
    spread evenly through the list (each client process gets the same mix),
    the rest unit handlers'; each user's sockets alternate between the web
    processes."""
    plan, counts = [], {"staff": 0, "unit": 0}
    for n in range(sockets):
        kind = "staff" if int((n + 1) * staff_share) > int(n * staff_share) else "unit"
        users = STAFF if kind == "staff" else units
        k = counts[kind]
        counts[kind] += 1
        plan.append((urls[(k + k // len(users)) % len(urls)], users[k % len(users)]))
    return plan


def client_process(assignments, first_index, ready, stop, results, arrived) -> None:
    """Hold the sockets; on stop, hand back (socket, case id, action, arrival)."""
    # The client's writer says so when its socket closes under it at the end.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    received = []
    lock = threading.Lock()
    sessions: dict = {}
    clients = []
    errors = []
    dropped: list[int] = []  # sockets the server closed (or that lost it) during the run
    for k, (url, username) in enumerate(assignments):
        index = first_index + k
        try:
            api = sessions.get((url, username)) or ApiSession(url, username).login()
            sessions[(url, username)] = api

            def on_event(event, index=index):
                with lock:
                    received.append((index, event.case_id, event.action, event.received_at))
                with arrived.get_lock():
                    arrived.value += 1

            client = LiveClient(api, on_event=on_event)
            client.sio.on("disconnect", lambda *reason, index=index: dropped.append(index))
            clients.append(client.connect())
        except Exception as error:  # reported, not fatal: a refused socket is a finding
            errors.append(f"{username}@{url}: {error}")
    ready.put((first_index, len(clients), errors))
    stop.wait()
    with lock:
        results.put((first_index, list(received), list(dropped)))
    disconnect_all(clients)


# ---------------------------------------------------------------- load


class Poster:
    """Open-loop POSTs: the i-th at t0 + i / rate, spread over worker threads,
    each with its own signed-in session."""

    def __init__(self, name, sessions, rate, seconds, make_request):
        self.name, self.sessions, self.rate, self.seconds = name, sessions, rate, seconds
        self.make_request = make_request
        self.returned: dict[tuple[int, str], float] = {}  # (case id, action) → monotonic
        self.sent: dict[tuple[int, str], float] = {}  # … when its POST was sent
        self.via: dict[tuple[int, str], str] = {}  # … to which web process
        self.post_ms: list[float] = []
        self.lag_ms: list[float] = []
        self.failed: list[str] = []
        self.lock = threading.Lock()

    def run(self, t0: float) -> None:
        total = int(self.rate * self.seconds)
        threads = [
            threading.Thread(target=self._worker, args=(t0, k, total), daemon=True)
            for k in range(len(self.sessions))
        ]
        for thread in threads:
            thread.start()
        self.threads = threads

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _worker(self, t0: float, k: int, total: int) -> None:
        session = self.sessions[k]
        for i in range(k, total, len(self.sessions)):
            at = t0 + i / self.rate
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            start = time.monotonic()
            try:
                case_id, action = self.make_request(session, i)
            except (ApiError, requests.RequestException) as error:
                with self.lock:
                    self.failed.append(str(error)[:200])
                continue
            end = time.monotonic()
            with self.lock:
                self.returned[(case_id, action)] = end
                self.sent[(case_id, action)] = start
                self.via[(case_id, action)] = session.base_url
                self.post_ms.append((end - start) * 1000)
                self.lag_ms.append(max(0.0, start - at) * 1000)


def probe_rate(sessions, grids, chosen, rng, seconds: float) -> float:
    """Reports per second answered 2xx when every poster sends as fast as answered."""
    codes = ["E0102", "E0201", "E0401"]
    stop_at = time.monotonic() + seconds
    counts = [0] * len(sessions)

    def work(k: int) -> None:
        who = chosen[k % len(chosen)]
        while time.monotonic() < stop_at:
            lon, lat = random_point(grids[rng.choice(who["scope"]["work_grids"])["id"]], rng)
            try:
                sessions[k].report(
                    {"category": codes[k % len(codes)], "lon": lon, "lat": lat, "description": "probe"},
                    [field_photo()],
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                counts[k] += 1
            except (ApiError, requests.RequestException):
                time.sleep(0.05)

    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - start)


def event_feed(api: ApiSession, after: int) -> set[tuple[int, str]]:
    """(case id, action) of every event the user's feed has after ``after``."""
    seen: set[tuple[int, str]] = set()
    while True:
        page = api.get("/api/v1/events", after=after)
        seen.update((e["case_id"], e["action"]) for e in page)
        if len(page) < 1000:
            return seen
        after = page[-1]["seq"]


def work_grid_geoms(api: ApiSession) -> dict[int, shapely.Geometry]:
    features = api.get("/api/v1/geo/work-grids")["features"]
    return {f["properties"]["id"]: shapely.geometry.shape(f["geometry"]).buffer(-0.0003) for f in features}


def random_point(geom, rng: random.Random) -> tuple[float, float]:
    west, south, east, north = geom.bounds
    for _ in range(100):
        x, y = rng.uniform(west, east), rng.uniform(south, north)
        if geom.contains(shapely.Point(x, y)):
            return x, y
    p = geom.representative_point()
    return p.x, p.y


# ---------------------------------------------------------------- figures


def percentiles(values) -> dict:
    if not len(values):
        return {"n": 0}
    a = np.asarray(values, dtype=float)
    return {
        "n": int(a.size),
        "p50_ms": round(float(np.percentile(a, 50)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "p99_ms": round(float(np.percentile(a, 99)), 1),
        "max_ms": round(float(a.max()), 1),
    }


def measure_map_state(url: str, repeats: int = 5) -> dict:
    api = ApiSession(url, "dispatcher1").login()
    probe = api.request("GET", "/api/v1/dispatch/map", expect=None)
    times = []
    if isinstance(probe, dict) and "cases" in probe:
        endpoint = "/api/v1/dispatch/map"
        for _ in range(repeats):
            t = time.perf_counter()
            response = api.http.get(url + endpoint, headers={"Accept-Encoding": "gzip"}, timeout=60)
            times.append(time.perf_counter() - t)
            assert response.status_code == 200, response.text[:200]
        count = len(response.json()["cases"])
        size = len(response.content)
    else:
        endpoint = "/api/v1/cases?state=open&limit=500 (every page; /api/v1/dispatch/map is missing)"
        for _ in range(repeats):
            t = time.perf_counter()
            offset, count, size = 0, 0, 0
            while True:
                response = api.http.get(
                    url + "/api/v1/cases",
                    params={"state": "open", "limit": 500, "offset": offset},
                    timeout=60,
                )
                page = response.json()
                count += len(page["items"])
                size += len(response.content)
                offset += len(page["items"])
                if not page["items"] or offset >= page["total"]:
                    break
            times.append(time.perf_counter() - t)
    return {
        "endpoint": endpoint,
        "cases": count,
        "bytes": size,
        "median_seconds": round(float(np.median(times)), 3),
        "max_seconds": round(max(times), 3),
    }


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1/gc_bench_live")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="reports per second")
    parser.add_argument(
        "--staff-share", type=float, default=0.5, help="share of staff sockets (they hear every report)"
    )
    parser.add_argument("--dispatch-rate", type=float, default=5.0, help="dispatches per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--open-cases", type=int, default=10_000)
    parser.add_argument(
        "--worker",
        choices=("gevent", "threads"),
        default="gevent",
        help="gunicorn worker of the web processes",
    )
    parser.add_argument(
        "--threads", type=int, default=160, help="gunicorn threads per web process (--worker threads)"
    )
    parser.add_argument("--posters", type=int, default=40, help="reporting threads (one inspector each)")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument(
        "--overload",
        action="store_true",
        help="first find the rate the posters get answered at (closed loop), then run at twice it",
    )
    parser.add_argument("--probe-seconds", type=float, default=6.0, help="length of that closed-loop probe")
    parser.add_argument(
        "--burners", type=int, default=0, help="CPU burners spinning meanwhile (a busy machine)"
    )
    args = parser.parse_args(argv)
    calibration = calibration_seconds()
    say(
        calibration_line(calibration)
        + (f" (then {args.burners} CPU burner(s) start)" if args.burners else "")
    )
    burners = Burners(args.burners)
    try:
        return run(args, calibration)
    finally:
        burners.stop()
        say(calibration_line(calibration_seconds()) + " (after the run)")


def run(args, calibration: float) -> int:
    out: dict = {
        "benchmark": "live",
        "targets": TARGETS,
        "arguments": vars(args),
        "calibration_seconds": calibration,
    }
    load_before = os.getloadavg()
    say(
        f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-live-"))
    db_info = prepare_database(args.postgres_url, args.open_cases, 0.2, folder)
    topology = Topology(
        database_url=db_info["url"],
        redis_url=args.redis_url,
        channel=f"bench-live-{uuid.uuid4().hex[:8]}",
        folder=folder,
        web=2,
        scheduler=True,
        server="gunicorn",
        threads=args.threads,
        worker=args.worker,
        sweep_seconds=60,
        secret_key="bench-live",
        extra_env={
            "GRIDCITY_DB_POOL_SIZE": "16",
            "GRIDCITY_DB_MAX_OVERFLOW": "16",
        },
    )
    ctx = multiprocessing.get_context("spawn")
    workers = []
    stop = ctx.Event()
    try:
        topology.start()
        worker = "gevent worker" if args.worker == "gevent" else f"{args.threads} threads each"
        say(f"topology: web {', '.join(topology.urls)} (gunicorn, {worker}) + scheduler")
        admin = ApiSession(topology.urls[0], "admin").login()
        users = admin.get("/api/v1/users")
        units = sorted(u["username"] for u in users if u["role"] == "unit_handler")
        unit_of = {u["username"]: u["unit"]["id"] for u in users if u["role"] == "unit_handler"}
        inspectors = [u for u in users if u["role"] == "inspector" and u["scope"]["work_grids"]]

        # --- sockets, in client processes
        plan = socket_plan(topology.urls, args.sockets, units, args.staff_share)
        ready, results, arrived = ctx.Queue(), ctx.Queue(), ctx.Value("q", 0)
        per = -(-len(plan) // args.client_processes)
        t = time.perf_counter()
        for first in range(0, len(plan), per):
            process = ctx.Process(
                target=client_process,
                args=(plan[first : first + per], first, ready, stop, results, arrived),
                daemon=True,
            )
            process.start()
            workers.append(process)
        connected, errors = 0, []
        for _ in workers:
            _, n, errs = ready.get(timeout=300)
            connected += n
            errors += errs
        say(
            f"sockets: {connected}/{len(plan)} connected in {time.perf_counter() - t:.1f} s"
            + (f"; refused: {errors[:3]}" if errors else "")
        )
        out["sockets"] = {"wanted": len(plan), "connected": connected, "errors": errors[:10]}
        staff_sockets = [i for i, (_, user) in enumerate(plan) if user in STAFF]
        unit_sockets: dict[int, list[int]] = {}
        for i, (_, user) in enumerate(plan):
            if user in unit_of:
                unit_sockets.setdefault(unit_of[user], []).append(i)
        time.sleep(1.0)  # the last joins settle

        # --- load
        grids = work_grid_geoms(admin)
        rng = random.Random(1)
        chosen = [inspectors[k % len(inspectors)] for k in range(args.posters)]
        reporter_sessions = [
            ApiSession(topology.urls[k % 2], u["username"]).login() for k, u in enumerate(chosen)
        ]
        feed_start = ApiSession(topology.urls[0], "dispatcher1").login().get("/api/v1/dispatch/map")["seq"]
        if args.overload:
            sustained = probe_rate(reporter_sessions, grids, chosen, rng, args.probe_seconds)
            args.rate = 2 * sustained
            out["overload"] = {"sustained_per_s": round(sustained, 1), "rate": round(args.rate, 1)}
            say(
                f"sustained: {sustained:.1f} reports/s answered closed-loop by {len(reporter_sessions)} posters "
                f"in {args.probe_seconds:g} s; overload run at {args.rate:.1f}/s"
            )
        points = []
        for i in range(int(args.rate * args.seconds)):
            who = chosen[i % len(chosen)]
            grid = grids[rng.choice(who["scope"]["work_grids"])["id"]]
            points.append(random_point(grid, rng))
        codes = ["E0102", "E0201", "E0401", "E0402", "E0404", "E0104", "C0304", "C0112"]

        def post_report(session, i):
            lon, lat = points[i]
            case = session.report(
                {"category": codes[i % len(codes)], "lon": lon, "lat": lat, "description": "bench"},
                [field_photo()],
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            return case["id"], "report"

        to_dispatch = db_info["to_dispatch"]
        dispatched_units: dict[int, int] = {}

        def post_dispatch(session, i):
            case_id, version = to_dispatch[i]
            case = session.act({"id": case_id, "version": version}, "dispatch")
            dispatched_units[case_id] = case["unit"]["id"]
            return case_id, "dispatch"

        dispatcher_sessions = [ApiSession(topology.urls[k % 2], STAFF[k % 2]).login() for k in range(4)]
        reports = Poster("report", reporter_sessions, args.rate, args.seconds, post_report)
        dispatches = Poster(
            "dispatch",
            dispatcher_sessions,
            min(args.dispatch_rate, len(to_dispatch) / args.seconds),
            args.seconds,
            post_dispatch,
        )
        cpu = CpuMeter(topology, [w.pid for w in workers])
        t0 = time.monotonic() + 0.5
        reports.run(t0)
        if args.dispatch_rate > 0:
            dispatches.run(t0)
        reports.join()
        if args.dispatch_rate > 0:
            dispatches.join()
        wall = time.monotonic() - t0
        settle = time.monotonic()
        last, last_change = -1, time.monotonic()
        while time.monotonic() - last_change < QUIET_SECONDS and time.monotonic() - settle < GRACE_SECONDS:
            if arrived.value != last:
                last, last_change = arrived.value, time.monotonic()
            time.sleep(0.2)
        out["settle_seconds"] = round(time.monotonic() - settle - QUIET_SECONDS, 1)
        out["cpu"] = cpu.stop()
        stop.set()
        received, dropped = [], []
        for _ in workers:
            _, got, lost = results.get(timeout=120)
            received += got
            dropped += lost

        # --- figures
        arrivals: dict[tuple[int, str, int], float] = {}
        for socket_index, case_id, action, at in received:
            arrivals.setdefault((case_id, action, socket_index), at)
        latencies, from_sent, early, missed = [], [], 0, 0
        by_lane = {"report": [], "dispatch": []}
        by_path = {
            "same_process": [],
            "other_process": [],
        }  # socket on the process that took the POST, or not
        for poster in (reports, dispatches):
            for (case_id, action), returned in poster.returned.items():
                listeners = list(staff_sockets)
                if action == "dispatch":
                    listeners += unit_sockets.get(dispatched_units.get(case_id), [])
                for socket_index in listeners:
                    at = arrivals.get((case_id, action, socket_index))
                    if at is None:
                        missed += 1
                        continue
                    ms = (at - returned) * 1000
                    if ms < 0:
                        early += 1
                    latencies.append(max(ms, 0.0))
                    from_sent.append((at - poster.sent[(case_id, action)]) * 1000)
                    by_lane[action].append(max(ms, 0.0))
                    same = plan[socket_index][0] == poster.via[(case_id, action)]
                    by_path["same_process" if same else "other_process"].append(max(ms, 0.0))
        posted = set(reports.returned) | set(dispatches.returned)
        stray = sum(  # a unit's socket hearing a report, or another unit's dispatch
            1
            for socket_index, case_id, action, _ in received
            if plan[socket_index][1] in unit_of
            and (case_id, action) in posted
            and (action != "dispatch" or unit_of[plan[socket_index][1]] != dispatched_units.get(case_id))
        )
        # A client that lost its socket or was told to resync asks the feed:
        # what neither the socket nor the feed brought is missed for good.
        feeds = {}
        for url, username in set(plan):
            if username not in feeds:
                feeds[username] = event_feed(ApiSession(url, username).login(), feed_start)
        missed_after_resync = 0
        for poster in (reports, dispatches):
            for case_id, action in poster.returned:
                listeners = list(staff_sockets)
                if action == "dispatch":
                    listeners += unit_sockets.get(dispatched_units.get(case_id), [])
                for socket_index in listeners:
                    if (case_id, action, socket_index) not in arrivals and (case_id, action) not in feeds[
                        plan[socket_index][1]
                    ]:
                        missed_after_resync += 1
        delivery = percentiles(latencies)
        delivery["missed_after_resync"] = missed_after_resync
        delivery.update(
            missed=missed,
            sockets_dropped=len(set(dropped)),
            dropped_by_web={url: sum(1 for i in set(dropped) if plan[i][0] == url) for url in topology.urls},
            dropped_by_client_process={
                str(first): sum(1 for i in set(dropped) if first <= i < first + per)
                for first in range(0, len(plan), per)
            },
            arrived_before_response=early,
            stray_to_other_units=stray,
            by_action={k: percentiles(v) for k, v in by_lane.items()},
            by_path={k: percentiles(v) for k, v in by_path.items()},
            from_post_sent=percentiles(from_sent),
        )
        out["delivery"] = delivery
        out["load"] = {
            "reports": len(reports.returned),
            "reports_per_second": round(len(reports.returned) / wall, 1),
            "report_post": percentiles(reports.post_ms),
            "report_send_lag": percentiles(reports.lag_ms),
            "dispatches": len(dispatches.returned),
            "dispatch_post": percentiles(dispatches.post_ms),
            "failed_posts": len(reports.failed) + len(dispatches.failed),
            "failed_examples": (reports.failed + dispatches.failed)[:3],
            "seconds": round(wall, 1),
        }
        say(
            f"load: {len(reports.returned)} reports ({out['load']['reports_per_second']}/s wanted {args.rate:g}/s), "
            f"{len(dispatches.returned)} dispatches in {wall:.1f} s; POST p50/p95 "
            f"{out['load']['report_post'].get('p50_ms')}/{out['load']['report_post'].get('p95_ms')} ms; "
            f"{out['load']['failed_posts']} failed"
        )
        say(
            f"delivery (POST returned → socket received): {delivery['n']:,} deliveries, "
            f"p50 {delivery.get('p50_ms')} ms, p95 {delivery.get('p95_ms')} ms, p99 {delivery.get('p99_ms')} ms, "
            f"max {delivery.get('max_ms')} ms; {missed} missed ({len(set(dropped))} sockets dropped); "
            f"{early} arrived before the response; "
            f"{stray} to a unit that may not see them (target p95 < {TARGETS['p95_ms']:.0f} ms)"
        )
        if dropped:
            say(
                f"dropped sockets by web process {delivery['dropped_by_web']}, "
                f"by client process {delivery['dropped_by_client_process']}"
            )
            for log in topology.logs:
                tail = [
                    line for line in log.read_text().splitlines() if "rror" in line or "Traceback" in line
                ][-3:]
                if tail:
                    say(f"{log.name}: " + " | ".join(tail))
        shed = sum("answered 503" in f for f in reports.failed + dispatches.failed)
        operations = len(reports.returned) + len(dispatches.returned)
        cpu_ms = 1000 * out["cpu"]["server"] * wall / max(operations, 1)
        post_p99 = out["load"]["report_post"].get("p99_ms")
        out["overload_figures"] = {
            "sockets_dropped": len(set(dropped)),
            "missed_live": missed,
            "missed_after_resync": missed_after_resync,
            "accepted_post_p99_ms": post_p99,
            "shed_503": shed,
            "shed_share": round(shed / max(shed + operations, 1), 3),
            "server_cpu_ms_per_operation": round(cpu_ms, 1),
        }
        say(
            f"degradation: {len(set(dropped))} sockets dropped (target 0), {missed} deliveries missed live, "
            f"{missed_after_resync} still missing after a resync from the feed (target 0); accepted POST p99 "
            f"{post_p99} ms; {shed} shed with 503 ({100 * out['overload_figures']['shed_share']:.1f} %); "
            f"server CPU {cpu_ms:.1f} ms per accepted operation"
            + (
                f"; accepted reports/s to the sustained rate "
                f"{out['load']['reports_per_second'] / out['overload']['sustained_per_s']:.2f}"
                if args.overload and out["overload"]["sustained_per_s"]
                else ""
            )
        )
        say(
            "delivery by path: "
            + "; ".join(
                f"{k.replace('_', ' ')} p50 {v.get('p50_ms')} / p95 {v.get('p95_ms')} ms"
                for k, v in delivery["by_path"].items()
            )
        )
        say(
            "delivery counted from the POST being sent (request handling included): "
            + ", ".join(f"{k} {v} ms" for k, v in delivery["from_post_sent"].items() if k != "n")
        )
        say(
            "cores used during the load: "
            + ", ".join(f"{k} {v}" for k, v in out["cpu"].items() if k != "cores")
            + f" (of {out['cpu']['cores']})"
        )

        # --- map state
        out["map_state"] = measure_map_state(topology.urls[0])
        m = out["map_state"]
        say(
            f"map state: {m['cases']:,} open cases from {m['endpoint']}: median {m['median_seconds']} s, "
            f"max {m['max_seconds']} s, {m['bytes']:,} bytes (target < {TARGETS['map_state_seconds']:g} s)"
        )
    finally:
        stop.set()
        for process in workers:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
        topology.stop()
        shutil.rmtree(folder, ignore_errors=True)
    load_after = os.getloadavg()
    out["machine"] = {"cores": os.cpu_count(), "load_before": load_before, "load_after": load_after}
    out["meets_targets"] = {
        "p95": out["delivery"].get("p95_ms", float("inf")) < TARGETS["p95_ms"]
        and out["delivery"]["missed"] == 0,
        "map_state": out["map_state"]["median_seconds"] < TARGETS["map_state_seconds"],
    }
    print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


class CpuMeter:
    """Cores used while the load runs: by the server processes (gunicorn
    workers, scheduler), by the bench's own processes (socket clients,
    posters), and by the whole machine (PostgreSQL, Redis, everyone else)."""

    def __init__(self, topology: Topology, client_pids: list[int]):
        parents = {p.pid for p in topology.processes}
        self.groups = {
            "server": sorted(parents | {pid for pid in self._all() if self._ppid(pid) in parents}),
            "bench_clients": list(client_pids),
            "bench_posters": [os.getpid()],
        }
        self.pids = [pid for pids in self.groups.values() for pid in pids]
        self.start = self._read()
        self.machine = self._machine()
        self.t = time.monotonic()

    @staticmethod
    def _machine() -> tuple[float, float]:
        fields = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    @staticmethod
    def _all() -> list[int]:
        return [int(d) for d in os.listdir("/proc") if d.isdigit()]

    @staticmethod
    def _ppid(pid: int) -> int | None:
        try:
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None

    def _read(self) -> dict[int, float]:
        out = {}
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                out[pid] = 0.0
        return out

    def stop(self) -> dict:
        end, wall = self._read(), time.monotonic() - self.t
        busy, total = self._machine()
        cores = os.cpu_count() or 1
        out = {
            group: round(sum(end[p] - self.start[p] for p in pids) / wall, 2)
            for group, pids in self.groups.items()
        }
        out["machine_busy"] = round(cores * (busy - self.machine[0]) / max(total - self.machine[1], 1e-9), 2)
        out["cores"] = cores
        return out


if __name__ == "__main__":
    sys.exit(main())
