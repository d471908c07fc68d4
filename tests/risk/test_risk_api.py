"""The risk API and command: only admins and managers train; with too
little history a run says so (the command, the API, in the caller's
language) and no case shows a risk, while the drawer still suggests the
rules' unit; the nightly job runs once a day after its hour."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select

from gridcity.cases.models import Case
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.risk.models import RiskModel
from gridcity.risk.services import retrain_due
from gridcity.taxonomy.models import Category
from tests.conftest import build_mini_city
from tests.risk.history import case_row, places


def test_with_too_little_history_a_run_says_so_and_no_case_shows_a_risk(app, client, runner, login):
    city = build_mini_city()
    grid = places()[0]
    filed = case_row("F1", grid, db.session.scalar(select(Category.id).where(Category.code == "E0102")), None,
                     dt.datetime.now(dt.UTC), state="filed", dispatched_at=None, deadline_at=None)  # fmt: skip
    db.session.execute(insert(Case.__table__), [filed])
    db.session.commit()
    case_id = db.session.scalar(select(Case.id).where(Case.number == "F1"))

    said = runner.invoke(args=["risk", "train"])
    assert said.exit_code == 0 and "Too little history" in said.output and "at least 200" in said.output
    login(city["users"]["dispatcher"].username)
    assert client.post("/api/v1/risk/train").status_code == 403
    latest = client.get("/api/v1/risk/model").get_json()["latest"]
    assert latest["status"] == "too_little_history" and latest["holdout_auc"] is None
    drawer = client.get(f"/api/v1/dispatch/cases/{case_id}").get_json()
    assert drawer["risk"] is None and drawer["risk_note"] == "历史案卷不足，暂不评估超期风险。"
    # The rules' unit is the suggestion; never returned, so no history's unit.
    assert (
        drawer["suggestion"]["rules_unit"]["name"] == "西街道办"
        and not drawer["suggestion"]["returned_before"]
    )
    body = client.get("/api/v1/dispatch/map?sort=risk").get_json()
    assert [dict(zip(body["fields"], row))["risk"] for row in body["cases"]] == [None]
    assert client.get("/api/v1/risk/cases").get_json() == {"note": "历史案卷不足，暂不评估超期风险。", "cases": []}
    client.post("/api/v1/logout")
    login(city["users"]["inspector"].username)
    assert client.get("/api/v1/risk/cases").status_code == 403
    assert client.get("/api/v1/risk/cases.xlsx").status_code == 403

    client.post("/api/v1/logout")
    login(city["users"]["manager"].username)
    client.set_cookie("lang", "en")
    answer = client.post("/api/v1/risk/train")
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "too_little_history" and answer.get_json()["rows_used"] == 0
    assert answer.get_json()["message"].startswith("Too little history to assess the overdue risk")

    # The nightly job: once a day, after GRIDCITY_RISK_TRAIN_HOUR (2 h city time).
    night = dt.datetime(2026, 12, 8, 18, 30, tzinfo=dt.UTC)  # 02:30 on 9 December in Shenzhen
    runs = db.session.scalar(select(func.count(RiskModel.id)))
    try:
        for moment, said in (
            (night - dt.timedelta(hours=1), None),  # 01:30: not yet
            (night, "risk model too_little_history: 0 rows"),
            (night + dt.timedelta(hours=3), None),
        ):  # once that day
            clock.freeze(moment)
            assert retrain_due() == said
    finally:
        clock.freeze(None)
    assert db.session.scalar(select(func.count(RiskModel.id))) == runs + 1
