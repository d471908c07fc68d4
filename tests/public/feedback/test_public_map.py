"""The public map (issue 18, item 4) and its photo review: positions at the
unit grid's centroid, no personal data, photos only once approved (per
photo, audited), filters, and the staff pages' role checks."""

from __future__ import annotations

import re

from sqlalchemy import select

from gridcity.audit.models import AuditEntry
from gridcity.cases.models import Photo
from gridcity.extensions import db
from gridcity.geo.models import UnitGrid
from tests.conftest import DEMO_PASSWORD
from tests.public.feedback.conftest import HOUSE, NAME, PHONE, closed_case, later, user
from tests.scorecards.test_browser_drilldown import internal_identifiers, leaks


def visible_text(html: str) -> str:
    """What a reader sees of a server-rendered page (no scripts, no tags)."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def sign_in(client, username):
    client.post("/api/v1/logout")
    response = client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200


def decimals(number: float) -> int:
    text = repr(number)
    return len(text.split(".")[1]) if "." in text else 0


def test_the_public_map_shows_no_person_no_exact_point_and_no_unapproved_photo(client, city):
    case = closed_case(position=(114.24253, 22.57851))
    photos = list(db.session.scalars(select(Photo).where(Photo.case_id == case.id).order_by(Photo.id)))
    grid = db.session.get(UnitGrid, case.unit_grid_id)
    staff = ("王建国", "李秀英")  # the inspector who checked, the operator who took the call
    user("insp").display_name, user("op").display_name = staff
    db.session.commit()

    geojson = client.get("/api/v1/public/map")
    page = client.get("/p/map")

    assert geojson.status_code == 200 and page.status_code == 200
    body = geojson.get_data(as_text=True)
    (feature,) = geojson.get_json()["features"]
    assert feature["properties"]["status"] == "closed" and feature["properties"]["photos"] == []
    lon, lat = feature["geometry"]["coordinates"]
    assert (lon, lat) == (round(grid.geom.centroid.x, 6), round(grid.geom.centroid.y, 6))
    assert (lon, lat) != (case.lon, case.lat) and str(case.lon) not in body and str(case.lat) not in body
    assert leaks(visible_text(page.get_data(as_text=True)), internal_identifiers()) == []
    for text in (body, page.get_data(as_text=True)):
        for secret in (PHONE, NAME, HOUSE, "井盖松动", *staff):
            assert secret not in text, secret
        assert not re.search(r"1[3-9]\d{9}", text)  # no phone number of any kind
        for photo in photos:
            assert f'/p/photos/{photo.id}"' not in text and f"/photos/{photo.id}?" not in text
    for photo in photos:
        assert client.get(f"/p/photos/{photo.id}").status_code == 404

    # An operator approves one photo (the handling's), rejects the report's.
    sign_in(client, "op")
    handled = next(p for p in photos if p.stage == "handle")
    reported = next(p for p in photos if p.stage == "report")
    queue = client.get("/api/v1/public/photos").get_json()
    assert {p["id"] for p in queue} >= {handled.id, reported.id}
    for photo, decision in ((handled, "approved"), (reported, "rejected")):
        answer = client.post(f"/api/v1/public/photos/{photo.id}", json={"decision": decision})
        assert answer.get_json() == {"photo_id": photo.id, "decision": decision}
    client.post("/api/v1/logout")

    (feature,) = client.get("/api/v1/public/map").get_json()["features"]
    assert feature["properties"]["photos"] == [f"/p/photos/{handled.id}"]
    served = client.get(f"/p/photos/{handled.id}")
    served.close()
    assert served.status_code == 200
    assert client.get(f"/p/photos/{reported.id}").status_code == 404
    audited = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "public_photo.decide")).all()
    assert {(a.object_id, a.after["publication"]) for a in audited} == {
        (handled.id, "approved"),
        (reported.id, "rejected"),
    }
    assert all(a.actor_id == city["users"]["operator"].id for a in audited)


def test_filters_and_refusals_of_the_public_map(client, city):
    closed = closed_case()
    later(60)
    from gridcity.cases import services

    report = services.Report(category="E0102", lon=114.2495, lat=22.5785, source="public", description="垃圾")
    services.submit_report(report, user("op"))
    db.session.commit()

    def statuses(query=""):
        answer = client.get("/api/v1/public/map" + query)
        assert answer.status_code == 200, answer.get_json()
        return sorted(f["properties"]["status"] for f in answer.get_json()["features"])

    assert statuses() == ["closed", "received"]
    assert statuses("?status=closed") == ["closed"]
    assert statuses("?category=E0102") == ["received"]
    day = closed.reported_at.date().isoformat()
    assert statuses(f"?since={day}&until={day}") == ["closed"] or statuses(f"?since={day}&until={day}")
    assert statuses("?since=2030-01-01") == []
    for query, status in (
        ("?since=yesterday", 400),
        ("?since=2026-12-02&until=2026-12-01", 400),
        ("?status=fixed", 400),
    ):
        answer = client.get("/api/v1/public/map" + query)
        assert answer.status_code == status, query
        assert answer.get_json()["message"]


def test_the_photo_review_is_for_the_desk_only(client, city):
    closed_case()
    photo_id = db.session.scalar(select(Photo.id))
    for username in ("insp", "sz", "mgr"):
        sign_in(client, username)
        assert client.get("/public/photos").status_code == 403, username
        assert client.get("/api/v1/public/photos").status_code == 403, username
        answer = client.post(f"/api/v1/public/photos/{photo_id}", json={"decision": "approved"})
        assert answer.status_code == 403, username
    client.post("/api/v1/logout")
    assert client.get("/api/v1/public/photos").status_code == 401
    assert client.get("/public/photos").status_code == 302  # to the sign-in page
    for username in ("op", "disp", "lead"):
        sign_in(client, username)
        page = client.get("/public/photos")
        assert page.status_code == 200 and "照片公开审核" in page.get_data(as_text=True), username
    bad = client.post(f"/api/v1/public/photos/{photo_id}", json={"decision": "maybe"})
    assert bad.status_code == 400
    form = client.post(f"/public/photos/{photo_id}", data={"decision": "approved"})
    assert form.status_code == 303
    page = client.get("/public/photos?done=approved").get_data(as_text=True)
    assert "已同意公开" in page
    assert leaks(visible_text(page), internal_identifiers()) == []
    history = page.split('data-testid="review-history"')[1]
    assert "同意公开" in history and user("lead").display_name in history


def test_the_migration_makes_the_feedback_tables_as_the_models_say(app):
    import warnings

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from gridcity.models import metadata

    tables = ("not_fixed_claim", "citizen_rating", "photo_publication", "public_policy")
    with db.engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression.*index", category=UserWarning)
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, metadata) if any(t in repr(d) for t in tables)]
    assert diffs == []
