"""The overdue-risk model on a generated year whose lateness depends on known
factors: a planted slow unit, a slow category and evening dispatches.

Trained on all but the last month (as of that month's start), it ranks the
last month's dispatches well (ROC AUC ≥ 0.8, computed here from the
generator's own outcomes, not the model's metrics); the drawer names the slow
unit as the main factor of an open case it holds; the map state sorts by
risk."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.org.services import create_unit
from gridcity.risk import model as risk_model
from gridcity.risk import services
from gridcity.risk.features import read_history
from gridcity.taxonomy.models import Category
from tests.conftest import BACKENDS, DEMO_PASSWORD, build_mini_city, fresh_app
from tests.risk.history import CITY, case_row, places, plant_year
from tests.scorecards.test_browser_drilldown import internal_identifiers, leaks


def auc(late: list[bool], score: np.ndarray) -> float:
    """ROC AUC as the Mann–Whitney statistic: the chance a late dispatch
    outranks an on-time one (ties count half)."""
    late = np.asarray(late)
    pos, neg = score[late], score[~late]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def risk_identifiers() -> set[str]:
    """The code's names (internal_identifiers) and the risk model's own."""
    from gridcity.risk.features import FACTORS, PERIODS
    from gridcity.workcalendar.clock import CLOCKS

    return internal_identifiers() | set(FACTORS) | set(PERIODS) | set(CLOCKS) | {"high", "medium", "low"}


def generate_year(now: dt.datetime) -> dict:
    """The mini city, three more units, and the planted year."""
    city = build_mini_city()
    units = [city["units"][k] for k in ("sanitation", "municipal", "west_office")]
    units += [create_unit(f"U{i}", f"第{i}养护队", "other") for i in range(4, 7)]
    db.session.commit()
    slow, fast = units[3], units[4]
    categories = db.session.scalars(select(Category.id).order_by(Category.code).limit(8)).all()
    grids = places()
    late = plant_year(now, [u.id for u in units], categories, slow.id, fast.id, categories[0], grids)
    return {"slow": slow, "categories": categories, "grids": grids, "late": late}


@pytest.fixture(scope="module", params=BACKENDS)
def year(request, tmp_path_factory):
    url = request.getfixturevalue(f"{request.param}_url")
    with fresh_app(url, tmp_path_factory.mktemp("risk")) as app:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        data = generate_year(now)
        last_month = now - dt.timedelta(days=30)
        run = services.retrain(as_of=last_month)
        db.session.commit()
        yield {"app": app, "now": now, "last_month": last_month, "run": run, **data}


def test_the_model_ranks_the_held_out_month_well(year):
    run = year["run"]
    assert run.status == "trained" and run.rows_used > 3000
    history = read_history(year["now"], "Asia/Shanghai")
    last = history.subset(history.dispatched >= year["last_month"].timestamp())
    risk, _ = risk_model.contributions(run.model, last)
    # The generator's own outcomes of those dispatches (row n is case number R000000n).
    ids = [int(i) for i in last.case_id]
    numbers = dict(db.session.execute(select(Case.id, Case.number).where(Case.id.in_(ids))).all())
    truth = [year["late"][int(numbers[int(i)][1:])] for i in last.case_id]
    assert 200 < len(truth) and 0 < sum(truth) < len(truth)
    measured = auc(truth, risk)
    print(f"held-out month: {len(truth)} dispatches, {sum(truth)} late, ROC AUC {measured:.3f}")
    assert measured >= 0.8
    # The run's own held-out check (the 30 days before its as_of) agrees in kind.
    assert run.metrics["holdout_auc"] >= 0.75


def test_the_drawer_names_the_slow_unit_and_the_queue_sorts_by_risk(year):
    app, slow = year["app"], year["slow"]
    # Two open cases, dispatched this morning (city time) with days to go:
    # one with the slow unit, one with another unit; same category, same place.
    morning = year["now"].astimezone(CITY).replace(hour=10, minute=0, second=0)
    if morning > year["now"]:
        morning -= dt.timedelta(days=1)
    morning = morning.astimezone(dt.UTC)
    grid, category = year["grids"][0], year["categories"][3]
    other_unit = db.session.scalar(select(Case.unit_id).where(Case.unit_id != slow.id).limit(1))
    opened = [
        case_row(f"S{i}", grid, category, unit, morning, state="in_progress", deadline_at=morning + dt.timedelta(days=5))
        for i, unit in enumerate((slow.id, other_unit))
    ]  # fmt: skip
    db.session.execute(insert(Case.__table__), opened)
    db.session.commit()
    slow_case, other_case = (
        db.session.scalar(select(Case).where(Case.number == r["number"])) for r in opened
    )
    # The scoring job caches the risks the queue sorts by.
    assert services.score_job() == 2

    client = app.test_client()
    client.set_cookie("lang", "zh")
    assert (
        client.post("/api/v1/login", json={"username": "disp", "password": DEMO_PASSWORD}).status_code == 200
    )
    drawer = client.get(f"/api/v1/dispatch/cases/{slow_case.id}").get_json()
    risk = drawer["risk"]
    assert risk["level"] == "high" and risk["text"] == f"高 {risk['percent']}%"
    assert risk["factors"][0] == f"单位：{slow.name} 历史超期率高"
    assert leaks(" ".join(risk["factors"]), risk_identifiers()) == []
    other = client.get(f"/api/v1/dispatch/cases/{other_case.id}").get_json()["risk"]
    assert other["percent"] < risk["percent"] and all(slow.name not in f for f in other["factors"])

    body = client.get("/api/v1/dispatch/map?sort=risk").get_json()
    cases = [dict(zip(body["fields"], row)) for row in body["cases"]]
    assert [c["id"] for c in cases] == [slow_case.id, other_case.id]
    assert [c["risk"] for c in cases] == [risk["percent"], other["percent"]]
    refused = client.get("/api/v1/dispatch/map?sort=danger")
    assert refused.status_code == 400 and "sort" in refused.get_json()["message"]

    # The open cases by risk, as JSON and as a workbook: the same order, in words.
    ranked = client.get("/api/v1/risk/cases").get_json()
    assert ranked["note"] is None
    assert [(c["id"], c["percent"], c["text"]) for c in ranked["cases"]] == [
        (slow_case.id, risk["percent"], risk["text"]),
        (other_case.id, other["percent"], other["text"]),
    ]
    assert ranked["cases"][0]["factors"] == risk["factors"] and ranked["cases"][0]["state_name"] == "处置中"
    sheet = load_workbook(io.BytesIO(client.get("/api/v1/risk/cases.xlsx").data)).active
    header = [c.value for c in sheet[4]]
    first = dict(zip(header, [c.value for c in sheet[5]], strict=True))
    assert first["案卷编号"] == slow_case.number and first["风险等级"] == "高"
    assert first["超期风险"] == pytest.approx(risk["percent"] / 100) and sheet.max_row == 6
    assert first["主要因素"].startswith(f"单位：{slow.name} 历史超期率高")
    assert client.get("/api/v1/risk/cases?limit=0").status_code == 400
