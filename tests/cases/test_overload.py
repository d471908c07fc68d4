"""Issue #14 item 13: overload degrades instead of breaking. Intake sheds
with 503 + Retry-After before Flask runs (no session, CSRF, database or
access line for a refused report), the gate's limit follows the recent
intake time, heartbeats get generous timeouts, and a lagging socket gets the
latest state per case."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid

from engineio import packet as eio_packet
from flask import request
from socketio import packet as sio_packet
from sqlalchemy import event

from gridcity.cases import services
from gridcity.cases.admission import IntakeGate, gate_of
from gridcity.cases.delivery import LocalManager
from gridcity.extensions import db, socketio
from gridcity.ops import metrics
from tests.cases.conftest import DEMO_PASSWORD, EAST, post_report
from tests.open311.conftest import create_key, errors, o311_city, post  # noqa: F401 - fixtures reused


def signed_in(app, username):
    client = app.test_client()
    assert (
        client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD}).status_code
        == 200
    )
    return client


def report(client):
    data = {"category": "E0102", "lon": EAST[0], "lat": EAST[1]}
    return post_report(client, data, headers={"Idempotency-Key": uuid.uuid4().hex})


def holding_one_report(app, monkeypatch):
    """Settings of one place at a time, and a report that holds it until released."""
    release, entered = threading.Event(), threading.Event()
    real = services.submit_report

    def slow_submit(*args, **kwargs):
        entered.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "submit_report", slow_submit)
    held_client = signed_in(app, "insp2")
    answers = {}
    held = threading.Thread(target=lambda: answers.setdefault("held", report(held_client)))
    held.start()
    assert entered.wait(30)
    return release, held, answers


def test_intake_past_its_limit_answers_503_with_retry_after(app, city, monkeypatch):
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], intake_max_inflight=1)
    second = signed_in(app, "insp2")
    release, held, answers = holding_one_report(app, monkeypatch)
    refused = report(second)  # refused while the first still holds the only place
    release.set()
    held.join(30)
    assert refused.status_code == 503
    assert int(refused.headers["Retry-After"]) == app.config["SETTINGS"].intake_retry_after_seconds
    assert refused.get_json()["error"] == "intake_overloaded"
    assert answers["held"].status_code == 201
    monkeypatch.undo()
    assert report(second).status_code == 201  # room again once the first is done
    cases = signed_in(app, "disp").get("/api/v1/cases").get_json()["total"]
    assert cases == 2  # the refused one made nothing


def test_a_report_that_finds_no_place_waits_its_turn(app, city, monkeypatch):
    # A long budget: the wait for a place (a fifth of it) outlasts the held report.
    app.config["SETTINGS"] = dataclasses.replace(
        app.config["SETTINGS"], intake_max_inflight=1, intake_latency_budget_ms=240_000
    )
    gate = gate_of(app)
    second = signed_in(app, "insp2")
    release, held, answers = holding_one_report(app, monkeypatch)
    waiter = threading.Thread(target=lambda: answers.setdefault("waited", report(second)))
    waiter.start()
    for _ in range(3000):
        if gate.waiting == 1:
            break
        time.sleep(0.01)
    assert gate.waiting == 1 and gate.inflight == 1  # waiting, not refused
    release.set()
    held.join(30)
    waiter.join(30)
    assert answers["held"].status_code == 201 and answers["waited"].status_code == 201
    assert gate.waiting == 0 and gate.inflight == 0


def test_open311_intake_sheds_with_the_spec_errors_document(app, post, monkeypatch):  # noqa: F811 - the fixture
    monkeypatch.setattr(gate_of(app), "inflight", app.config["SETTINGS"].intake_max_inflight)
    response = post("json", service_code="E0102", lat=str(EAST[1]), long=str(EAST[0]))
    assert errors(response, "json", 503)
    assert response.headers["Retry-After"]
    xml = post("xml", service_code="E0102", lat=str(EAST[1]), long=str(EAST[0]))
    assert xml.status_code == 503 and xml.mimetype == "text/xml" and b"<errors>" in xml.data


class Statements:
    """Counts what reaches the database: connections taken from the pool and statements."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.seen: list[str] = []

    def _statement(self, conn, cursor, statement, *args):
        self.seen.append(statement)

    def _checkout(self, *args):
        self.seen.append("checkout")

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine.pool, "checkout", self._checkout)


def first_hook(app, monkeypatch, hook):
    """``hook`` runs before every other before_request function."""
    funcs = dict(app.before_request_funcs)
    funcs[None] = [hook, *funcs.get(None, [])]
    monkeypatch.setattr(app, "before_request_funcs", funcs)


def test_a_refused_report_costs_no_session_csrf_database_or_access_line(app, city, monkeypatch, caplog):
    inspector = signed_in(app, "insp2")
    monkeypatch.setattr(gate_of(app), "inflight", app.config["SETTINGS"].intake_max_inflight)
    hooks = []
    first_hook(app, monkeypatch, lambda: hooks.append(request.path))
    shed_before = metrics.REQUESTS.labels("cases.submit_report", "POST", "503")._value.get()
    caplog.set_level(logging.INFO, logger="gridcity.access")
    with Statements(app) as database:
        # No CSRF token either: the refusal comes before Flask's checks run.
        refused = inspector.post(
            "/api/v1/reports",
            json={"category": "E0102", "lon": EAST[0], "lat": EAST[1]},
            headers={"Accept-Language": "en", "X-Request-ID": "phone-request-0001"},
        )
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(app.config["SETTINGS"].intake_retry_after_seconds)
    body = refused.get_json()
    assert body["error"] == "intake_overloaded" and body["message"].startswith("The server is busy")
    assert body["request_id"] == refused.headers["X-Request-ID"] == "phone-request-0001"
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    assert database.seen == [] and hooks == []
    assert not [r for r in caplog.records if r.name == "gridcity.access"]
    assert metrics.REQUESTS.labels("cases.submit_report", "POST", "503")._value.get() == shed_before + 1
    chinese = inspector.post("/api/v1/reports", json={"category": "E0102", "lon": EAST[0], "lat": EAST[1]})
    assert "服务器繁忙" in chinese.get_json()["message"]  # the default language
    assert gate_of(app).inflight == app.config["SETTINGS"].intake_max_inflight  # refusals took no place


def test_an_admitted_report_holds_its_place_through_all_of_flasks_work(app, city, monkeypatch):
    gate = gate_of(app)
    inspector = signed_in(app, "insp2")
    seen = []
    first_hook(
        app, monkeypatch, lambda: seen.append(gate.inflight) if request.path == "/api/v1/reports" else None
    )
    assert report(inspector).status_code == 201
    assert seen == [1]  # already counted while the CSRF check and sign-in run
    assert gate.inflight == 0
    inspector.environ_base["HTTP_X_CSRFTOKEN"] = "forged"
    inspector.refresh_csrf_token = lambda: None
    forged = report(inspector)
    assert forged.status_code == 403 and gate.inflight == 0  # a refusal by Flask gives the place back


def test_other_requests_pass_the_gate_untouched(app, city, monkeypatch):
    monkeypatch.setattr(gate_of(app), "inflight", app.config["SETTINGS"].intake_max_inflight)
    dispatcher = signed_in(app, "disp")
    assert dispatcher.get("/api/v1/cases").status_code == 200
    assert dispatcher.get("/api/v1/reports").status_code == 405  # not an intake request: Flask answers


def test_the_access_line_names_the_user_without_a_query_after_the_commit(app, city, caplog):
    inspector = signed_in(app, "insp2")
    caplog.set_level(logging.INFO, logger="gridcity.access")
    with Statements(app) as database:
        assert report(inspector).status_code == 201
    after_commit = database.seen[
        max(i for i, s in enumerate(database.seen) if "INSERT INTO case_event" in s) :
    ]
    assert not [s for s in after_commit if "user_session" in s or s == "checkout"]
    line = [r for r in caplog.records if r.name == "gridcity.access" and "/api/v1/reports" in r.getMessage()]
    assert line and line[-1].access["user_id"] is not None


def test_the_gate_admits_fewer_while_recent_answers_run_over_a_third_of_the_budget():
    gate = IntakeGate()
    assert gate.allowed(12) == 12  # nothing measured yet
    for _ in range(10):
        assert gate.enter(12, 1000)
        gate.leave(600.0, 12, 1000)  # over a third of the budget
    shrunk = gate.allowed(12)
    assert 3 <= shrunk < 6
    for _ in range(40):
        gate.leave(1e6, 12, 1000)  # however slow: three at a time still run
    assert gate.allowed(12) == IntakeGate.MIN_LIMIT == 3
    gate.inflight = 3
    assert not gate.enter(12, 0) and gate.inflight == 3  # full, no time to wait: refused, nothing taken
    gate.inflight = 203
    for _ in range(200):
        gate.leave(50.0, 12, 1000)  # quick again: the limit grows back
    assert gate.allowed(12) == 12
    assert gate.allowed(4) == 4  # and never past the setting


def test_heartbeats_have_generous_configurable_timeouts(app):
    eio = socketio.server.eio
    settings = app.config["SETTINGS"]
    assert (eio.ping_interval, eio.ping_timeout) == (
        settings.socketio_ping_interval,
        settings.socketio_ping_timeout,
    )
    assert eio.ping_timeout >= 60  # Engine.IO's default of 20 s drops sockets of a busy process


class FakeSocket:
    def __init__(self):
        self.backlog = 0
        self.queue = self

    def qsize(self):
        return self.backlog


class FakeServer:
    """What the manager needs of a Socket.IO server, recording what it writes."""

    packet_class = sio_packet.Packet

    def __init__(self):
        self.eio = self
        self.sockets = {"fast": FakeSocket(), "slow": FakeSocket()}
        self.written: list[tuple[str, list]] = []

    def generate_id(self):
        return uuid.uuid4().hex

    def _send_eio_packet(self, eio_sid, pkt):
        assert pkt.packet_type == eio_packet.MESSAGE
        self.written.append((eio_sid, json.loads(pkt.data[1:])))

    def sleep(self, seconds):
        pass

    def start_background_task(self, target, *args):
        pass  # the test flushes by hand

    def heard(self, eio_sid):
        return [
            (data[1]["case"]["id"], data[1]["case"]["version"])
            for sid, data in self.written
            if sid == eio_sid
        ]


def test_a_lagging_socket_gets_the_latest_state_per_case_once_it_caught_up():
    server = FakeServer()
    manager = LocalManager(lag_packets=20)
    manager.set_server(server)
    for eio_sid in ("fast", "slow"):
        sid = manager.pre_connect(eio_sid, "/")
        manager.connect(sid, "/")
        manager.enter_room(sid, "/", "staff")
    server.sockets["slow"].backlog = 500  # its writer is far behind
    seq = 0
    for version in range(1, 11):
        for case_id in (1, 2):
            seq += 1
            manager.emit("case", {"seq": seq, "case": {"id": case_id, "version": version}}, "/", room="staff")
    assert len(server.heard("fast")) == 20  # a healthy socket hears every event
    assert server.heard("slow") == []  # nothing piled onto the lagging one
    assert manager.flush_caught_up() == 0  # still behind
    server.sockets["slow"].backlog = 0
    assert manager.flush_caught_up() == 1
    assert server.heard("slow") == [(1, 10), (2, 10)]  # the latest of each case, once
