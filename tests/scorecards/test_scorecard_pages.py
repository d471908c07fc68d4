"""The managers' scorecard pages (/scorecards/): who may open them, month
validation, and the drill-down from a figure to the cases behind it."""

from __future__ import annotations

import copy
import json
import re

import pytest
from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.core import clock
from gridcity.demo.history import load_history
from gridcity.extensions import db
from gridcity.geo.models import Community, UnitGrid
from gridcity.org.services import create_user
from gridcity.scorecards.presentation.display import card_text
from gridcity.scorecards.snapshots import services as sc
from tests.cases.conftest import city, frozen_clock  # noqa: F401
from tests.conftest import DEMO_PASSWORD, DatabaseSnapshot, restore_database, snapshot_database

MONTH = "2026-10"
# Counts of cases (each case once); the others count events.
PER_CASE = (
    "reported",
    "valid",
    "filed",
    "voided",
    "closed",
    "closed_on_time",
    "overdue",
)  # the clock of the `city` fixture stands at 30 November 2026


# The history, built once per database (and worker), then restored from a copy.
_HISTORIES: dict[str, tuple[dict, DatabaseSnapshot]] = {}


@pytest.fixture
def history(app, city, tmp_path_factory):  # noqa: F811
    """October 2026 lived through the services on the mini city, then frozen
    (the clock released, as the history leaves it)."""
    url = app.config["SETTINGS"].resolved_database_url
    if url in _HISTORIES:
        summary, snapshot = _HISTORIES[url]
        restore_database(app, snapshot)
        clock.freeze(None)
        return copy.deepcopy(summary)
    summary = load_history(1, seed=3, reports_per_grid=14)
    assert summary["months"] == [MONTH]
    _HISTORIES[url] = (
        copy.deepcopy(summary),
        snapshot_database(app, "history", tmp_path_factory.mktemp("history")),
    )
    return summary


def sign_in(client, username: str) -> None:
    response = client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.get_json()


def links(html: str, prefix: str) -> list[str]:
    return re.findall(r'href="(' + re.escape(prefix) + r'[^"]*)"', html)


def error_message(html: str) -> str:
    return re.search(r'data-testid="error-message">([^<]*)<', html).group(1)


def test_only_managers_and_admins_open_the_scorecards(app, client, city):  # noqa: F811
    response = client.get(f"/scorecards/{MONTH}/street")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    sign_in(client, "insp")
    assert 'data-testid="scorecards-link"' not in client.get("/").get_data(as_text=True)
    for url in (
        f"/scorecards/{MONTH}/street",
        f"/scorecards/{MONTH}/street.xlsx",
        f"/scorecards/{MONTH}/contest",
    ):
        refused = client.get(url)
        assert refused.status_code == 403
        assert refused.mimetype == "text/html"
        assert "监督员" in error_message(refused.get_data(as_text=True))  # names the role that was refused

    sign_in(client, "op")
    assert client.get(f"/scorecards/{MONTH}/street").status_code == 403

    for username in ("mgr", "admin"):
        sign_in(client, username)
        assert 'href="/scorecards/" data-testid="scorecards-link"' in client.get("/").get_data(as_text=True)
        page = client.get("/scorecards/")
        assert page.status_code == 302 and page.headers["Location"].endswith("/scorecards/2026-10/street")
        opened = client.get(f"/scorecards/{MONTH}/street")
        assert opened.status_code == 200
        assert "街道考核表" in opened.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/scorecards/2026-13/street", 400, "YYYY-MM"),
        ("/scorecards/202610/street", 400, "YYYY-MM"),
        ("/scorecards/2026-1/street.xlsx", 400, "YYYY-MM"),
        ("/scorecards/october/street.pdf", 400, "YYYY-MM"),
        ("/scorecards/2027-01/street", 400, "has not started"),
        ("/scorecards/go?month=2026-00", 400, "YYYY-MM"),
        ("/scorecards/2026-10/street?version=x", 400, "version"),
        ("/scorecards/2026-10/work_grid?within=district:1", 400, "within"),
        ("/scorecards/2026-10/planets", 404, "planets"),
        ("/scorecards/2026-10/street/1/happiness", 404, "happiness"),
    ],
)
def test_bad_months_and_names_are_refused_with_a_message(app, client, city, url, status, words):  # noqa: F811
    sign_in(client, "mgr")
    response = client.get(url)
    assert response.status_code == status
    assert words in error_message(response.get_data(as_text=True))


def test_every_figure_links_to_the_cases_behind_it(app, client, history):
    sign_in(client, "mgr")
    street_table = sc.month_scorecard(MONTH, "street")
    assert street_table.version == 1  # frozen by the demo history
    page = client.get(f"/scorecards/{MONTH}/street").get_data(as_text=True)
    assert "已冻结 v1" in page and "快照版本 1 (月末冻结)" in page

    checked = 0
    for row in street_table.rows:
        assert f'data-subject-id="{row.subject_id}"' in page
        for count, figure in row.counts.items():
            url = f"/scorecards/{MONTH}/street/{row.subject_id}/{count}"
            assert url in page, (row.subject_name, count)
            listed = client.get(url).get_data(as_text=True)
            shown = [int(i) for i in re.findall(r'<tr data-case-id="(\d+)"', listed)]
            assert shown == sc.cases_behind(MONTH, "street", row.subject_id, count)
            # Rule 8: as many rows as the figure (a count of events lists a
            # case dispatched twice twice).
            assert len(shown) == figure, (row.subject_name, count)
            if count in PER_CASE:
                assert len(set(shown)) == len(shown)
            checked += figure
    assert checked > 50

    # The list links each case to its page, which shows its history.
    overdue_street = next(r for r in street_table.rows if r.counts.get("overdue"))
    listed = client.get(f"/scorecards/{MONTH}/street/{overdue_street.subject_id}/overdue").get_data(
        as_text=True
    )
    # (A case handled late between two sweeps counts as overdue without the
    # sweeper's mark: take one the sweeper marked.)
    marked = [
        (url, case)
        for url in links(listed, "/scorecards/cases/")
        if (case := db.session.get(Case, int(url.rsplit("/", 1)[1]))).overdue
    ]
    case_url, case = marked[0]
    shown = client.get(case_url).get_data(as_text=True)
    assert case.number in shown and case.overdue
    assert "<td>超期</td>" in shown and "overdue" not in shown  # the sweeper's mark, in words

    # street → its work grids → their unit grids: only the subjects inside.
    street = street_table.rows[0]
    within = client.get(f"/scorecards/{MONTH}/work_grid?within=street:{street.subject_id}").get_data(
        as_text=True
    )
    expected = set(
        db.session.scalars(
            select(UnitGrid.work_grid_id)
            .join(Community, Community.id == UnitGrid.community_id)
            .where(Community.street_id == street.subject_id)
        )
    )
    assert {int(i) for i in re.findall(r'data-subject-id="(\d+)"', within)} == expected
    work_grid = min(expected)
    cells = client.get(f"/scorecards/{MONTH}/unit_grid?within=work_grid:{work_grid}").get_data(as_text=True)
    inside = set(db.session.scalars(select(UnitGrid.id).where(UnitGrid.work_grid_id == work_grid)))
    shown_cells = {int(i) for i in re.findall(r'data-subject-id="(\d+)"', cells)}
    assert shown_cells and shown_cells <= inside


def test_subject_page_trend_contest_map_and_english(app, client, history):
    sign_in(client, "mgr")
    row = sc.month_scorecard(MONTH, "street").rows[0]
    page = client.get(f"/scorecards/{MONTH}/street/{row.subject_id}").get_data(as_text=True)
    assert re.search(
        r'data-field="score">\s*<details[^>]*>\s*<summary title="[^"]*">' + f"{row.score:.2f}<", page
    )
    assert '<svg class="trend-chart"' in page and 'role="img"' in page
    table = sc.month_scorecard(MONTH, "street")
    formulas = {i["code"]: i["formula"] for i in sc.definitions(table.definition_version)["tiers"]["street"]}
    assert set(row.indicators) <= set(formulas)
    for code in row.indicators:  # each formula in words and numbers, never in field names
        assert formulas[code] not in page
    closed, should = row.counts["closed"], row.counts["should_close"]
    assert "结案率 = 结案数 / 应结案数" in page
    assert f"结案率 = {closed} / {should} = {closed / should * 100:.1f} %" in page

    contest = sc.contest_ranking(MONTH)
    page = client.get(f"/scorecards/{MONTH}/contest").get_data(as_text=True)
    for r in contest.rows:
        assert f'data-street-id="{r.street_id}"' in page
        assert r.street_name in page
    for card in sc.cards(MONTH):  # the contest's cards in a bulletin's words
        assert card_text(card["color"], card["reason"], "zh") in page
        assert "黄牌" in card_text(card["color"], card["reason"], "zh")

    page = client.get(f"/scorecards/{MONTH}/map").get_data(as_text=True)
    data = json.loads(re.search(r'id="page-data">(.*?)</script>', page, re.S).group(1))
    coloured = data["layers"]["street"][str(row.subject_id)]
    assert (coloured["score"], coloured["grade"]) == (row.score, row.grade)
    assert set(data["layers"]["work_grid"]) == {
        str(r.subject_id) for r in sc.month_scorecard(MONTH, "work_grid").rows
    }
    assert "js/scorecards.js" in page and "leaflet.js" in page

    client.set_cookie("lang", "en")
    english = client.get(f"/scorecards/{MONTH}/street").get_data(as_text=True)
    assert "Street scorecard" in english and "Rank" in english and "考核表" not in english
    assert "Snapshot version 1 (Month-end freeze)" in english  # the freeze reason in the reader's words


def test_a_new_manager_user_sees_the_pages_too(app, client, city):  # noqa: F811
    create_user("boss", DEMO_PASSWORD, "manager")
    db.session.commit()
    sign_in(client, "boss")
    assert client.get(f"/scorecards/{MONTH}/unit").status_code == 200
    assert client.get(f"/scorecards/{MONTH}/center_head").status_code == 200


def test_the_month_picker_is_ours_and_names_months_in_the_page_language(app, client, city):  # noqa: F811
    """Not the browser's <input type=month>, whose calendar speaks the computer's language."""
    sign_in(client, "mgr")
    page = client.get(f"/scorecards/{MONTH}/street").get_data(as_text=True)
    assert 'type="month"' not in page
    picker = re.search(r'<select id="sc-month" name="month">(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option value="(\d{4}-\d\d)"( selected)?>([^<]*)</option>', picker)
    assert ("2026-10", " selected", "2026年10月") in options and ("2026-11", "", "2026年11月") in options
    client.set_cookie("lang", "en")
    english = client.get(f"/scorecards/{MONTH}/street").get_data(as_text=True)
    assert '<option value="2026-10" selected>October 2026</option>' in english
    # The picker's answer is the page of that month.
    assert (
        client.get("/scorecards/go?month=2026-09&tier=unit")
        .headers["Location"]
        .endswith("/scorecards/2026-09/unit")
    )
