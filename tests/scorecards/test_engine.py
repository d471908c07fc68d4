"""A month of cases with known histories (tests/scorecards/conftest.py:
build_september) against figures worked out by hand: every count, indicator,
score, grade and rank, for every subject kind and tier."""

from __future__ import annotations

import pytest

from gridcity.scorecards.snapshots import services
from tests.scorecards.conftest import build_september

MONTH = "2026-09"


def clip(x: float) -> float:
    return max(0.0, min(100.0, x))


def weighted(parts: list[tuple[float | None, float]]) -> float:
    """Score from (0..1 value, weight) pairs, each part clamped to 0..100; a
    part without a value (0 / 0) is left out and the other weights rescaled."""
    parts = [(v, w) for v, w in parts if v is not None]
    return round(sum(clip(v * 100) * w for v, w in parts) / sum(w for _, w in parts), 2)


WEST = {  # cases A, D, E, F, H, J
    "reported": 6,
    "inspector_reported": 5,  # D came from the hotline
    "valid": 4,  # D (verify failed) and E (voided)
    "patrol_findings": 1,  # J, night patrol
    "filed": 3,  # A F H
    "voided": 2,
    "dispatched": 3,
    "handled": 2,  # A H
    "handled_on_time": 1,  # H after its overdue mark
    "closed": 2,
    "closed_on_time": 1,
    "overdue": 1,
    "overdue_open": 0,
    "should_close": 2,
    "rework": 0,
    "extension": 0,
    "suspension": 1,  # F
    "returned": 0,
    "rated": 0,  # no citizen rated a case (issue 18)
    "rated_satisfied": 0,
}
EAST = {  # cases B, C, G, I, K, L (N was reported in August)
    "reported": 6,
    "inspector_reported": 5,  # C came from the hotline; K is a patrol finding
    "valid": 6,
    "patrol_findings": 1,  # K, month-end patrol
    "filed": 4,  # B C G I
    "voided": 0,
    "dispatched": 5,  # G twice
    "handled": 4,  # B twice, C, G
    "handled_on_time": 4,
    "closed": 3,
    "closed_on_time": 3,
    "overdue": 1,  # I
    "overdue_open": 1,
    "should_close": 4,
    "rework": 1,  # B
    "extension": 1,  # C
    "suspension": 0,
    "returned": 1,  # G
    "rated": 0,
    "rated_satisfied": 0,
}
BOTH = {k: WEST[k] + EAST[k] for k in WEST}


def area_score(c: dict, avg_filed: float) -> float:
    return weighted(
        [
            (c["inspector_reported"] / c["reported"], 10),
            (c["filed"] / avg_filed, 20),
            (c["closed"] / c["should_close"], 30),
            (c["closed_on_time"] / c["should_close"], 40),
        ]
    )


@pytest.fixture
def september(app, driver):
    ids = build_september(driver)
    return ids, services.compute_scorecards(MONTH)


def rows_by_code(table):
    return {r.subject_code: r for r in table.rows}


def check_areas(september):
    from gridcity.extensions import db

    ids, tables = september
    west_score = area_score(WEST, (3 + 4) / 2)
    east_score = area_score(EAST, (3 + 4) / 2)
    both_score = area_score(BOTH, 7)
    assert (west_score, east_score, both_score) == (75.48, 80.83, 80.0)
    streets = rows_by_code(tables["street"])
    assert streets["440308001"].counts == WEST and streets["440308002"].counts == EAST
    assert (streets["440308001"].score, streets["440308001"].grade, streets["440308001"].rank) == (
        west_score,
        "B",
        2,
    )
    assert (streets["440308002"].score, streets["440308002"].grade, streets["440308002"].rank) == (
        east_score,
        "B",
        1,
    )
    grids = rows_by_code(tables["work_grid"])
    assert grids["WG01"].counts == WEST and grids["WG02"].counts == EAST
    assert [(r.subject_code, r.rank, r.score) for r in tables["work_grid"].rows] == [
        ("WG02", 1, east_score),
        ("WG01", 2, west_score),
    ]
    # The two unit grids the cases lie in (every case of a side is at one point).
    unit_grids = tables["unit_grid"].rows
    assert sorted(r.counts["reported"] for r in unit_grids) == [6, 6]
    assert {r.subject_code[:9]: r.counts for r in unit_grids} == {"440308001": WEST, "440308002": EAST}
    assert {r.subject_code[:9]: r.parent_kind for r in unit_grids} == {
        "440308001": "work_grid",
        "440308002": "work_grid",
    }
    for tier in ("area", "district"):
        (row,) = tables[tier].rows
        assert row.counts == BOTH
        assert (row.score, row.grade, row.rank) == (both_score, "B", 1)
    # Indicator detail of the west street: values and their 0..100 scores.
    ind = streets["440308001"].indicators
    assert ind["report_rate"]["value"] == round(5 / 6, 4) and ind["report_rate"]["score"] == 83.33
    assert ind["filed_volume"]["value"] == round(3 / 3.5, 4) and ind["filed_volume"]["score"] == 85.71
    assert ind["closure_rate"]["score"] == 100.0 and ind["on_time_closure_rate"]["score"] == 50.0
    assert streets["440308002"].indicators["filed_volume"]["score"] == 100.0  # above the mean: capped
    db.session.rollback()


def check_units(september):
    _, tables = september
    zero = dict.fromkeys(
        (
            "dispatched handled handled_on_time closed closed_on_time overdue overdue_open should_close "
            "rework extension suspension returned rated rated_satisfied"
        ).split(),
        0,
    )
    jd01 = {
        **zero,
        "dispatched": 3,
        "handled": 2,
        "handled_on_time": 1,
        "closed": 2,
        "closed_on_time": 1,
        "overdue": 1,
        "should_close": 2,
        "suspension": 1,
    }
    hw = {
        **zero,
        "dispatched": 4,
        "handled": 4,
        "handled_on_time": 4,
        "closed": 3,
        "closed_on_time": 3,
        "overdue": 1,
        "overdue_open": 1,
        "should_close": 4,
        "rework": 1,
        "extension": 1,
    }
    sz = {**zero, "dispatched": 1, "returned": 1}  # G's first dispatch, returned by SZ

    def unit_score(c):
        def rate(a, b):
            return None if b == 0 else a / b  # nothing due: no value, left out

        return weighted(
            [
                (rate(c["handled_on_time"], c["handled"]), 40),
                (rate(c["closed"], c["should_close"]), 30),
                (rate(c["handled"] - c["rework"], c["handled"]), 20),
                (rate(c["dispatched"] - c["returned"], c["dispatched"]), 10),
            ]
        )

    # SZ handled and closed nothing: only its return-free rate, 0 / 1, counts.
    assert (unit_score(jd01), unit_score(hw), unit_score(sz)) == (80.0, 87.5, 0.0)
    units = rows_by_code(tables["unit"])
    assert units["JD01"].counts == jd01 and units["HW"].counts == hw and units["SZ"].counts == sz
    assert [(r.subject_code, r.score, r.grade, r.rank) for r in tables["unit"].rows] == [
        ("HW", 87.5, "B", 1),
        ("JD01", 80.0, "B", 2),
        ("SZ", 0.0, "E", 3),
    ]


def check_people_and_chain_of_command(september):
    _, tables = september
    people = {
        tier: rows_by_code(tables[tier]) for tier in ("inspector", "operator", "shift_leader", "dispatcher")
    }
    insp = {
        "reported": 6,  # A E F H J L
        "valid": 5,  # E voided
        "patrol_findings": 1,
        "verified": 1,  # D (failed, still a completed verify)
        "verified_on_time": 1,
        "checked": 2,  # A H
        "checked_on_time": 2,
        "grid_valid": 4,  # A F H J in WG01
        "missed": 0,
    }
    insp2 = {
        "reported": 4,  # B G I K (N was in August)
        "valid": 4,
        "patrol_findings": 1,
        "verified": 1,  # C
        "verified_on_time": 1,
        "checked": 4,  # B twice, C, G
        "checked_on_time": 4,
        "grid_valid": 6,  # B C G I K L
        "missed": 2,  # C (hotline) and L (reported by insp)
    }
    assert people["inspector"]["insp"].counts == insp
    assert people["inspector"]["insp2"].counts == insp2
    insp_score = weighted([(5 / 6, 40), (1 - 0 / 4, 20), (1, 20), (2 / 2, 20)])
    insp2_score = weighted([(4 / 4, 40), (1 - 2 / 6, 20), (1, 20), (4 / 4, 20)])
    assert insp_score == insp2_score == 93.33
    # gl (the group leader, an inspector with no grid) did nothing: no score,
    # no grade, no rank, listed after the ranked ones.
    assert [(r.subject_code, r.score, r.grade, r.rank) for r in tables["inspector"].rows] == [
        ("insp", insp_score, "A", 1),
        ("insp2", insp2_score, "A", 1),  # equal scores share a rank
        ("gl", None, None, None),
    ]

    op = {
        "accepted": 11,  # A..J except K, L; plus N (reported in August)
        "accepted_verify": 2,  # C D
        "accepted_verify_on_time": 2,
        "accepted_direct": 9,
        "accepted_direct_on_time": 7,  # B (45 min) and J (next morning) late
        "voided": 0,
    }
    assert people["operator"]["op"].counts == op
    op_score = weighted([(11 / 11, 25), (2 / 2, 40), (7 / 9, 35)])
    assert (people["operator"]["op"].score, people["operator"]["op"].grade) == (op_score, "A") == (92.22, "A")

    lead = {"filed": 7, "filed_on_time": 7, "voided": 1, "closed": 5, "closed_promptly": 4}  # B closed late
    assert people["shift_leader"]["lead"].counts == lead
    lead_score = weighted([(7 / 7, 25), ((7 - 1) / 7, 40), (4 / 5, 35)])
    assert (people["shift_leader"]["lead"].score, people["shift_leader"]["lead"].grade) == (lead_score, "B")
    assert lead_score == 87.29

    disp = {"dispatched": 8, "dispatched_on_time": 8, "dispatched_reworked": 1, "dispatched_returned": 1}
    assert people["dispatcher"]["disp"].counts == disp
    disp_score = weighted([(1, 20), (8 / 8, 40), ((8 - 1) / 8, 40)])
    assert (
        (people["dispatcher"]["disp"].score, people["dispatcher"]["disp"].grade)
        == (disp_score, "A")
        == (95.0, "A")
    )

    # 逐级考核 (own 0.4, team 0.6): group leader gl, team = insp and insp2;
    # area head mgr, own = the area, team = the group leaders; center head,
    # own = the district, team = the area heads. gl has no own score: the
    # team's alone is theirs.
    (group,) = tables["group_leader"].rows
    group_score = round((insp_score + insp2_score) / 2, 2)
    assert (group.subject_code, group.score, group.own_score, group.team_score, group.grade, group.rank) == (
        "PQ01-G1",
        group_score,
        None,
        93.33,
        "A",
        1,
    )
    (head,) = tables["area_head"].rows
    area = area_score(BOTH, 7)
    head_score = round(0.4 * area + 0.6 * group_score, 2)
    assert (head.score, head.own_score, head.team_score, head.grade) == (head_score, area, group_score, "B")
    (center,) = tables["center_head"].rows
    assert center.score == round(0.4 * area + 0.6 * head_score, 2) == 84.8
    assert center.grade == "B"


def check_drill_down(september):
    ids, tables = september
    streets = rows_by_code(tables["street"])
    west, east = streets["440308001"].subject_id, streets["440308002"].subject_id
    assert services.cases_behind(MONTH, "street", east, "overdue") == [ids["I"]]
    assert services.cases_behind(MONTH, "street", west, "voided") == sorted([ids["D"], ids["E"]])
    assert services.cases_behind(MONTH, "street", east, "should_close") == sorted(
        [ids["B"], ids["C"], ids["G"], ids["I"]]
    )
    insp2 = rows_by_code(tables["inspector"])["insp2"].subject_id
    assert services.cases_behind(MONTH, "inspector", insp2, "missed") == sorted([ids["C"], ids["L"]])
    sz = rows_by_code(tables["unit"])["SZ"].subject_id
    assert services.cases_behind(MONTH, "unit", sz, "returned") == [ids["G"]]
    disp = rows_by_code(tables["dispatcher"])["disp"].subject_id
    assert services.cases_behind(MONTH, "dispatcher", disp, "dispatched_reworked") == [ids["B"]]
    op = rows_by_code(tables["operator"])["op"].subject_id
    assert ids["N"] in services.cases_behind(MONTH, "operator", op, "accepted")
    # Every count of every row lists as many distinct cases as it counts
    # when each case contributes once (all counts here but repeated events).
    for tier in ("street", "unit", "inspector"):
        for row in tables[tier].rows:
            for name, n in row.counts.items():
                listed = services.cases_behind(MONTH, tier, row.subject_id, name)
                assert len(listed) <= n and (n == 0) == (not listed), (tier, row.subject_code, name)


def check_refusals():
    from gridcity.core.errors import GridCityError

    with pytest.raises(GridCityError):
        services.cases_behind(MONTH, "street", 1, "no_such_count")
    with pytest.raises(GridCityError):
        services.cases_behind("2026-13", "street", 1, "closed")
    with pytest.raises(GridCityError):
        services.cases_behind(MONTH, "group_leader", 1, "closed")


def test_every_figure_of_the_month_matches_the_hand_count(september):
    check_areas(september)
    check_units(september)
    check_people_and_chain_of_command(september)


def test_drill_down_lists_the_cases_behind_each_figure(september):
    check_drill_down(september)
    check_refusals()
