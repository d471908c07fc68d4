"""The wall screen's JSON (GET /api/v1/screen) and its page: who may read
them, and figures equal to counts made here from the cases the test made."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.cases.sweeper import sweep
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.org.models import User
from gridcity.scorecards.snapshots import services as scorecards
from tests.cases.conftest import EAST, MONDAY_10AM, WEST, jpeg_bytes
from tests.cases.test_closed_loop import ok

CENTER = ("disp", "lead", "mgr")


def strings(tree) -> list[str]:
    """Every string value in a JSON tree (the keys are the API's own words)."""
    if isinstance(tree, dict):
        return [s for value in tree.values() for s in strings(value)]
    if isinstance(tree, list):
        return [s for value in tree for s in strings(value)]
    return [tree] if isinstance(tree, str) else []


def test_only_the_center_reads_the_screen(city, api, app):
    for username in ("insp", "op", "hw", "admin"):
        as_other = api(username)
        assert as_other.get("/api/v1/screen").status_code == 403, username
        page = as_other.get("/screen/")
        assert page.status_code == 403 and "text/html" in page.content_type, username
    for username in CENTER:
        assert api(username).get("/screen/").status_code == 200, username
    client = app.test_client()  # signed out
    assert client.get("/api/v1/screen").status_code == 401
    page = client.get("/screen/")
    assert page.status_code == 302 and "/login?next=/screen/" in page.headers["Location"]
    assert client.post("/api/v1/screen", json={}).status_code in (403, 405)  # no CSRF token, no such method


def test_the_figures_are_the_cases_the_test_made(city, api):
    def act(user, case, action, **fields):
        return ok(api(user).act(case, action, **fields))

    def report(position, **fields):
        return ok(
            api("insp2" if position == EAST else "insp").report(
                "E0102", position, photos=[jpeg_bytes()], **fields
            ),
            201,
        )

    # Yesterday (Sunday): one report, filed — in this month's grids, not in today's figures.
    clock.freeze(MONDAY_10AM - dt.timedelta(days=1))
    yesterday = act("lead", act("op", report(EAST), "accept"), "file")
    clock.freeze(MONDAY_10AM)
    made = [report(EAST), report(EAST), report(WEST), report(EAST, urgency="urgent")]
    filed = [act("lead", act("op", c, "accept"), "file") for c in made[:3]]
    dispatched = [act("disp", c, "dispatch") for c in (*filed, yesterday)]
    done = act("hw", act("hw", dispatched[0], "unit_accept"), "handle", photos=[jpeg_bytes()])
    closed = act("lead", act("insp2", done, "check", result="pass", photos=[jpeg_bytes()]), "close")
    assert closed["state"] == "closed"

    # Past the deadlines: the cases still with a unit are overdue now.
    clock.freeze(MONDAY_10AM + dt.timedelta(hours=7))
    sweep()
    db.session.remove()
    still_with_unit = dispatched[1:]
    answers = {name: ok(api(name).get("/api/v1/screen")) for name in CENTER}
    body = answers["disp"]
    assert answers["lead"] == answers["mgr"] == body  # one screen for the whole center

    # Today: counted from what was made above, step by step.
    assert body["today"] == {
        "reported": len(made),
        "filed": len(filed),
        "dispatched": len(dispatched),  # yesterday's case was dispatched today
        "closed": 1,
        "overdue": len(still_with_unit),
    }
    # The month: the one case closed was handled in time; the rate is the
    # scorecards' own (district tier), against the configured target.
    district = scorecards.month_scorecard("2026-11", "district").rows
    assert len(district) == 1
    assert body["on_time"]["closed_on_time"] == 1
    assert body["on_time"]["should_close"] == district[0].counts["should_close"]
    assert body["on_time"]["rate"] == pytest.approx(district[0].indicators["on_time_closure_rate"]["value"])
    assert body["on_time"]["target"] == 0.9
    # Four reports of one kind at one place are no hotspot (five make one).
    assert body["hotspots"] == [] and body["hotspot_days"] == 30
    # Units and contest: the scorecards' tables of the month.
    units = [r for r in scorecards.month_scorecard("2026-11", "unit").rows if r.rank is not None]
    assert [u["name"] for u in body["worst_units"]] == [r.subject_name for r in units][-5:]
    contest = scorecards.contest_ranking("2026-11").rows
    assert [(c["street"], c["rank"]) for c in body["contest"]] == [(r.street_name, r.rank) for r in contest]
    # The latest events: newest first, the sweeper's marks too, up to seq.
    assert body["events"][0]["seq"] == body["seq"]
    assert [e["action"] for e in body["events"]][: len(still_with_unit)] == ["overdue"] * len(still_with_unit)
    assert "close" in [e["action"] for e in body["events"]]
    # No personal data: no reporter, no inspector's or handler's name.
    values = set(strings(body))
    for username, name in db.session.execute(select(User.username, User.display_name)):
        assert username not in values and name not in values


def test_a_report_after_seq_adds_one_and_the_target_is_a_setting(city, app, api):
    before = ok(api("mgr").get("/api/v1/screen"))
    assert before["on_time"] == {
        "rate": None,
        "target": 0.9,
        "closed_on_time": 0,
        "should_close": 0,
    }  # no data: no rate
    case = ok(api("insp2").report("E0102", EAST, photos=[jpeg_bytes()]), 201)
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], screen_on_time_target=97.5)
    after = ok(api("mgr").get("/api/v1/screen"))
    assert after["seq"] > before["seq"]
    assert after["today"]["reported"] == before["today"]["reported"] + 1
    assert after["events"][0]["number"] == case["number"] and after["events"][0]["action"] == "report"
    assert after["on_time"]["target"] == 0.975


def test_the_hotspot_board_shows_decision_supports_hotspots_of_the_last_days(city, app, api):
    """Five reports of one kind at one place within days make a hotspot
    (decision support's DBSCAN, its default settings); five more 40 days ago
    are outside the board's 30 days; the board is kept for its refresh time."""
    from gridcity.geo.models import Street
    from gridcity.taxonomy.models import Category

    def screen():
        return ok(api("mgr").get("/api/v1/screen"))

    def report(position):
        return ok(
            api("insp2" if position == EAST else "insp").report("E0102", position, photos=[jpeg_bytes()]), 201
        )

    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], screen_hotspot_seconds=0)
    clock.freeze(MONDAY_10AM - dt.timedelta(days=40))
    [report(WEST) for _ in range(5)]
    clock.freeze(MONDAY_10AM - dt.timedelta(days=2))
    east = [report(EAST) for _ in range(4)]
    clock.freeze(MONDAY_10AM)
    assert screen()["hotspots"] == []  # four at the place, and the five 40 days ago are too old

    east.append(report(EAST))
    board = screen()["hotspots"]
    street = db.session.scalar(
        select(Street.name).join(Case, Case.street_id == Street.id).where(Case.id == east[0]["id"])
    )
    category = db.session.scalar(select(Category.name_zh).where(Category.code == "E0102"))
    assert [(h["category"], h["street"], h["cases"]) for h in board] == [(category, street, 5)]
    assert board[0]["direction"] == "rising"  # all five in the last days of the 30
    assert abs(board[0]["lon"] - EAST[0]) < 1e-4 and abs(board[0]["lat"] - EAST[1]) < 1e-4

    # Kept for the refresh time: a sixth report is on the board only after it.
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], screen_hotspot_seconds=300)
    assert screen()["hotspots"][0]["cases"] == 5
    report(EAST)
    assert screen()["hotspots"][0]["cases"] == 5
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], screen_hotspot_seconds=0)
    assert screen()["hotspots"][0]["cases"] == 6
