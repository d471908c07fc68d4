"""Component inventory imports (CSV / GeoJSON) and who sees what."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.coords import wgs84_to_gcj02
from gridcity.inventory.models import Component
from gridcity.inventory.services import import_components

CSV_OK = """category,lon,lat,owner,maintainer,state,installed_on
C0101,114.2405,22.5795,SZ,SZ,intact,2020-05-01
C0101,114.2505,22.5795,SZ,,damaged,
C0301,114.2455,22.5755,HW,HW,,
"""


def _count() -> int:
    return db.session.scalar(select(func.count(Component.id)))


def test_csv_import_locates_and_codes_components(create_mini_city):
    create_mini_city()
    assert import_components(CSV_OK, "csv") == 3
    db.session.commit()
    rows = db.session.scalars(select(Component).order_by(Component.code)).all()
    # 6 admin + 2 major + 2 minor + 6 sequence, numbered per class.
    assert [c.code for c in rows] == ["4403080101000001", "4403080101000002", "4403080301000001"]
    assert rows[0].unit_grid.geom.covers(rows[0].geom)
    assert rows[1].state == "damaged" and rows[1].maintainer_unit is None
    assert rows[0].installed_on.isoformat() == "2020-05-01"


def test_geojson_import_in_gcj02(create_mini_city):
    create_mini_city()
    lon, lat = wgs84_to_gcj02(114.2405, 22.5795)
    doc = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                    "properties": {"category": "C0101", "code": "4403080101123456", "owner": "SZ"},
                }
            ],
        }
    )
    assert import_components(doc, "geojson", "gcj02") == 1
    component = db.session.scalar(select(Component))
    assert component.code == "4403080101123456"
    assert abs(component.geom.x - 114.2405) < 1e-8 and abs(component.geom.y - 22.5795) < 1e-8


@pytest.mark.parametrize(
    "line,key",
    [
        ("X9999,114.2405,22.5795,SZ,SZ,intact,", "component_unknown_class"),
        ("E0102,114.2405,22.5795,SZ,SZ,intact,", "component_unknown_class"),  # an event is not a component
        ("C0101,114.3000,22.5795,SZ,SZ,intact,", "component_outside_city"),
        ("C0101,114.2405,22.5795,NOPE,SZ,intact,", "component_unknown_owner"),
        ("C0101,114.2405,22.5795,SZ,SZ,melted,", "component_bad_state"),
        ("C0101,east,22.5795,SZ,SZ,intact,", "component_bad_position"),
        ("C0101,114.2405,22.5795,SZ,SZ,intact,2020-13-01", "component_bad_date"),
    ],
)
def test_one_bad_line_refuses_the_whole_file(create_mini_city, line, key):
    create_mini_city()
    with pytest.raises(GridCityError) as caught:
        import_components(CSV_OK + line + "\n", "csv")
    assert caught.value.key == "component_import_has_errors" and caught.value.status == 422
    assert caught.value.params["first_error"] == key and caught.value.params["lines"] == "5"
    db.session.rollback()
    assert _count() == 0


def test_duplicate_component_codes_are_refused(create_mini_city):
    create_mini_city()
    text = "code,category,lon,lat\n4403080101000001,C0101,114.2405,22.5795\n"
    import_components(text, "csv")
    db.session.commit()
    with pytest.raises(GridCityError) as caught:
        import_components(text, "csv")
    assert caught.value.params["first_error"] == "component_code_taken"
    db.session.rollback()
    assert _count() == 1


def test_unit_handler_sees_only_their_units_components(create_mini_city, client, login):
    create_mini_city()
    import_components(CSV_OK, "csv")
    db.session.commit()
    login("hw")
    mine = client.get("/api/v1/components").get_json()
    assert [c["category"] for c in mine] == ["C0301"]
    login("disp")
    assert len(client.get("/api/v1/components").get_json()) == 3


def test_import_api_is_for_admins(create_mini_city, client, login):
    create_mini_city()
    login("disp")
    assert client.post("/api/v1/components/import?format=csv", data=CSV_OK).status_code == 403
    login("admin")
    answer = client.post("/api/v1/components/import?format=csv", data=CSV_OK)
    assert answer.status_code == 201 and answer.get_json() == {"imported": 3}
    bad = client.post("/api/v1/components/import?format=csv", data="category,lon\nC0101,1\n")
    assert bad.status_code == 400 and "lat" in bad.get_json()["message"]


@pytest.mark.parametrize("code", ["部件0001", "4403080101-00001", "4" * 21])
def test_a_given_code_is_ascii_letters_and_digits_that_fit(create_mini_city, code):
    create_mini_city()
    with pytest.raises(GridCityError) as caught:
        import_components(f"code,category,lon,lat\n{code},C0101,114.2405,22.5795\n", "csv")
    assert caught.value.params["first_error"] == "component_bad_code"
