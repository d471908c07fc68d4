"""The dedicated scheduler through database outages (issue #14 item 8): it
waits for the database at start instead of exiting, and after a blip that
cost it its lock it stops acting while another scheduler acts."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from gridcity.simulate.faults import DatabaseProxy
from gridcity.simulate.topology import GRIDCITY, stop_processes, wait_for_line
from tests.conftest import requires_postgis

RUN = re.compile(r"job (\S+) ran as leader from ([\d.]+) to ([\d.]+)")


def start_scheduler(name: str, database_url: str, folder) -> tuple[subprocess.Popen, object]:
    env = {
        **os.environ,
        "GRIDCITY_DATABASE_URL": database_url,
        "GRIDCITY_INSTANCE_DIR": str(folder),
        "GRIDCITY_SWEEP_SECONDS": "1",
        "GRIDCITY_SCHEDULER_STANDBY_SECONDS": "1",
        "GRIDCITY_DB_CONNECT_TIMEOUT_SECONDS": "1",
        "GRIDCITY_DB_STATEMENT_TIMEOUT_SECONDS": "2",
        "GRIDCITY_LOG_LEVEL": "INFO",
        "GRIDCITY_SECRET_KEY": "test",
    }
    log = folder / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen([*GRIDCITY, "scheduler"], env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, log


def job_runs(log) -> list[tuple[float, float]]:
    return [(float(a), float(b)) for _, a, b in RUN.findall(log.read_text())]


@pytest.fixture
def proxy():
    proxy = DatabaseProxy().start()
    yield proxy
    proxy.stop()


@requires_postgis
def test_scheduler_waits_for_the_database_at_start(postgis_url, proxy, tmp_path):
    proxy.set_mode("cut")
    process, log = start_scheduler("s", proxy.url_for(postgis_url), tmp_path)
    try:
        wait_for_line(log, "waiting for the database", process, timeout=30)
        time.sleep(2)
        assert process.poll() is None, log.read_text()
        proxy.set_mode("pass")
        wait_for_line(log, "scheduler is the leader", process, timeout=30)
        wait_for_line(log, "ran as leader", process, timeout=30)
    finally:
        stop_processes([process])


@requires_postgis
def test_a_scheduler_that_lost_its_lock_stops_acting(postgis_url, proxy, tmp_path):
    first, first_log = start_scheduler("first", proxy.url_for(postgis_url), tmp_path)
    processes = [first]
    try:
        wait_for_line(first_log, "ran as leader", first, timeout=30)
        second, second_log = start_scheduler("second", postgis_url, tmp_path)
        processes.append(second)
        wait_for_line(second_log, "standing by", second, timeout=30)
        proxy.set_mode("cut")  # the first one's session ends, and its lock with it
        wait_for_line(second_log, "ran as leader", second, timeout=30)
        time.sleep(1)
        proxy.set_mode("pass")
        time.sleep(4)  # the first one is back and must not act beside the second
        assert first.poll() is None and second.poll() is None
        taken_over_at = job_runs(second_log)[0][0]
        late = [run for run in job_runs(first_log) if run[1] > taken_over_at]
        assert not late, f"the first scheduler acted after losing its lock: {late}\n{first_log.read_text()}"
        assert "scheduler stops acting" in first_log.read_text()
        assert len(job_runs(second_log)) >= 3
    finally:
        stop_processes(processes)
