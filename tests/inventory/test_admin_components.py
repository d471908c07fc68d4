"""The admin console's components (issue 17 item 5): the import's preview and
its one rule shared with the API and ``gridcity components import``, editing
one component (audited, with its history), the census status and the map's
GeoJSON, and the refusals a person can act on."""

from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from gridcity.audit.models import AuditEntry
from gridcity.extensions import db
from gridcity.inventory import census
from gridcity.inventory.models import Component
from gridcity.inventory.services import import_components
from gridcity.org.models import User

GOOD = """category,lon,lat,owner,maintainer,state,installed_on
C0101,114.2405,22.5795,SZ,SZ,intact,2020-05-01
C0101,114.2505,22.5795,SZ,,damaged,
C0301,114.2455,22.5755,,HW,破损,
"""
# Line by line: fine; unknown class; outside the city; unknown owner; bad
# state; code repeated; code already in the inventory (after GOOD); bad date.
BAD = """code,category,lon,lat,owner,maintainer,state,installed_on
4403080101900001,C0101,114.2405,22.5795,SZ,SZ,intact,2020-05-01
,X9999,114.2405,22.5795,SZ,SZ,intact,
,C0101,114.3000,22.5795,SZ,SZ,intact,
,C0101,114.2405,22.5795,NOPE,SZ,intact,
,C0101,114.2405,22.5795,SZ,SZ,melted,
4403080101900001,C0101,114.2405,22.5795,SZ,SZ,intact,
4403080101000001,C0101,114.2405,22.5795,SZ,SZ,intact,
,C0101,114.2405,22.5795,SZ,SZ,intact,2020-02-30
"""


def _count() -> int:
    return db.session.scalar(select(func.count(Component.id)))


def _entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _admin_id() -> int:
    return db.session.scalar(select(User.id).where(User.username == "admin"))


def _upload(client, text: str, name: str = "components.csv", datum: str = "wgs84"):
    data = {"file": (io.BytesIO(text.encode("utf-8")), name), "datum": datum}
    return client.post("/admin/components/import", data=data, content_type="multipart/form-data")


def test_the_preview_names_each_rows_problem_and_saves_nothing(create_mini_city, client, login):
    create_mini_city()
    import_components(GOOD, "csv")
    db.session.commit()
    login("admin")
    before = _count()
    assert [e.actor_id for e in _entries("component.import")] == [None]  # the setup's, by the system
    answer = _upload(client, BAD)
    page = html.unescape(answer.get_data(as_text=True))
    assert answer.status_code == 200 and "有 7 行存在问题" in page
    problems = {
        int(line): text
        for line, text in re.findall(
            r'<tr data-line="(\d+)"[^>]*>.*?<td data-testid="row-problems">([^<]*)</td>', page, re.S
        )
    }
    assert problems[2] == "无误"
    assert "“X9999”不是已知的部件类别" in problems[3]
    assert "114.3000, 22.5795 不在本市的单元网格内" in problems[4]
    assert "权属单位编码“NOPE”不存在" in problems[5]
    assert "状态“melted”无效" in problems[6]
    assert "与第 2 行重复" in problems[7]
    assert "4403080101000001 已在部件清单中" in problems[8]
    assert "安装日期“2020-02-30”无效" in problems[9]
    assert 'data-testid="do-import"' not in page
    assert _count() == before and len(_entries("component.import")) == 1


def test_a_good_file_previews_then_imports_through_the_same_service(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    preview = _upload(client, GOOD)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "共 3 行，均无误" in page and _count() == 0
    fields = dict(re.findall(r'<input type="hidden" name="(draft|format|datum)" value="([^"]*)"', page))
    assert fields["format"] == "csv" and fields["datum"] == "wgs84"
    saved = client.post("/admin/components/import/save", data=fields)
    assert saved.status_code == 200 and "已导入 3 个部件" in saved.get_data(as_text=True)
    assert _count() == 3
    assert db.session.scalar(select(Component.state).where(Component.category.has(code="C0301"))) == "damaged"
    [entry] = _entries("component.import")
    assert entry.after == {"component_count": 3} and entry.actor_id == _admin_id()
    # The same file again: every code it was given is now taken; nothing saved.
    again = client.post("/admin/components/import/save", data=fields)
    assert again.status_code == 200 and _count() == 6  # no codes given: new ones are numbered on
    repeat = "code,category,lon,lat\n4403080101000001,C0101,114.2405,22.5795\n"
    refused = client.post("/api/v1/components/import?format=csv", data=repeat)
    body = refused.get_json()
    assert refused.status_code == 422 and body["error"] == "component_import_has_errors"
    assert body["details"]["first_error"] == "component_code_taken" and "第 2 行" in body["message"]
    assert _count() == 6


def test_the_import_refuses_what_it_cannot_read_with_words(create_mini_city, client, login, monkeypatch):
    from gridcity.web import admin_components

    create_mini_city()
    login("admin")
    monkeypatch.setattr(admin_components, "MAX_BYTES", 2000)  # a small limit: the test stays in memory
    cases = [
        (_upload(client, "category,lon\nC0101,1\n"), 400, "CSV 缺少列：lat"),
        (_upload(client, "{}", "c.geojson"), 400, "GeoJSON 文件无效"),
        (_upload(client, "category,lon,lat\n"), 400, "文件中没有部件"),
        (_upload(client, GOOD, datum="bd09"), 400, "坐标系 bd09 不受支持"),
        (
            client.post("/admin/components/import", data={}, content_type="multipart/form-data"),
            400,
            "没有部件",
        ),
        (_upload(client, "x" * 2001), 413, "文件过大"),
        (
            client.post("/admin/components/import/save", data={"draft": "!!", "format": "csv"}),
            400,
            "无法读取",
        ),
    ]
    for response, status, words in cases:
        assert response.status_code == status, response.get_data(as_text=True)[:300]
        assert words in html.unescape(response.get_data(as_text=True))
    assert _count() == 0


def test_the_command_line_checks_and_imports_by_the_same_rule(create_mini_city, runner, tmp_path):
    create_mini_city()
    import_components(GOOD, "csv")
    db.session.commit()
    bad, good = tmp_path / "bad.csv", tmp_path / "good.geojson"
    bad.write_text(BAD, encoding="utf-8")
    good.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"category": "C0101"},'
        ' "geometry": {"type": "Point", "coordinates": [114.2405, 22.5795]}}]}',
        encoding="utf-8",
    )
    checked = runner.invoke(
        args=["components", "import", str(bad), "--format", "csv", "--datum", "wgs84", "--check"]
    )
    assert checked.exit_code == 0 and "line 2: ok" in checked.output
    assert "line 3: “X9999” is not a known component class" in checked.output
    assert "line 7: Component code 4403080101900001 repeats line 2" in checked.output
    refused = runner.invoke(args=["components", "import", str(bad), "--format", "csv", "--datum", "wgs84"])
    assert refused.exit_code == 1 and "Lines 3, 4, 5, 6, 7, 8, 9 have problems" in refused.output
    assert _count() == 3
    saved = runner.invoke(args=["components", "import", str(good), "--format", "geojson", "--datum", "wgs84"])
    assert saved.exit_code == 0 and "imported 1 components" in saved.output and _count() == 4


def _first(code: str = "C0101") -> Component:
    return db.session.scalar(
        select(Component).where(Component.category.has(code=code)).order_by(Component.code)
    )


def test_editing_a_component_is_audited_and_shown_beside_it(create_mini_city, client, login, runner):
    create_mini_city()
    import_components(GOOD, "csv")
    db.session.commit()
    component = _first()
    login("admin")
    form = {
        "state": "damaged",
        "owner": "HW",
        "maintainer": "",
        "lon": "114.250600",
        "lat": "22.579600",
        "installed_on": "2021-06-01",
    }
    answer = client.post(f"/admin/components/{component.id}", data=form)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("?done=saved")
    db.session.expire_all()
    component = db.session.get(Component, component.id)
    assert component.state == "damaged" and component.owner_unit.code == "HW"
    assert component.maintainer_unit is None and component.installed_on.isoformat() == "2021-06-01"
    assert abs(component.geom.x - 114.2506) < 1e-9 and component.unit_grid.geom.covers(component.geom)
    page = html.unescape(client.get(f"/admin/components/{component.id}").get_data(as_text=True))
    history = page[page.index('data-testid="history"') :]
    assert "修改部件" in history and "部件状态" in history and "完好 → 破损" in history
    assert "114.240500, 22.579500 → 114.250600, 22.579600" in history
    [entry] = _entries("component.update")
    assert entry.before["owner_unit"] != entry.after["owner_unit"] and entry.actor_id == _admin_id()
    # The same form again changes nothing and logs nothing.
    assert client.post(f"/admin/components/{component.id}", data=form).status_code == 302
    assert len(_entries("component.update")) == 1
    # The command line edits through the same service.
    done = runner.invoke(args=["components", "edit", component.code, "--state", "lost"])
    assert done.exit_code == 0 and len(_entries("component.update")) == 2
    census_page = client.get("/admin/components/census").get_data(as_text=True)
    row = re.search(r'data-code="C0101">(.*?)</tr>', census_page, re.S).group(1)
    assert row.count("—") == 0  # last added and last changed both known


def test_bad_edits_get_a_clear_4xx_beside_the_field(create_mini_city, client, login):
    create_mini_city()
    import_components(GOOD, "csv")
    db.session.commit()
    component = _first()
    login("admin")
    cases = [
        ({"state": "melted"}, "状态“melted”无效"),
        ({"owner": "NOPE"}, "权属单位编码“NOPE”不存在"),
        ({"lon": "114.3", "lat": "22.5795"}, "不在本市的单元网格内"),
        ({"lon": "east", "lat": "22.5795"}, "经纬度须为数字"),
        ({"installed_on": "2020-02-30"}, "安装日期“2020-02-30”无效"),
        ({"installed_on": "2999-01-01"}, "还没到"),
    ]
    for form, words in cases:
        answer = client.post(f"/admin/components/{component.id}", data=form)
        page = html.unescape(answer.get_data(as_text=True))
        assert answer.status_code == 400 and words in page and 'data-testid="field-error"' in page, form
    assert client.get("/admin/components/999999").status_code == 404
    assert _entries("component.update") == []


def test_census_status_says_what_is_surveyed_and_what_is_missing(create_mini_city, client, login):
    create_mini_city()
    import_components(GOOD, "csv")
    db.session.commit()
    status = {row["category"].code: row for row in census.census_status()}
    c0101, c0301 = status["C0101"], status["C0301"]
    assert c0101["count"] == 2 and c0101["by_state"] == {"intact": 1, "damaged": 1, "lost": 0, "occupied": 0}
    assert (c0101["owner_missing"], c0101["maintainer_missing"]) == (0, 1)
    assert (c0301["owner_known"], c0301["owner_missing"]) == (0, 1) and c0301["last_added"] is not None
    assert all(row["count"] == 0 for code, row in status.items() if code not in ("C0101", "C0301"))
    login("admin")
    page = client.get("/admin/components/census").get_data(as_text=True)
    assert "普查状态：每个部件小类" in page and "未普查" in page and "单位待补查" in page


def test_the_map_answers_the_view_class_and_state_with_a_cap(create_mini_city, client, login):
    create_mini_city()
    import_components(GOOD, "csv")
    db.session.commit()
    login("admin")

    def codes(query: str) -> list[str]:
        answer = client.get("/api/v1/components/map?" + query)
        assert answer.status_code == 200, answer.get_json()
        return sorted(f["properties"]["category"] for f in answer.get_json()["features"])

    assert codes("") == ["C0101", "C0101", "C0301"]
    assert codes("bbox=114.24,22.57,114.248,22.58") == ["C0101", "C0301"]
    assert codes("category=C0101&state=damaged") == ["C0101"]
    assert codes("major=03") == ["C0301"]
    assert codes("bbox=100,10,100.1,10.1") == []
    sample = census.components_in_view(cap=2)
    assert (sample["total"], sample["shown"], len(sample["features"])) == (3, 2, 2)
    for query, words in (
        ("bbox=1,2,3", "地图范围无效"),
        ("bbox=114.3,22.6,114.2,22.5", "地图范围无效"),
        ("category=E0102", "“E0102”不是已知的部件类别"),
        ("state=melted", "状态“melted”无效"),
        ("major=99", "未知的部件大类"),
    ):
        answer = client.get("/api/v1/components/map?" + query)
        assert answer.status_code == 400 and words in answer.get_json()["message"], query


def test_only_an_admin_sees_the_console_and_its_map(create_mini_city, client, login):
    create_mini_city()
    import_components(GOOD, "csv")
    db.session.commit()
    component = _first()
    login("disp")
    for method, path in (
        ("GET", "/admin/components"),
        ("GET", "/admin/components/census"),
        ("POST", "/admin/components/import"),
        ("POST", "/admin/components/import/save"),
        ("POST", f"/admin/components/{component.id}"),
        ("GET", "/api/v1/components/map"),
    ):
        assert client.open(path, method=method).status_code == 403, path
    login("admin")
    client.auto_csrf = False
    client.environ_base.pop("HTTP_X_CSRFTOKEN", None)
    assert client.post(f"/admin/components/{component.id}", data={"state": "lost"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Component, component.id).state == "intact"
