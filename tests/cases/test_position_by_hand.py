"""A report whose position the inspector placed on the map by hand (no GPS fix,
or the pin moved away from it): the case records it, the case API and the
dispatch drawer say so."""

from __future__ import annotations

from tests.cases.conftest import EAST
from tests.cases.test_closed_loop import ok


def test_a_position_placed_by_hand_is_recorded_and_shown_in_words(city, api, client):
    placed = ok(api("insp2").report("E0102", EAST, position_by_hand=True, description="手动选点"), 201)
    by_gps = ok(api("insp2").report("E0102", EAST, raw_lon=EAST[0], raw_lat=EAST[1]), 201)
    assert placed["position_by_hand"] is True and by_gps["position_by_hand"] is False
    disp = api("disp")
    assert ok(disp.get(f"/api/v1/cases/{placed['id']}"))["position_by_hand"] is True
    drawer = ok(disp.get(f"/api/v1/dispatch/cases/{placed['id']}"))
    assert drawer["position_note"] == "监督员手动选择"
    assert ok(disp.get(f"/api/v1/dispatch/cases/{by_gps['id']}"))["position_note"] is None
    client.set_cookie("lang", "en")
    assert ok(disp.get(f"/api/v1/dispatch/cases/{placed['id']}"))["position_note"] == (
        "Placed by hand by the inspector"
    )


def test_a_replay_must_say_the_same_about_the_position(city, api):
    inspector = api("insp2")
    first = ok(inspector.report("E0102", EAST, client_uuid="hand-0001", position_by_hand=True), 201)
    again = inspector.report("E0102", EAST, client_uuid="hand-0001", position_by_hand=True)
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    # The same key with another answer about the position is another report: refused, in words.
    other = inspector.report("E0102", EAST, client_uuid="hand-0001", position_by_hand=False)
    assert other.status_code == 422 and other.get_json()["message"]


def test_position_by_hand_must_be_a_yes_or_no(city, api):
    response = api("insp2").report("E0102", EAST, position_by_hand="maybe")
    assert response.status_code == 400 and response.get_json()["message"]
