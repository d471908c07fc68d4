"""The fault drill (issue #14): a steady report load on the running topology
while the database is cut and then hung for a few seconds, as the inspectors'
outbox would send it (a report is sent until it is acknowledged, always with
its own Idempotency-Key, after ``Retry-After`` on a 503). Afterwards: how many
reports were sent, acknowledged, lost and duplicated, how many answers were
5xx, the longest wait for an answer, and whether two schedulers ever acted at
once (from their logs). Used by ``tests/live/test_fault_drill.py`` and
``scripts/fault_drill.py``."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import shapely

from gridcity.simulate.client import ApiSession, field_photo, report_multipart
from gridcity.simulate.faults import DatabaseProxy

# (mode, seconds): warm up, cut, recover, hang, recover.
DEFAULT_SCHEDULE = (("pass", 3.0), ("cut", 4.0), ("pass", 4.0), ("hang", 4.0), ("pass", 5.0))
JOB_RUN = re.compile(r"job (\S+) ran as leader from ([\d.]+) to ([\d.]+)")


@dataclass
class DrillResult:
    requests: int = 0  # HTTP requests made (first tries and resends)
    sent: int = 0  # distinct reports (client UUIDs)
    acknowledged: int = 0
    lost: int = 0  # acknowledged, but no case with that UUID afterwards
    duplicated: int = 0  # cases beyond the first for one UUID
    unacknowledged: int = 0  # still not acknowledged when the drill ended
    http_503: int = 0
    http_5xx_other: int = 0  # 500, 502, 504…: never expected
    other_statuses: dict = field(default_factory=dict)  # e.g. 4xx: never expected
    no_answer: int = 0  # connection refused / reset / client timeout
    longest_wait_s: float = 0.0  # the longest time any request waited for its answer
    scheduler_runs: dict = field(default_factory=dict)  # per scheduler log: jobs run as leader
    scheduler_overlaps: int = 0  # job runs of two schedulers overlapping in time
    schedule: list = field(default_factory=list)

    def line(self) -> str:
        return json.dumps({"fault_drill": asdict(self)}, ensure_ascii=False)


class _Load:
    """One thread per inspector session, each sending a report every ``period`` s."""

    def __init__(self, inspectors: list[ApiSession], period: float, timeout: float) -> None:
        self.inspectors = inspectors
        self.period = period
        self.timeout = timeout
        self.stop_new = threading.Event()
        self.lock = threading.Lock()
        self.result = DrillResult()
        self.acked: set[str] = set()
        self.pending: set[str] = set()
        self.threads = [
            threading.Thread(target=self._run, args=(api, n), daemon=True) for n, api in enumerate(inspectors)
        ]
        self.points = {api.username: _points_in_my_grid(api) for api in inspectors}

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self, grace: float) -> None:
        self.stop_new.set()
        for thread in self.threads:
            thread.join(grace + self.timeout)

    def _run(self, api: ApiSession, n: int) -> None:
        import requests

        k = 0
        while not self.stop_new.is_set():
            key = uuid.uuid4().hex
            lon, lat = self.points[api.username][k % len(self.points[api.username])]
            k += 1
            body = {"category": "E0102", "lon": lon, "lat": lat, "description": f"fault drill {n}-{k}"}
            with self.lock:
                self.result.sent += 1
                self.pending.add(key)
            next_at = time.monotonic() + self.period
            give_up = None
            while True:  # the outbox: the same report until it is acknowledged
                started = time.monotonic()
                status, retry_after = None, 1.0
                try:
                    response = api.http.post(
                        api.base_url + "/api/v1/reports",
                        headers={"Idempotency-Key": key},
                        timeout=self.timeout,
                        **report_multipart(body, [field_photo()]),  # an inspector's, with its photo
                    )
                    status = response.status_code
                    retry_after = float(response.headers.get("Retry-After", 1))
                except requests.RequestException:
                    pass
                waited = time.monotonic() - started
                with self.lock:
                    r = self.result
                    r.requests += 1
                    r.longest_wait_s = max(r.longest_wait_s, round(waited, 3))
                    if status is None:
                        r.no_answer += 1
                    elif 200 <= status < 300:
                        r.acknowledged += 1
                        self.acked.add(key)
                        self.pending.discard(key)
                    elif status == 503:
                        r.http_503 += 1
                    elif status >= 500:
                        r.http_5xx_other += 1
                    else:
                        r.other_statuses[str(status)] = r.other_statuses.get(str(status), 0) + 1
                if status is not None and 200 <= status < 300:
                    break
                if status is not None and 400 <= status < 500:
                    break  # refused: the outbox keeps it for the person to decide
                if self.stop_new.is_set():
                    give_up = give_up or time.monotonic() + 10
                    if time.monotonic() > give_up:
                        break
                time.sleep(min(retry_after, 1.0))
            time.sleep(max(0.0, next_at - time.monotonic()))


def _points_in_my_grid(inspector: ApiSession, count: int = 50) -> list[tuple[float, float]]:
    """Points inside the inspector's first work grid (from the public API)."""
    mine = {w["id"] for w in inspector.me["scope"]["work_grids"]}
    features = inspector.get("/api/v1/geo/work-grids")["features"]
    geom = next(shapely.geometry.shape(f["geometry"]) for f in features if f["properties"]["id"] in mine)
    inner = geom.buffer(-0.0005) if not geom.buffer(-0.0005).is_empty else geom
    west, south, east, north = inner.bounds
    points = []
    for k in range(2000):
        x = west + (east - west) * (((k * 37) % 97) / 97)
        y = south + (north - south) * (((k * 53) % 89) / 89)
        if inner.contains(shapely.Point(x, y)):
            points.append((round(x, 6), round(y, 6)))
        if len(points) >= count:
            break
    return points or [(inner.representative_point().x, inner.representative_point().y)]


def run_drill(
    urls: list[str],
    proxy: DatabaseProxy,
    direct_database_url: str,
    scheduler_logs: list[Path],
    inspectors: tuple[str, ...] = ("insp001", "insp002", "insp003", "insp004"),
    period: float = 0.5,
    schedule: tuple[tuple[str, float], ...] = DEFAULT_SCHEDULE,
    timeout: float = 15.0,
) -> DrillResult:
    """Play ``schedule`` on ``proxy`` under the report load spread over
    ``urls``; count the outcome in the database (``direct_database_url``, not
    through the proxy) and in the schedulers' logs."""
    sessions = [ApiSession(urls[n % len(urls)], name).login() for n, name in enumerate(inspectors)]
    load = _Load(sessions, period, timeout)
    marks = {log: len(log.read_text()) for log in scheduler_logs}
    load.start()
    try:
        for mode, seconds in schedule:
            proxy.set_mode(mode)
            time.sleep(seconds)
    finally:
        proxy.set_mode("pass")
        load.join(grace=10)
    result = load.result
    result.schedule = [list(step) for step in schedule]
    result.unacknowledged = len(load.pending)
    present = _cases_per_uuid(direct_database_url, load.acked)
    result.lost = sum(1 for key in load.acked if present.get(key, 0) == 0)
    result.duplicated = sum(n - 1 for n in present.values() if n > 1)
    runs = {log.name: _job_runs(log.read_text()[marks[log] :]) for log in scheduler_logs}
    result.scheduler_runs = {name: len(r) for name, r in runs.items()}
    result.scheduler_overlaps = _overlaps(list(runs.values()))
    return result


def _cases_per_uuid(database_url: str, keys: set[str]) -> Counter:
    from sqlalchemy import bindparam, create_engine, text

    if not keys:
        return Counter()
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT client_uuid, count(*) FROM case_file WHERE client_uuid IN :keys GROUP BY client_uuid"
                ).bindparams(bindparam("keys", expanding=True)),
                {"keys": sorted(keys)},
            ).all()
    finally:
        engine.dispose()
    return Counter({key: n for key, n in rows})


def _job_runs(log_text: str) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for _, a, b in JOB_RUN.findall(log_text)]


def _overlaps(per_process: list[list[tuple[float, float]]]) -> int:
    """Pairs of job runs of different processes overlapping in time."""
    count = 0
    for i, mine in enumerate(per_process):
        for theirs in per_process[i + 1 :]:
            count += sum(1 for a in mine for b in theirs if a[0] < b[1] and b[0] < a[1])
    return count
