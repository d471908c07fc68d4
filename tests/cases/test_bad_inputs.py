"""Bad inputs get a clear 4xx that names what is wrong and changes nothing
(issue #14, items 10 and 11)."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gridcity.cases.models import Case, CaseEvent, CaseRequest, Photo
from gridcity.extensions import db
from tests.cases.conftest import EAST, jpeg_bytes, post_report
from tests.cases.test_closed_loop import ok


def snapshot() -> dict:
    """What a refused request must leave as it was."""
    db.session.expire_all()
    return {
        "cases": db.session.scalar(select(func.count(Case.id))),
        "events": db.session.scalar(select(func.count(CaseEvent.id))),
        "requests": db.session.scalar(select(func.count(CaseRequest.id))),
        "versions": sorted(db.session.execute(select(Case.id, Case.version, Case.deadline_at)).all()),
    }


@pytest.fixture
def in_progress(city, api):
    """A case the sanitation unit has accepted: it may ask for an extension."""
    case = ok(api("insp2").report("E0102", EAST, description="暴露垃圾"), 201)
    case = ok(api("op").act(case, "accept"))
    case = ok(api("lead").act(case, "file"))
    case = ok(api("disp").act(case, "dispatch"))
    return ok(api("hw").act(case, "unit_accept"))


def _report(**fields) -> dict:
    return {"category": "E0102", "lon": EAST[0], "lat": EAST[1], **fields}


def _nested(depth: int) -> str:
    return '{"category": "E0102", "lon": 114.2495, "lat": 22.5785, "x": ' + "[" * depth + "]" * depth + "}"


# (who, method, url, body as JSON text or None, the field the message must name)
BAD_INPUTS = {
    "nul byte in a description": ("insp2", "post", "/api/v1/reports", json.dumps(_report(description="a\x00b")), "description"),
    "nul byte in an address": ("insp2", "post", "/api/v1/reports", json.dumps(_report(address="\x00")), "address"),
    "nul byte in a search filter": ("disp", "get", "/api/v1/cases?q=%00", None, "q"),
    "nul byte in a category filter": ("disp", "get", "/api/v1/cases?category=C01%0001", None, "category"),
    "NaN longitude": ("insp2", "post", "/api/v1/reports", '{"category": "E0102", "lon": NaN, "lat": 22.5785}', "lon"),
    "Infinity latitude": ("insp2", "post", "/api/v1/reports", '{"category": "E0102", "lon": 114.2495, "lat": Infinity}', "lat"),
    "infinite accuracy": ("insp2", "post", "/api/v1/reports", json.dumps(_report(accuracy_m=float("inf"))), "accuracy_m"),
    "fix time in year 1": ("insp2", "post", "/api/v1/reports", json.dumps(_report(fix_time="0001-01-01T00:00:00+14:00")), "fix_time"),
    "filter date in year 9999": ("disp", "get", "/api/v1/cases?to=9999-12-31T23:59:59-12:00", None, "to"),
    "offset beyond a database integer": ("disp", "get", "/api/v1/cases?offset=99999999999999999999", None, "offset"),
    "street id beyond a database integer": ("disp", "get", "/api/v1/cases?street=99999999999999999999", None, "street"),
    "events after beyond a database integer": ("disp", "get", "/api/v1/events?after=99999999999999999999", None, "after"),
    "deeply nested JSON": ("insp2", "post", "/api/v1/reports", _nested(50_000), "body"),
    "sign-in with a list": (None, "post", "/api/v1/login", '{"username": ["disp"], "password": "gridcity-demo"}', "username"),
    "sign-in with a number": (None, "post", "/api/v1/login", '{"username": "disp", "password": 12345678}', "password"),
    "version beyond a database integer": ("hw", "post", "/api/v1/cases/{case}/request", '{"version": 99999999999999999999, "kind": "return", "reason": "x"}', "version"),
    "extension of 1e308": ("hw", "post", "/api/v1/cases/{case}/request", '{"version": {version}, "kind": "extension", "reason": "x", "extra_amount": 1e308}', "extra_amount"),
    "extension of 100,000 days": ("hw", "post", "/api/v1/cases/{case}/request", '{"version": {version}, "kind": "extension", "reason": "x", "extra_amount": 100000}', "extra_amount"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_a_clear_4xx_that_changes_nothing(name, in_progress, api, client):
    who, method, url, body, field = BAD_INPUTS[name]
    if who:
        api(who)
    else:
        client.post("/api/v1/logout")
    url = url.replace("{case}", str(in_progress["id"]))
    if body is not None:
        body = body.replace("{version}", str(in_progress["version"]))
    before = snapshot()

    response = getattr(client, method)(url, data=body, content_type="application/json" if body else None)

    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    answer = response.get_json()
    assert answer["message"] and field in answer["message"]
    assert snapshot() == before


def test_error_headline_is_in_the_readers_language(city, api, client):
    api("insp2")
    body = json.dumps(_report(lon="east"))
    chinese = client.post("/api/v1/reports", data=body, content_type="application/json")
    english = client.post(
        "/api/v1/reports", data=body, content_type="application/json", headers={"Accept-Language": "en"}
    )
    assert chinese.status_code == english.status_code == 400
    assert chinese.get_json()["message"].startswith("请求无效") and "lon" in chinese.get_json()["message"]
    assert (
        english.get_json()["message"].startswith("Invalid request") and "lon" in english.get_json()["message"]
    )


def test_an_extension_already_asked_beyond_the_maximum_cannot_be_approved(in_progress, api, app):
    """Requests stored before the maximum existed must not yield an impossible deadline."""
    case = db.session.get(Case, in_progress["id"])
    db.session.add(
        CaseRequest(
            case_id=case.id,
            kind="extension",
            requested_by=case.unit_id,
            requested_at=case.dispatched_at,
            reason="x",
            extra_amount=100_000,
        )
    )
    db.session.commit()
    before = snapshot()
    response = api("disp").act(in_progress, "decide", approve=True)
    assert response.status_code == 422, response.get_json()
    assert "extra_amount" in response.get_json()["message"] or "30" in response.get_json()["message"]
    assert snapshot() == before


def test_a_photo_whose_file_is_missing_is_404_not_500(city, api, client, app):
    case = ok(api("insp2").report("E0102", EAST, photos=[jpeg_bytes()]), 201)
    photo = db.session.get(Photo, case["photos"][0]["id"])
    media = Path(app.config["SETTINGS"].resolved_media_dir)
    (media / photo.relative_path).unlink()
    response = client.get(f"/api/v1/photos/{photo.id}")
    assert response.status_code == 404
    assert response.get_json()["message"]


def test_same_idempotency_key_with_another_body_is_422_and_the_new_report_is_not_dropped_silently(
    city, api, client
):
    api("insp2")
    key = str(uuid.uuid4())
    first = post_report(client, _report(description="暴露垃圾"), headers={"Idempotency-Key": key})
    replay = post_report(client, _report(description="暴露垃圾"), headers={"Idempotency-Key": key})
    before = snapshot()
    other = post_report(client, _report(description="井盖缺失"), headers={"Idempotency-Key": key})
    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.get_json()["id"] == first.get_json()["id"]
    assert other.status_code == 422
    assert other.get_json()["error"] == "idempotency_key_reused" and other.get_json()["message"]
    assert snapshot() == before


def test_same_idempotency_key_with_another_photo_is_422(city, api, client):
    api("insp2")
    key = str(uuid.uuid4())

    def send(photo: bytes):
        return client.post(
            "/api/v1/reports",
            data={"data": json.dumps(_report(client_uuid=key)), "photos": [(io.BytesIO(photo), "p.jpg")]},
            content_type="multipart/form-data",
        )

    photo = jpeg_bytes()
    assert send(photo).status_code == 201
    assert send(photo).status_code == 200
    assert send(jpeg_bytes()).status_code == 422
