"""DOMAIN.md §7.1 rules 9 and 10 in the scoring (issue 13, findings 7 and 8).

- Rule 9, no data is not 100 %: a rate over an empty denominator has no
  value, its indicator is left out and the other weights are rescaled (unless
  the definition says otherwise), and a subject with no data at all gets no
  score, grade or rank — it is listed after the ranked ones.
- Rule 10, ties share a rank (competition ranking on the shown 2-decimal
  score: 1, 1, 3, 3), and "the last n places" includes every subject tied at
  those places: the contest's last-place yellow card, and the red card it
  turns into, go to every street tied there.
"""

from __future__ import annotations

import shapely

from gridcity.extensions import db
from gridcity.geo.models import District, Street
from gridcity.org.services import get_user
from gridcity.scorecards.presentation.explain import Explainer
from gridcity.scorecards.scoring import contest, indicators, scores
from gridcity.scorecards.snapshots import services
from tests.scorecards.conftest import EAST, WEST, local

MONTH = "2026-09"
WEST_CODE, EAST_CODE, NORTH_CODE, SOUTH_CODE = "440308001", "440308002", "440308003", "440308004"
ON_TIME_CLOSE = [
    ("accept", "op"),
    ("file", "lead"),
    ("dispatch", "disp"),
    ("unit_accept", "{unit}"),
    ("handle", "{unit}"),
    ("check", "{inspector}"),
    ("close", "lead"),
]


def add_street(code: str, name: str) -> int:
    """A street office with no unit grids in it: nothing is ever reported there."""
    district_id = db.session.scalar(db.select(District.id))
    offset = int(code) * 0.01
    street = Street(
        district_id=district_id,
        code=code,
        name=name,
        geom=shapely.MultiPolygon([shapely.box(114.0 + offset, 22.0, 114.005 + offset, 22.005)]),
    )
    db.session.add(street)
    db.session.commit()
    return street.id


def closed_on_time(driver, inspector: str, position, unit: str) -> int:
    case_id = driver.report(inspector, position)
    return driver.flow(case_id, [(a, w.format(unit=unit, inspector=inspector)) for a, w in ON_TIME_CLOSE])


def rows(table) -> dict:
    """A scorecard's rows by subject code, a contest's by street code."""
    return {getattr(r, "subject_code", None) or r.street_code: r for r in table.rows}


def inspect(street_codes: dict, month: str, code: str, points: float) -> None:
    contest.add_inspection(month, street_codes[code], "garbage", points, "抽查", get_user("mgr"))
    db.session.commit()


# ---------------------------------------------------------------- rule 10: ties


def test_streets_tied_for_last_all_get_the_yellow_card_then_the_red(app, driver, client, login):
    """Finding 7: two streets tied for last got no yellow card (the card went
    by position, and the tied pair sat at places 3 and 4 of 4 sharing rank 3)."""
    driver.at(local(2, 9))
    add_street("003", "北街道")
    add_street("004", "南街道")
    codes = {r.street_code: r.street_id for r in services.contest_ranking(MONTH).rows}
    inspect(codes, MONTH, WEST_CODE, 2)
    inspect(codes, MONTH, EAST_CODE, 2)
    table = rows(services.contest_ranking(MONTH))
    # Competition ranking on the score as shown: 100, 100, 98, 98 → 1, 1, 3, 3.
    assert [(c, table[c].score, table[c].rank) for c in (NORTH_CODE, SOUTH_CODE, WEST_CODE, EAST_CODE)] == [
        (NORTH_CODE, 100.0, 1),
        (SOUTH_CODE, 100.0, 1),
        (WEST_CODE, 98.0, 3),
        (EAST_CODE, 98.0, 3),
    ]
    # The rule is "the last 1 place": both streets tied at it get the card.
    assert {c: table[c].card for c in table} == {
        NORTH_CODE: None,
        SOUTH_CODE: None,
        WEST_CODE: "yellow",
        EAST_CODE: "yellow",
    }
    assert table[WEST_CODE].card_reason == table[EAST_CODE].card_reason == "last_places:1"
    driver.at(local(1, 1, month=10))
    services.freeze_month(MONTH)
    db.session.commit()

    # October: the same two tie for last again → both turn red (two yellow
    # months in a row), as the API shows.
    inspect(codes, "2026-10", WEST_CODE, 1.5)
    inspect(codes, "2026-10", EAST_CODE, 1.5)
    login("mgr")
    answer = client.get("/api/v1/scorecards/months/2026-10/contest")
    assert answer.status_code == 200
    october = {r["street_code"]: r for r in answer.get_json()["rows"]}
    assert {c: (r["rank"], r["card"]) for c, r in october.items()} == {
        NORTH_CODE: (1, None),
        SOUTH_CODE: (1, None),
        WEST_CODE: (3, "red"),
        EAST_CODE: (3, "red"),
    }
    assert october[WEST_CODE]["card_reason"] == "consecutive_yellow:2;last_places:1"


def test_the_last_two_places_take_in_every_street_tied_at_them(app, driver):
    """The last n places, with a tie straddling their boundary: scores 100,
    99, 99, 97 rank 1, 2, 2, 4; the last two places are the 3rd and 4th, and
    the 3rd is shared — so three streets get the card."""
    driver.at(local(2, 9))
    add_street("003", "北街道")
    add_street("004", "南街道")
    document = contest.rules_document()
    document["card_rules"] = [{"kind": "last_places", "value": 2}]
    services.update_contest_rules(document)
    db.session.commit()
    codes = {r.street_code: r.street_id for r in services.contest_ranking(MONTH).rows}
    inspect(codes, MONTH, WEST_CODE, 1)
    inspect(codes, MONTH, EAST_CODE, 1)
    inspect(codes, MONTH, SOUTH_CODE, 3)
    table = rows(scores.compute_all(MONTH).contest)
    assert {c: (r.score, r.rank, r.card) for c, r in table.items()} == {
        NORTH_CODE: (100.0, 1, None),
        WEST_CODE: (99.0, 2, "yellow"),
        EAST_CODE: (99.0, 2, "yellow"),
        SOUTH_CODE: (97.0, 4, "yellow"),
    }


def test_equal_scores_share_a_rank_and_subjects_without_data_come_after(app, driver):
    """Two streets with the same month share rank 1; a street with no case
    has no rank and is listed after the ranked ones."""
    driver.at(local(2, 9))
    add_street("003", "北街道")
    driver.at(local(7, 9))
    closed_on_time(driver, "insp", WEST, "jd")
    driver.at(local(8, 9))
    closed_on_time(driver, "insp2", EAST, "hw")
    streets = services.month_scorecard(MONTH, "street")
    assert [(r.subject_code, r.score, r.rank) for r in streets.rows] == [
        (WEST_CODE, 100.0, 1),
        (EAST_CODE, 100.0, 1),
        (NORTH_CODE, None, None),
    ]


# ---------------------------------------------------------------- rule 9: no data


def test_a_street_with_no_cases_has_no_rate_score_grade_or_rank(app, driver, client, login):
    """Finding 8: in the live month a street with no cases showed 100 %
    rates and a score of 80 (grade B)."""
    driver.at(local(7, 9))
    closed_on_time(driver, "insp", WEST, "jd")
    driver.at(local(8, 9))
    table = rows(services.month_scorecard(MONTH, "street"))
    assert table[WEST_CODE].score == 100.0 and table[WEST_CODE].rank == 1
    east = table[EAST_CODE]
    assert set(east.counts.values()) == {0}
    assert (east.score, east.grade, east.rank) == (None, None, None)
    for code in ("report_rate", "closure_rate", "on_time_closure_rate"):  # 0 / 0
        assert east.indicators[code]["value"] is None, code
    # The unit and the inspector with nothing that month: no score either.
    assert rows(services.month_scorecard(MONTH, "unit"))["SZ"].score is None
    # The JSON API says null, and declares it may.
    login("mgr")
    answer = client.get(f"/api/v1/scorecards/months/{MONTH}?tier=street")
    assert answer.status_code == 200
    api_rows = {r["subject_code"]: r for r in answer.get_json()["rows"]}
    assert [r["subject_code"] for r in answer.get_json()["rows"]] == [WEST_CODE, EAST_CODE]
    assert (api_rows[EAST_CODE]["score"], api_rows[EAST_CODE]["grade"], api_rows[EAST_CODE]["rank"]) == (
        None,
        None,
        None,
    )
    assert api_rows[EAST_CODE]["indicators"]["closure_rate"]["value"] is None
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["ScorecardRow"]
    for name in ("score", "grade", "rank"):
        assert {"type": "null"} in spec["properties"][name].get("anyOf", []), name
    # Frozen, it stays so.
    driver.at(local(1, 1, month=10))
    services.freeze_month(MONTH)
    db.session.commit()
    frozen = services.month_scorecard(MONTH, "street")
    assert frozen.version == 1
    assert [(r.subject_code, r.score, r.grade, r.rank) for r in frozen.rows] == [
        (WEST_CODE, 100.0, "A", 1),
        (EAST_CODE, None, None, None),
    ]


def three_indicators(when_empty: dict) -> dict:
    """The street tier scored on three indicators weighted 40 / 30 / 30."""
    document = indicators.definition_document()
    document["tiers"]["street"] = [
        {"code": "report_rate", "formula": "inspector_reported / reported", "weight": 40},
        {"code": "valid_rate", "formula": "valid / reported", "weight": 30},
        {"code": "closure_rate", "formula": "closed / should_close", "weight": 30, **when_empty},
    ]
    return document


def test_an_empty_rate_is_left_out_and_the_other_weights_rescaled(app, driver, client, login):
    """A west inspector's report voided by the shift leader: reported 1, by an
    inspector 1, valid 0, nothing to close. Report rate 100 % (weight 40),
    valid rate 0 % (30), closure rate 0 / 0 (30: left out). Score =
    100 × 40/70 + 0 × 30/70 = 57.14 (D) — not (4000 + 0 + 3000) / 100 = 70 (C)."""
    driver.at(local(7, 9))
    driver.flow(driver.report("insp", WEST), [("accept", "op"), ("void", "lead")])
    login("admin")
    answer = client.put("/api/v1/scorecards/definitions", json=three_indicators({}))
    assert answer.status_code == 201, answer.get_json()
    stored = {i["code"]: i for i in answer.get_json()["tiers"]["street"]}
    assert stored["closure_rate"]["when_empty"] == "rescale"  # the default, written out
    west = rows(services.month_scorecard(MONTH, "street"))[WEST_CODE]
    assert (west.counts["reported"], west.counts["inspector_reported"], west.counts["valid"]) == (1, 1, 0)
    assert west.counts["should_close"] == 0
    assert west.indicators["report_rate"]["value"] == 1.0 and west.indicators["valid_rate"]["value"] == 0.0
    assert west.indicators["closure_rate"]["value"] is None
    assert (west.score, west.grade) == (round(100 * 40 / 70, 2), "D") == (57.14, "D")

    # A definition may say otherwise: "nothing due counts as full marks".
    document = three_indicators({"when_empty": "value", "if_empty": 1})
    assert client.put("/api/v1/scorecards/definitions", json=document).status_code == 201
    west = rows(services.month_scorecard(MONTH, "street"))[WEST_CODE]
    assert west.indicators["closure_rate"]["value"] == 1.0
    assert (west.score, west.grade) == (70.0, "C")

    # Bad settings are refused with a reason.
    for bad in ({"when_empty": "skip"}, {"when_empty": "value"}, {"when_empty": "value", "if_empty": "x"}):
        answer = client.put("/api/v1/scorecards/definitions", json=three_indicators(bad))
        assert answer.status_code == 400, bad
        assert "closure_rate" in answer.get_json()["message"], answer.get_json()


def test_a_tier_mean_leaves_out_the_subjects_without_data(app, driver):
    """Rule 9 for the means volume indicators compare with: a street with no
    cases is no zero in the streets' mean filed count (it made the mean 1 and
    the west street's one filing look average: 100 points instead of 67), and
    the explanation shows the mean the score used."""
    driver.at(local(2, 9))
    add_street("003", "北街道")
    driver.at(local(7, 9))
    closed_on_time(driver, "insp", WEST, "jd")
    driver.at(local(8, 9))
    closed_on_time(driver, "insp2", EAST, "hw")
    closed_on_time(driver, "insp2", EAST, "hw")
    table = services.month_scorecard(MONTH, "street")
    west = rows(table)[WEST_CODE]
    assert rows(table)[NORTH_CODE].score is None
    assert west.indicators["filed_volume"]["value"] == round(1 / 1.5, 4)
    assert west.indicators["filed_volume"]["score"] == 66.67
    assert west.score == round((10 * 100 + 20 * 100 / 1.5 + 30 * 100 + 40 * 100) / 100, 2)
    document = services.definitions()
    explained = Explainer(table, document, "en").indicator(west, "filed_volume")
    assert explained.lines[1].endswith("= 1 / 1.5 = 0.67"), explained.lines
