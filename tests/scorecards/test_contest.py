"""The sanitation contest (市容环卫杯): deductions from night / holiday /
month-end patrol findings and from managers' inspection records with photos,
the street ranking, and a yellow card followed by a red one."""

from __future__ import annotations

import io
import json

from gridcity.extensions import db
from gridcity.org.services import get_user
from gridcity.patrols import services as patrols
from gridcity.patrols.models import Patrol
from gridcity.scorecards.scoring import contest, scores
from gridcity.scorecards.snapshots import services
from tests.scorecards.conftest import EAST, build_september, jpeg_bytes, local

WEST_CODE, EAST_CODE = "440308001", "440308002"


def by_code(table):
    return {r.street_code: r for r in table.rows}


def patrol_finding(driver, who, kind, position, category, when):
    driver.at(when)
    patrol = patrols.start_patrol(get_user(who), kind)
    db.session.commit()
    driver.later(5)
    case_id = driver.report(who, position, category, patrol_id=patrol.id)
    patrols.stop_patrol(db.session.get(Patrol, patrol.id), get_user(who))
    db.session.commit()
    return case_id


def test_deductions_ranking_and_cards_over_two_months(app, driver, client, login):
    build_september(driver)
    # A daily patrol finding deducts nothing (only night / holiday / month-end count).
    patrol_finding(driver, "insp2", "daily", EAST, "E0102", local(24, 10))
    login("mgr")
    streets = {r.street_code: r.street_id for r in services.contest_ranking("2026-09").rows}
    photo = jpeg_bytes()
    response = client.post(
        "/api/v1/scorecards/contest/inspections",
        data={
            "data": json.dumps(
                {
                    "month": "2026-09",
                    "street_id": streets[EAST_CODE],
                    "item_code": "garbage",
                    "deduction": 3,
                    "note": "转运站满溢",
                }
            ),
            "photos": [(io.BytesIO(photo), "p.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert len(record["photos"]) == 1
    image = client.get(f"/api/v1/scorecards/contest/photos/{record['photos'][0]['id']}")
    assert image.status_code == 200 and image.data == photo
    image.close()
    response = client.post(
        "/api/v1/scorecards/contest/inspections",
        json={
            "month": "2026-09",
            "street_id": streets[WEST_CODE],
            "item_code": "village_cleaning",
            "deduction": 1.5,
        },
    )
    assert response.status_code == 201
    for bad in (
        {"month": "2026-09", "street_id": streets[WEST_CODE], "item_code": "nope", "deduction": 1},
        {"month": "2026-09", "street_id": streets[WEST_CODE], "item_code": "garbage", "deduction": -1},
        {"month": "09-2026", "street_id": streets[WEST_CODE], "item_code": "garbage", "deduction": 1},
        {"month": "2026-09", "street_id": "x", "item_code": "garbage", "deduction": 1},
    ):
        assert client.post("/api/v1/scorecards/contest/inspections", json=bad).status_code == 400, bad
    assert (
        client.post(
            "/api/v1/scorecards/contest/inspections",
            json={"month": "2026-09", "street_id": 999, "item_code": "garbage", "deduction": 1},
        ).status_code
        == 404
    )

    # September: west −1 (night patrol, E0102 → street cleaning) −1.5 (inspection);
    # east −2 (month-end patrol, C0301 → public toilets, 2 points) −3 (inspection).
    table = services.contest_ranking("2026-09")
    assert table.full_score == 100.0
    rows = by_code(table)
    west, east = rows[WEST_CODE], rows[EAST_CODE]
    assert (
        west.items["street_cleaning"]["deducted"] == 1.0 and west.items["village_cleaning"]["deducted"] == 1.5
    )
    assert east.items["toilets"]["deducted"] == 2.0 and east.items["garbage"]["deducted"] == 3.0
    assert east.items["street_cleaning"]["deducted"] == 0.0  # the daily patrol's finding
    assert (west.patrol_deductions, west.inspection_deductions, west.score, west.rank) == (1.0, 1.5, 97.5, 1)
    assert (east.patrol_deductions, east.inspection_deductions, east.score, east.rank) == (2.0, 3.0, 95.0, 2)
    assert (west.card, east.card) == (None, "yellow")  # last place
    driver.at(local(1, 0, 30, month=10))
    services.freeze_month("2026-09")
    db.session.commit()

    # October: east is last again (a night patrol finding) → red.
    patrol_finding(driver, "insp2", "night", EAST, "E0102", local(12, 21, month=10))
    response = client.get("/api/v1/scorecards/months/2026-10/contest")
    assert response.status_code == 200
    october = {r["street_code"]: r for r in response.get_json()["rows"]}
    assert (october[EAST_CODE]["score"], october[EAST_CODE]["rank"], october[EAST_CODE]["card"]) == (
        99.0,
        2,
        "red",
    )
    assert (october[WEST_CODE]["score"], october[WEST_CODE]["card"]) == (100.0, None)
    # Why, as the rules met, worded in the reader's language:
    assert october[EAST_CODE]["card_reason"] == "consecutive_yellow:2;last_places:1"
    assert october[EAST_CODE]["card_reason_text"] == "连续2个月黄牌；排名末1位"
    english = client.get(
        "/api/v1/scorecards/months/2026-10/contest", headers={"Accept-Language": "en"}
    ).get_json()
    assert {r["street_code"]: r for r in english["rows"]}[EAST_CODE]["card_reason_text"] == (
        "yellow 2 months in a row; among the last 1"
    )
    driver.at(local(1, 1, month=11))
    services.freeze_month("2026-10")
    db.session.commit()
    history = client.get("/api/v1/scorecards/contest/cards").get_json()
    assert [(c["month"], c["street_code"], c["color"]) for c in history] == [
        ("2026-10", EAST_CODE, "red"),
        ("2026-09", EAST_CODE, "yellow"),
    ]
    assert [c["reason_text"] for c in history] == ["连续2个月黄牌；排名末1位", "排名末1位"]

    # Rules are data, and versioned: a threshold of 99.5 takes effect from
    # the first month not frozen (November); October, frozen, keeps the rules
    # it was assessed with even when recomputed live. Bad rules are refused.
    login("admin")
    rules = client.get("/api/v1/scorecards/contest/rules").get_json()
    rules["card_rules"] = [{"kind": "below", "value": 99.5}]
    response = client.put("/api/v1/scorecards/contest/rules", json=rules)
    assert response.status_code == 200
    assert (
        client.put(
            "/api/v1/scorecards/contest/rules", json={**rules, "card_rules": [{"kind": "purple", "value": 1}]}
        ).status_code
        == 400
    )
    assert response.get_json()["card_rules"] == [{"kind": "below", "value": 99.5}]
    live = by_code(scores.compute_all("2026-10").contest)
    assert (live[EAST_CODE].card, live[WEST_CODE].card) == ("red", None)
    assert [(r.kind, r.value) for r in contest.card_rules("2026-11")] == [("below", 99.5)]
    assert by_code(services.contest_ranking("2026-10"))[EAST_CODE].card == "red"  # the frozen one stays
