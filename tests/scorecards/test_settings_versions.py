"""Assessment settings as versions (考核设置, issue 17 item 6): each month is
assessed with the settings in force for it. A weight change taking effect
next month changes next month's scores and neither this month's nor a frozen
month's; a card rule change changes the cards from its month on only; a bad
draft is refused with a message a person understands and nothing is stored;
the changes read in words, in the diff, the audit log and the CLI."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from gridcity.audit.models import AuditEntry
from gridcity.extensions import db
from gridcity.org.services import get_user
from gridcity.scorecards.models import IndicatorSet
from gridcity.scorecards.scoring import contest
from gridcity.scorecards.snapshots import services
from gridcity.scorecards.snapshots import settings as assessment
from tests.scorecards.conftest import WEST, local
from tests.scorecards.test_scoring_rules import add_street, rows

WEST_CODE, EAST_CODE, NORTH_CODE = "440308001", "440308002", "440308003"
HOTLINE_CLOSED_ON_TIME = [
    ("accept", "op"),
    ("verify", "insp"),
    ("file", "lead"),
    ("dispatch", "disp"),
    ("unit_accept", "jd"),
    ("handle", "jd"),
    ("check", "insp"),
    ("close", "lead"),
]


def hotline_case_closed_on_time(driver, month: int) -> None:
    """A hotline report in the west, closed on time: the street's report rate
    is 0 % (no inspector found it), its closure rates 100 %."""
    driver.at(local(7, 9, month=month))
    driver.flow(driver.report("op", WEST), HOTLINE_CLOSED_ON_TIME)


def reweighted(weights: dict[str, float]) -> dict:
    """The newest settings with new weights for the area tiers' indicators."""
    draft = assessment.draft()
    for tier in ("unit_grid", "work_grid", "area", "street", "district"):
        for item in draft["tiers"][tier]:
            item["weight"] = weights.get(item["code"], item["weight"])
    return draft


def street_score(month: str) -> tuple[float, int]:
    table = services.month_scorecard(month, "street")
    return rows(table)[WEST_CODE].score, table.definition_version


def test_a_weight_change_from_next_month_leaves_this_month_and_frozen_months_alone(
    app, driver, client, login
):
    hotline_case_closed_on_time(driver, 8)
    hotline_case_closed_on_time(driver, 9)
    driver.at(local(1, 1, month=9))
    services.freeze_month("2026-08")
    db.session.commit()
    # Default weights 10 / 20 / 30 / 40: 0 × 10 + 100 × 20 + 100 × 30 + 100 × 40 → 90.
    assert street_score("2026-08") == street_score("2026-09") == (90.0, 1)

    driver.at(local(20, 10, month=9))
    login("admin")
    weights = {"report_rate": 40, "filed_volume": 20, "closure_rate": 20, "on_time_closure_rate": 20}
    body = {**reweighted(weights), "note": "加重监督上报", "effective_from": "2026-10"}
    answer = client.post("/api/v1/scorecards/settings", json=body)
    assert answer.status_code == 201, answer.get_json()
    saved = answer.get_json()
    assert (saved["version"], saved["effective_from"], saved["created_by"]) == (2, "2026-10", "admin")
    assert "街道 · 监督上报率 权重 10 % → 40 %" in saved["changes"]

    # This month and the frozen one are scored as before; October by the new weights.
    assert street_score("2026-09") == (90.0, 1)
    assert street_score("2026-08") == (90.0, 1)
    assert services.month_scorecards("2026-08")["street"].version == 1
    hotline_case_closed_on_time(driver, 10)
    assert street_score("2026-10") == (60.0, 2)  # 0 × 40 + 100 × 20 + 100 × 20 + 100 × 20
    assert street_score("2026-09") == (90.0, 1)  # still, even computed after October's

    # The explanation of a score names the version it was scored with.
    page = client.get("/scorecards/2026-10/street").get_data(as_text=True)
    assert "考核设置：第 2 版（自 2026-10 起执行）" in page

    # A version may not take effect in a frozen month, nor before the newest one.
    driver.at(local(2, 9, month=11))
    for effective, message in (
        ("2026-08", "生效月份不能早于 2026-09"),
        ("2026-09", "已有版本自 2026-10 起生效"),
    ):
        refused = client.post("/api/v1/scorecards/settings", json={**body, "effective_from": effective})
        assert refused.status_code == 422 and message in refused.get_json()["message"], effective
    listed = client.get("/api/v1/scorecards/settings").get_json()
    assert [(v["version"], v["effective_from"], v["in_force"]) for v in listed] == [
        (2, "2026-10", True),
        (1, "0000-01", False),
    ]

    # Audited with who, what and before → after, in words.
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "assessment_settings.save"))
    assert entry.actor_id == get_user("admin").id and entry.note == "加重监督上报"
    assert (
        entry.before["街道 · 监督上报率 权重"] == "10 %" and entry.after["街道 · 监督上报率 权重"] == "40 %"
    )
    assert (entry.before["版本"], entry.after["版本"], entry.after["生效月份"]) == (1, 2, "2026-10")
    log = client.get("/api/v1/audit?action=assessment_settings.save").get_json()
    assert log[0]["action_name"] == "保存考核设置版本"
    assert {"field": "街道 · 按期结案率 权重", "before": "40 %", "after": "20 %"} in log[0]["changes"]


def inspect_month(month: str, codes: dict[str, int], admin) -> None:
    """North 100, west 99, east 97 in the month's contest."""
    contest.add_inspection(month, codes[WEST_CODE], "street_cleaning", 1, "路面脏", admin)
    contest.add_inspection(month, codes[EAST_CODE], "street_cleaning", 3, "路面脏", admin)


def test_a_card_rule_change_changes_the_cards_from_its_month_on_only(app, driver, runner, tmp_path):
    driver.at(local(20, 9, month=9))
    add_street("003", "北街道")
    admin = get_user("admin")
    codes = {r.street_code: r.street_id for r in services.contest_ranking("2026-09").rows}
    inspect_month("2026-09", codes, admin)
    inspect_month("2026-10", codes, admin)
    db.session.commit()

    # The last two places get the yellow card from October, through the CLI.
    draft = assessment.draft()
    draft["contest"]["card_rules"] = [
        {"kind": "last_places", "value": 2} if r["kind"] == "last_places" else r
        for r in draft["contest"]["card_rules"]
    ]
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(draft, ensure_ascii=False), encoding="utf-8")
    shown = runner.invoke(args=["scorecards", "settings", "diff", str(path)])
    assert shown.exit_code == 0 and shown.output.strip() == "黄牌: 末位 1 名 → 2 名"
    applied = runner.invoke(
        args=[
            "scorecards",
            "settings",
            "apply",
            str(path),
            "--effective",
            "2026-10",
            "--note",
            "末两名亮黄牌",
        ]
    )
    assert applied.exit_code == 0, applied.output
    assert "version 2" in applied.output and "2026-10" in applied.output

    def cards(month: str) -> dict:
        return {code: (r.rank, r.card) for code, r in rows(services.contest_ranking(month)).items()}

    assert cards("2026-09") == {NORTH_CODE: (1, None), WEST_CODE: (2, None), EAST_CODE: (3, "yellow")}
    # October: west is among the last two now; east, yellow two months running, gets red.
    assert cards("2026-10") == {NORTH_CODE: (1, None), WEST_CODE: (2, "yellow"), EAST_CODE: (3, "red")}

    listed = runner.invoke(args=["scorecards", "settings", "list"])
    assert "v2" in listed.output and "from 2026-10" in listed.output and "末两名亮黄牌" in listed.output
    changed = runner.invoke(args=["scorecards", "settings", "diff", "--version", "2", "--language", "en"])
    assert changed.output.strip() == "Yellow card: last places 1 places → 2 places"
    again = runner.invoke(
        args=["scorecards", "settings", "apply", str(path), "--effective", "2026-10", "--note", "再来一次"]
    )
    assert again.exit_code == 1 and "nothing to save" in again.output


def test_bad_drafts_are_refused_with_a_clear_message_and_nothing_is_saved(app, city, client, login):
    login("admin")
    good = {**assessment.draft(), "note": "试一试", "effective_from": "2026-10"}
    db.session.commit()

    def with_change(change) -> dict:
        body = json.loads(json.dumps(good))
        change(body)
        return body

    def street(body, code, weight):
        next(i for i in body["tiers"]["street"] if i["code"] == code)["weight"] = weight

    refusals = [
        (lambda b: street(b, "on_time_closure_rate", 35), 422, "街道：各指标权重合计 95 %，应为 100 %。"),
        (lambda b: b["grades"].__setitem__(1, {"grade": "B", "min": 95}), 422, "等级须从高到低排列"),
        (lambda b: b["grades"].__setitem__(4, {"grade": "E", "min": 10}), 422, "最低等级须从 0 分起"),
        (lambda b: b.__setitem__("effective_from", "2026-13"), 422, "生效月份须为“年-月”"),
        (lambda b: b.__setitem__("note", "  "), 422, "请填写变更说明"),
        (lambda b: None, 422, "没有需要保存的变更"),
        (
            lambda b: b["contest"]["card_rules"].__setitem__(0, {"kind": "last_places", "value": 1.5}),
            422,
            "整数",
        ),
        (lambda b: b["contest"]["items"][0].__setitem__("points", -5), 400, "points must be a number ≥ 0"),
        (lambda b: b["tiers"]["street"][0].__setitem__("formula", "closed ** 2"), 400, "only names, numbers"),
    ]
    for change, status, message in refusals:
        answer = client.post("/api/v1/scorecards/settings", json=with_change(change))
        assert answer.status_code == status and message in answer.get_json()["message"], answer.get_json()
    preview = client.post(
        "/api/v1/scorecards/settings/preview", json=with_change(lambda b: street(b, "report_rate", 5))
    )
    assert preview.status_code == 422 and "合计 95 %" in preview.get_json()["message"]

    # The page's form says it beside the field, in the reader's language.
    form = client.get("/admin/assessment")
    assert form.status_code == 200
    page = client.post(
        "/admin/assessment",
        data={"base": "1", "step": "save", "w-street-0": "abc", "note": "x", "effective_from": "2026-10"},
    )
    assert page.status_code == 422 and "“街道 · 监督上报率 权重”须为数字。" in page.get_data(as_text=True)
    client.set_cookie("lang", "en")
    english = client.post("/admin/assessment", data={"base": "1", "step": "preview", "w-street-0": "15"})
    client.delete_cookie("lang")
    assert english.status_code == 422
    assert "Street: the weights add up to 105 %, not 100 %." in english.get_data(as_text=True)
    stale = client.post("/admin/assessment", data={"base": "7", "step": "save"})
    assert stale.status_code == 409

    assert db.session.scalar(select(func.count(IndicatorSet.id))) == 1
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.object_kind == "assessment_settings")
        )
        == 0
    )

    # Managers may read the versions; only an admin edits them.
    login("mgr")
    assert client.get("/api/v1/scorecards/settings").status_code == 200
    assert client.get("/api/v1/scorecards/settings/1").get_json()["changes"] == []
    assert client.post("/api/v1/scorecards/settings", json=good).status_code == 403
    assert client.get("/admin/assessment").status_code == 403
    login("insp")
    assert client.get("/api/v1/scorecards/settings").status_code == 403


def test_the_diff_reads_in_words_in_both_languages(app, city):
    old = assessment.draft()
    new = json.loads(json.dumps(old))
    street = {i["code"]: i for i in new["tiers"]["street"]}
    street["on_time_closure_rate"]["weight"] = 35
    street["report_rate"]["weight"] = 15
    street["closure_rate"]["formula"] = "closed / (closed + overdue_open)"
    new["grades"][1]["min"] = 80
    item = new["contest"]["items"][0]
    item["points"] = 25
    item["patrol_deductions"]["night"] = 2
    new["contest"]["card_rules"] = [r for r in new["contest"]["card_rules"] if r["kind"] != "below"]
    new["contest"]["card_rules"][0]["value"] = 2
    assert assessment.diff_lines(old, new, "zh") == [
        "街道 · 监督上报率 权重 10 % → 15 %",
        "街道 · 结案率 公式 结案数 / 应结案数 → 结案数 / (结案数 + 超期未结)",
        "街道 · 按期结案率 权重 40 % → 35 %",
        "等级 B 下限 75 分 → 80 分",
        "检查项目 · 道路清扫保洁 分值 30 分 → 25 分",
        "检查项目 · 道路清扫保洁 夜间巡查每处扣分 1 分 → 2 分",
        "黄牌: 末位 1 名 → 2 名",
        "黄牌: 得分低于 80 分 → 不启用",
    ]
    english = assessment.diff_lines(old, new, "en")
    assert "Street · On-time closure rate weight 40 % → 35 %" in english
    assert "Yellow card: score below 80 points → off" in english
    # A formula in words is read back as the same formula.
    words = assessment.formula_words("(handled - rework) / handled", "zh")
    assert words == "(处置数 - 返工数) / 处置数"
    assert assessment.formula_from_words(words, "unit") == "(handled - rework) / handled"
    assert assessment.formula_from_words("filed / 同级平均立案数", "street") == "filed / avg_filed"
