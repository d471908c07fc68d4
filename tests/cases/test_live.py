"""Live events: emitted after commit, to the rooms that may see them, never
for a refused action; sockets join rooms by role and scope, strangers are
refused. (End-to-end delivery over real sockets is the dispatch map's test.)"""

from __future__ import annotations

import pytest
from flask_socketio import ConnectionRefusedError

from gridcity.cases import events
from gridcity.cases.publisher import publisher
from gridcity.extensions import socketio as live_socketio
from gridcity.org.services import get_user
from tests.cases.conftest import EAST
from tests.cases.test_closed_loop import ok


class Sent(list):
    """What the background publisher emitted, read once it has caught up."""

    def settled(self) -> Sent:
        assert publisher.drain(timeout=5.0)
        return self


@pytest.fixture
def emitted(monkeypatch):
    sent = Sent()
    monkeypatch.setattr(live_socketio, "emit", lambda name, payload, to=None: sent.append((to, payload)))
    return sent


def received(sent, room: str) -> list[str]:
    return [payload["action"] for rooms, payload in sent.settled() if room in rooms]


def test_events_reach_the_rooms_of_those_who_may_see_them(city, api, emitted):
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    assert received(emitted, "staff") == ["report", "accept", "file", "dispatch"]
    seqs = [payload["seq"] for _, payload in emitted.settled()]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    hw, sz = city["units"]["sanitation"].id, city["units"]["municipal"].id
    assert received(emitted, f"unit:{hw}") == ["dispatch"]  # once it is theirs
    assert received(emitted, f"unit:{sz}") == []
    assert received(emitted, f"work_grid:{case['work_grid_id']}") == ["report", "accept", "file", "dispatch"]
    last = emitted[-1][1]["case"]
    assert (last["id"], last["state"], last["unit_id"]) == (case["id"], "dispatched", hw)
    assert last["deadline_at"] == case["deadline_at"]


def test_the_unit_a_case_is_returned_from_hears_of_it(city, api, emitted):
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    case = ok(api("hw").act(case, "request", kind="return", reason="不属于本单位"))
    case = ok(api("disp").act(case, "decide", approve=True))
    assert case["state"] == "filed" and case["unit"] is None
    hw = city["units"]["sanitation"].id
    assert received(emitted, f"unit:{hw}") == ["dispatch", "request", "decide"]
    assert emitted[-1][1]["case"]["unit_id"] is None  # the portal drops it


def test_refused_action_emits_nothing(city, api, emitted):
    case = ok(api("insp2").report("E0102", EAST), 201)
    emitted.settled().clear()
    assert api("lead").act(case, "close").status_code == 409
    assert emitted.settled() == []


def test_sockets_join_the_rooms_of_their_role_and_scope(city):
    assert events.rooms_of(get_user("disp")) == ["staff", f"user:{get_user('disp').id}"]
    assert events.rooms_of(get_user("hw"))[0] == f"unit:{city['units']['sanitation'].id}"
    assert events.rooms_of(get_user("insp"))[0] == f"work_grid:{city['work_grids'][0].id}"


def test_a_socket_without_a_signed_in_session_is_refused(city, app):
    with app.test_request_context("/socket.io/"):
        with pytest.raises(ConnectionRefusedError):
            events.on_connect()
