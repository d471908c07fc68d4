"""Live events across processes: two web processes on one Redis queue and the
scheduler process emitting through it; a reconnecting client resyncs; each
socket hears only what its user may see."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import socketio
from sqlalchemy import create_engine, text

from gridcity.simulate.client import ApiSession, LiveClient
from tests.live.conftest import report

WAIT = 10  # seconds; events normally arrive in milliseconds


def dispatched(sessions, category: str = "E0102", unit_id: int | None = None, n: int = 0) -> dict:
    """A case reported by insp001 and taken to dispatched, every step on web process A."""
    case = report(sessions("insp001"), category, n)
    case = sessions("operator1").act(case, "accept")
    case = sessions("leader1").act(case, "file")
    extra = {} if unit_id is None else {"unit_id": unit_id, "reason": "live test: another unit"}
    return sessions("dispatcher1").act(case, "dispatch", **extra)


def test_a_client_on_process_b_hears_a_report_posted_to_process_a(topology, sessions, live_clients):
    on_b = live_clients(sessions("dispatcher2", web=1))
    on_a = live_clients(sessions("dispatcher1", web=0))
    case = report(sessions("insp001", web=0), n=1)
    assert on_b.wait_for(lambda c: "report" in c.actions_on(case["id"]), WAIT), topology.log_text()
    assert on_a.wait_for(lambda c: "report" in c.actions_on(case["id"]), WAIT)
    (event,) = [e for e in on_b.events if e.case_id == case["id"]]
    assert (event.state, event.via) == ("reported", "socket")


def test_an_overdue_mark_by_the_scheduler_process_reaches_both_web_processes(
    topology, sessions, live_clients, postgis_url
):
    case = dispatched(sessions, n=2)
    unit = case["unit"]["id"]
    handler = next(  # the demo unit handler of the case's unit
        name
        for name in ("unit-yt-hw", "unit-yt-yl", "unit-yt-sz", "unit-yt-sw", "unit-yt-jt", "unit-yt-zf")
        + tuple(f"unit-yt-jd0{k}" for k in range(1, 5))
        if sessions(name).me["unit"]["id"] == unit
    )
    listeners = [
        live_clients(sessions("dispatcher1", web=0)),
        live_clients(sessions("dispatcher2", web=1)),
        live_clients(sessions(handler, web=1)),
    ]
    # The deadline passes (the web processes take no part in what follows):
    engine = create_engine(postgis_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_file SET deadline_at = now() - interval '1 minute' WHERE id = :id"),
            {"id": case["id"]},
        )
    engine.dispose()
    for client in listeners:
        assert client.wait_for(lambda c: "overdue" in c.actions_on(case["id"]), WAIT), topology.log_text()
        (mark,) = [e for e in client.events if e.case_id == case["id"] and e.action == "overdue"]
        assert mark.state == "dispatched" and mark.via == "socket"
    # …and it is the scheduler that marked it: the case says so over the API.
    seen = sessions("dispatcher1").get(f"/api/v1/cases/{case['id']}")
    assert seen["overdue"] is True
    assert any(e["action"] == "overdue" and e["actor_id"] is None for e in seen["history"])


def test_a_reconnecting_client_resyncs_all_it_missed_without_duplicates(topology, sessions, live_clients):
    inspector = sessions("insp001", web=0)
    client = live_clients(sessions("dispatcher2", web=1))
    first = report(inspector, n=10)
    assert client.wait_for(lambda c: first["id"] in c.cases, WAIT)
    client.disconnect()
    missed = [report(inspector, n=11 + k)["id"] for k in range(5)]
    time.sleep(0.5)  # had the socket still been open, these would be in by now
    assert not set(missed) & set(client.cases)
    added = client.reconnect()
    assert added >= 5
    # and live again after the resync:
    after = report(inspector, n=16)
    assert client.wait_for(lambda c: after["id"] in c.cases, WAIT)
    assert all(client.cases[case_id] == "reported" for case_id in missed)
    reports = Counter(e.case_id for e in client.events if e.action == "report")
    assert all(reports[case_id] == 1 for case_id in [first["id"], *missed, after["id"]])
    seqs = [e.seq for e in client.events]
    assert len(seqs) == len(set(seqs))
    assert {e.via for e in client.events if e.case_id in missed} == {"resync"}


def test_a_unit_handler_hears_only_its_own_units_cases(topology, sessions, live_clients):
    hw, sz = sessions("unit-yt-hw", web=1), sessions("unit-yt-sz", web=1)
    assert hw.me["unit"]["id"] != sz.me["unit"]["id"]
    hears_hw, hears_sz = live_clients(hw), live_clients(sz)
    to_sz = dispatched(sessions, "E0102", unit_id=sz.me["unit"]["id"], n=20)
    to_hw = dispatched(sessions, "E0102", unit_id=hw.me["unit"]["id"], n=21)
    # Events leave process A in order on one channel: once HW has heard its
    # own dispatch, it would have heard SZ's if it were going to.
    assert hears_hw.wait_for(lambda c: "dispatch" in c.actions_on(to_hw["id"]), WAIT)
    assert hears_sz.wait_for(lambda c: "dispatch" in c.actions_on(to_sz["id"]), WAIT)
    sz.act(to_sz, "unit_accept")
    assert hears_sz.wait_for(lambda c: "unit_accept" in c.actions_on(to_sz["id"]), WAIT)
    time.sleep(0.3)
    assert {e.case_id for e in hears_hw.events} == {to_hw["id"]}
    assert to_sz["id"] not in {e.case_id for e in hears_hw.events}
    assert to_hw["id"] not in {e.case_id for e in hears_sz.events}
    # nor does a resync hand it over
    hears_hw.resync(after=0)
    assert to_sz["id"] not in hears_hw.cases and to_hw["id"] in hears_hw.cases


@pytest.mark.parametrize("web", [0, 1])
def test_a_socket_without_a_signed_in_session_is_refused(topology, web):
    stranger = LiveClient(ApiSession(topology.urls[web], "nobody"))
    with pytest.raises(socketio.exceptions.ConnectionError):
        stranger.connect(timeout=5)
    assert not stranger.connected


def test_signing_out_on_process_a_disconnects_the_socket_on_process_b(topology, sessions, live_clients):
    """The session ends on one process; its socket on the other goes at once
    (through the message queue) and hears nothing more."""
    dispatcher = sessions("dispatcher2", web=1)
    client = live_clients(dispatcher)
    dispatcher.base_url = topology.urls[0]  # the same browser, its next request on process A
    dispatcher.post("/api/v1/logout", {})
    deadline = time.monotonic() + WAIT
    while client.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not client.connected, topology.log_text()
    case = report(sessions("insp001", web=0), n=40)
    time.sleep(0.5)  # had the socket still been open, the report would be in by now
    assert case["id"] not in client.cases
