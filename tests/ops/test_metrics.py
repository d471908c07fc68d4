"""/metrics: each family moves when its thing happens (a request, a report, a
sweep, a socket, a live event, a held connection), and only the scraper with
the token (or, without one, a client on this machine) may read it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from gridcity.cases.publisher import publisher
from gridcity.core import clock
from gridcity.core.scheduler import add_jobs
from gridcity.extensions import db, socketio
from tests.cases.conftest import EAST, MONDAY_10AM
from tests.cases.test_closed_loop import ok
from tests.cases.test_deadlines import dispatched
from tests.ops.conftest import moved, parse_metrics, value

REPORT = {"endpoint": "cases.submit_report", "method": "POST"}


def test_without_a_token_only_this_machine_may_read_the_metrics(client):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    refused = client.get(
        "/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 403
    body = refused.get_json()
    assert "GRIDCITY_METRICS_TOKEN" in body["message"] and "gridcity_" not in refused.get_data(as_text=True)


def test_with_a_token_set_every_scraper_needs_it(app, client):
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], metrics_token="scrape-me-7f3a")
    assert client.get("/metrics").status_code == 403  # loopback is not enough any more
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Basic scrape-me-7f3a"}).status_code == 403
    remote = client.get(
        "/metrics",
        headers={"Authorization": "Bearer scrape-me-7f3a"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert remote.status_code == 200 and "gridcity_http_requests_total" in remote.get_data(as_text=True)


def test_a_report_moves_intake_requests_latency_cases_and_live_events(city, api, scrape):
    reporter = api("insp2")
    before = scrape()
    case = ok(reporter.report("E0102", EAST), 201)
    after = scrape()

    assert moved(before, after, "gridcity_reports_total", source="inspector") == 1
    assert moved(before, after, "gridcity_reports_total", source="hotline") == 0
    assert moved(before, after, "gridcity_http_requests_total", **REPORT, status="201") == 1
    assert moved(before, after, "gridcity_http_request_duration_seconds_count", **REPORT) == 1
    assert moved(before, after, "gridcity_http_request_duration_seconds_sum", **REPORT) > 0
    assert moved(before, after, "gridcity_cases", state="reported") == 1
    assert moved(before, after, "gridcity_live_events_published_total") >= 1
    # Labels name the endpoint, never the path with a case id in it.
    ok(reporter.get(f"/api/v1/cases/{case['id']}"))
    names = [labels for (name, labels) in scrape() if name == "gridcity_http_requests_total"]
    assert not any("/" in label for labels in names for _, label in labels)
    assert any(("endpoint", "cases.get_case") in labels for labels in names)


def test_a_refused_request_is_counted_by_its_status(city, api, scrape):
    before = scrape()
    assert api("op").report("E0102", EAST, source="nowhere").status_code == 400
    assert moved(before, scrape(), "gridcity_http_requests_total", **REPORT, status="400") == 1


def run_job(app, job_id: str) -> None:
    """Run one registered job the way the scheduler does (through add_jobs)."""

    class Recorder:
        def __init__(self):
            self.funcs = {}

        def add_job(self, func, *args, id, **kwargs):
            self.funcs[id] = func

    recorder = Recorder()
    add_jobs(recorder, app)
    recorder.funcs[job_id]()


def test_a_sweep_is_timed_and_the_overdue_and_warned_counts_move(app, city, scrape):
    dispatched("E0102", MONDAY_10AM)  # 4 working hours: due 16:00, warned from 15:00
    before = scrape()
    assert value(before, "gridcity_cases_overdue") == 0 and value(before, "gridcity_cases_warned") == 0

    clock.freeze(MONDAY_10AM + dt.timedelta(hours=5, minutes=30))  # 15:30: warned
    run_job(app, "sweep_deadlines")
    warned = scrape()
    assert value(warned, "gridcity_cases_warned") == 1 and value(warned, "gridcity_cases_overdue") == 0

    clock.freeze(MONDAY_10AM + dt.timedelta(days=1))
    run_job(app, "sweep_deadlines")
    after = scrape()
    assert value(after, "gridcity_cases_overdue") == 1 and value(after, "gridcity_cases_warned") == 0
    runs = "gridcity_job_duration_seconds_count"
    assert moved(before, after, runs, name="sweep_deadlines") == 2
    last_success = value(after, "gridcity_job_last_success_timestamp_seconds", name="sweep_deadlines")
    assert last_success >= time.time() - 60

    run_job(app, "freeze_scorecards")
    assert moved(after, scrape(), runs, name="freeze_scorecards") == 1


def test_case_counts_are_reused_for_the_cache_time(app, city, api, scrape, client):
    scrape()  # sets metrics_cache_seconds to 0: always fresh
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], metrics_cache_seconds=3600)
    first = parse_metrics(client.get("/metrics").get_data(as_text=True))
    ok(api("insp2").report("E0102", EAST), 201)
    cached = parse_metrics(client.get("/metrics").get_data(as_text=True))
    assert moved(first, cached, "gridcity_cases", state="reported") == 0


def test_open_sockets_and_deliveries_move_with_a_socket(app, city, api, client, scrape):
    api("disp")  # signs the test client in as a dispatcher
    before = scrape()
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.is_connected()
    connected = scrape()
    assert moved(before, connected, "gridcity_sockets_open") == 1

    ok(api("insp2").report("E0102", EAST), 201)  # an event to the staff room
    assert publisher.drain(timeout=5.0)  # events go out after the commit, from the publisher's task
    assert any(m["name"] == "case" for m in sock.get_received())
    assert moved(connected, scrape(), "gridcity_live_events_delivered_total") >= 1

    sock.disconnect()
    after = scrape()
    assert moved(before, after, "gridcity_sockets_open") == 0
    assert moved(before, after, "gridcity_socket_disconnects_total", reason="client disconnect") == 1


def test_a_refused_socket_is_not_counted_open(app, scrape):
    before = scrape()
    stranger = socketio.test_client(app)  # no session
    assert not stranger.is_connected()
    assert moved(before, scrape(), "gridcity_sockets_open") == 0


def test_the_pool_gauges_show_a_held_connection(app, scrape):
    before = scrape()
    assert value(before, "gridcity_db_pool_size") > 0
    with db.engine.connect():
        held = scrape()
    assert moved(before, held, "gridcity_db_pool_checked_out") == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_url(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_scheduler_process_serves_its_own_metrics(app, database_url, tmp_path):
    db.session.commit()
    port = free_port()
    env = {
        **os.environ,
        "GRIDCITY_DATABASE_URL": database_url,
        "GRIDCITY_INSTANCE_DIR": str(tmp_path / "scheduler"),
        "GRIDCITY_SECRET_KEY": "test",
        "GRIDCITY_SWEEP_SECONDS": "1",
        "GRIDCITY_SCHEDULER_METRICS_PORT": str(port),
        "GRIDCITY_METRICS_TOKEN": "scheduler-scrape-1",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", "from gridcity.cli import main; main()", "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        samples: dict = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, text = read_url(url, "scheduler-scrape-1")
            except OSError:
                status, text = 0, ""
            if status == 200:
                samples = parse_metrics(text)
                if value(samples, "gridcity_job_duration_seconds_count", name="sweep_deadlines") >= 1:
                    break
            time.sleep(0.3)
        refused_status, refused_body = read_url(url)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert value(samples, "gridcity_scheduler_leader") == 1, output
    assert value(samples, "gridcity_job_duration_seconds_count", name="sweep_deadlines") >= 1, output
    assert value(samples, "gridcity_job_last_success_timestamp_seconds", name="sweep_deadlines") > 0
    assert refused_status == 403 and "GRIDCITY_METRICS_TOKEN" in refused_body
