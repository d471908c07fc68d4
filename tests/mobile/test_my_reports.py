"""我的上报: an inspector's own reports with their state, deadline and unit,
polled with a weak ETag; their history and photos through the case detail the
reporter may read — and nobody else's."""

from __future__ import annotations

from tests.cases.conftest import EAST, WEST, jpeg_bytes


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_my_reports_are_mine_newest_first_and_move_with_the_case(city, api, client):
    first = ok(api("insp").report("E0102", WEST, photos=[jpeg_bytes()], description="第一件"), 201)
    second = ok(api("insp").report("C0101", WEST, photos=[jpeg_bytes()], description="第二件"), 201)
    ok(api("insp2").report("E0102", EAST, photos=[jpeg_bytes()]), 201)  # a colleague's: not in my list

    insp = api("insp")
    page = ok(insp.get("/api/v1/me/reports"))
    assert page["total"] == 2 and page["limit"] == 20 and page["offset"] == 0
    assert [r["id"] for r in page["items"]] == [second["id"], first["id"]]
    item = page["items"][1]
    assert item["state"] == "reported" and item["unit"] is None and item["description"] == "第一件"
    assert set(item) == {
        "id",
        "number",
        "state",
        "category",
        "description",
        "reported_at",
        "deadline_at",
        "overdue",
        "unit",
    }

    # Nothing moved: 304 without a body.
    response = insp.get("/api/v1/me/reports")
    tag = response.headers["ETag"]
    assert tag.startswith('W/"') and "private" in response.headers["Cache-Control"]
    assert client.get("/api/v1/me/reports", headers={"If-None-Match": tag}).status_code == 304

    # The center takes it up and dispatches it: the tag changes, the unit and deadline show.
    case = ok(api("op").act(first, "accept"))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    api("insp")
    response = client.get("/api/v1/me/reports", headers={"If-None-Match": tag})
    assert response.status_code == 200 and response.headers["ETag"] != tag
    moved = next(r for r in response.get_json()["items"] if r["id"] == first["id"])
    assert moved["state"] == "dispatched" and moved["unit"]["id"] == case["unit"]["id"]
    assert moved["deadline_at"] == case["deadline_at"]

    # Pages: newest first, a second page holds the rest.
    assert [r["id"] for r in ok(insp.get("/api/v1/me/reports?limit=1&offset=1"))["items"]] == [first["id"]]

    # The reporter reads the history (in words) and the photos of their report.
    detail = ok(insp.get(f"/api/v1/cases/{first['id']}"))
    assert [h["action"] for h in detail["history"]][-1] == "dispatch"
    assert all(h["line"]["what"] for h in detail["history"])
    assert [p["stage"] for p in detail["photos"]] == ["report"]
    thumbnail = insp.get(detail["photos"][0]["thumbnail_url"])
    thumbnail.close()
    assert thumbnail.status_code == 200


def test_another_inspector_cannot_read_my_report(city, api):
    mine = ok(api("insp").report("E0102", WEST, photos=[jpeg_bytes()]), 201)
    other = api("insp2")  # another work grid
    assert all(r["id"] != mine["id"] for r in ok(other.get("/api/v1/me/reports"))["items"])
    assert other.get(f"/api/v1/cases/{mine['id']}").status_code in (403, 404)
    photo = ok(api("insp").get(f"/api/v1/cases/{mine['id']}"))["photos"][0]
    assert api("insp2").get(photo["url"]).status_code == 404


def test_my_reports_is_for_inspectors_and_refuses_bad_pages(city, api):
    assert api("op").get("/api/v1/me/reports").status_code == 403
    insp = api("insp")
    for bad in ("limit=0", "limit=101", "offset=-1", "limit=x"):
        response = insp.get(f"/api/v1/me/reports?{bad}")
        assert response.status_code == 400, bad
