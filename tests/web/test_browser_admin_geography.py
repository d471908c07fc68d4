"""The admin console's geography page in headless Chromium (issue 17,
acceptance), on a copy of the demo city with its own server. An admin,
through the UI only, imports a streets file that splits a street office in
two with one polygon overlapping: the preview names it and nothing is saved
(the database says so); then the good file, which is saved, counted and
drawn, and the page's history and the audit log show the import. No page
shows an internal identifier. Screenshots: ``test-artifacts/admin-geography-*.png``."""

from __future__ import annotations

import json
import sqlite3

import pytest
import shapely
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import Street
from tests.web.conftest import serve_demo_copy
from tests.web.test_admin_people_browser import admin_console
from tests.web.test_browser import ARTIFACTS, browser, create_page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
NEW_NAME = "新设街道"


def _file(folder, name: str, features: list[tuple]) -> str:
    path = folder / name
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": shapely.geometry.mapping(g),
                        "properties": {"code": c, "name": n},
                    }
                    for g, c, n in features
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture(scope="module")
def geo_city(demo_city, demo_app, create_server, tmp_path_factory) -> dict:
    """A copy of the demo city and a server on it; two files splitting its
    first street in two, west part kept, east part a new street: in the bad
    one the new street reaches into the kept part."""
    folder = tmp_path_factory.mktemp("geo-city")
    base_url = serve_demo_copy(demo_city, create_server, folder)
    with demo_app.app_context():
        street = db.session.scalar(select(Street).order_by(Street.id))
        taken = {s.code for s in street.district.streets}
        code, name, geom = street.full_code, street.name, street.geom
        new_code = street.district.code + next(
            f"{n:03d}" for n in range(999, 0, -1) if f"{n:03d}" not in taken
        )
        db.session.remove()
    west, south, east, north = geom.bounds
    middle = (west + east) / 2
    kept = geom.intersection(shapely.box(west - 1, south - 1, middle, north + 1))
    split_off = geom.difference(shapely.box(west - 1, south - 1, middle, north + 1))
    reaching = geom.difference(shapely.box(west - 1, south - 1, middle - (east - west) / 10, north + 1))
    files = tmp_path_factory.mktemp("geo-files")
    return {
        "url": base_url,
        "db": folder / "gc.db",
        "new_code": new_code,
        "overlap": (f"{NEW_NAME} ({new_code})", f"{name} ({code})"),
        "bad": _file(files, "街道划分-有重叠.geojson", [(kept, code, name), (reaching, new_code, NEW_NAME)]),
        "good": _file(files, "街道划分.geojson", [(kept, code, name), (split_off, new_code, NEW_NAME)]),
    }


def _streets(city) -> list[str]:
    with sqlite3.connect(city["db"]) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM street ORDER BY id")]


def _preview(page, path: str) -> None:
    page.select_option("#geo-layer", "streets")
    page.select_option("#geo-datum", "wgs84")
    page.set_input_files("#import-file", path)
    page.get_by_test_id("preview").click()
    page.wait_for_selector("[data-testid=import-preview]")
    page.wait_for_selector("#geo-map[data-drawn]")


def test_admin_imports_streets_through_the_console(create_page, geo_city, demo_app):  # noqa: F811
    page, problems, check_words, names = admin_console(create_page, geo_city["url"], demo_app)
    before = _streets(geo_city)
    page.get_by_test_id("open-geography").click()
    page.wait_for_url("**/admin/geography")
    page.wait_for_selector("#geo-map[data-drawn]")
    counts = page.locator("tr[data-layer=streets] [data-testid=layer-count]")
    assert counts.inner_text() == str(len(before))
    check_words()

    # One polygon overlaps: the preview names it, offers no import, saves nothing.
    _preview(page, geo_city["bad"])
    (error,) = page.get_by_test_id("preview-errors").locator("li").all_inner_texts()
    assert all(label in error for label in geo_city["overlap"]) and "重叠约" in error
    assert page.get_by_test_id("do-import").count() == 0
    # The file's two features on the map, those the problem names in red.
    assert page.locator("#geo-map[data-drawn='2'] path[stroke='#c92a2a']").count() >= 2
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-geography-preview.png"), full_page=True)
    assert _streets(geo_city) == before

    # The good file: checked, imported, counted and drawn.
    _preview(page, geo_city["good"])
    assert "检查通过" in page.get_by_test_id("preview-ok").inner_text()
    assert "新增 1 个，更新 1 个" in page.get_by_test_id("preview-summary").inner_text()
    page.get_by_test_id("do-import").click()
    page.wait_for_selector("[data-testid=done]")
    assert "街道已导入：新增 1 个，更新 1 个。" in page.get_by_test_id("done").inner_text()
    assert _streets(geo_city) == [*before, NEW_NAME]
    assert counts.inner_text() == str(len(before) + 1)
    page.wait_for_selector(f"#geo-map[data-drawn='{len(before) + 1}']")
    history = page.get_by_test_id("history").inner_text()
    assert "导入地理图层" in history and "街道划分.geojson" in history
    check_words()
    page.screenshot(path=str(ARTIFACTS / "admin-geography-imported.png"), full_page=True)

    # The audit log has it too, with the file and the counts.
    page.get_by_test_id("admin-nav").get_by_role("link", name="审计日志").click()
    page.wait_for_url("**/admin/audit")
    log = page.locator("main").inner_text()
    assert "导入地理图层" in log and "街道划分.geojson" in log
    check_words()
    assert problems == []
