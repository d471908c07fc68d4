"""The admin console's organisation (issue 17 item 2): responsible units,
areas, work groups and work grids — through the API, the pages and the
``gridcity org`` / ``gridcity geo`` commands, which share the services."""

from __future__ import annotations

from sqlalchemy import func, select

from gridcity.audit.models import AuditEntry
from gridcity.cases.services import Report, submit_report
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.models import Area, UnitGrid, WorkGrid, WorkGroup
from gridcity.geo.services import locate
from gridcity.org.models import Unit, User


def _entries(action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


def _unit(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _grids_of(code: str) -> list[UnitGrid]:
    query = select(UnitGrid).join(WorkGrid).where(WorkGrid.code == code).order_by(UnitGrid.code)
    return list(db.session.scalars(query))


def _html(response) -> str:
    return response.get_data(as_text=True)


def test_an_admin_creates_edits_deactivates_and_reactivates_a_unit(create_mini_city, client, login):
    city = create_mini_city()
    login("admin")
    created = client.post("/api/v1/units", json={"code": "YL-01", "name": "园林所", "kind": "parks"})
    assert created.status_code == 201
    unit_id = created.get_json()["id"]
    changed = client.patch(
        f"/api/v1/units/{unit_id}", json={"contact_name": "李工", "contact_phone": "0755-2555 0101"}
    )
    assert changed.status_code == 200 and changed.get_json()["contact_name"] == "李工"
    (update,) = _entries("unit.update")
    assert update.before == {"contact_name": None, "contact_phone": None}
    assert update.after == {"contact_name": "李工", "contact_phone": "0755-2555 0101"}
    assert update.actor_id == db.session.scalar(select(User.id).where(User.username == "admin"))
    assert _entries("unit.create")[-1].object_label == "园林所 (YL-01)"

    off = client.post(f"/api/v1/units/{unit_id}/deactivate")
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert _entries("unit.deactivate")[-1].after == {"active": False}
    # Deactivated: no rule may name it (nor, below, a dispatch).
    west = city["streets"][0]
    rule = client.put(
        "/api/v1/responsibility-rules",
        json={"category": "E0102", "place_kind": "street", "place_id": west.id, "unit": "YL-01"},
    )
    assert rule.status_code == 422
    page = _html(client.get(f"/admin/units/{unit_id}"))
    assert "已停用" in page and "联系电话" in page and "0755-2555 0101" in page  # the history beside it
    on = client.post(f"/api/v1/units/{unit_id}/reactivate")
    assert on.status_code == 200 and on.get_json()["active"] is True
    assert _entries("unit.reactivate")[-1].before == {"active": False}


def test_a_unit_that_rules_route_to_cannot_be_deactivated(create_mini_city, client, login):
    city = create_mini_city()
    login("admin")
    sanitation = city["units"]["sanitation"]
    refused = client.post(f"/api/v1/units/{sanitation.id}/deactivate")
    assert refused.status_code == 409
    message = refused.get_json()["message"]
    assert "E0102" in message and "盐田区" in message and "责任规则" in message
    db.session.expire_all()
    assert _unit("HW").active is True and _entries("unit.deactivate") == []
    page = client.post(f"/admin/units/{sanitation.id}/deactivate")
    assert page.status_code == 409 and "E0102" in _html(page)


def test_a_deactivated_unit_gets_no_dispatch_and_keeps_its_cases(create_mini_city):
    from gridcity.cases import services as cases
    from gridcity.org.units import deactivate_unit
    from gridcity.taxonomy.models import ResponsibilityRule
    from tests.cases.conftest import report_photo

    city = create_mini_city()
    users, works = city["users"], city["units"]["municipal"]

    def filed_case():
        report = Report(category="E0102", lon=114.2430, lat=22.5800, photos=[report_photo()])
        case = submit_report(report, users["inspector"]).case
        cases.accept(case, users["operator"])
        return cases.file_case(case, users["shift_leader"])

    earlier = cases.dispatch(filed_case(), users["dispatcher"], unit_id=works.id, reason="试派")
    db.session.execute(db.delete(ResponsibilityRule).where(ResponsibilityRule.unit_id == works.id))
    deactivate_unit(works.id)
    case = filed_case()
    db.session.commit()
    try:
        cases.dispatch(case, users["dispatcher"], unit_id=works.id, reason="试派")
    except GridCityError as error:
        assert error.key == "unknown_unit" and error.status == 422 and "SZ" in error.message()
    else:
        raise AssertionError("a deactivated unit was dispatched to")
    db.session.rollback()
    assert cases.dispatch(case, users["dispatcher"]).unit_id == city["units"]["west_office"].id
    db.session.refresh(earlier)
    assert earlier.unit_id == works.id and earlier.state == "dispatched"  # its running case stays


def test_bad_unit_input_gets_a_clear_4xx(create_mini_city, client, login):
    city = create_mini_city()
    login("admin")
    hw = city["units"]["sanitation"].id
    cases = [
        (client.post("/api/v1/units", json={"code": "a b", "name": "x", "kind": "parks"}), 400, "单位编码"),
        (client.post("/api/v1/units", json={"code": "HW", "name": "x", "kind": "parks"}), 409, "HW"),
        (client.post("/api/v1/units", json={"code": "N1", "name": "x", "kind": "wizards"}), 400, "单位类型"),
        (client.patch(f"/api/v1/units/{hw}", json={"contact_phone": "call me"}), 400, "联系电话"),
        (client.patch(f"/api/v1/units/{hw}", json={"name": "  "}), 400, "名称"),
        (client.patch(f"/api/v1/units/{hw}", json={"street_id": 99999}), 400, "街道"),
        (client.patch(f"/api/v1/units/{hw}", json={"kind": 7}), 400, "kind"),
        (client.patch("/api/v1/units/99999", json={"name": "x"}), 404, "责任单位"),
        (client.post("/admin/units/new", data={"code": "", "name": "x", "kind": "parks"}), 400, "单位编码"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, (response.status_code, _html(response)[:300])
        assert words in _html(response)
    db.session.expire_all()
    assert _unit("HW").name == "环卫处" and _entries("unit.update") == []


def test_the_units_page_filters_by_kind_state_and_street(create_mini_city, client, login):
    city = create_mini_city()
    login("admin")
    page = _html(client.get("/admin/units"))
    assert all(f'data-code="{code}"' in page for code in ("HW", "SZ", "JD01"))
    offices = _html(client.get("/admin/units?kind=street_office"))
    assert 'data-code="JD01"' in offices and 'data-code="HW"' not in offices
    west = _html(client.get(f"/admin/units?street={city['streets'][0].id}"))
    assert 'data-code="JD01"' in west and 'data-code="SZ"' not in west
    assert 'data-code="HW"' not in _html(client.get("/admin/units?active=no"))
    created = client.post(
        "/admin/units/new", data={"code": "SW", "name": "水务所", "kind": "water", "contact_name": "张三"}
    )
    assert created.status_code == 302
    edited = client.post(
        created.headers["Location"].split("?")[0],
        data={
            "name": "水务所（盐田）",
            "kind": "water",
            "contact_name": "张三",
            "street_id": city["streets"][1].id,
        },
    )
    assert edited.status_code == 302
    shown = _html(client.get(edited.headers["Location"]))
    assert "水务所 → 水务所（盐田）" in shown and "— → 东街道" in shown


def test_areas_and_work_groups_are_created_and_edited_with_their_history(create_mini_city, client, login):
    create_mini_city()
    login("admin")
    area = client.post("/admin/areas/new", data={"code": "PQ02", "name": "东片区", "head": "mgr"})
    assert area.status_code == 302
    area_id = db.session.scalar(select(Area.id).where(Area.code == "PQ02"))
    refused = client.post(f"/admin/areas/{area_id}", data={"name": "东片区", "head": "disp"})
    assert refused.status_code == 400 and "片区长和组长须是管理者或监督员" in _html(refused)
    saved = client.post(f"/admin/areas/{area_id}", data={"name": "东部片区", "head": ""})
    assert saved.status_code == 302
    shown = _html(client.get(f"/admin/areas/{area_id}"))
    assert "东片区 → 东部片区" in shown
    (update,) = _entries("area.update")
    assert update.before["head"].endswith("(mgr)") and update.after == {"name": "东部片区", "head": None}

    group = client.post(
        "/admin/work-groups/new", data={"code": "PQ02-G1", "name": "东一组", "area_id": area_id}
    )
    assert group.status_code == 302
    group_id = db.session.scalar(select(WorkGroup.id).where(WorkGroup.code == "PQ02-G1"))
    client.post(
        f"/admin/work-groups/{group_id}", data={"name": "东一组", "area_id": area_id, "leader": "insp"}
    )
    assert "组长" in _html(client.get(f"/admin/work-groups/{group_id}"))
    assert _entries("work_group.update")[-1].after["leader"].endswith("(insp)")
    duplicate = client.post(
        "/admin/work-groups/new", data={"code": "PQ02-G1", "name": "x", "area_id": area_id}
    )
    assert duplicate.status_code == 409 and "PQ02-G1" in _html(duplicate)
    listed = _html(client.get("/admin/areas"))
    assert 'data-code="PQ02"' in listed and 'data-code="PQ02-G1"' in listed


def test_moving_unit_grids_needs_a_confirm_and_new_reports_follow(create_mini_city, client, login):
    city = create_mini_city()
    login("admin")
    wg02 = city["work_grids"][1]
    moving = _grids_of("WG02")[:3]
    centre = moving[0].geom.representative_point()
    # A case reported before the move keeps its work grid.
    before = submit_report(
        Report(category="E0102", lon=centre.x, lat=centre.y, source="hotline"), city["users"]["operator"]
    ).case
    db.session.commit()
    assert before.work_grid_id == wg02.id
    count_02 = len(_grids_of("WG02"))
    area_id = db.session.scalar(select(Area.id))
    created = client.post(
        "/admin/work-grids/new", data={"code": "WG03", "name": "工作网格3", "area_id": area_id}
    )
    assert created.status_code == 302
    wg03 = db.session.scalar(select(WorkGrid).where(WorkGrid.code == "WG03"))
    ids = [g.id for g in moving]

    preview = client.post(f"/api/v1/work-grids/{wg03.id}/unit-grids/preview", json={"unit_grid_ids": ids})
    assert preview.status_code == 200
    body = preview.get_json()
    assert body["before"] == 0 and body["after"] == 3 and body["removed"] == []
    assert body["moved_from"] == [
        {"id": wg02.id, "code": "WG02", "name": "工作网格2", "unit_grids": [g.code for g in moving]}
    ]
    refused = client.put(f"/api/v1/work-grids/{wg03.id}/unit-grids", json={"unit_grid_ids": ids})
    assert refused.status_code == 409 and "工作网格2 (WG02): 3" in refused.get_json()["message"]
    assert _grids_of("WG03") == []
    saved = client.put(
        f"/api/v1/work-grids/{wg03.id}/unit-grids", json={"unit_grid_ids": ids, "confirm_moves": True}
    )
    assert saved.status_code == 200
    db.session.expire_all()
    assert [g.code for g in _grids_of("WG03")] == [g.code for g in moving]
    assert len(_grids_of("WG02")) == count_02 - 3
    wg03, wg02 = db.session.get(WorkGrid, wg03.id), db.session.get(WorkGrid, wg02.id)
    assert wg03.geom.covers(centre) and not wg02.geom.contains(centre)
    mine, theirs = _entries("work_grid.unit_grids")
    assert mine.object_label == "工作网格3 (WG03)" and mine.before == {"unit_grid_count": 0}
    assert mine.after == {"unit_grid_count": 3, "added_unit_grids": [g.code for g in moving]}
    assert theirs.after["moved_to"] == "工作网格3 (WG03)" and theirs.after["unit_grid_count"] == count_02 - 3

    # The locator follows at once; the old case keeps WG02, a new one is in WG03.
    assert locate(centre.x, centre.y).work_grid_id == wg03.id
    after = submit_report(
        Report(category="E0102", lon=centre.x, lat=centre.y, source="hotline"), city["users"]["operator"]
    ).case
    db.session.commit()
    assert after.work_grid_id == wg03.id
    db.session.refresh(before)
    assert before.work_grid_id == wg02.id

    # The list shows the counts and the inspectors, linked to their pages.
    listed = client.get("/api/v1/work-grids").get_json()
    counts = {w["code"]: w["unit_grid_count"] for w in listed}
    assert counts["WG03"] == 3 and counts["WG02"] == count_02 - 3
    page = _html(client.get("/admin/work-grids"))
    insp = city["users"]["inspector"]
    assert f'href="/admin/people/{insp.id}" data-testid="inspector">{insp.display_name}<' in page
    history = _html(client.get(f"/admin/work-grids/{wg03.id}"))
    assert "单元网格数：0 → 3" in history

    # Taking all of them out leaves them in no work grid (said in the preview).
    emptied = client.post(f"/api/v1/work-grids/{wg03.id}/unit-grids/preview", json={"unit_grid_ids": []})
    assert emptied.get_json()["removed"] == [g.code for g in moving]


def test_bad_work_grid_input_gets_a_clear_4xx(create_mini_city, client, login):
    city = create_mini_city()
    login("admin")
    wg01 = city["work_grids"][0].id
    url = f"/api/v1/work-grids/{wg01}/unit-grids"
    cases = [
        (client.put(url, json={"unit_grid_ids": [999999]}), 422, "未知的单元网格"),
        (client.put(url, json={"unit_grid_ids": ["1"]}), 400, "unit_grid_ids"),
        (client.put(url, json={}), 400, "unit_grid_ids"),
        (client.put("/api/v1/work-grids/99999/unit-grids", json={"unit_grid_ids": []}), 404, "工作网格"),
        (
            client.post("/admin/work-grids/new", data={"code": "WG01", "name": "x", "area_id": "1"}),
            409,
            "WG01",
        ),
        (client.post("/admin/work-grids/new", data={"code": "W9", "name": "x", "area_id": "x"}), 400, "片区"),
        (client.post(f"/admin/work-grids/{wg01}", data={"name": "", "area_id": "1"}), 400, "名称"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, (response.status_code, _html(response)[:300])
        assert words in _html(response)
    assert (
        db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("work_grid.%"))) == 0
    )


def test_the_commands_share_the_services(create_mini_city, runner):
    create_mini_city()
    refused = runner.invoke(args=["org", "deactivate-unit", "--code", "HW"])
    assert refused.exit_code == 1 and "E0102" in refused.output
    changed = runner.invoke(args=["org", "update-unit", "--code", "SZ", "--contact-phone", "12345"])
    assert changed.exit_code == 0, changed.output
    assert _entries("unit.update")[-1].after == {"contact_phone": "12345"}
    assert _entries("unit.update")[-1].actor_id is None
    made = runner.invoke(args=["geo", "create-work-grid", "--code", "WG09", "--name", "九", "--area", "PQ01"])
    assert made.exit_code == 0, made.output
    code = _grids_of("WG01")[0].code
    moved = runner.invoke(args=["geo", "assign-unit-grids", "--work-grid", "WG09", code])
    assert moved.exit_code == 1 and "WG01" in moved.output
    moved = runner.invoke(args=["geo", "assign-unit-grids", "--work-grid", "WG09", code, "--confirm-moves"])
    assert moved.exit_code == 0 and "0 → 1 unit grids" in moved.output and "1 moved" in moved.output
    assert [g.code for g in _grids_of("WG09")] == [code]
    led = runner.invoke(args=["geo", "update-area", "--code", "PQ01", "--head", "mgr"])
    assert led.exit_code == 0 and _entries("area.update")[-1].after["head"].endswith("(mgr)")
