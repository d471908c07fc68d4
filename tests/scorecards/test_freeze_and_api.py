"""Freezing: a frozen month does not move when its cases change afterwards; a
recomputation makes version 2 and both stay readable. The month-end job, the
JSON API, and the versioned indicator definitions."""

from __future__ import annotations

import pytest

from gridcity.core import clock
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.scorecards.snapshots import services
from tests.scorecards.conftest import EAST, build_september, local

MONTH = "2026-09"


def street_row(table, code):
    return next(r for r in table.rows if r.subject_code == code)


def test_frozen_snapshot_stays_and_recomputation_makes_version_2(app, driver, client, login):
    ids = build_september(driver)
    with pytest.raises(GridCityError):  # September has not ended yet
        services.freeze_month(MONTH)
    driver.at(local(1, 0, 30, month=10))
    # The month-end job freezes last month once.
    from gridcity.scorecards.snapshots.freeze import freeze_due

    assert freeze_due() == f"{MONTH} v1"
    assert freeze_due() is None
    v1 = services.month_scorecard(MONTH, "street")
    east_v1 = street_row(v1, "440308002")
    assert (v1.version, east_v1.counts["closed"], east_v1.counts["overdue_open"]) == (1, 3, 1)

    # A late correction: case I (open and overdue in the east) is dealt with
    # and closed, with events dated in September (late data entry).
    driver.at(local(30, 9))
    driver.flow(ids["I"], [("unit_accept", "hw"), ("handle", "hw"), ("check", "insp2"), ("close", "lead")])
    driver.at(local(2, 9, month=10))
    live = services.compute_scorecards(MONTH)["street"]
    assert street_row(live, "440308002").counts["closed"] == 4  # the history changed…
    again = services.month_scorecard(MONTH, "street")
    assert street_row(again, "440308002").to_dict() == east_v1.to_dict()  # …the snapshot did not

    with pytest.raises(GridCityError):
        services.recompute(MONTH, "  ")  # a reason is required
    info = services.recompute(MONTH, "案卷 I 补录结案", None)
    db.session.commit()
    assert info.version == 2
    v2 = services.month_scorecard(MONTH, "street")
    east_v2 = street_row(v2, "440308002")
    assert (v2.version, v2.reason, east_v2.counts["closed"], east_v2.counts["overdue_open"]) == (
        2,
        "案卷 I 补录结案",
        4,
        0,
    )
    assert (
        street_row(services.month_scorecard(MONTH, "street", version=1), "440308002").to_dict()
        == east_v1.to_dict()
    )
    assert [v.version for v in services.versions(MONTH)] == [1, 2]
    assert {v.definition_version for v in services.versions(MONTH)} == {1}

    # Change from last month: October's rows compare with September's latest
    # version (an October report gives the east a score to compare).
    driver.at(local(2, 10, month=10))
    driver.report("insp2", EAST)
    october = services.compute_scorecards("2026-10")["street"]
    east_oct = street_row(october, "440308002")
    assert east_oct.previous_score == east_v2.score
    assert east_oct.change == round(east_oct.score - east_v2.score, 2)
    # The west has no data in October: no score, so no change, last month's kept.
    west_oct = street_row(october, "440308001")
    assert (west_oct.score, west_oct.change, west_oct.previous_score) == (
        None,
        None,
        street_row(services.month_scorecard(MONTH, "street"), "440308001").score,
    )

    # The same through the API.
    login("mgr")
    response = client.get(f"/api/v1/scorecards/months/{MONTH}?tier=street&version=1")
    assert response.status_code == 200
    body = response.get_json()
    assert (
        body["version"] == 1
        and {r["subject_code"]: r["score"] for r in body["rows"]}["440308002"] == east_v1.score
    )
    response = client.get(f"/api/v1/scorecards/months/{MONTH}/versions")
    assert [v["version"] for v in response.get_json()] == [1, 2]
    # The month-end job's reason is a code, worded in the reader's language;
    # a recomputation's reason is shown as it was typed.
    for language, month_end in (("en", "Month-end freeze"), ("zh", "月末冻结")):
        response = client.get(
            f"/api/v1/scorecards/months/{MONTH}/versions", headers={"Accept-Language": language}
        )
        assert [(v["reason"], v["reason_text"]) for v in response.get_json()] == [
            ("month_end", month_end),
            ("案卷 I 补录结案", "案卷 I 补录结案"),
        ]
    response = client.get(
        f"/api/v1/scorecards/months/{MONTH}?tier=street&version=1", headers={"Accept-Language": "en"}
    )
    assert response.get_json()["reason_text"] == "Month-end freeze"
    response = client.post(f"/api/v1/scorecards/months/{MONTH}/freeze", json={})
    assert response.status_code == 400  # a recomputation needs a reason
    response = client.post(f"/api/v1/scorecards/months/{MONTH}/freeze", json={"reason": "复核"})
    assert response.status_code == 201 and response.get_json()["version"] == 3
    east = street_row(v1, "440308002").subject_id
    response = client.get(
        f"/api/v1/scorecards/months/{MONTH}/cases",
        query_string={"tier": "street", "subject_id": east, "count": "closed"},
    )
    assert response.status_code == 200
    assert response.get_json()["case_ids"] == sorted([ids["B"], ids["C"], ids["G"], ids["I"]])
    for bad in (
        "tier=street&subject_id=1&count=nope",
        "tier=nope&subject_id=1&count=closed",
        "tier=street&count=closed",
    ):
        assert client.get(f"/api/v1/scorecards/months/{MONTH}/cases?{bad}").status_code == 400
    assert client.get("/api/v1/scorecards/months/2026-9?tier=street").status_code == 400
    assert client.get(f"/api/v1/scorecards/months/{MONTH}?tier=street&version=9").status_code == 404
    login("insp")
    assert client.get(f"/api/v1/scorecards/months/{MONTH}?tier=street").status_code == 403


def test_definitions_are_versioned_data_and_formulas_are_safe(app, driver, client, login):
    build_september(driver)
    login("admin")
    document = client.get("/api/v1/scorecards/definitions").get_json()
    assert document["version"] == 1
    # 群众满意度 (issue 18) is shown with weight 0: it changes no score unless a city weights it.
    assert [i["weight"] for i in document["tiers"]["street"]] == [10, 20, 30, 40, 0]
    before = street_row(services.compute_scorecards(MONTH)["street"], "440308001")

    # Only names, numbers, + - * / and parentheses: anything else is refused.
    for formula in (
        "__import__('os').system('true')",
        "closed ** 2",
        "closed.real",
        "[closed][0]",
        "no_such_count / closed",
        "closed if closed else 1",
        "",
    ):
        edited = {
            **document,
            "tiers": {
                **document["tiers"],
                "street": [{**document["tiers"]["street"][0], "formula": formula}],
            },
        }
        response = client.put("/api/v1/scorecards/definitions", json=edited)
        assert response.status_code == 400, formula
    assert client.get("/api/v1/scorecards/definitions").get_json()["version"] == 1

    # Street scores by on-time closure alone: a new version, used from now on.
    street = [
        {
            "code": "on_time",
            "name_zh": "按期结案率",
            "name_en": "On-time closure",
            "formula": "closed_on_time / (closed + overdue_open)",
            "weight": 100,
        }
    ]
    response = client.put(
        "/api/v1/scorecards/definitions",
        json={**document, "tiers": {**document["tiers"], "street": street}, "note": "只看按期结案"},
    )
    assert response.status_code == 201 and response.get_json()["version"] == 2
    after = street_row(services.compute_scorecards(MONTH)["street"], "440308001")
    assert before.score == 75.48 and after.score == 50.0  # 1 / (2 + 0)
    assert (
        client.get("/api/v1/scorecards/definitions?version=1").get_json()["tiers"]["street"][0]["code"]
        == "report_rate"
    )
    # Division by zero gives the indicator's if_empty: a street with nothing due.
    from gridcity.scorecards.scoring.indicators import Formula, evaluate_many

    assert list(
        evaluate_many(Formula("closed / should_close"), {"closed": [0, 1], "should_close": [0, 2]}, 2, 0.7)
    ) == [
        0.7,
        0.5,
    ]


def test_cli_computes_freezes_and_recomputes(app, driver):
    build_september(driver)
    driver.at(local(3, 9, month=10))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scorecards", "compute", "--month", MONTH])
    assert result.exit_code == 0, result.output
    assert "street" in result.output and "contest" in result.output
    result = runner.invoke(args=["scorecards", "compute", "--month", MONTH, "--tier", "unit"])
    assert result.output.split("\n")[0].split()[:2] == ["1", "HW"]
    # gl did nothing in September: no rank, score or grade, listed last.
    result = runner.invoke(args=["scorecards", "compute", "--month", MONTH, "--tier", "inspector"])
    assert result.output.strip().split("\n")[-1].split() == ["—", "gl", "gl", "—", "—"]
    assert runner.invoke(args=["scorecards", "recompute", "--month", MONTH, "--reason", "x"]).exit_code == 1
    assert "version 1" in runner.invoke(args=["scorecards", "freeze", "--month", MONTH]).output
    result = runner.invoke(args=["scorecards", "recompute", "--month", MONTH, "--reason", "补录"])
    assert "version 2" in result.output
    assert runner.invoke(args=["scorecards", "compute", "--month", "2026-13"]).exit_code == 1
    clock.freeze(None)


def test_a_case_moved_after_freezing_changes_only_the_live_figures(app, driver):
    """A case reported after the freeze, dated in the frozen month (a late
    entry), shows in the live figures and in a recomputation only."""
    build_september(driver)
    driver.at(local(1, 1, month=10))
    services.freeze_month(MONTH)
    db.session.commit()
    driver.at(local(30, 20))
    driver.report("insp2", EAST)
    driver.at(local(1, 2, month=10))
    assert street_row(services.month_scorecard(MONTH, "street"), "440308002").counts["reported"] == 6
    assert street_row(services.compute_scorecards(MONTH)["street"], "440308002").counts["reported"] == 7
