"""Appeals (考核申诉, DOMAIN.md §7.1 rule 11): a unit or a person contests a
counted case of a frozen month within the window of working days; the
assessment office accepts or rejects; an accepted appeal changes the
figures only through the month's next version, whose reason names it."""

from __future__ import annotations

import io
import json
import re

import pytest

from gridcity.extensions import db
from gridcity.org.models import Unit
from gridcity.org.services import get_user
from gridcity.scorecards.snapshots import appeals, services
from tests.cases.conftest import jpeg_bytes
from tests.scorecards.conftest import build_september, local

MONTH = "2026-09"


@pytest.fixture
def september(driver):
    """September lived and frozen (version 1), on 8 October (the first
    working day after the National Day holidays)."""
    ids = build_september(driver)
    driver.at(local(8, 9, month=10))
    services.freeze_month(MONTH)
    db.session.commit()
    return ids


def unit_id(code: str) -> int:
    return db.session.scalar(db.select(Unit.id).where(Unit.code == code))


def row(tier: str, subject_id: int, version: int | None = None):
    table = services.month_scorecard(MONTH, tier, version)
    return next(r for r in table.rows if r.subject_id == subject_id)


def appeal_body(**fields) -> dict:
    return {"month": MONTH, "reason": "该案超期系因道路施工封闭，非我单位原因", **fields}


def test_accepted_unit_appeal_changes_the_figure_only_in_version_2(app, september, client, login):
    ids, hw = september, unit_id("HW")
    before = row("unit", hw)
    assert before.counts["overdue"] == 1  # case I: overdue at HW and still open
    assert appeals.counted_cases(MONTH, "unit", hw, "overdue") == [ids["I"]]

    login("hw")
    response = client.post(
        "/api/v1/scorecards/appeals",
        data={
            "data": json.dumps(appeal_body(tier="unit", subject_id=hw, count="overdue", case_id=ids["I"])),
            "photos": [(io.BytesIO(jpeg_bytes()), "site.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    appeal = response.get_json()
    assert (appeal["state"], appeal["state_text"], appeal["subject_name"]) == ("pending", "待审核", "环卫处")
    assert appeal["figure"] == "超期数" and len(appeal["photo_ids"]) == 1
    photo = client.get(f"/api/v1/scorecards/appeals/photos/{appeal['photo_ids'][0]}")
    assert (photo.status_code, photo.mimetype) == (200, "image/jpeg")
    photo.close()
    # Nothing changes while it waits.
    assert row("unit", hw).to_dict() == before.to_dict()

    login("mgr")
    queue = client.get("/api/v1/scorecards/appeals?state=pending").get_json()
    assert [a["id"] for a in queue] == [appeal["id"]]
    response = client.post(
        f"/api/v1/scorecards/appeals/{appeal['id']}/decide", json={"accept": True, "note": "情况属实"}
    )
    assert response.status_code == 200, response.get_json()
    decision = response.get_json()
    assert decision["appeal"]["state"] == "accepted" and decision["appeal"]["applied_version"] == 2
    number = decision["appeal"]["case_number"]
    assert decision["version"]["version"] == 2
    assert decision["version"]["reason_text"] == f"考核申诉受理：案卷 {number}（环卫处 · 超期数）"

    after = row("unit", hw)
    assert after.counts["overdue"] == 0
    assert after.counts["overdue_open"] == 0
    assert after.counts["should_close"] == before.counts["should_close"] - 1
    assert after.score >= before.score
    assert row("unit", hw, version=1).to_dict() == before.to_dict()  # version 1 unchanged
    assert appeals.counted_cases(MONTH, "unit", hw, "overdue") == []
    assert appeals.counted_cases(MONTH, "unit", hw, "overdue", version=1) == [ids["I"]]
    # The case still counts everywhere else: its street keeps the overdue.
    east = next(r for r in services.month_scorecard(MONTH, "street").rows if r.subject_code == "440308002")
    assert east.counts["overdue"] == 1
    # The API's drill-down follows the latest version.
    got = client.get(f"/api/v1/scorecards/months/{MONTH}/cases?tier=unit&subject_id={hw}&count=overdue")
    assert got.get_json()["case_ids"] == []
    versions = client.get(f"/api/v1/scorecards/months/{MONTH}/versions", headers={"Accept-Language": "en"})
    assert versions.get_json()[-1]["reason_text"] == f"Accepted appeals: case {number} (环卫处 · Overdue)"

    # The handler sees the outcome and the history: who did what when.
    login("hw")
    mine = client.get("/api/v1/scorecards/appeals").get_json()
    assert [(a["state_text"], a["decision_note"]) for a in mine] == [("已受理", "情况属实")]
    steps = [(s["action_text"], s["actor_role"], s["version"]) for s in mine[0]["history"]]
    assert steps == [("提出申诉", "责任单位", None), ("受理", "管理者", None), ("生成新版本", "管理者", 2)]


def test_a_later_recomputation_keeps_the_accepted_appeals(app, september):
    ids, hw = september, unit_id("HW")
    appeal = appeals.file_appeal(get_user("hw"), MONTH, "unit", hw, "overdue", ids["I"], "施工封路")
    appeals.decide(get_user("mgr"), appeal.id, True, "")
    services.recompute(MONTH, "补录", get_user("mgr"))
    db.session.commit()
    assert [v.version for v in services.versions(MONTH)] == [1, 2, 3]
    assert row("unit", hw).counts["overdue"] == 0
    assert row("unit", hw, version=1).counts["overdue"] == 1


def test_an_inspector_contests_a_missed_report(app, september):
    """insp2's missed reports: C (hotline) and L (another grid's inspector)."""
    ids, insp2 = september, get_user("insp2")
    before = row("inspector", insp2.id)
    assert before.counts["missed"] == 2
    appeal = appeals.file_appeal(insp2, MONTH, "inspector", insp2.id, "missed", ids["L"], "同一问题我已先行上报")
    appeals.decide(get_user("mgr"), appeal.id, True, "核实属实")
    db.session.commit()
    after = row("inspector", insp2.id)
    assert (after.counts["missed"], after.counts["grid_valid"]) == (1, before.counts["grid_valid"])
    assert after.score > before.score
    # Another inspector's figures are not touched.
    insp = get_user("insp")
    now, then = row("inspector", insp.id), row("inspector", insp.id, version=1)
    assert (now.counts, now.score) == (then.counts, then.score)


def test_a_contested_dispatch_leaves_its_on_time_part_too(app, september):
    """A dispatcher contests a dispatch: it leaves "dispatched" and, where it
    was on time, "dispatched_on_time" too — no rate above 100 %."""
    ids, disp = september, get_user("disp")
    before = row("dispatcher", disp.id)
    case = ids["A"]  # dispatched 10 minutes after filing: on time
    assert case in appeals.counted_cases(MONTH, "dispatcher", disp.id, "dispatched_on_time")
    appeal = appeals.file_appeal(disp, MONTH, "dispatcher", disp.id, "dispatched", case, "系统故障重复派遣")
    appeals.decide(get_user("mgr"), appeal.id, True, "")
    db.session.commit()
    after = row("dispatcher", disp.id)
    assert after.counts["dispatched"] == before.counts["dispatched"] - 1
    assert after.counts["dispatched_on_time"] == before.counts["dispatched_on_time"] - 1
    assert case not in appeals.counted_cases(MONTH, "dispatcher", disp.id, "dispatched_on_time")


def test_a_rejected_appeal_makes_no_version(app, september, client, login):
    ids, hw = september, unit_id("HW")
    login("hw")
    appeal = client.post(
        "/api/v1/scorecards/appeals",
        json=appeal_body(tier="unit", subject_id=hw, count="handled", case_id=ids["B"]),
    ).get_json()
    login("mgr")
    url = f"/api/v1/scorecards/appeals/{appeal['id']}/decide"
    refused = client.post(url, json={"accept": False, "note": "  "})
    assert refused.status_code == 400
    assert refused.get_json()["message"] == "驳回申诉时请填写处理意见。"
    response = client.post(url, json={"accept": False, "note": "返工属实，不予支持"})
    assert response.status_code == 200
    assert response.get_json()["version"] is None
    assert [v.version for v in services.versions(MONTH)] == [1]
    again = client.post(url, json={"accept": True})
    assert again.status_code == 409
    assert again.get_json()["message"] == "此申诉已处理（已驳回），不能再次处理。"


def test_refusals_say_what_is_wrong(app, september, client, login):
    ids, hw, sz = september, unit_id("HW"), unit_id("SZ")
    url = "/api/v1/scorecards/appeals"
    login("hw")
    # Another unit's figure.
    other = client.post(url, json=appeal_body(tier="unit", subject_id=sz, count="returned", case_id=ids["G"]))
    assert other.status_code == 403
    assert other.get_json()["message"] == "只能对本人（或本单位）的考核数据申诉。"
    # Another unit's cases are not theirs to list either.
    cases = client.get(f"/api/v1/scorecards/months/{MONTH}/cases?tier=unit&subject_id={sz}&count=returned")
    assert cases.status_code == 403
    # A case not in that figure (A was handled by the west street office).
    response = client.post(url, json=appeal_body(tier="unit", subject_id=hw, count="handled", case_id=ids["A"]))
    assert response.status_code == 422
    assert "不在环卫处的“处置数”中" in response.get_json()["message"]
    # A derived figure.
    response = client.post(url, json=appeal_body(tier="unit", subject_id=hw, count="should_close", case_id=ids["I"]))
    assert response.status_code == 400
    # No reason.
    response = client.post(url, json={**appeal_body(tier="unit", subject_id=hw, count="overdue", case_id=ids["I"]), "reason": " "})
    assert (response.status_code, response.get_json()["message"]) == (400, "请填写申诉理由。")
    # The month not frozen (October, live).
    response = client.post(url, json={**appeal_body(tier="unit", subject_id=hw, count="overdue", case_id=ids["I"]), "month": "2026-08"})
    assert response.status_code == 409
    assert response.get_json()["message"] == "2026-08 的考核结果尚未冻结，冻结后才能申诉。"
    # Twice the same.
    body = appeal_body(tier="unit", subject_id=hw, count="overdue", case_id=ids["I"])
    assert client.post(url, json=body).status_code == 201
    twice = client.post(url, json=body)
    assert twice.status_code == 409
    assert "已提出过申诉（待审核）" in twice.get_json()["message"]
    # Roles: a unit handler does not decide; a manager does not appeal.
    appeal_id = client.get(url).get_json()[0]["id"]
    assert client.post(f"{url}/{appeal_id}/decide", json={"accept": True}).status_code == 403
    login("mgr")
    assert client.post(url, json=body).status_code == 403
    # Someone else's appeal is not theirs to see.
    login("sz")
    assert client.get(f"{url}/{appeal_id}").status_code == 404
    assert client.get(url).get_json() == []
    # Bad input is a 400, never a 500.
    assert client.post(url, json={"month": "2026-9", "tier": "unit"}).status_code == 400
    login("mgr")
    assert client.post(f"{url}/{appeal_id}/decide", json={"accept": "yes"}).status_code == 400
    assert client.post(f"{url}/999999/decide", json={"accept": True}).status_code == 404


def test_the_window_counts_working_days_on_the_calendar(app, september, driver, client, login):
    """5 working days after September 2026: 1–7 October are holidays, 10
    October a make-up workday, so the window ends with 13 October."""
    ids, hw = september, unit_id("HW")
    assert appeals.window_closes(MONTH) == local(14, 0, month=10)
    body = appeal_body(tier="unit", subject_id=hw, count="overdue", case_id=ids["I"])
    login("hw")
    driver.at(local(14, 0, month=10))
    late = client.post("/api/v1/scorecards/appeals", json=body)
    assert late.status_code == 409
    assert late.get_json()["message"] == "2026-09 的申诉期（月结后 5 个工作日）已于 2026-10-14 00:00 截止。"
    driver.at(local(13, 23, 59, month=10))
    assert client.post("/api/v1/scorecards/appeals", json=body).status_code == 201

    # The window is part of the definitions: an admin edits it like the rest.
    login("admin")
    document = client.get("/api/v1/scorecards/definitions").get_json()
    assert document["appeals"] == {"window_working_days": 5}
    document["appeals"] = {"window_working_days": 2}
    assert client.put("/api/v1/scorecards/definitions", json=document).status_code == 201
    assert appeals.window_closes(MONTH) == local(10, 0, month=10)
    document["appeals"] = {"window_working_days": -1}
    assert client.put("/api/v1/scorecards/definitions", json=document).status_code == 400


INTERNAL = re.compile(
    r"\b(pending|accepted|rejected|filed|applied|overdue|overdue_open|unit_handler|manager|subject_id|case_id)\b|#\d"
)


def visible_text(html: str) -> str:
    """The page's words (no tags, attributes, scripts or styles)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_pages_from_the_drill_down_to_the_decision(app, september, client, login):
    ids, hw = september, unit_id("HW")
    login("hw")
    mine = client.get("/scorecards/appeals/")
    assert mine.status_code == 200
    html = mine.get_data(as_text=True)
    drill = f"/scorecards/{MONTH}/unit/{hw}/overdue"
    assert drill in html and "2026-10-14 00:00" in html  # the figure's link and the window's end
    # The unit's drill-down, with an appeal link per case; another unit's is refused.
    page = client.get(drill).get_data(as_text=True)
    assert 'data-testid="appeal-case"' in page
    assert client.get(f"/scorecards/{MONTH}/unit/{unit_id('SZ')}/returned").status_code == 403
    assert client.get(f"/scorecards/{MONTH}/unit").status_code == 403  # the managers' tables stay theirs
    form = client.get(
        f"/scorecards/appeals/new?month={MONTH}&tier=unit&subject_id={hw}&count=overdue&case_id={ids['I']}"
    )
    assert form.status_code == 200
    response = client.post(
        "/scorecards/appeals/new",
        data={
            "month": MONTH,
            "tier": "unit",
            "subject_id": str(hw),
            "count": "overdue",
            "case_id": str(ids["I"]),
            "reason": "道路施工封闭",
            "photos": [(io.BytesIO(jpeg_bytes()), "site.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    detail_url = response.headers["Location"]
    detail = client.get(detail_url).get_data(as_text=True)
    assert "待审核" in detail and "道路施工封闭" in detail
    again = client.post(
        "/scorecards/appeals/new",
        data={"month": MONTH, "tier": "unit", "subject_id": str(hw), "count": "overdue", "case_id": str(ids["I"]), "reason": "x"},
    )
    assert again.status_code == 409 and "不能重复申诉" in again.get_data(as_text=True)
    for text in (html, page, detail):
        assert not INTERNAL.search(visible_text(text)), INTERNAL.search(visible_text(text))

    login("mgr")
    queue = client.get("/scorecards/appeals/").get_data(as_text=True)
    assert "申诉审核" in queue and detail_url in queue
    rejected = client.post(f"{detail_url}/decide", data={"decision": "reject", "note": ""})
    assert rejected.status_code == 400 and "驳回申诉时请填写处理意见" in rejected.get_data(as_text=True)
    assert client.post(f"{detail_url}/decide", data={"decision": "accept", "note": "属实"}).status_code == 302
    decided = client.get(detail_url).get_data(as_text=True)
    assert "已受理" in decided and "第 2 版" in decided
    assert not INTERNAL.search(visible_text(decided)), INTERNAL.search(visible_text(decided))
    table = client.get(f"/scorecards/{MONTH}/unit?version=2").get_data(as_text=True)
    assert "考核申诉受理：案卷" in table
    # The drill-down of version 2 no longer lists the case; the unit sees that.
    login("hw")
    page = client.get(drill).get_data(as_text=True)
    assert 'data-testid="figure">0<' in page


def test_two_managers_deciding_at_once_make_one_decision(app, september):
    """The second decision finds the appeal decided (the UPDATE … WHERE
    state = pending guard), so no second version is made."""
    from sqlalchemy import update

    from gridcity.core.errors import Conflict
    from gridcity.scorecards.models import Appeal

    ids, hw = september, unit_id("HW")
    appeal = appeals.file_appeal(get_user("hw"), MONTH, "unit", hw, "overdue", ids["I"], "施工封路")
    db.session.commit()
    # Another manager rejects it meanwhile; this session still holds it as pending.
    db.session.execute(
        update(Appeal)
        .where(Appeal.id == appeal.id)
        .values(state="rejected", decision_note="不予支持")
        .execution_options(synchronize_session=False)
    )
    assert appeal.state == "pending"
    with pytest.raises(Conflict):
        appeals.decide(get_user("mgr"), appeal.id, True, "")
    assert [v.version for v in services.versions(MONTH)] == [1]
