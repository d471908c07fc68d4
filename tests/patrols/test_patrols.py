"""Patrols (巡查): start, breadcrumbs, stop; the stored track, the unit grids it
covered, and findings tagged with the patrol."""

from __future__ import annotations

import datetime as dt

import shapely
from pyproj import Geod
from sqlalchemy import func, select, text

from gridcity.cases.history import differences
from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.geo.models import UnitGrid
from gridcity.patrols.models import Patrol, PatrolPoint
from tests.cases.conftest import EAST, MONDAY_10AM, WEST, post_report

# West → east along the middle of a row of unit grids in street 001, then north.
PATH = [(114.2405, 22.57855), (114.2425, 22.57855), (114.2445, 22.57855), (114.2445, 22.5795)]


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def crumbs(path, start=MONDAY_10AM, step_s=30):
    return [
        {
            "at": (start + dt.timedelta(seconds=n * step_s)).isoformat(),
            "lon": lon,
            "lat": lat,
            "accuracy_m": 8,
        }
        for n, (lon, lat) in enumerate(path)
    ]


def grids_crossed(path) -> list[str]:
    """Independently of the locator: every unit grid whose inside the path runs through."""
    line = shapely.LineString(path)
    return sorted(
        g.code for g in db.session.scalars(select(UnitGrid)) if g.geom.intersection(line).length > 1e-9
    )


def test_a_patrol_stores_its_track_and_the_unit_grids_it_covered(city, signed_in, backend):
    client = signed_in("insp")
    assert ok(client.get("/api/v1/patrols?state=running")) == []
    patrol = ok(client.post("/api/v1/patrols", json={"kind": "night", "interval_s": 15}), 201)
    assert patrol["running"] and patrol["kind"] == "night" and patrol["track"] is None

    points = crumbs(PATH)
    added = ok(client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": points[:3]}))
    assert added == {"added": 3, "point_count": 3}
    # The phone resends a batch whose answer it lost: nothing is stored twice.
    again = ok(client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": points[:3]}))
    assert again == {"added": 0, "point_count": 3}
    assert [p["id"] for p in ok(client.get("/api/v1/patrols?state=running"))] == [patrol["id"]]

    ended = ok(client.post(f"/api/v1/patrols/{patrol['id']}/stop", json={"points": points[2:]}))
    assert not ended["running"] and ended["ended_at"] and ended["point_count"] == 4
    assert ended["track"]["type"] == "LineString"
    assert [tuple(c) for c in ended["track"]["coordinates"]] == PATH
    expected_m = Geod(ellps="WGS84").line_length(*zip(*PATH))
    assert abs(ended["distance_m"] - expected_m) < 0.5
    assert ended["unit_grids"] == grids_crossed(PATH)
    assert len(ended["unit_grids"]) >= 5  # the breadcrumbs alone sit in only 4

    stored = db.session.get(Patrol, patrol["id"])
    assert stored.track.equals(shapely.LineString(PATH))
    assert db.session.scalar(select(func.count(PatrolPoint.id))) == 4
    if backend == "postgresql":
        # A real PostGIS geometry: the database measures and intersects it itself.
        length, srid = db.session.execute(
            text("SELECT ST_Length(track::geography), ST_SRID(track) FROM patrol WHERE id = :id"),
            {"id": patrol["id"]},
        ).one()
        assert srid == 4326 and abs(length - expected_m) < 1.0
        in_db = db.session.scalars(
            text(
                "SELECT g.code FROM unit_grid g JOIN patrol p ON ST_Intersects(g.geom, p.track) "
                "WHERE p.id = :id AND ST_Length(ST_Intersection(g.geom, p.track)) > 1e-9 ORDER BY g.code"
            ),
            {"id": patrol["id"]},
        ).all()
        assert in_db == ended["unit_grids"]

    # Stopping again changes nothing; a stopped patrol takes no more points.
    assert ok(client.post(f"/api/v1/patrols/{patrol['id']}/stop", json={})) == ended
    late = client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": crumbs([WEST])})
    assert late.status_code == 409 and late.get_json()["error"] == "patrol_ended"
    assert ok(client.get("/api/v1/patrols?state=running")) == []
    assert [p["id"] for p in ok(client.get("/api/v1/patrols?state=ended"))] == [patrol["id"]]


def test_one_running_patrol_at_a_time_and_only_inspectors_patrol(city, signed_in):
    client = signed_in("insp")
    first = ok(client.post("/api/v1/patrols", json={"kind": "daily"}), 201)
    assert first["interval_s"] == 30
    second = client.post("/api/v1/patrols", json={"kind": "holiday"})
    assert second.status_code == 409
    assert second.get_json()["error"] == "patrol_running" and str(first["id"]) in second.get_json()["message"]
    for body in (
        {"kind": "weekly"},
        {"kind": "daily", "interval_s": 7},
        {"kind": "daily", "interval_s": "30"},
    ):
        assert client.post("/api/v1/patrols", json=body).status_code == 400
    bad_point = client.post(f"/api/v1/patrols/{first['id']}/points", json={"points": [{"lon": 114.24}]})
    assert bad_point.status_code == 400
    assert (
        client.post(
            f"/api/v1/patrols/{first['id']}/points",
            json={"points": [{"at": MONDAY_10AM.isoformat(), "lon": 200, "lat": 22.5}]},
        ).status_code
        == 422
    )

    other = signed_in("insp2")
    assert other.post(f"/api/v1/patrols/{first['id']}/stop", json={}).status_code == 403
    assert other.get(f"/api/v1/patrols/{first['id']}").status_code == 403
    assert other.get("/api/v1/patrols").get_json() == []
    staff = signed_in("op")
    assert staff.post("/api/v1/patrols", json={"kind": "daily"}).status_code == 403
    assert [p["id"] for p in ok(staff.get("/api/v1/patrols"))] == [first["id"]]
    assert ok(staff.get(f"/api/v1/patrols/{first['id']}"))["running"] is True
    assert signed_in("hw").get("/api/v1/patrols").status_code == 403


def test_findings_during_a_patrol_are_tagged_with_it(city, signed_in, api):
    client = signed_in("insp")
    patrol = ok(client.post("/api/v1/patrols", json={"kind": "month_end"}), 201)
    report = {"category": "E0102", "lon": WEST[0], "lat": WEST[1], "patrol_id": patrol["id"]}
    case = ok(post_report(client, report, headers={"Idempotency-Key": "finding-0001"}), 201)
    assert case["patrol_id"] == patrol["id"] and case["source"] == "patrol"
    plain = ok(post_report(client, {"category": "E0102", "lon": WEST[0], "lat": WEST[1]}), 201)
    assert plain["patrol_id"] is None and plain["source"] == "inspector"
    stored = db.session.get(Case, case["id"])
    assert stored.patrol_id == patrol["id"] and differences(stored) == {}

    # Someone else's patrol, an unknown one, a wrong type: refused with a reason.
    other = signed_in("insp2")
    foreign = post_report(other, {**report, "lon": EAST[0], "lat": EAST[1]})
    assert foreign.status_code == 403 and foreign.get_json()["error"] == "not_your_patrol"
    assert post_report(other, {**report, "patrol_id": 999}).status_code == 404
    assert other.post("/api/v1/reports", json={**report, "patrol_id": "1"}).status_code == 400

    client = signed_in("insp")
    ended = ok(client.post(f"/api/v1/patrols/{patrol['id']}/stop", json={"points": crumbs([WEST])}))
    assert [f["id"] for f in ended["findings"]] == [case["id"]]
    assert ended["track"] is None and len(ended["unit_grids"]) == 1  # one breadcrumb: its grid
    after = post_report(client, report)
    assert after.status_code == 409 and after.get_json()["error"] == "patrol_ended"
    # A report queued on the phone during the patrol and resent after it ended is the same case.
    replay = post_report(client, report, headers={"Idempotency-Key": "finding-0001"})
    assert replay.status_code == 200 and replay.get_json()["id"] == case["id"]
    assert ok(signed_in("lead").get("/api/v1/cases?source=patrol"))["total"] == 1


def test_a_running_patrol_shows_its_track_and_covered_grids_so_far(city, signed_in, api):
    client = signed_in("insp")
    patrol = ok(client.post("/api/v1/patrols", json={"kind": "daily", "interval_s": 15}), 201)
    empty = ok(client.get(f"/api/v1/patrols/{patrol['id']}/progress"))
    assert empty["track"] == [] and empty["unit_grids"] == [] and empty["grids"]["features"] == []
    ok(client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": crumbs(PATH[:3])}))
    so_far = ok(client.get(f"/api/v1/patrols/{patrol['id']}/progress"))
    assert so_far["running"] and so_far["point_count"] == 3
    assert [tuple(c) for c in so_far["track"]] == PATH[:3]
    assert so_far["unit_grids"] == grids_crossed(PATH[:3])
    assert [f["properties"]["code"] for f in so_far["grids"]["features"]] == so_far["unit_grids"]
    assert so_far["grids"]["features"][0]["geometry"]["type"] == "Polygon"
    # Another inspector's patrol is not theirs to read; no such patrol is 404.
    assert api("insp2").get(f"/api/v1/patrols/{patrol['id']}/progress").status_code == 403
    assert api("insp2").get("/api/v1/patrols/999999/progress").status_code == 404
