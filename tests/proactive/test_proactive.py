"""Proactive tasks (主动治理) through the API and the CLI, on SQLite and
PostGIS: a manager turns a hotspot's cases into a task for a unit with a
deadline; it is a case filed and dispatched at once, in the unit's queue
with that deadline, its basis kept, its history in words, handled, checked
and closed like any case, and counted as the unit's dispatched work but as
no report; bad input and other roles are refused with a message."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from alembic import command
from openpyxl import load_workbook
from sqlalchemy import func, select

from gridcity.cases.history import differences
from gridcity.core.clock import utcnow
from gridcity.core.migrate import alembic_config
from gridcity.extensions import db
from gridcity.proactive.models import ProactiveTask
from tests.cases.conftest import MONDAY_10AM, WEST, jpeg_bytes

# Three days on: Thursday 3 December 2026, 18:00 in Shenzhen.
DEADLINE = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
NEAR_WEST = [(WEST[0] + dx, WEST[1] + dy) for dx, dy in ((0, 0), (0.0004, 0.0002), (-0.0003, -0.0002))]


def raise_task(client, case_ids, unit_id, **fields):
    body = {
        "title": "西社区暴露垃圾集中清理",
        "description": "三处垃圾反复堆放，一并清理并设置提示牌",
        "unit_id": unit_id,
        "deadline": DEADLINE.isoformat(),
        "basis": {"kind": "hotspot", "id": "H-2026-11-07", "case_ids": case_ids},
        **fields,
    }
    return client.post("/api/v1/proactive-tasks", json=body)


def hotspot_cases(api, n=3) -> list[dict]:
    """An inspector's reports of exposed garbage around one place (a hotspot)."""
    inspector = api("insp")
    return [inspector.report("E0102", position).get_json() for position in NEAR_WEST[:n]]


def test_a_task_from_a_hotspot_goes_round_the_loop_and_bad_input_is_refused(city, api, client, runner):
    # One mini city for both halves (the suite's time budget).
    basis = hotspot_cases(api)
    municipal = city["units"]["municipal"].id  # not the unit the rules pick (西街道办)
    api("mgr")
    response = raise_task(client, [c["id"] for c in basis], municipal)
    assert response.status_code == 201, response.get_json()
    task = response.get_json()
    assert task["state"] == "dispatched" and task["unit"]["name"] == "市政所"
    assert task["deadline_at"] == DEADLINE.isoformat()
    assert task["category"]["code"] == "E0102"  # the basis cases' category
    assert task["basis"] == {
        "kind": "hotspot",
        "ref": "H-2026-11-07",
        "case_ids": sorted(c["id"] for c in basis),
    }
    # Kept in its table, its case at the basis cases' centre in the west street.
    row = db.session.scalar(select(ProactiveTask).where(ProactiveTask.id == task["id"]))
    assert [c.id for c in row.basis_cases] == sorted(c["id"] for c in basis)
    assert row.case.source == "proactive" and row.case.street_id == city["streets"][0].id
    assert row.case.address == "西街道西社区"
    assert differences(row.case) == {}  # the case row is the replay of its history

    # The history names who raised it from what, then the dispatch to the unit.
    case_id = task["case"]["id"]
    detail = client.get(f"/api/v1/cases/{case_id}").get_json()
    lines = [
        (h["line"]["who"], h["line"]["what"], h["line"]["unit"], h["line"]["why"]) for h in detail["history"]
    ]
    assert lines[0][1:] == ("根据热点发起主动治理（依据 3 件案卷）", None, "西社区暴露垃圾集中清理")
    assert lines[0][0].endswith("（管理者）")
    assert lines[1][1:3] == ("派遣", "市政所")

    # The centers' drawer shows it as a proactive task with its basis cases.
    api("disp")
    drawer = client.get(f"/api/v1/dispatch/cases/{case_id}").get_json()
    assert drawer["source"] == "proactive"
    assert drawer["proactive"]["title"] == "西社区暴露垃圾集中清理" and drawer["proactive"]["case_count"] == 3
    assert [c["number"] for c in drawer["proactive"]["cases"]] == [c["number"] for c in basis]
    listed = client.get("/api/v1/proactive-tasks").get_json()
    assert listed["total"] == 1 and listed["tasks"][0]["state"] == "dispatched"

    # The unit finds it in its queue, with the deadline, and handles it.
    sz = api("sz")
    queue = client.get("/api/v1/dispatch/map").get_json()
    mine = [dict(zip(queue["fields"], r, strict=True)) for r in queue["cases"]]
    assert [(c["id"], c["state"]) for c in mine] == [(case_id, "dispatched")]
    case = client.get(f"/api/v1/cases/{case_id}").get_json()
    assert case["deadline_at"] == DEADLINE.isoformat()
    case = sz.act(case, "unit_accept").get_json()
    case = sz.act(case, "handle", photos=[jpeg_bytes()], note="已清理，设置提示牌").get_json()
    assert case["state"] == "handled"
    # The check goes to the inspector of the grid it lies in; then the close.
    checked = api("insp").act(case, "check", photos=[jpeg_bytes()], result="pass")
    case = checked.get_json()
    assert checked.status_code == 200 and case["state"] == "checked", case
    case = api("lead").act(case, "close").get_json()
    assert case["state"] == "closed"
    api("mgr")
    assert client.get("/api/v1/proactive-tasks").get_json()["tasks"][0]["state"] == "closed"
    # The list as a workbook: the page's columns, in words, the basis a number.
    export = client.get("/api/v1/proactive-tasks/export.xlsx")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(export.data)).active
    header = [c.value for c in sheet[4]]
    row = dict(zip(header, [c.value for c in sheet[5]], strict=True))
    assert row["案卷编号"] == case["number"] and row["任务名称"] == "西社区暴露垃圾集中清理"
    assert row["状态"] == "已结案" and row["责任单位"] == "市政所" and row["依据案卷"] == 3
    assert sheet.max_row == 5

    # Counted as the unit's dispatched and handled work, as no report (DOMAIN §7.1).
    from gridcity.scorecards.counting.engine import count_month, month_bounds
    from gridcity.scorecards.scoring.indicators import DEFAULT_DOCUMENT

    counts = count_month(*month_bounds("2026-11"), DEFAULT_DOCUMENT["limits_minutes"]).by_tier
    assert {
        k: counts["unit"][municipal][k] for k in ("dispatched", "handled", "handled_on_time", "closed")
    } == {
        "dispatched": 1,
        "handled": 1,
        "handled_on_time": 1,
        "closed": 1,
    }
    district = counts["district"][city["district"].id]
    assert (district["reported"], district["filed"], district["dispatched"]) == (3, 0, 1)
    assert counts["inspector"][city["users"]["inspector"].id]["missed"] == 0
    # The scorecards' independent recount (DOMAIN §7.1 read afresh) agrees.
    from tests.scorecards.recount.counter import recount

    again = recount("2026-11", utcnow())
    district_id = city["district"].id
    for tier, subject in (("unit", municipal), ("district", district_id)):
        assert {k: len(v) for k, v in again[(tier, subject)].items() if v} == {
            k: n for k, n in counts[tier][subject].items() if n
        }, tier

    refusals(city, api, client, basis[:2])
    through_the_cli(runner, basis[:2])

    # Going back before migration 0022 refuses while such cases exist, changing nothing.
    url = db.engine.url.render_as_string(hide_password=False)
    db.session.remove()
    try:
        with pytest.raises(RuntimeError, match="proactive tasks"):
            command.downgrade(alembic_config(url), "0021_open311_updates")
    finally:
        # The later migrations it went back through first (SQLite's DDL is not
        # rolled back with the refusal) come back, for the worker's next tests.
        command.upgrade(alembic_config(url), "head")
    assert db.session.scalar(select(func.count(ProactiveTask.id))) == 3


def refusals(city, api, client, basis):
    """Other roles, bad input and a request without the CSRF token are
    refused with a message, and make nothing; the form says so on the form."""
    ids = [c["id"] for c in basis]
    sanitation = city["units"]["sanitation"].id
    for who in ("disp", "lead", "hw", "insp"):
        api(who)
        assert raise_task(client, ids, sanitation).status_code == 403, who
    api("insp")
    assert client.get("/api/v1/proactive-tasks").status_code == 403
    assert client.get("/api/v1/proactive-tasks/export.xlsx").status_code == 403
    api("mgr")

    def refused(status, key, **fields):
        response = raise_task(
            client, fields.pop("case_ids", ids), fields.pop("unit_id", sanitation), **fields
        )
        assert response.status_code == status, response.get_json()
        assert response.get_json()["error"] == key, response.get_json()
        return response.get_json()["message"]

    assert "任务名称" in refused(400, "proactive_title_required", title="  ")
    refused(400, "bad_request", title=None)
    refused(422, "unknown_unit", unit_id=999_999)
    past = (MONDAY_10AM - dt.timedelta(hours=1)).isoformat()
    assert "晚于现在" in refused(422, "proactive_deadline_past", deadline=past)
    assert "999999" in refused(422, "proactive_unknown_cases", case_ids=[*ids, 999_999])
    # A report merged into another case is not a basis of its own.
    other = api("insp").report("E0102", WEST).get_json()
    api("op").act(other, "merge", into_number=basis[0]["number"])
    api("mgr")
    assert other["number"] in refused(422, "proactive_foreign_cases", case_ids=[*ids, other["id"]])
    # Cases of two categories: the manager names the task's category.
    lamp = api("insp").report("C0101", WEST).get_json()
    api("mgr")
    assert "类别" in refused(400, "proactive_category_required", case_ids=[*ids, lamp["id"]])
    refused(400, "bad_request", basis={"kind": "rumour", "id": "x", "case_ids": ids})
    # Without the session's CSRF token nothing is made.
    client.auto_csrf = False
    client.environ_base.pop("HTTP_X_CSRFTOKEN", None)
    assert raise_task(client, ids, sanitation).status_code in (400, 403)
    client.auto_csrf = True
    assert db.session.scalar(select(func.count(ProactiveTask.id))) == 1  # the one made above

    # The form says what is wrong, on the form, keeping what was typed.
    form = {"basis": "hotspot", "id": "H-1", "cases": ",".join(map(str, ids)), "title": ""}
    form |= {
        "description": "先清理",
        "unit_id": str(sanitation),
        "deadline": "2026-12-03T18:00",
        "category": "",
    }
    page = client.post("/proactive/new", data=form)
    assert page.status_code == 400 and "请填写任务名称" in page.get_data(as_text=True)
    assert "先清理" in page.get_data(as_text=True)
    page = client.post("/proactive/new", data=form | {"title": "清理", "deadline": "2026-11-30T09:00"})
    assert page.status_code == 422 and "处置时限须晚于现在" in page.get_data(as_text=True)
    assert client.get("/proactive/new?basis=hotspot&id=H-1&cases=1,x").status_code == 400
    # Sent right, it makes the task where the chosen basis case is, and lists it.
    page = client.post("/proactive/new", data=form | {"title": "清理", "place": str(ids[1])})
    assert page.status_code == 302 and "/proactive/?created=" in page.headers["Location"]
    made = db.session.scalar(select(ProactiveTask).where(ProactiveTask.basis_ref == "H-1"))
    assert (made.case.lon, made.case.lat) == (basis[1]["lon"], basis[1]["lat"])
    listed = client.get(page.headers["Location"]).get_data(as_text=True)
    assert f"已发起：案卷 {made.case.number} 已派遣至 环卫处。" in listed and "已派遣" in listed


def through_the_cli(runner, basis):
    """The CLI goes through the same service, by case numbers and unit code."""
    numbers = ",".join(c["number"] for c in basis)
    args = ["proactive", "create", "--by", "mgr", "--title", "东西街道小广告清理", "--unit", "HW"]
    args += ["--basis", "recurrence", "--id", "R-5", "--cases", numbers]
    result = runner.invoke(args=[*args, "--deadline", "2026-11-29 18:00"])
    assert result.exit_code == 1 and "deadline must lie in the future" in result.output
    result = runner.invoke(args=[*args, "--deadline", "2026-12-04 18:00"])
    assert result.exit_code == 0, result.output
    assert "dispatched to 环卫处, due 2026-12-04 18:00" in result.output
    task = db.session.scalar(select(ProactiveTask).where(ProactiveTask.basis_ref == "R-5"))
    assert (task.basis_kind, task.basis_ref, task.case.deadline_at) == (
        "recurrence",
        "R-5",
        dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC),
    )
    assert task.case.deadline_at > utcnow()
