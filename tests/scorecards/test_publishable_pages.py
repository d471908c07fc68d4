"""Pages fit to publish (issue 13, points 3 and 5): figures that explain
themselves, no "−0.0", trend axes fitted to the data, ranks among the
siblings shown, places named in titles and breadcrumbs, one date format."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.geo.models import District, Street, UnitGrid, WorkGrid
from gridcity.scorecards.presentation.charts import svg_line_chart
from gridcity.scorecards.presentation.display import (
    card_text,
    fmt_change,
    fmt_deduction,
    fmt_score,
    nice_scale,
    sibling_ranks,
    tick_values,
)
from gridcity.scorecards.presentation.explain import Explainer, explain_indicator, explain_score
from gridcity.scorecards.scoring.tables import ScorecardRow
from gridcity.scorecards.snapshots import services as sc
from gridcity.web.formats import city_datetime
from tests.cases.conftest import city, frozen_clock  # noqa: F401
from tests.scorecards.test_scorecard_pages import MONTH, history, sign_in  # noqa: F401

# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize("value", [0.0, -0.0, -0.001, 0.004, -0.00499])
def test_a_change_that_rounds_to_nothing_reads_unchanged_never_minus_zero(value):
    assert fmt_change(value, "zh") == "持平"
    assert fmt_change(value, "en") == "unchanged"


def test_changes_scores_and_deductions_carry_their_sign_once():
    assert fmt_change(1.234, "zh") == "+1.23"
    assert fmt_change(-0.5, "zh") == "−0.50"
    assert fmt_change(None, "zh") == "—"
    assert fmt_score(-0.0001) == "0.00" and fmt_score(None) == "—" and fmt_score(87.5) == "87.50"
    assert fmt_deduction(0) == "0" and fmt_deduction(-0.0) == "0" and fmt_deduction(0.04) == "0"
    assert fmt_deduction(1.5) == "−1.5"
    for text in (fmt_change(-0.001, "zh"), fmt_score(-0.0), fmt_deduction(0.0)):
        assert not re.search(r"[-−]0(\.0+)?$", text)


# ---------------------------------------------------------------- chart axis


def test_the_trend_axis_spans_the_data_with_round_ticks():
    low, high, step = nice_scale([78.4, 85.0, 91.7])
    assert (low, high, step) == (75, 95, 5)
    assert low <= 78.4 and high >= 91.7 and high - low < 30  # not 0–100
    low, high, step = nice_scale([55.3, 56.1])
    assert low <= 55.3 < 56.1 <= high and high - low <= 2
    assert all(round(t / step, 6).is_integer() for t in tick_values(low, high, step))
    assert nice_scale([85.0]) == (80.0, 90.0, 2.5)  # one value: a band around it
    assert nice_scale([0.0, 100.0]) == (0.0, 100.0, 25.0)
    assert nice_scale([99.5, 100.0])[1] == 100.0  # a score axis stops at 100
    assert nice_scale([None, None]) == (0.0, 100.0, 25.0)


def test_the_chart_uses_its_height_for_close_scores():
    svg = str(svg_line_chart(["2026-09", "2026-10"], [("东街道", [82.0, 86.0])], "趋势"))
    ticks = re.findall(r'class="axis">([\d.]+)</text>', svg)
    assert "100" not in ticks and "0" not in ticks
    assert ticks[0] == "82" and ticks[-1] == "86"
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    top, bottom = 16, 220 - 30  # the plot area
    assert ys[0] == pytest.approx(bottom) and ys[1] == pytest.approx(top)  # the full height is used


# ---------------------------------------------------------------- ranks


def test_ranks_among_siblings_share_ties_and_skip():
    assert sibling_ranks([92.5, 88.0, 88.0, 70.1]) == [1, 2, 2, 4]
    assert sibling_ranks([80.0, 80.0, 80.0]) == [1, 1, 1]
    assert sibling_ranks([90.0, None, 85.0]) == [1, None, 2]  # no data: no rank
    assert sibling_ranks([]) == []


# ---------------------------------------------------------------- explanations


def test_a_rate_explains_itself_with_the_months_numbers():
    ex = explain_indicator(
        "按期结案率",
        "on_time_closure_rate",
        "closed_on_time / should_close",
        0.9634,
        {"closed_on_time": 79, "should_close": 82},
        "zh",
    )
    assert ex.value == "96.3 %"
    assert ex.lines[0] == "按期结案率 = 按期结案 / 应结案数"
    assert ex.lines[1] == "按期结案率 = 79 / 82 = 96.3 %"
    assert "期限" in ex.lines[2]  # the rule: on time is a fact of time (§7.1 rule 1)
    english = explain_indicator(
        "On-time closure rate",
        "on_time_closure_rate",
        "closed_on_time / should_close",
        0.9634,
        {"closed_on_time": 79, "should_close": 82},
        "en",
    )
    assert english.lines[1] == "On-time closure rate = 79 / 82 = 96.3 %"
    assert "closed_on_time" not in english.text and "should_close" not in english.text


def test_nothing_to_count_is_shown_as_a_dash_and_left_out():
    ex = explain_indicator(
        "结案率", "closure_rate", "closed / should_close", None, {"closed": 0, "should_close": 0}, "zh"
    )
    assert ex.value == "—" and ex.empty
    assert ex.lines[1] == "结案率 = 0 / 0 = —（无数据（不计入））"
    indicators = {
        "closure_rate": {"value": None, "score": None, "weight": 30.0},
        "report_rate": {"value": 0.5, "score": 50.0, "weight": 10.0},
    }
    score = explain_score(indicators, 50.0, {"closure_rate": "结案率", "report_rate": "监督上报率"}, "zh")
    assert "= (50.00 × 10) / 10 = 50.00" in score.lines
    assert "无数据不计入：结案率" in score.text
    nothing = explain_score({"closure_rate": indicators["closure_rate"]}, None, {}, "zh")
    assert nothing.value == "—" and "不评等级" in nothing.text


def test_compound_formulas_and_tier_means_are_written_out():
    row = ScorecardRow(
        "unit",
        1,
        "U1",
        "环卫处",
        counts={"handled": 50, "rework": 3, "filed": 12},
        indicators={
            "first_time_fix_rate": {"value": 0.94, "score": 94.0, "weight": 20.0, "name_zh": "一次处置合格率"}
        },
    )

    class Table:
        tier, rows = "unit", [row]

    document = {
        "tiers": {"unit": [{"code": "first_time_fix_rate", "formula": "(handled - rework) / handled"}]}
    }
    ex = Explainer(Table, document, "zh").indicator(row, "first_time_fix_rate")
    assert ex.lines[0] == "一次处置合格率 = (处置数 − 返工数) / 处置数"
    assert ex.lines[1] == "一次处置合格率 = (50 − 3) / 50 = 94.0 %"
    volume = explain_indicator(
        "立案数（较同级均值）",
        "filed_volume",
        "filed / avg_filed",
        1.25,
        {"filed": 12},
        "zh",
        {"avg_filed": 9.6},
    )
    assert volume.lines[1] == "立案数（较同级均值） = 12 / 9.6 = 1.25"
    assert "同级平均立案数" in volume.lines[0]


def test_the_contests_cards_read_as_a_bulletin_says_them():
    assert card_text("yellow", "last_places:1", "zh") == "末位黄牌（本月排名末位）"
    assert (
        card_text("red", "consecutive_yellow:2;last_places:1", "zh") == "连续两个月黄牌升红牌（本月排名末位）"
    )
    assert card_text("yellow", "below:60", "zh") == "低分黄牌（本月得分低于60分）"
    assert card_text("yellow", "last_places:2", "zh") == "末位黄牌（本月排名后两位）"
    assert card_text("red", "consecutive_yellow:2;last_places:1", "en") == (
        "Red card: a yellow card 2 months in a row (ranked last this month)"
    )
    assert "last_places" not in card_text("yellow", "last_places:1", "en")


# ---------------------------------------------------------------- dates


def test_one_date_format_on_the_city_clock(app):
    moment = dt.datetime(2026, 9, 30, 6, 5)  # naive: UTC, as SQLite hands it back
    assert city_datetime(moment) == "2026-09-30 14:05"
    assert city_datetime(moment.replace(tzinfo=dt.UTC)) == "2026-09-30 14:05"
    assert city_datetime("2026-09-30T06:05:00+00:00") == "2026-09-30 14:05"
    assert city_datetime(None) == "—"
    page = app.jinja_env.from_string("{{ when|datetime }}").render(when=moment)
    assert page == "2026-09-30 14:05"


# ---------------------------------------------------------------- the drill-down pages


def crumbs(html: str) -> list[str]:
    nav = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S).group(0)
    return [c.strip() for c in re.findall(r">([^<>]+)</(?:a|span)>", nav)]


def shown_rows(html: str) -> list[tuple[int, str, str]]:
    """(subject id, rank, score) of a table's rows as the page shows them."""
    rows = re.findall(
        r'<tr data-subject-id="(\d+)".*?data-field="rank">([^<]*)<.*?<summary title="[^"]*">([^<]*)</summary>',
        html,
        re.S,
    )
    return [(int(i), rank, score) for i, rank, score in rows]


def test_drill_down_pages_name_their_place_and_rank_among_its_places(app, client, history):  # noqa: F811
    sign_in(client, "mgr")
    district = db_one(select(District))
    street_row = sc.month_scorecard(MONTH, "street").rows[-1]
    street = db_one(select(Street).where(Street.id == street_row.subject_id))

    page = client.get(f"/scorecards/{MONTH}/work_grid?within=street:{street.id}").get_data(as_text=True)
    assert f"<title>{MONTH} {street.name} · 工作网格" in page
    assert re.search(rf"<h1>{MONTH} <span[^>]*>{street.name}</span> · 工作网格考核表</h1>", page)
    assert crumbs(page)[-3:] == [district.name, street.name, "工作网格"]
    assert not re.search(r"#\d", re.sub(r"<[^>]*>", " ", page))  # no "#3" for a place
    rows = shown_rows(page)
    table = {r.subject_id: r for r in sc.month_scorecard(MONTH, "work_grid").rows}
    scores = [table[i].score for i, _, _ in rows]
    assert [rank for _, rank, _ in rows] == [str(r) for r in sibling_ranks(scores)]
    assert rows[0][1] == "1"  # ranked among the street's work grids, not the whole district
    assert [s for _, _, s in rows] == [f"{x:.2f}" for x in scores]

    grid = db_one(select(WorkGrid).where(WorkGrid.id == rows[-1][0]))
    page = client.get(f"/scorecards/{MONTH}/unit_grid?within=work_grid:{grid.id}").get_data(as_text=True)
    assert crumbs(page)[-4:] == [district.name, street.name, grid.name, "单元网格"]
    assert f'href="/scorecards/{MONTH}/work_grid?within=street:{street.id}"' in page  # back up a level
    cells = shown_rows(page)
    assert cells and cells[0][1] == "1"

    cell = db_one(select(UnitGrid).where(UnitGrid.id == cells[0][0]))
    page = client.get(f"/scorecards/{MONTH}/unit_grid/{cell.id}").get_data(as_text=True)
    assert crumbs(page)[-4:] == [district.name, street.name, grid.name, f"单元网格 {cell.code}"]
    assert f"在{grid.name}内排名" in page

    listed = client.get(f"/scorecards/{MONTH}/unit_grid/{cell.id}/reported").get_data(as_text=True)
    assert crumbs(listed)[-5:] == [district.name, street.name, grid.name, f"单元网格 {cell.code}", "上报数"]
    assert f"<title>上报数 · 单元网格 {cell.code} · 绩效考核</title>" in listed


def test_the_case_list_shows_times_on_the_city_clock(app, client, history):  # noqa: F811
    sign_in(client, "mgr")
    row = sc.month_scorecard(MONTH, "street").rows[0]
    listed = client.get(f"/scorecards/{MONTH}/street/{row.subject_id}/closed").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<tr data-case-id="(\d+)"', listed)]
    case = db_one(select(Case).where(Case.id == ids[0]))
    local = case.reported_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert f"<td>{local:%Y-%m-%d %H:%M}</td>" in listed  # was the UTC time before
    history_page = client.get(f"/scorecards/cases/{case.id}").get_data(as_text=True)
    assert f"<td>{local:%Y-%m-%d %H:%M}</td>" in history_page


def db_one(query):
    from gridcity.extensions import db

    return db.session.scalars(query).first()


def test_every_rate_on_the_table_explains_itself(app, client, history):  # noqa: F811
    sign_in(client, "mgr")
    row = sc.month_scorecard(MONTH, "street").rows[0]
    page = client.get(f"/scorecards/{MONTH}/street").get_data(as_text=True)
    line = f"按期结案率 = {row.counts['closed_on_time']} / {row.counts['should_close']} = "
    share = row.counts["closed_on_time"] / row.counts["should_close"] * 100
    assert f"{line}{share:.1f} %" in page  # in the popover and in the tooltip
    assert page.count(f"{line}{share:.1f} %") >= 2
    cell = re.search(rf'<tr data-subject-id="{row.subject_id}".*?</tr>', page, re.S).group(0)
    assert len(re.findall(r"<details class=\"explain", cell)) == 1 + len(row.indicators)  # score + rates
    assert "closed_on_time" not in re.sub(r'data-count="[a-z_]+"|/[a-z_]+"', "", cell)
