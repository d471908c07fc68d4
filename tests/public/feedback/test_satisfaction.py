"""满意度 (issue 18, item 3): a follow-link holder rates a closed case once;
the rating moves the 群众满意度 indicator of the unit and the street, which
shows "—" with no ratings and changes no score while its weight is 0."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from gridcity.core import clock
from gridcity.extensions import db
from gridcity.public.feedback_models import CitizenRating
from gridcity.scorecards.snapshots import services as scorecards
from tests.conftest import DEMO_PASSWORD
from tests.public.feedback.conftest import follow, later


def month_now() -> str:
    return clock.utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")


def satisfaction(month: str, tier: str, subject_id: int):
    row = next(r for r in scorecards.month_scorecard(month, tier).rows if r.subject_id == subject_id)
    return row.indicators["satisfaction_rate"], row


def test_ratings_move_the_satisfaction_indicator_of_the_unit_and_the_street(client, followed, city):
    case, token = followed
    sz, street = city["units"]["municipal"].id, case.street_id
    later(60)
    month = month_now()
    empty, row_before = satisfaction(month, "unit", sz)
    assert empty["value"] is None  # no ratings: no value ("—"), not 100 %

    answer = client.post(f"/p/r/{token}/rate", data={"rating": "basic", "comment": "还行"})

    assert answer.status_code == 303
    assert "您已评价：" in client.get(f"/p/r/{token}/rate").get_data(as_text=True)
    client.post(f"/p/r/{follow(case, 'me_too')}/rate", data={"rating": "unsatisfied"})
    unit_item, row = satisfaction(month, "unit", sz)
    street_item, _ = satisfaction(month, "street", street)
    assert unit_item["value"] == 0.5 and street_item["value"] == 0.5  # 基本满意 counts as satisfied
    assert row.counts["rated"] == 2 and row.counts["rated_satisfied"] == 1
    assert row.score == row_before.score  # weight 0: shown, no score changed
    # The scorecard page shows it with its formula in words and numbers.
    client.post("/api/v1/login", json={"username": "mgr", "password": DEMO_PASSWORD})
    page = client.get(f"/scorecards/{month}/unit/{sz}").get_data(as_text=True)
    assert "群众满意度" in page and "满意及基本满意数 / 市民评价数" in page and "1 / 2" in page


def test_a_second_rating_from_the_same_link_is_refused_and_an_open_case_cannot_be_rated(client, followed):
    case, token = followed
    assert client.post(f"/p/r/{token}/rate", data={"rating": "satisfied"}).status_code == 303

    again = client.post(f"/p/r/{token}/rate", data={"rating": "unsatisfied"})

    assert again.status_code == 409 and "每个链接只能评价一次" in again.get_data(as_text=True)
    assert [r.rating for r in db.session.scalars(select(CitizenRating))] == ["satisfied"]
    bad = client.post(f"/p/r/{follow(case, 'me_too')}/rate", data={"rating": "great"})
    assert bad.status_code == 400 and "请选择" in bad.get_data(as_text=True)
