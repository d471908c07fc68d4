"""Nothing of a case outside a user's scope reaches them: not its number, not
its state, not its photos (issue #14, item 6)."""

from __future__ import annotations

from tests.cases.conftest import EAST, WEST, jpeg_bytes


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_its_the_same_tells_nothing_about_a_case_of_another_grid(city, api, signed_in):
    theirs = ok(api("insp2").report("E0102", EAST), 201)
    # insp (work grid WG01) reports right beside it, in WG02.
    mine = ok(api("insp").report("E0102", (EAST[0] + 0.0001, EAST[1])), 201)
    assert mine["duplicates"] == []
    receipt = ok(api("insp").get(f"/api/v1/reports/{mine['id']}/receipt"))
    assert receipt["duplicates"] == []

    client = signed_in("insp")
    answer = client.post(f"/api/v1/reports/{mine['id']}/same-as", json={"same_as": theirs["id"]})
    missing = client.post(f"/api/v1/reports/{mine['id']}/same-as", json={"same_as": theirs["id"] + 999})
    assert answer.status_code == missing.status_code == 404
    text = answer.get_data(as_text=True)
    assert theirs["number"] not in text and "reported" not in text
    # The refusal reads like the one for a case that does not exist.
    assert answer.get_json()["error"] == missing.get_json()["error"] == "not_found"
    # Nor does asking for the receipt of another grid's report name it.
    other = client.get(f"/api/v1/reports/{theirs['id']}/receipt")
    assert other.status_code == 404 and theirs["number"] not in other.get_data(as_text=True)

    # The grid's own inspector still sees the duplicate beside their next report.
    again = ok(api("insp2").report("E0102", (EAST[0] - 0.0001, EAST[1])), 201)
    assert theirs["id"] in [d["id"] for d in again["duplicates"]]


def fetch(api, username: str, url: str):
    response = api(username).get(url)
    body = response.get_data()
    response.close()  # send_file keeps the file open until then
    return response, body


def test_photos_only_reach_those_who_may_see_the_case(city, api, client):
    west_photo, east_photo = jpeg_bytes(), jpeg_bytes()
    west = ok(api("insp").report("E0102", WEST, photos=[west_photo]), 201)
    east = ok(api("insp2").report("E0102", EAST, photos=[east_photo]), 201)
    ok(api("op").act(east, "accept"))
    east_case = ok(api("lead").get(f"/api/v1/cases/{east['id']}"))
    ok(api("lead").act(east_case, "file"))
    east_case = ok(api("disp").get(f"/api/v1/cases/{east['id']}"))
    ok(api("disp").act(east_case, "dispatch", unit_id=city["units"]["sanitation"].id))

    west_url, east_url = west["photos"][0]["url"], east["photos"][0]["url"]
    # Own work grid / own report: yes. Another grid: no, and no case number in the refusal.
    assert fetch(api, "insp", west_url)[1] == west_photo
    for username, url, number in (("insp", east_url, east["number"]), ("insp2", west_url, west["number"])):
        for variant in (url, url + "?thumbnail=1"):
            response, body = fetch(api, username, variant)
            assert response.status_code == 404, (username, variant)
            assert number.encode() not in body
    # A unit handler: their unit's cases only.
    assert fetch(api, "hw", east_url)[1] == east_photo
    assert fetch(api, "hw", west_url)[0].status_code == 404
    assert fetch(api, "sz", east_url)[0].status_code == 404
    # Staff: all; and no shared cache may keep a photo for someone else.
    for username in ("op", "disp", "mgr", "admin"):
        response, body = fetch(api, username, west_url)
        assert body == west_photo
        assert "private" in response.headers["Cache-Control"]
        assert "public" not in response.headers["Cache-Control"]
