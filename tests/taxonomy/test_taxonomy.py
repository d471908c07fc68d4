"""The taxonomy as data, and routing a category at a place to its unit."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo import services as geo
from gridcity.geo.models import UnitGrid
from gridcity.taxonomy import services
from gridcity.taxonomy.models import Category, CategoryMajor


def test_default_taxonomy_follows_the_national_headings(app):
    count = services.load_taxonomy()
    majors = db.session.scalars(select(CategoryMajor)).all()
    assert sum(m.kind == "component" for m in majors) >= 6
    assert sum(m.kind == "event" for m in majors) >= 6
    assert count >= 60
    assert db.session.scalar(select(func.count(Category.id))) == count
    cover = services.get_category("C0101")
    assert cover.major.name_zh == "公用设施"
    assert cover.deadline_clock in ("emergency_hours", "working_hours", "working_days")
    assert cover.filing_standard and cover.closing_standard


def test_loading_twice_updates_in_place(app):
    first = services.load_taxonomy()
    data = json.loads(services.DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    data["majors"][0]["minors"][0]["deadline"] = {"clock": "working_hours", "amount": 3}
    assert services.load_taxonomy(data) == first
    assert db.session.scalar(select(func.count(Category.id))) == first
    code = "C" + data["majors"][0]["code"] + data["majors"][0]["minors"][0]["code"]
    category = services.get_category(code)
    assert (category.deadline_clock, category.deadline_amount) == ("working_hours", 3.0)


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda d: d["majors"][0].update(kind="thing"), "kind"),
        (
            lambda d: d["majors"][0]["minors"][0].update(deadline={"clock": "moon_hours", "amount": 2}),
            "clock",
        ),
        (
            lambda d: d["majors"][0]["minors"][0].update(deadline={"clock": "working_hours", "amount": -1}),
            "positive",
        ),
        (lambda d: d["majors"][0]["minors"].append(dict(d["majors"][0]["minors"][0])), "Duplicate"),
    ],
)
def test_bad_taxonomy_is_refused_and_changes_nothing(app, mutate, message):
    data = copy.deepcopy(json.loads(services.DEFAULT_TAXONOMY.read_text(encoding="utf-8")))
    mutate(data)
    with pytest.raises(GridCityError, match=message):
        services.load_taxonomy(data)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Category.id))) == 0


def _point_in(street_code: str):
    grid = db.session.scalar(select(UnitGrid).where(UnitGrid.code.like(f"440308{street_code}%")).limit(1))
    p = grid.geom.representative_point()
    return grid, p.x, p.y


def test_most_specific_place_wins(create_mini_city):
    city = create_mini_city()
    units = city["units"]
    category = services.get_category("E0102")
    west_grid, wx, wy = _point_in("001")
    _, ex, ey = _point_in("002")
    # Street rule beats the district default; the district default applies elsewhere.
    assert services.responsible_unit_id(category, geo.locate(wx, wy)) == units["west_office"].id
    assert services.responsible_unit_id(category, geo.locate(ex, ey)) == units["sanitation"].id
    # A work-grid rule beats the street; a unit-grid rule beats the work grid.
    services.set_rule("E0102", "work_grid", city["work_grids"][0].id, units["municipal"].id)
    assert services.responsible_unit_id(category, geo.locate(wx, wy)) == units["municipal"].id
    services.set_rule("E0102", "unit_grid", west_grid.id, units["sanitation"].id)
    assert services.responsible_unit_id(category, geo.locate(wx, wy)) == units["sanitation"].id


def test_a_category_without_rules_is_a_clear_error(create_mini_city):
    create_mini_city()
    _, x, y = _point_in("001")
    with pytest.raises(GridCityError) as caught:
        services.responsible_unit_id(services.get_category("E0201"), geo.locate(x, y))
    assert caught.value.key == "no_responsible_unit" and caught.value.status == 422


def test_route_preview_api(create_mini_city, client, login):
    city = create_mini_city()
    _, x, y = _point_in("001")
    login("disp")
    answer = client.get(f"/api/v1/route?category=E0102&lon={x}&lat={y}")
    assert answer.status_code == 200
    assert answer.get_json()["unit"]["code"] == city["units"]["west_office"].code
    unknown = client.get(f"/api/v1/route?category=X9999&lon={x}&lat={y}")
    assert unknown.status_code == 422
    assert unknown.get_json()["error"] == "unknown_category"
    assert "X9999" in unknown.get_json()["message"]


def test_admin_edits_a_deadline_and_others_may_not(create_mini_city, client, login):
    create_mini_city()
    login("disp")
    assert client.patch("/api/v1/categories/C0101", json={"urgency": "normal"}).status_code == 403
    login("admin")
    bad = client.patch("/api/v1/categories/C0101", json={"deadline": {"clock": "weeks", "amount": 1}})
    assert bad.status_code == 400
    assert services.get_category("C0101").deadline_clock != "weeks"
    ok = client.patch("/api/v1/categories/C0101", json={"deadline": {"clock": "working_days", "amount": 2}})
    assert ok.status_code == 200
    db.session.expire_all()
    assert services.get_category("C0101").deadline_clock == "working_days"


def test_rules_are_edited_by_admins_only(create_mini_city, client, login):
    city = create_mini_city()
    rule = {"category": "C0101", "place_kind": "street", "place_id": city["streets"][1].id, "unit": "HW"}
    login("insp")
    assert client.get("/api/v1/responsibility-rules").status_code == 403
    login("disp")
    assert client.put("/api/v1/responsibility-rules", json=rule).status_code == 403
    login("admin")
    assert client.put("/api/v1/responsibility-rules", json={**rule, "unit": "NOPE"}).status_code == 422
    assert client.put("/api/v1/responsibility-rules", json=rule).status_code == 200
    rows = client.get("/api/v1/responsibility-rules?category=C0101").get_json()
    assert {(r["place_kind"], r["unit"]) for r in rows} == {("district", "SZ"), ("street", "HW")}
