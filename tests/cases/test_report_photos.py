"""An inspector's report carries at least its category's number of photos
(issue 16, defect 5); the hotline, the public and Open311 need none. The
number is a column of the category, set through the taxonomy's doors."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from gridcity.cases import services
from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.mobile.services import app_categories
from gridcity.taxonomy.services import DEFAULT_TAXONOMY, get_category, load_taxonomy
from tests.cases.conftest import EAST, WEST, jpeg_bytes, post_report
from tests.cases.test_closed_loop import ok


def _count() -> int:
    return db.session.scalar(select(func.count(Case.id)))


def test_an_inspectors_report_without_a_photo_is_refused_and_makes_no_case(city, api, client):
    inspector = api("insp2")
    refused = inspector.report("E0102", EAST, photos=())
    assert refused.status_code == 422
    answer = refused.get_json()
    assert answer["error"] == "photos_required" and answer["details"] == {"min": 1, "got": 0}
    assert "该类别需至少上传 1 张照片" in answer["message"]
    english = client.post(
        "/api/v1/reports",
        json={"category": "E0102", "lon": EAST[0], "lat": EAST[1]},
        headers={"Accept-Language": "en"},
    )
    assert "at least 1 photo" in english.get_json()["message"]
    # A patrol's finding is an inspector's report too.
    patrol = ok(client.post("/api/v1/patrols", json={"kind": "daily"}), 201)
    finding = inspector.report("E0102", EAST, photos=(), patrol_id=patrol["id"])
    assert finding.status_code == 422 and finding.get_json()["error"] == "photos_required"
    assert _count() == 0
    assert ok(inspector.report("E0102", EAST), 201)["photos"][0]["stage"] == "report"


def test_the_hotline_and_open311_need_no_photo(city, api):
    hotline = ok(api("op").report("E0102", WEST, photos=(), source="hotline"), 201)
    assert hotline["photos"] == []
    # Open311 requests come through the same door as a system source.
    report = services.Report("E0102", *WEST, source="open311", client_uuid="open311-no-photo")
    result = services.submit_report(report, None, system_source=True)
    assert result.created and result.known.photos == []


def test_the_number_is_per_category_and_set_by_the_admin(city, api, client):
    api("admin")
    changed = ok(client.patch("/api/v1/categories/C0101", json={"inspector_min_photos": 2}))
    assert changed["inspector_min_photos"] == 2
    assert (
        ok(client.patch("/api/v1/categories/E0102", json={"urgency": "normal"}))["inspector_min_photos"] == 1
    )
    for bad in (-1, 10, "2", 1.5):
        response = client.patch("/api/v1/categories/C0101", json={"inspector_min_photos": bad})
        assert response.status_code == 400, bad
    inspector = api("insp2")
    assert client.patch("/api/v1/categories/C0101", json={"inspector_min_photos": 0}).status_code == 403

    one = inspector.report("C0101", EAST, photos=[jpeg_bytes()])
    assert one.status_code == 422 and one.get_json()["details"] == {"min": 2, "got": 1}
    assert "至少上传 2 张照片" in one.get_json()["message"]
    assert ok(inspector.report("C0101", EAST, photos=[jpeg_bytes(), jpeg_bytes()]), 201)
    assert ok(inspector.report("E0102", EAST), 201)  # its own number: one
    assert ok(post_report(client, {"category": "E0102", "lon": EAST[0], "lat": EAST[1]}), 201)


def test_the_cli_and_the_taxonomy_file_set_it_too(city, api, runner):
    result = runner.invoke(args=["taxonomy", "set-min-photos", "--category", "E0102", "--photos", "0"])
    assert result.exit_code == 0, result.output
    assert get_category("E0102").inspector_min_photos == 0
    assert ok(api("insp2").report("E0102", EAST, photos=()), 201)["photos"] == []
    bad = runner.invoke(args=["taxonomy", "set-min-photos", "--category", "E0102", "--photos", "12"])
    assert bad.exit_code == 1 and "0 to 9" in bad.output
    assert get_category("E0102").inspector_min_photos == 0

    document = json.loads(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    load_taxonomy(document)  # a file that does not say keeps the city's number
    assert get_category("E0102").inspector_min_photos == 0
    event = next(m for m in document["majors"] if m["kind"] == "event" and m["code"] == "01")
    next(n for n in event["minors"] if n["code"] == "02")["inspector_min_photos"] = 3
    load_taxonomy(document)
    assert get_category("E0102").inspector_min_photos == 3


def test_the_app_knows_each_categorys_number(city):
    get_category("C0101").inspector_min_photos = 2
    by_code = {c["code"]: c for c in app_categories()}
    assert by_code["C0101"]["min_photos"] == 2 and by_code["E0102"]["min_photos"] == 1
