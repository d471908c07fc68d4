"""The fault drill (issue #14): two gunicorn gevent web processes and two
`gridcity scheduler` processes on PostGIS through a TCP proxy; under a steady
report load the database is cut for a few seconds, then hung for a few
seconds. Every answer is 2xx or 503 within 5 s, every acknowledged report
exists exactly once afterwards, and no two schedulers ever act at once.

The figures print as one JSON line (``pytest -s``) and are in every
assertion message; ``scripts/fault_drill.py`` runs the same drill by hand."""

from __future__ import annotations

import uuid

import pytest

from gridcity.simulate.drill import run_drill
from gridcity.simulate.faults import DatabaseProxy
from gridcity.simulate.topology import GRIDCITY, Topology, wait_for_line
from tests.live.conftest import REDIS_URL, load_demo_city

# Short timeouts so that a cut or a hang is answered well within 5 s.
FAST_ENV = {
    "GRIDCITY_DB_CONNECT_TIMEOUT_SECONDS": "1",
    "GRIDCITY_DB_STATEMENT_TIMEOUT_SECONDS": "1",
    "GRIDCITY_DB_POOL_TIMEOUT_SECONDS": "1",
    "GRIDCITY_DB_RETRY_AFTER_SECONDS": "1",
    "GRIDCITY_SCHEDULER_STANDBY_SECONDS": "1",
}


@pytest.fixture(scope="module")
def drill_topology(live_requirements, postgis_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fault")
    load_demo_city(postgis_url, folder)
    proxy = DatabaseProxy().start()
    topo = Topology(
        database_url=proxy.url_for(postgis_url),
        redis_url=REDIS_URL,
        channel=f"gridcity-test-{uuid.uuid4().hex[:12]}",
        folder=folder,
        web=2,
        scheduler=True,
        server="gunicorn",
        worker="gevent",
        sweep_seconds=1,
        secret_key="fault-test",
        extra_env=FAST_ENV,
    )
    try:
        topo.start()
        second = topo._spawn("scheduler2", [*GRIDCITY, "scheduler"], topo.env())
        wait_for_line(topo.logs[-1], "standing by", second, timeout=60)
    except Exception:
        topo.stop()
        proxy.stop()
        raise
    yield topo, proxy
    topo.stop()
    proxy.stop()


def test_cut_and_hang_under_load(drill_topology, postgis_url):
    topo, proxy = drill_topology
    schedulers = [log for log in topo.logs if log.name.startswith("scheduler")]
    result = run_drill(topo.urls, proxy, postgis_url, schedulers)
    figures = result.line()
    print(figures)
    why = f"{figures}\n{topo.log_text()}"
    assert result.acknowledged > 20, why
    assert result.lost == 0 and result.duplicated == 0, why
    assert result.unacknowledged == 0, why
    assert result.http_503 > 0, why  # the faults were felt
    assert result.http_5xx_other == 0 and result.other_statuses == {}, why
    assert result.no_answer == 0, why
    assert result.longest_wait_s < 5, why
    assert result.scheduler_overlaps == 0, why
    assert sum(result.scheduler_runs.values()) > 5, why
    assert all(process.poll() is None for process in topo.processes), why
