"""A scored tier kept as columns: the rows made from them on first read carry
the figures worked out by hand, best first, each with its own dicts."""

from __future__ import annotations

import pytest

from gridcity.scorecards.counting.counts import TIER_COUNTS
from gridcity.scorecards.counting.engine import TierCounts
from gridcity.scorecards.scoring.indicators import DEFAULT_DOCUMENT
from gridcity.scorecards.scoring.scores import NO_LAST_MONTH, LastMonth, score_tier
from gridcity.scorecards.scoring.tables import ScorecardTable

MONTH = "2026-09"
DISPATCHERS = {
    4: ("dan", "Dan", None, None),
    3: ("cat", "Cat", None, None),
    2: ("bob", "Bob", None, None),
    1: ("ann", "Ann", None, None),
}
COUNTS = {  # cat dispatched nothing
    1: {"dispatched": 10, "dispatched_on_time": 10},
    2: {"dispatched": 10, "dispatched_on_time": 10},
    4: {"dispatched": 5, "dispatched_on_time": 4, "dispatched_reworked": 1},
}


def scored_dispatchers(previous: dict[int, float]) -> ScorecardTable:
    counts = TierCounts.from_dict(COUNTS, TIER_COUNTS["dispatcher"])
    figures = score_tier("dispatcher", DISPATCHERS, counts, DEFAULT_DOCUMENT, LastMonth.from_dict(previous))
    return ScorecardTable(MONTH, "dispatcher", None, 1, None, figures=figures)


def test_rows_made_from_the_columns_carry_every_figure_best_first():
    table = scored_dispatchers({1: 99.5, 3: 85.0})
    # Mean dispatched 25 / 3 (over the three with data: Cat's nothing is no
    # zero to average in, rule 9). Dan: volume 5 / (25 / 3) = 0.6 → 60, on
    # time 4 / 5 and accurate (5 - 1) / 5 → 80 each: 76; Ann and Bob: 100
    # (volume capped). Cat did nothing: no score, grade or rank (not 80, as
    # when its empty rates counted 100 each), listed last, with last month's
    # score kept beside.
    assert [(r.subject_code, r.rank, r.score, r.grade, r.previous_score, r.change) for r in table.rows] == [
        ("ann", 1, 100.0, "A", 99.5, 0.5),
        ("bob", 1, 100.0, "A", None, None),
        ("dan", 3, 76.0, "B", None, None),
        ("cat", None, None, None, 85.0, None),
    ]
    cat = table.rows[3]
    assert cat.indicators["volume"]["value"] == 0.0
    assert cat.indicators["on_time_dispatch"]["value"] is None  # 0 / 0
    assert cat.indicators["on_time_dispatch"]["score"] is None
    dan = table.rows[2]
    assert (dan.subject_kind, dan.subject_id, dan.subject_name) == ("dispatcher", 4, "Dan")
    assert dan.counts == {
        "dispatched": 5,
        "dispatched_on_time": 4,
        "dispatched_reworked": 1,
        "dispatched_returned": 0,
    }
    assert dan.indicators["volume"] == {
        "value": 0.6,
        "score": 60.0,
        "weight": 20,
        "name_zh": "派遣量",
        "name_en": "Volume (vs. the tier mean)",
    }
    assert list(dan.indicators) == ["volume", "on_time_dispatch", "accurate_dispatch"]
    assert [type(v) for v in (dan.subject_id, dan.rank, dan.score, dan.counts["dispatched"])] == [
        int,
        int,
        float,
        int,
    ]


def test_rows_are_made_once_and_share_no_dicts():
    table = scored_dispatchers({})
    rows = table.rows
    assert table.rows is rows
    # Pages add a formula to each row's indicators in place.
    rows[0].indicators["volume"]["formula"] = "dispatched / avg_dispatched"
    assert "formula" not in rows[1].indicators["volume"]
    rows[0].counts["dispatched"] = 0
    assert rows[1].counts["dispatched"] == 10
    assert table.figures.score_of() == {1: 100.0, 2: 100.0, 4: 76.0}


def test_a_tier_without_subjects_has_no_rows():
    counts = TierCounts.from_dict({}, TIER_COUNTS["dispatcher"])
    figures = score_tier("dispatcher", {}, counts, DEFAULT_DOCUMENT, NO_LAST_MONTH)
    assert ScorecardTable(MONTH, "dispatcher", None, 1, None, figures=figures).rows == []


def test_a_table_has_either_rows_or_figures():
    with pytest.raises(ValueError):
        ScorecardTable(MONTH, "dispatcher", None, 1, None)
    assert ScorecardTable(MONTH, "dispatcher", [], 1, 3, "2026-10-01T00:00:00", "月末冻结").rows == []
