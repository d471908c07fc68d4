"""Importing geography: datums, bad files, duplicate codes — and that a refused
import changes nothing."""

from __future__ import annotations

import json

import pytest
import shapely
from sqlalchemy import func, select

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo import services as geo
from gridcity.geo.coords import wgs84_to_gcj02
from gridcity.geo.models import Community, District, GeoRevision, UnitGrid
from tests.conftest import MINI_DISTRICT, feature_collection, polygon_feature


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m)) for m in (District, Community, UnitGrid)
    )


def test_gcj02_import_is_stored_as_wgs84(app):
    gcj = shapely.transform(
        MINI_DISTRICT, lambda xy: __import__("numpy").column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
    )
    (district,) = geo.import_districts(
        feature_collection(polygon_feature(gcj, adcode="440308", name="盐田区")), "gcj02"
    )
    db.session.commit()
    stored = db.session.get(District, district.id).geom
    # Back within a millimetre of the WGS-84 original (the GCJ-02 shift is ~500 m).
    assert stored.hausdorff_distance(MINI_DISTRICT) < 1e-8
    assert gcj.hausdorff_distance(MINI_DISTRICT) > 0.003


@pytest.mark.parametrize(
    "document,key",
    [
        ("not json {", "bad_geojson"),
        (json.dumps({"type": "Topology"}), "bad_geojson"),
        (json.dumps({"type": "FeatureCollection", "features": []}), "bad_geojson"),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "geometry": {"type": "Point", "coordinates": [114.2, 22.5]},
                            "properties": {},
                        }
                    ],
                }
            ),
            "bad_geojson",
        ),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "geometry": {"type": "Polygon", "coordinates": [[[1, 2]]]},
                            "properties": {},
                        }
                    ],
                }
            ),
            "bad_geojson",
        ),
        # Metres in a projected CRS, not degrees.
        (
            feature_collection(
                polygon_feature(shapely.box(800000, 2490000, 801000, 2491000), adcode="440308", name="x")
            ),
            "wrong_crs",
        ),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "crs": {"type": "name", "properties": {"name": "EPSG:32650"}},
                    "features": [polygon_feature(MINI_DISTRICT, adcode="440308", name="x")],
                }
            ),
            "wrong_crs",
        ),
        (feature_collection(polygon_feature(MINI_DISTRICT, adcode="4403", name="x")), "bad_code"),
        (feature_collection(polygon_feature(MINI_DISTRICT, name="x")), "bad_geojson"),
    ],
)
def test_bad_district_files_are_refused_with_a_reason(app, document, key):
    with pytest.raises(GridCityError) as caught:
        geo.import_districts(document, "wgs84")
    assert caught.value.key == key
    db.session.rollback()
    assert _counts() == (0, 0, 0)


def test_unknown_datum_is_refused(app):
    with pytest.raises(GridCityError) as caught:
        geo.import_districts(
            feature_collection(polygon_feature(MINI_DISTRICT, adcode="440308", name="x")), "utm50n"
        )
    assert caught.value.key == "bad_datum"


def test_duplicate_unit_grid_codes_change_nothing(create_mini_city):
    create_mini_city()
    before = _counts()
    revision = db.session.scalar(select(GeoRevision.revision))
    cell = shapely.box(114.2401, 22.5791, 114.2402, 22.5792)
    duplicate_in_file = feature_collection(
        polygon_feature(cell, code="440308001001901"), polygon_feature(cell, code="440308001001901")
    )
    with pytest.raises(GridCityError) as caught:
        geo.import_unit_grids(duplicate_in_file, "wgs84")
    assert caught.value.key == "duplicate_code"
    db.session.rollback()
    existing = db.session.scalar(select(UnitGrid.code).limit(1))
    with pytest.raises(GridCityError) as caught:
        geo.import_unit_grids(feature_collection(polygon_feature(cell, code=existing)), "wgs84")
    assert caught.value.key == "duplicate_code"
    db.session.rollback()
    assert _counts() == before
    assert db.session.scalar(select(GeoRevision.revision)) == revision


def test_unit_grid_codes_must_fit_the_layout_and_a_community(create_mini_city):
    create_mini_city()
    cell = shapely.box(114.2401, 22.5791, 114.2402, 22.5792)
    for code, key in (
        ("44030800100190", "bad_code"),
        ("44030800100190X", "bad_code"),
        ("440308009001001", "unknown_place"),
    ):
        with pytest.raises(GridCityError) as caught:
            geo.import_unit_grids(feature_collection(polygon_feature(cell, code=code)), "wgs84")
        assert caught.value.key == key
        db.session.rollback()


def test_fourteen_digit_layout_is_a_setting(database_url, tmp_path):
    from tests.conftest import fresh_app

    with fresh_app(database_url, tmp_path) as app:
        app.config["SETTINGS"] = app.config["SETTINGS"].__class__.from_env(
            {}, grid_code_layout="6-3-3-2", instance_dir=tmp_path
        )
        small = shapely.box(114.2400, 22.5760, 114.2460, 22.5800)  # ~30 cells: fits 2 digits
        geo.import_districts(feature_collection(polygon_feature(small, adcode="440308", name="d")), "wgs84")
        geo.import_streets(
            feature_collection(polygon_feature(small, code="001", name="s")), "wgs84", "440308"
        )
        geo.import_communities(
            feature_collection(polygon_feature(small, code="440308001001", name="c")), "wgs84"
        )
        count = geo.cut_unit_grids("440308", 100)
        db.session.commit()
        codes = list(db.session.scalars(select(UnitGrid.code)))
        assert 20 < len(codes) == count and all(len(c) == 14 for c in codes)
        # The whole district does not fit 99 grids per community: a clear refusal.
        db.session.execute(db.delete(UnitGrid))
        geo.import_communities(
            feature_collection(polygon_feature(MINI_DISTRICT, code="440308001002", name="c2")), "wgs84"
        )
        with pytest.raises(GridCityError, match="at most 99 unit grids"):
            geo.cut_unit_grids("440308", 100)


def test_fishnet_cut_refuses_a_district_that_already_has_grids(create_mini_city, runner):
    create_mini_city()
    before = _counts()
    result = runner.invoke(args=["geo", "fishnet", "--district", "440308"])
    assert result.exit_code == 1
    assert "already has unit grids" in result.output
    assert _counts() == before


def test_cli_import_of_malformed_file_reports_and_changes_nothing(app, runner, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}')
    result = runner.invoke(args=["geo", "import-districts", str(bad), "--datum", "gcj02"])
    assert result.exit_code == 1
    assert "Invalid GeoJSON" in result.output
    assert _counts() == (0, 0, 0)


def test_cli_builds_a_city_from_files(app, runner, tmp_path):
    """The admin path: districts → streets → communities → fishnet → locate."""
    files = {
        "d.geojson": feature_collection(polygon_feature(MINI_DISTRICT, adcode="440308", name="盐田区")),
        "s.geojson": feature_collection(polygon_feature(MINI_DISTRICT, code="001", name="街道")),
        "c.geojson": feature_collection(polygon_feature(MINI_DISTRICT, code="440308001001", name="社区")),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    steps = [
        ["geo", "import-districts", str(tmp_path / "d.geojson"), "--datum", "wgs84"],
        ["geo", "import-streets", str(tmp_path / "s.geojson"), "--district", "440308", "--datum", "wgs84"],
        ["geo", "import-communities", str(tmp_path / "c.geojson"), "--datum", "wgs84"],
        ["geo", "fishnet", "--district", "440308", "--size", "100"],
        ["geo", "locate", "114.2405", "22.5795"],
    ]
    for args in steps:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    code = json.loads(result.output)["unit_grid_code"]
    assert code.startswith("440308001001")
    grid = db.session.scalar(select(UnitGrid).where(UnitGrid.code == code))
    assert grid.geom.covers(shapely.Point(114.2405, 22.5795))


def test_other_processes_see_new_grids(create_mini_city, database_url, tmp_path):
    """Each process has its own index; a change committed by one is seen by
    another through the revision counter."""
    from gridcity import create_app

    create_mini_city()
    other = create_app(
        {"database_url": database_url, "instance_dir": tmp_path / "other", "locator_refresh_seconds": 0.0}
    )
    with other.app_context():
        with pytest.raises(GridCityError):
            geo.locate(114.2530, 22.5790)  # east of the city
        db.session.remove()
    # This "process" adds a grid there.
    cell = shapely.box(114.2520, 22.5785, 114.2540, 22.5795)
    geo.import_unit_grids(feature_collection(polygon_feature(cell, code="440308002001900")), "wgs84")
    db.session.commit()
    with other.app_context():
        assert geo.locate(114.2530, 22.5790).unit_grid_code == "440308002001900"
        db.session.remove()
        db.engine.dispose()


def test_cli_sets_up_areas_work_groups_and_work_grids(app, runner, tmp_path):
    from gridcity.geo.models import Area, WorkGrid, WorkGroup
    from gridcity.org.services import create_user

    files = {
        "d.geojson": feature_collection(polygon_feature(MINI_DISTRICT, adcode="440308", name="盐田区")),
        "s.geojson": feature_collection(polygon_feature(MINI_DISTRICT, code="001", name="街道")),
        "c.geojson": feature_collection(polygon_feature(MINI_DISTRICT, code="440308001001", name="社区")),
        "wg.geojson": feature_collection(
            polygon_feature(
                shapely.box(114.2390, 22.5700, 114.2460, 22.5810),
                code="W1",
                name="西",
                area="A1",
                work_group="G1",
            ),
            polygon_feature(
                shapely.box(114.2460, 22.5700, 114.2530, 22.5810), code="W2", name="东", area="A1"
            ),
        ),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    create_user("head", "long-enough", "manager")
    create_user("lead", "long-enough", "inspector")
    db.session.commit()
    steps = [
        ["geo", "import-districts", str(tmp_path / "d.geojson"), "--datum", "wgs84"],
        ["geo", "import-streets", str(tmp_path / "s.geojson"), "--district", "440308", "--datum", "wgs84"],
        ["geo", "import-communities", str(tmp_path / "c.geojson"), "--datum", "wgs84"],
        ["geo", "fishnet", "--district", "440308"],
        ["geo", "create-area", "--code", "A1", "--name", "片区", "--street", "440308001", "--head", "head"],
        ["geo", "create-work-group", "--code", "G1", "--name", "小组", "--area", "A1", "--leader", "lead"],
        ["geo", "import-work-grids", str(tmp_path / "wg.geojson"), "--datum", "wgs84"],
    ]
    for args in steps:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
    db.session.expire_all()
    west, east = db.session.scalars(select(WorkGrid).order_by(WorkGrid.code)).all()
    assert west.work_group.code == "G1" and east.work_group is None
    assert db.session.scalar(select(Area)).head_user_id is not None
    assert db.session.scalar(select(WorkGroup)).leader_user_id is not None
    members = {
        w.code: db.session.scalar(select(func.count()).where(UnitGrid.work_grid_id == w.id))
        for w in (west, east)
    }
    assert members["W1"] > 0 and members["W2"] > 0
    assert sum(members.values()) == db.session.scalar(select(func.count(UnitGrid.id)))
    location = geo.locate(114.2405, 22.5795)
    assert location.work_grid_id == west.id and location.area_id == west.area_id
    again = runner.invoke(args=steps[-1])
    assert again.exit_code == 1 and "W1" in again.output
    missing = runner.invoke(
        args=["geo", "create-work-group", "--code", "G2", "--name", "x", "--area", "NOPE"]
    )
    assert missing.exit_code == 1 and "NOPE" in missing.output
