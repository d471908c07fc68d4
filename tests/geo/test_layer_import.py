"""Geography layers in the admin console (issue 17, item 2): the import's
check names each problem by the feature's name and code and saves nothing;
errors refuse the import, warnings need accepting; the console, the API and
``gridcity geo`` share the check; every layer exports in each datum and
imports again as it is; each import is audited."""

from __future__ import annotations

import io
import json
import re
import zipfile
from html import unescape

import numpy as np
import shapefile
import shapely
from sqlalchemy import delete, func, select, update

from gridcity.audit.models import AuditEntry
from gridcity.audit.words import describe
from gridcity.extensions import db
from gridcity.geo import layer_export
from gridcity.geo.coords import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from gridcity.geo.layer_import import LayerRefused, check_layer, import_layer
from gridcity.geo.models import Street, UnitGrid, WorkGrid, inspector_work_grid
from tests.conftest import MINI_DISTRICT, polygon_feature

WEST = MINI_DISTRICT.intersection(shapely.box(114.2400, 22.57, 114.2460, 22.59))
EAST = MINI_DISTRICT.intersection(shapely.box(114.2460, 22.57, 114.2520, 22.59))
# Reaches 0.001° (about 100 m) into the west street.
EAST_TOO_WIDE = MINI_DISTRICT.intersection(shapely.box(114.2450, 22.57, 114.2520, 22.59))
BOWTIE = shapely.Polygon([(114.241, 22.573), (114.243, 22.575), (114.243, 22.573), (114.241, 22.575)])


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def street_count() -> int:
    return db.session.scalar(select(func.count(Street.id)))


def street_names() -> set[str]:
    return set(db.session.scalars(select(Street.name)))


def imports() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "geo.import")))


def messages(check, language="zh", errors=True) -> list[str]:
    return check.to_dict(language)["errors" if errors else "warnings"]


def test_bd09_and_gcj02_go_back_to_wgs84_within_a_millimetre():
    lon, lat = np.array([114.2405, 113.93, 116.39]), np.array([22.5795, 22.54, 39.91])
    for forward, back in ((wgs84_to_bd09, bd09_to_wgs84), (wgs84_to_gcj02, gcj02_to_wgs84)):
        shifted = forward(lon, lat)
        assert np.all(np.hypot(shifted[0] - lon, shifted[1] - lat) > 1e-3)  # hundreds of metres off
        again = back(*shifted)
        assert np.all(np.hypot(again[0] - lon, again[1] - lat) < 1e-8)


def test_the_check_the_import_and_the_command_line(create_mini_city, runner, tmp_path):
    """One mini city for the three (each costs seconds on each database); the
    first two change nothing."""
    create_mini_city()
    the_check_names_each_problem_and_the_import_refuses_on_them()
    the_command_line_refuses_with_the_consoles_words(runner, tmp_path)
    a_gap_is_a_warning_to_accept_then_the_import_is_audited()


def the_check_names_each_problem_and_the_import_refuses_on_them():
    before = (street_count(), street_names())

    overlapping = collection(
        polygon_feature(WEST, code="440308001", name="西街道"),
        polygon_feature(EAST_TOO_WIDE, code="440308002", name="东街道"),
    )
    check = check_layer("streets", overlapping, "wgs84")
    (overlap,) = messages(check)
    area = re.search(r"重叠约 (\d+) 平方米", overlap).group(1)
    assert (
        "西街道 (440308001)" in overlap and "东街道 (440308002)" in overlap and 80_000 < int(area) < 100_000
    )
    assert (check.added, check.changed) == (0, 2)

    # A new street over an existing one that the file does not replace.
    (over_existing,) = messages(
        check_layer("streets", collection(polygon_feature(EAST, code="440308003", name="新街道")), "wgs84")
    )
    assert over_existing.startswith("新街道 (440308003) 与已有的 东街道 (440308002) 重叠约")

    codes = collection(
        polygon_feature(WEST, name="无编码街道"),
        polygon_feature(WEST.buffer(-0.0005), code="44030800X", name="坏编码"),
        polygon_feature(EAST.buffer(-0.0005), code="440399001", name="外区街道"),
        polygon_feature(EAST.buffer(-0.0010), code="440399001", name="重复街道"),
        polygon_feature(BOWTIE, code="440308009", name="打结街道"),
        {"type": "Feature", "geometry": shapely.geometry.mapping(EAST.buffer(-0.002)), "properties": [1]},
    )
    found = messages(check_layer("streets", codes, "wgs84"))
    assert "无编码街道 (第 1 个要素) 缺少编码。" in found
    assert "第 6 个要素 缺少编码。" in found and "第 6 个要素 缺少名称。" in found
    assert "坏编码 (44030800X) 的编码格式不对：应为 3 / 9 位数字。" in found
    assert "外区街道 (440399001) 的上级区 440399 不存在。" in found
    assert "重复街道 (440399001) 与 外区街道 (440399001) 编码重复。" in found
    assert any(m.startswith("打结街道 (440308009) 的图形无效（Self-intersection") for m in found)
    # Street digits alone need the district chosen for the file.
    short = messages(
        check_layer("streets", collection(polygon_feature(EAST, code="002", name="东")), "wgs84")
    )
    assert "东 (002) 的编码只有街道位，请选择所属的区（或使用 区+街道 的完整编码）。" in short
    assert (
        messages(
            check_layer(
                "streets", collection(polygon_feature(EAST, code="002", name="东")), "wgs84", "440308"
            )
        )
        == []
    )

    # The import runs the same check: refused with the same words, nothing saved.
    try:
        import_layer("streets", overlapping, "wgs84", filename="s.geojson")
        raise AssertionError("an overlap must refuse the import")
    except LayerRefused as refused:
        assert refused.status == 422 and overlap in refused.message("zh")
    db.session.rollback()
    assert (street_count(), street_names()) == before and imports() == []


def a_gap_is_a_warning_to_accept_then_the_import_is_audited():
    narrower = collection(
        polygon_feature(WEST.buffer(-0.0003), code="440308001", name="西街道（新界）"),
        polygon_feature(EAST, code="440308002", name="东街道"),
    )
    check = check_layer("streets", narrower, "wgs84")
    assert messages(check) == []
    (gap,) = messages(check, "en", errors=False)
    assert re.fullmatch(r"盐田区 \(440308\) has a gap of about \d+ m² its children do not cover\.", gap)
    try:
        import_layer("streets", narrower, "wgs84")
        raise AssertionError("a warning not accepted must refuse the import")
    except LayerRefused as refused:
        assert "1 warning(s) to accept" in refused.message("en")
    db.session.rollback()
    assert "西街道（新界）" not in street_names()

    counts = import_layer("streets", narrower, "wgs84", filename="街道.geojson", accept_warnings=True)
    db.session.commit()
    assert counts == {"added": 0, "changed": 2}
    assert "西街道（新界）" in street_names() and street_count() == 2
    (entry,) = describe(imports(), "zh")
    changes = {c["field"]: c["after"] for c in entry["changes"]}
    assert changes == {"图层": "街道", "文件": "街道.geojson", "坐标系": "WGS-84", "新增": "0", "更新": "2"}


def test_every_layer_exports_in_each_datum_and_imports_again(create_mini_city, runner, tmp_path):
    create_mini_city()
    grids_before = dict(db.session.execute(select(UnitGrid.code, UnitGrid.work_grid_id)).all())
    for layer in ("districts", "streets", "communities", "unit_grids"):
        for datum in ("gcj02", "bd09", "wgs84"):
            exported = layer_export.export_layer(layer, datum)
            check = check_layer(layer, exported, datum)
            assert check.problems == [] and check.changed == len(exported["features"]) > 0, (layer, datum)
    # Shifted to GCJ-02 and back: the same shape, to a few centimetres.
    gcj = layer_export.export_layer("districts", "gcj02")["features"][0]["geometry"]
    assert not shapely.geometry.shape(gcj).equals_exact(MINI_DISTRICT, 1e-4)  # really shifted
    import_layer("districts", layer_export.export_layer("districts", "gcj02"), "gcj02")
    db.session.commit()
    (stored,) = shapely.geometry.shape(
        layer_export.export_layer("districts")["features"][0]["geometry"]
    ).geoms
    assert stored.equals_exact(MINI_DISTRICT, 1e-6)

    # Through the command line: the unit grids out as BD-09 and in again.
    out = tmp_path / "grids.geojson"
    assert (
        runner.invoke(args=["geo", "export", "unit_grids", "--datum", "bd09", "-o", str(out)]).exit_code == 0
    )
    result = runner.invoke(args=["geo", "import-unit-grids", str(out), "--datum", "bd09"])
    assert result.exit_code == 0 and "135 changed" in result.output
    db.session.expire_all()
    assert dict(db.session.execute(select(UnitGrid.code, UnitGrid.work_grid_id)).all()) == grids_before

    # Work grids are only added: exported, removed, imported again, they hold the same unit grids.
    exported = layer_export.export_layer("work_grids", "gcj02")
    members = {
        w.code: set(db.session.scalars(select(UnitGrid.code).where(UnitGrid.work_grid_id == w.id)))
        for w in db.session.scalars(select(WorkGrid))
    }
    db.session.execute(update(UnitGrid).values(work_grid_id=None))
    db.session.execute(delete(inspector_work_grid))
    db.session.execute(delete(WorkGrid))
    db.session.commit()
    assert import_layer("work_grids", exported, "gcj02") == {"added": 2, "changed": 0}
    db.session.commit()
    assert {
        w.code: set(db.session.scalars(select(UnitGrid.code).where(UnitGrid.work_grid_id == w.id)))
        for w in db.session.scalars(select(WorkGrid))
    } == members


def the_command_line_refuses_with_the_consoles_words(runner, tmp_path):
    path = tmp_path / "streets.geojson"
    path.write_text(
        json.dumps(
            collection(
                polygon_feature(WEST, code="001", name="西街道"),
                polygon_feature(EAST_TOO_WIDE, code="002", name="东街道"),
            )
        )
    )
    words = check_layer("streets", json.loads(path.read_text()), "wgs84", "440308").to_dict("en")["errors"]
    result = runner.invoke(
        args=["geo", "import-streets", str(path), "--district", "440308", "--datum", "wgs84"]
    )
    assert result.exit_code == 1 and "1 error(s); nothing was imported" in result.output
    assert words[0] in result.output.replace("\n", " ")
    assert imports() == []


def _zipped(parts: dict[str, bytes]) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return data.getvalue()


def _shapefile(features: list[tuple[shapely.Polygon, str, str]]) -> dict[str, bytes]:
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="utf-8") as writer:
        writer.field("code", "C", size=12)
        writer.field("name", "C", size=50)
        for geom, code, name in features:
            writer.shape(shapely.geometry.mapping(shapely.geometry.polygon.orient(geom, -1)))
            writer.record(code, name)
    return {"streets.shp": shp.getvalue(), "streets.shx": shx.getvalue(), "streets.dbf": dbf.getvalue()}


def upload(client, name: str, content: bytes, layer="streets", datum="wgs84", district=""):
    data = {"layer": layer, "datum": datum, "district": district, "file": (io.BytesIO(content), name)}
    return client.post("/admin/geography/preview", data=data, content_type="multipart/form-data")


def test_the_page_refuses_bad_files_then_previews_and_imports(create_mini_city, client, login):
    create_mini_city()
    bad_files_get_a_clear_4xx_and_save_nothing(client, login)
    the_page_previews_a_file_then_imports_it(client)


def the_page_previews_a_file_then_imports_it(client):
    page = client.get("/admin/geography")
    assert page.status_code == 200 and "地理图层" in page.get_data(as_text=True)

    # A zipped Shapefile whose east street reaches into the west one: named, nothing saved.
    bad = _zipped(_shapefile([(WEST, "440308001", "西街道"), (EAST_TOO_WIDE, "440308002", "东街道")]))
    preview = upload(client, "街道.zip", bad)
    text = unescape(preview.get_data(as_text=True))
    assert preview.status_code == 200 and "西街道 (440308001) 与 东街道 (440308002) 重叠约" in text
    assert 'data-testid="do-import"' not in text and street_names() == {"西街道", "东街道"}

    good = _zipped(_shapefile([(WEST, "440308001", "西街道"), (EAST, "440308002", "东街道（新）")]))
    preview = upload(client, "街道.zip", good)
    html = preview.get_data(as_text=True)
    assert "检查通过" in html and "新增 0 个，更新 2 个" in html
    form = {
        name: unescape(
            re.search(rf'name="{name}" value="([^"]*)"', html.split('data-testid="geo-save"')[1]).group(1)
        )
        for name in ("layer", "datum", "district", "filename", "token")
    }
    saved = client.post("/admin/geography/import", data=form)
    assert saved.status_code == 302 and "done=imported" in saved.headers["Location"]
    again = client.post("/admin/geography/import", data=form)  # the kept file went with the import
    assert again.status_code == 400 and "预览已过期或不存在" in again.get_data(as_text=True)
    after = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "街道已导入：新增 0 个，更新 2 个。" in after and "导入地理图层" in after and "街道.zip" in after
    assert "东街道（新）" in street_names()
    client.set_cookie("lang", "en")  # the page's English switch
    english = client.get("/admin/geography?layer=streets").get_data(as_text=True)
    assert "Geography layers" in english and "Geography layer imported" in english and "Updated" in english

    # Export through the API: the page's download links.
    exported = client.get("/api/v1/geo/layers/streets/export?datum=gcj02&download=true")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    assert {f["properties"]["code"] for f in exported.get_json()["features"]} == {"440308001", "440308002"}


def bad_files_get_a_clear_4xx_and_save_nothing(client, login):
    good = json.dumps(collection(polygon_feature(EAST, code="440308002", name="东街道")))
    login("lead")  # not an admin: refused on the page, its forms and the export
    for response in (
        client.get("/admin/geography"),
        upload(client, "a.geojson", good.encode()),
        client.post(
            "/admin/geography/import",
            data={"layer": "streets", "datum": "wgs84", "token": "a-guess-of-22-letters_"},
        ),
        client.get("/api/v1/geo/layers/streets/export"),
    ):
        assert response.status_code == 403
    login("admin")
    point = collection(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [114.24, 22.57]},
            "properties": {"code": "440308003", "name": "点"},
        }
    )
    cases = [
        (upload(client, "a.geojson", b"this is not JSON"), 400, "GeoJSON 文件无效"),
        (upload(client, "a.geojson", b""), 400, "文件是空的"),
        (upload(client, "a.zip", _zipped({"streets.dbf": b"x", "streets.shx": b"x"})), 400, "恰有一个 .shp"),
        (
            upload(client, "a.zip", _zipped({"streets.shp": b"x", "streets.dbf": b"x"})),
            400,
            "缺少 Shapefile 的 .shx",
        ),
        (upload(client, "a.zip", b"PK\x03\x04 broken"), 400, "不是有效的 ZIP"),
        (upload(client, "a.geojson", json.dumps(point).encode()), 400, "expected a polygon, got Point"),
        (upload(client, "a.geojson", good.encode(), datum="epsg3857"), 400, "坐标系 epsg3857 不受支持"),
        (upload(client, "a.geojson", good.encode(), layer="rivers"), 400, "未知的图层"),
        (
            client.post(
                "/admin/geography/import",
                data={"layer": "streets", "datum": "wgs84", "token": "a-guess-of-22-letters_"},
            ),
            400,
            "预览已过期或不存在",
        ),
        (client.get("/api/v1/geo/layers/rivers/export"), 404, "未知的图层"),
        (client.get("/api/v1/geo/layers/streets/export?datum=bd-09"), 400, "datum"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, (words, response.status_code)
        assert words in unescape(response.get_data(as_text=True)), words
    assert street_names() == {"西街道", "东街道"} and imports() == []
