"""Intake (idempotency, duplicates, photos), concurrent writers, and queries."""

from __future__ import annotations

import io
import threading
import uuid

from sqlalchemy import func, select

from gridcity.cases import services
from gridcity.cases.models import Case, Photo
from gridcity.extensions import db
from tests.cases.conftest import EAST, WEST, jpeg_bytes, post_report
from tests.cases.test_closed_loop import ok
from tests.conftest import DEMO_PASSWORD


def _count() -> int:
    return db.session.scalar(select(func.count(Case.id)))


def test_the_same_report_three_times_makes_one_case(city, api):
    key = str(uuid.uuid4())
    inspector = api("insp2")
    first = inspector.report("E0102", EAST, client_uuid=key)
    again = [inspector.report("E0102", EAST, client_uuid=key) for _ in range(2)]
    assert first.status_code == 201 and [r.status_code for r in again] == [200, 200]
    assert {r.get_json()["id"] for r in [first, *again]} == {first.get_json()["id"]}
    assert _count() == 1


def test_idempotency_key_header_is_honoured(city, client, api):
    api("insp2")
    key = str(uuid.uuid4())
    body = {"category": "E0102", "lon": EAST[0], "lat": EAST[1]}
    first = post_report(client, body, headers={"Idempotency-Key": key})
    second = post_report(client, body, headers={"Idempotency-Key": key})
    assert (first.status_code, second.status_code) == (201, 200)
    assert _count() == 1


def test_concurrent_replays_make_one_case(city, app):
    key, barrier, answers = str(uuid.uuid4()), threading.Barrier(3), []
    original = services.submit_report

    def racing(*args, **kwargs):
        barrier.wait(timeout=30)  # all three have passed authentication
        return original(*args, **kwargs)

    services.submit_report = racing
    try:

        def send():
            c = app.test_client()
            c.post("/api/v1/login", json={"username": "insp2", "password": DEMO_PASSWORD})
            r = post_report(c, {"category": "E0102", "lon": EAST[0], "lat": EAST[1], "client_uuid": key})
            answers.append((r.status_code, r.get_json().get("id", r.get_json())))

        threads = [threading.Thread(target=send) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        services.submit_report = original
    assert sorted(s for s, _ in answers) == [200, 200, 201], answers
    assert len({i for _, i in answers}) == 1
    assert _count() == 1


def test_two_dispatchers_at_once_one_wins_the_other_gets_409(city, app, api):
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    barrier, answers = threading.Barrier(2), []
    original = services.dispatch

    def racing(*args, **kwargs):
        barrier.wait(timeout=30)  # both have read the same version
        return original(*args, **kwargs)

    services.dispatch = racing
    try:

        def send(unit_id, reason):
            c = app.test_client()
            c.post("/api/v1/login", json={"username": "disp", "password": DEMO_PASSWORD})
            r = c.post(
                f"/api/v1/cases/{case['id']}/dispatch",
                json={"version": case["version"], "unit_id": unit_id, "reason": reason},
            )
            answers.append((r.status_code, r.get_json()))

        units = city["units"]
        threads = [
            threading.Thread(target=send, args=(units["sanitation"].id, "")),
            threading.Thread(target=send, args=(units["municipal"].id, "市政")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        services.dispatch = original
    assert sorted(s for s, _ in answers) == [200, 409]
    loser = [body for s, body in answers if s == 409][0]
    assert loser["error"] in ("stale_case", "stale_write")
    db.session.expire_all()
    stored = db.session.get(Case, case["id"])
    assert [e.action for e in stored.events].count("dispatch") == 1


def test_nearby_open_case_of_the_same_category_is_a_likely_duplicate(city, api):
    inspector = api("insp2")
    first = ok(inspector.report("E0102", EAST), 201)
    near = (EAST[0] + 0.0002, EAST[1])  # ~21 m east
    second = ok(inspector.report("E0102", near), 201)
    assert [d["id"] for d in second["duplicates"]] == [first["id"]]
    far = ok(inspector.report("E0102", (EAST[0] + 0.001, EAST[1])), 201)  # ~100 m
    assert far["duplicates"] == []
    other_kind = ok(inspector.report("C0101", near), 201)
    assert other_kind["duplicates"] == []
    merged = ok(api("op").act(second, "merge", into=first["id"]))
    assert merged["state"] == "merged" and merged["merged_into_id"] == first["id"]
    # The reporter keeps the credit: the merged case stays theirs, with its history.
    assert db.session.get(Case, second["id"]).reporter.username == "insp2"


def test_photos_are_stored_by_hash_and_served_to_those_who_may_see_the_case(city, api, client):
    photo = jpeg_bytes((800, 600))
    case = ok(api("insp2").report("E0102", EAST, photos=[photo, photo]), 201)
    rows = db.session.scalars(select(Photo).where(Photo.case_id == case["id"])).all()
    assert len(rows) == 2 and rows[0].sha256 == rows[1].sha256
    assert ok_bytes(api("insp2").get(case["photos"][0]["url"])) == photo
    thumbnail = api("insp2").get(case["photos"][0]["thumbnail_url"])
    assert thumbnail.mimetype == "image/jpeg" and ok_bytes(thumbnail)[:2] == b"\xff\xd8"
    assert api("sz").get(case["photos"][0]["url"]).status_code == 404


def ok_bytes(response) -> bytes:
    assert response.status_code == 200
    data = response.data
    response.close()  # send_file keeps the file open until then
    return data


def test_oversized_upload_is_refused_with_413(city, app, api, client):
    app.config["MAX_CONTENT_LENGTH"] = 200_000
    api("insp2")
    big = io.BytesIO(b"\xff\xd8" + b"0" * 300_000)
    response = client.post(
        "/api/v1/reports",
        data={"data": '{"category": "E0102"}', "photos": [(big, "a.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert response.get_json()["message"]
    assert _count() == 0


def test_case_queries_filter_page_and_sort(city, api):
    inspector = api("insp2")
    for _ in range(3):
        ok(inspector.report("E0102", EAST), 201)
    west = ok(api("insp").report("C0101", WEST), 201)
    staff = api("disp")
    everything = ok(staff.get("/api/v1/cases?state=open&limit=2&sort=reported_at"))
    assert everything["total"] == 4 and len(everything["items"]) == 2
    assert ok(staff.get("/api/v1/cases?category=C0101"))["items"][0]["id"] == west["id"]
    assert ok(staff.get(f"/api/v1/cases?street={city['streets'][0].id}"))["total"] == 1
    box = f"{WEST[0] - 0.001},{WEST[1] - 0.001},{WEST[0] + 0.001},{WEST[1] + 0.001}"
    assert ok(staff.get(f"/api/v1/cases?bbox={box}"))["total"] == 1
    assert ok(staff.get("/api/v1/cases?overdue=true"))["total"] == 0
    for bad in ("state=lost", "sort=colour", "limit=many", "from=yesterday", "bbox=1,2"):
        response = staff.get(f"/api/v1/cases?{bad}")
        assert response.status_code == 400, bad
    # An inspector sees their grid's cases and their own reports only.
    assert ok(api("insp").get("/api/v1/cases"))["total"] == 1


def test_event_feed_resumes_after_a_sequence_number(city, api):
    case = ok(api("insp2").report("E0102", EAST), 201)
    seq = case["history"][-1]["seq"]
    ok(api("op").act(case, "accept"))
    feed = ok(api("disp").get(f"/api/v1/events?after={seq}"))
    assert [e["action"] for e in feed] == ["accept"] and feed[0]["seq"] > seq
    assert ok(api("sz").get(f"/api/v1/events?after={seq - 1}")) == []  # not their case


def test_someone_elses_client_uuid_is_not_a_key_to_their_case(city, api):
    key = str(uuid.uuid4())
    ok(api("insp2").report("E0102", EAST, client_uuid=key), 201)
    response = api("insp").report("E0102", WEST, client_uuid=key)
    assert response.status_code == 409
    assert response.get_json()["error"] == "idempotency_key_taken"
    assert _count() == 1


def test_exif_position_of_a_photo_is_compared_with_the_reported_fix(city, api):
    from tests.media.test_storage import create_exif, create_image_bytes

    # The photo says it was taken ~111 m north of where the report is placed.
    photo = create_image_bytes("JPEG", exif=create_exif(lat=EAST[1] + 0.001, lon=EAST[0]))
    case = ok(api("insp2").report("E0102", EAST, photos=[photo]), 201)
    assert 105 < case["photos"][0]["exif_distance_m"] < 117
    without_exif = ok(api("insp2").report("E0102", EAST, photos=[jpeg_bytes()]), 201)
    assert without_exif["photos"][0]["exif_distance_m"] is None


def test_overlong_address_is_refused_not_truncated_by_the_database(city, api):
    response = api("insp2").report("E0102", EAST, address="路" * 201)
    assert response.status_code == 400 and "address" in response.get_json()["message"]
    assert ok(api("insp2").report("E0102", EAST, address="海山路 12 号"), 201)["address"] == "海山路 12 号"
    assert _count() == 1


def test_event_feed_replays_a_return_to_the_unit_it_leaves(city, api):
    """The unit's room heard the approved return live; a unit portal that
    missed it must find it in the feed although the case is no longer theirs."""
    case = ok(api("insp2").report("E0102", EAST), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    seq = ok(api("hw").get("/api/v1/events?after=0"))[-1]["seq"]
    case = ok(api("hw").act(case, "request", kind="return", reason="不属于本单位"))
    case = ok(api("disp").act(case, "decide", approve=True))
    assert case["unit"] is None
    feed = ok(api("hw").get(f"/api/v1/events?after={seq}"))
    assert [e["action"] for e in feed] == ["request", "decide"]
    assert ok(api("sz").get(f"/api/v1/events?after={seq}")) == []  # never theirs
