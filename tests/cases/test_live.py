"""Live events: after commit, to the rooms that may see them, never before."""

from __future__ import annotations

from gridcity.extensions import socketio
from tests.cases.conftest import EAST
from tests.cases.test_closed_loop import ok
from tests.conftest import DEMO_PASSWORD


def socket_for(app, username: str | None):
    client = app.test_client()
    if username:
        client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD})
    return socketio.test_client(app, flask_test_client=client)


def case_events(socket) -> list[dict]:
    return [m["args"][0] for m in socket.get_received() if m["name"] == "case"]


def test_events_reach_the_right_rooms_only_and_strangers_are_refused(city, app, api):
    centre, sanitation, roads, grid_inspector = (socket_for(app, u) for u in ("disp", "hw", "sz", "insp2"))
    assert all(s.is_connected() for s in (centre, sanitation, roads, grid_inspector))
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    seen = case_events(centre)
    assert [e["action"] for e in seen] == ["report", "accept", "file", "dispatch"]
    assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)
    assert seen[-1]["case"] == {**seen[-1]["case"], "id": case["id"], "state": "dispatched"}
    assert [e["action"] for e in case_events(sanitation)] == ["dispatch"]  # once it is theirs
    assert case_events(roads) == []
    assert [e["action"] for e in case_events(grid_inspector)][0] == "report"
    # Checked last: after Flask-SocketIO's test client refuses a connection,
    # later test clients of the same server stop joining rooms.
    assert not socket_for(app, None).is_connected()


def test_refused_action_emits_nothing(city, app, api):
    centre = socket_for(app, "disp")
    case = ok(api("insp2").report("E0102", EAST), 201)
    case_events(centre)
    assert api("lead").act(case, "close").status_code == 409
    assert case_events(centre) == []
