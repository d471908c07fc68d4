"""Categories and responsibility rules as the admin console, the API and the
CLI edit them (issue 17, item 3): each change checked (a clear 4xx naming
the field), audited with before → after, and followed by the next case
while running cases keep their deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gridcity.audit.models import AuditEntry
from gridcity.audit.words import describe
from gridcity.cases import services as cases
from gridcity.cases.models import CaseTask
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.geo import services as geo
from gridcity.geo.models import UnitGrid
from gridcity.org.services import get_user
from tests.cases.conftest import EAST, MONDAY_10AM, WEST, report_photo


@pytest.fixture
def city(create_mini_city):
    clock.freeze(MONDAY_10AM)
    yield create_mini_city()
    clock.freeze(None)


def dispatched(category: str, where=WEST):
    """A case reported by the west inspector, accepted, filed and dispatched now."""
    case = cases.submit_report(cases.Report(category, *where, photos=[report_photo()]), get_user("insp")).case
    cases.accept(case, get_user("op"))
    cases.file_case(case, get_user("lead"))
    cases.dispatch(case, get_user("disp"))
    db.session.commit()
    return case


def audit_lines(action: str) -> list[str]:
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    )
    return [
        f"{e['actor']} {e['object']}: "
        + "; ".join(f"{c['field']}：{c['before']} → {c['after']}" for c in e["changes"])
        for e in describe(list(entries), "zh")
    ]


def test_the_console_api_and_cli_edit_categories_and_rules(city, client, login, runner):
    """One mini city for both (each costs seconds on each database)."""
    login("admin")
    a_category_edit_is_checked_audited_and_applies_from_the_next_dispatch(client)
    rules_are_set_moved_removed_and_tested_at_a_point(city, client, runner)
    step_deadlines_are_checked_audited_and_apply_to_the_next_task(client, runner)


def a_category_edit_is_checked_audited_and_applies_from_the_next_dispatch(client):
    before = dispatched("E0102")  # 4 working hours from Monday 10:00
    old_deadline = before.deadline_at
    page = client.get("/admin/categories/E0102")
    assert (
        page.status_code == 200
        and 'name="deadline_amount" inputmode="decimal" value="4"' in page.get_data(as_text=True)
    )

    # Refused on the page beside the field, and through the API; nothing changes.
    form = {"deadline_clock": "emergency_hours", "deadline_amount": "0", "name_zh": "暴露垃圾"}
    refused = client.post("/admin/categories/E0102", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="deadline_amount-error"' in html and "大于 0" in html
    for body in ({"duplicate_radius_m": 5000}, {"name_zh": "   "}, {"inspector_min_photos": 12}):
        answer = client.patch("/api/v1/categories/E0102", json=body)
        assert answer.status_code == 400 and answer.get_json()["error"] == "bad_request", body
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "category.update")).all() == []

    # Saved on the page: emergency hours, 72 of them; a radius through the API.
    saved = client.post("/admin/categories/E0102", data={**form, "deadline_amount": "72"})
    assert saved.status_code == 302 and "done=saved" in saved.headers["Location"]
    assert client.patch("/api/v1/categories/E0102", json={"duplicate_radius_m": 80}).status_code == 200
    lines = audit_lines("category.update")
    assert len(lines) == 2
    assert "计时方式：工作小时 → 紧急工作时（全天计时）" in lines[0] and "处置时限：4 → 72" in lines[0]
    assert "疑似重复半径（米）：50 → 80" in lines[1]
    assert "修改案件类别" in client.get("/admin/categories/E0102").get_data(as_text=True)

    # The running case keeps its deadline; the next one runs 72 hours round the clock.
    after = dispatched("E0102", EAST)
    db.session.refresh(before)
    assert before.deadline_at == old_deadline
    assert after.deadline_at == MONDAY_10AM + dt.timedelta(hours=72)


def rules_are_set_moved_removed_and_tested_at_a_point(city, client, runner):
    units, west_street = city["units"], city["streets"][0]
    x, y = WEST
    route = client.get(f"/api/v1/route?category=E0102&lon={x}&lat={y}").get_json()
    assert route["unit"]["name"] == "西街道办" and route["rule"]["place"] == "西街道"

    # Move the street's rule to sanitation on the page: test a point and the next dispatch follow.
    rule_id = route["rule"]["id"]
    page = client.get("/admin/rules?category=E0102").get_data(as_text=True)
    assert 'data-place="西街道"' in page and 'data-place="盐田区"' in page
    assert client.post(f"/admin/rules/{rule_id}/move", data={"unit": "HW"}).status_code == 302
    route = client.get(f"/api/v1/route?category=E0102&lon={x}&lat={y}").get_json()
    assert (route["unit"]["name"], route["rule"]["id"]) == ("环卫处", rule_id)
    assert dispatched("E0102").unit_id == units["sanitation"].id

    # A unit grid's rule, added by its code, wins there; an unknown code is refused.
    grid_code = db.session.scalar(select(UnitGrid.code).where(UnitGrid.id == geo.locate(x, y).unit_grid_id))
    bad = client.post("/admin/rules/new", data={"category": "E0102", "unit_grid": "999", "unit": "SZ"})
    assert bad.status_code == 422 and "999" in bad.get_data(as_text=True)
    added = client.post("/admin/rules/new", data={"category": "E0102", "unit_grid": grid_code, "unit": "SZ"})
    assert added.status_code == 302
    route = client.get(f"/api/v1/route?category=E0102&lon={x}&lat={y}").get_json()
    assert (route["unit"]["name"], route["rule"]["place_kind"], route["rule"]["place"]) == (
        "市政所",
        "unit_grid",
        grid_code,
    )

    # The map draws the district first, the unit grid last (on top).
    shapes = client.get("/api/v1/responsibility-map?category=E0102").get_json()["features"]
    assert [f["properties"]["place_kind"] for f in shapes] == ["district", "street", "unit_grid"]

    # Removed through the API, the street's rule answers again; the CLI removes another.
    new_id = route["rule"]["id"]
    assert client.delete(f"/api/v1/responsibility-rules/{new_id}").status_code == 200
    assert client.delete(f"/api/v1/responsibility-rules/{new_id}").status_code == 404
    assert client.patch(f"/api/v1/responsibility-rules/{rule_id}", json={"unit": "NOPE"}).status_code == 422
    assert client.get(f"/api/v1/route?category=E0102&lon={x}&lat={y}").get_json()["unit"]["name"] == "环卫处"
    assert runner.invoke(args=["taxonomy", "remove-rule", "--id", str(rule_id)]).exit_code == 0
    db.session.expire_all()
    route = client.get(f"/api/v1/route?category=E0102&lon={x}&lat={y}").get_json()
    assert route["rule"]["place"] == "盐田区" and route["unit"]["name"] == "环卫处"

    # Each change audited, before → after, by who did it (the CLI as the system).
    assert audit_lines("rule.update") == ["admin E0102 暴露垃圾 · 西街道: 责任单位：西街道办 → 环卫处"]
    assert audit_lines("rule.create") == [
        f"admin E0102 暴露垃圾 · {grid_code}: "
        + "; ".join(
            [
                "案件类别：— → E0102 暴露垃圾",
                "地点类型：— → 单元网格",
                f"地点：— → {grid_code}",
                "责任单位：— → 市政所",
            ]
        )
    ]
    removed = audit_lines("rule.delete")
    assert len(removed) == 2 and removed[1].startswith("系统（命令行） E0102 暴露垃圾 · 西街道")
    assert "责任单位：环卫处 → —" in removed[1] and west_street.name == "西街道"


def step_deadlines_are_checked_audited_and_apply_to_the_next_task(client, runner):
    page = client.get("/admin/categories").get_data(as_text=True)
    assert 'name="verify-step_amount" inputmode="decimal" size="8" value="2"' in page  # the default
    form = {
        "verify-step_clock": "emergency_hours",
        "verify-step_amount": "3",
        "check-warning_fraction": "150",
    }
    refused = client.post("/admin/deadlines", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="check-warning_fraction-error"' in html and "100%" in html
    assert audit_lines("deadline_policy.update") == []
    saved = client.post("/admin/deadlines", data={**form, "check-warning_fraction": "80"})
    assert saved.status_code == 302
    cli = runner.invoke(args=["taxonomy", "set-step-deadline", "--step", "escalate", "--amount", "12"])
    assert cli.exit_code == 0, cli.output
    assert audit_lines("deadline_policy.update") == [
        "admin 核实: 计时方式：工作小时 → 紧急工作时（全天计时）; 时限：2 → 3",
        "admin 核查: 预警点（占时限比例）：0.75 → 0.8",
        "系统（命令行） 督办（超期后）: 时限：24 → 12",
    ]
    # The next verify task (a hotline report, accepted) has 3 hours round the clock.
    case = cases.submit_report(cases.Report("E0102", *EAST, source="hotline"), get_user("op")).case
    cases.accept(case, get_user("op"))
    db.session.commit()
    task = db.session.scalar(select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.kind == "verify"))
    assert task.due_at == MONDAY_10AM + dt.timedelta(hours=3)
