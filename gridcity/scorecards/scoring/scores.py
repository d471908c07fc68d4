"""Scores, grades and ranks from the month's counts, and the whole month
live (:func:`compute_all`): every tier's table and the contest.

Each counted tier is scored with numpy over all its subjects at once (see
:mod:`.figures`): an indicator's value is its formula over the subject's
counts, the score the weighted sum of the indicator scores (:mod:`.indicators`);
equal scores share a rank. The chain of command (逐级考核) is scored from the
scores of the people and places below it (:func:`leader_tiers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from gridcity.extensions import db
from gridcity.geo.models import Area, District, Street, UnitGrid, WorkGrid, WorkGroup, inspector_work_grid
from gridcity.org.models import Unit, User
from gridcity.scorecards.counting import log
from gridcity.scorecards.counting.counts import AREA_TIERS, PERSON_TIERS, TIERS
from gridcity.scorecards.counting.engine import Counts, TierCounts, count_month, month_bounds, shift_month
from gridcity.scorecards.counting.rows import int_matrix
from gridcity.scorecards.scoring import contest
from gridcity.scorecards.scoring import indicators as ind
from gridcity.scorecards.scoring.figures import IndicatorFigures, TierFigures, bulk_objects
from gridcity.scorecards.scoring.tables import ContestTable, ScorecardRow, ScorecardTable

# ---------------------------------------------------------------- subjects


def _subjects() -> dict[str, dict[int, tuple[str, str, str | None, int | None]]]:
    """{tier: {id: (code, name, parent_kind, parent_id)}} for the listed tiers."""
    s: dict = {}
    s["work_grid"] = {
        r.id: (r.code, r.name, "area", r.area_id)
        for r in db.session.execute(select(WorkGrid.id, WorkGrid.code, WorkGrid.name, WorkGrid.area_id))
    }
    s["area"] = {
        r.id: (r.code, r.name, "street", r.street_id)
        for r in db.session.execute(select(Area.id, Area.code, Area.name, Area.street_id))
    }
    districts = {r.id: r for r in db.session.execute(select(District.id, District.code, District.name))}
    s["district"] = {i: (r.code, r.name, None, None) for i, r in districts.items()}
    s["street"] = {
        r.id: (districts[r.district_id].code + r.code, r.name, "district", r.district_id)
        for r in db.session.execute(select(Street.id, Street.code, Street.name, Street.district_id))
    }
    s["unit"] = {
        r.id: (r.code, r.name, None, None)
        for r in db.session.execute(select(Unit.id, Unit.code, Unit.name).where(Unit.active))
    }
    for role in PERSON_TIERS:
        s[role] = {
            r.id: (r.username, r.display_name, None, None)
            for r in db.session.execute(
                select(User.id, User.username, User.display_name).where(User.role == role, User.active)
            )
        }
    return s


def _unit_grids() -> dict:
    """Code and work grid of every unit grid, from a per-app copy that is
    reloaded when the grids' revision moves (every change to unit grids or
    their work grids moves it: ``geo.services``)."""
    from gridcity.geo.models import GeoRevision

    revision = db.session.scalar(select(GeoRevision.revision).where(GeoRevision.id == 1))
    cache = current_app.extensions.setdefault("scorecard_unit_grids", {})
    if cache.get("revision") != revision or revision is None:
        grids = {
            grid_id: (code, code, "work_grid" if wg else None, wg)
            for grid_id, code, wg in db.session.execute(
                select(UnitGrid.id, UnitGrid.code, UnitGrid.work_grid_id)
            )
        }
        cache.update(grids=grids, revision=revision)  # read by other threads: the pair at once
        return grids
    return cache["grids"]


def _user_names(ids) -> dict[int, tuple[str, str]]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {
        r.id: (r.username, r.display_name)
        for r in db.session.execute(select(User.id, User.username, User.display_name).where(User.id.in_(ids)))
    }


# ---------------------------------------------------------------- scoring


def score_tier(
    tier: str, subjects: dict, counts: TierCounts, definitions: dict, previous: LastMonth
) -> TierFigures:
    """A counted tier scored, graded and ranked, best first, as columns (no
    row objects: see :mod:`gridcity.scorecards.scoring.figures`).

    DOMAIN.md §7.1 rule 9: an indicator over an empty denominator has no
    value (NaN here, None in the rows) and is left out, the subject's score
    being the weighted mean of the indicators that have one; a subject with
    no count at all, or no weighted indicator with a value, has no score, no
    grade and no rank, and comes after the ranked ones. Rule 10: ranks are
    competition ranks (1, 2, 2, 4) of the score as shown (2 decimals)."""
    names = ind.TIER_COUNTS[tier]
    ids = list(subjects)
    n = len(ids)
    if n == 0:
        return TierFigures.empty(tier, names)
    count_matrix = counts.rows_for(np.array(ids, dtype=np.int64))
    matrix = count_matrix.astype(float)
    values = {c: matrix[:, j] for j, c in enumerate(names)}
    means = ind.tier_means(count_matrix)
    for j, c in enumerate(names):
        values[f"avg_{c}"] = means[j]
    results, weighted, weight_in = [], np.zeros(n), np.zeros(n)
    for item in definitions["tiers"][tier]:
        value = ind.evaluate_many(ind.Formula(item["formula"]), values, n, ind.empty_value(item))
        part = np.clip(value * item["scale"], 0.0, 100.0)  # NaN stays NaN: no value
        has = ~np.isnan(part)
        weighted += np.where(has, part, 0.0) * item["weight"]
        weight_in += np.where(has, item["weight"], 0.0)
        results.append((item, value, part))
    scored = (weight_in > 0) & count_matrix.any(axis=1)
    scores = np.where(scored, np.round(weighted / np.where(scored, weight_in, 1.0), 2), np.nan)
    # Scored subjects best first, then the unscored; ties by code (a stable
    # sort of the subjects in code order).
    codes, subject_names, parent_kinds, parent_ids = zip(*subjects.values(), strict=True)
    by_code = np.argsort(np.array(codes), kind="stable")
    order = by_code[np.lexsort((-np.where(scored, scores, 0.0)[by_code], ~scored[by_code]))]
    ordered = scores[order]
    ranked = int(scored.sum())
    ranks = competition_ranks(ordered[:ranked]) + [None] * (n - ranked)
    bands = definitions["grades"]
    band_of = np.full(ranked, len(bands) - 1)
    for k in range(len(bands) - 1, -1, -1):  # the first band reached wins
        band_of[ordered[:ranked] >= bands[k]["min"]] = k
    grades = [bands[k]["grade"] for k in band_of.tolist()] + [None] * (n - ranked)
    ordered_ids = np.array(ids, dtype=np.int64)[order]
    in_order = itemgetter(*order.tolist()) if n > 1 else lambda column: column
    codes, subject_names, parent_kinds, parent_ids = map(
        in_order, (codes, subject_names, parent_kinds, parent_ids)
    )
    if len(previous.ids):
        before = previous.of(ordered_ids)
        before_list = [None if b != b else b for b in before.tolist()]  # NaN: no score last month
        changes = [None if c != c else c for c in np.round(ordered - before, 2).tolist()]
    else:
        before_list, changes = [None] * n, [None] * n
    return TierFigures(
        tier,
        ordered_ids,
        codes,
        subject_names,
        parent_kinds,
        parent_ids,
        tuple(names),
        count_matrix[order],
        [
            IndicatorFigures(
                item["code"],
                item["name_zh"],
                item["name_en"],
                item["weight"],
                np.round(value, 4)[order],
                np.round(part, 2)[order],
            )
            for item, value, part in results
        ],
        ordered,
        grades,
        ranks,
        before_list,
        changes,
    )


def competition_ranks(scores: np.ndarray) -> list[int]:
    """Ranks of scores sorted best first, equal scores sharing the rank of
    the first of them (1, 2, 2, 4)."""
    n = len(scores)
    if n == 0:
        return []
    first_of_score = np.r_[True, scores[1:] != scores[:-1]]
    return np.maximum.accumulate(np.where(first_of_score, np.arange(1, n + 1), 0)).tolist()


def finish(rows: list[ScorecardRow], definitions: dict, previous: dict[int, float]) -> list[ScorecardRow]:
    """Grade, rank and compare with last month: equal scores share a rank
    (1, 2, 2, 4); rows without a score have no grade or rank and come last."""
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0.0), r.subject_code))
    rank, last = 0, None
    for position, row in enumerate(rows, start=1):
        before = previous.get(row.subject_id)
        if before is not None:
            row.previous_score = before
        if row.score is None:
            row.rank = row.grade = None
            continue
        if row.score != last:
            rank, last = position, row.score
        row.rank = rank
        row.grade = ind.grade_for(row.score, definitions["grades"])
        if before is not None:
            row.change = round(row.score - before, 2)
    return rows


def _combine(
    own: float | None, team: list[float], rule: dict
) -> tuple[float | None, float | None, float | None]:
    """A leader's score from their own and their team's (the mean of the team
    members that have a score); no score when neither part has one."""
    team_score = round(sum(team) / len(team), 2) if team else None
    if own is None and team_score is None:
        return None, None, None
    if own is None:
        return team_score, None, team_score
    if team_score is None:
        return own, own, None
    total = rule["own"] + rule["team"]
    return round((own * rule["own"] + team_score * rule["team"]) / total, 2), own, team_score


def leader_tiers(
    scored: dict[str, TierFigures], definitions: dict, previous: dict[str, LastMonth]
) -> dict[str, list[ScorecardRow]]:
    """逐级考核: group leader → area head → center head, each combining their
    own score and their team's by the tier rule. Returns their rows by tier."""
    rules = definitions["tier_rules"]
    inspector_score = scored["inspector"].score_of()
    area_score = scored["area"].score_of()
    tables: dict[str, list[ScorecardRow]] = {}
    grid_inspectors: dict[int, list[int]] = {}
    for user_id, wg_id in db.session.execute(
        select(inspector_work_grid.c.user_id, inspector_work_grid.c.work_grid_id)
    ):
        grid_inspectors.setdefault(wg_id, []).append(user_id)
    groups = db.session.execute(
        select(WorkGroup.id, WorkGroup.code, WorkGroup.area_id, WorkGroup.leader_user_id)
    ).all()
    group_grids: dict[int, list[int]] = {}
    for wg_id, group_id in db.session.execute(select(WorkGrid.id, WorkGrid.work_group_id)):
        if group_id is not None:
            group_grids.setdefault(group_id, []).append(wg_id)
    areas = db.session.execute(select(Area.id, Area.code, Area.name, Area.head_user_id)).all()
    names = _user_names([g.leader_user_id for g in groups] + [a.head_user_id for a in areas])

    group_rows, leader_of_area = [], {}
    for g in groups:
        if g.leader_user_id is None:
            continue
        team = sorted(
            {u for wg in group_grids.get(g.id, []) for u in grid_inspectors.get(wg, [])} - {g.leader_user_id}
        )
        score, own, team_score = _combine(
            inspector_score.get(g.leader_user_id),
            [inspector_score[u] for u in team if u in inspector_score],
            rules["group_leader"],
        )
        username, display = names.get(g.leader_user_id, (str(g.leader_user_id), ""))
        group_rows.append(
            ScorecardRow(
                "group_leader",
                g.leader_user_id,
                g.code,
                display or username,
                score=score,
                own_score=own,
                team_score=team_score,
                parent_kind="area",
                parent_id=g.area_id,
            )
        )
        if score is not None:
            leader_of_area.setdefault(g.area_id, []).append(score)
    tables["group_leader"] = finish(
        group_rows, definitions, previous.get("group_leader", NO_LAST_MONTH).as_dict()
    )

    head_rows = []
    for a in areas:
        if a.head_user_id is None:
            continue
        score, own, team_score = _combine(
            area_score.get(a.id), leader_of_area.get(a.id, []), rules["area_head"]
        )
        username, display = names.get(a.head_user_id, (str(a.head_user_id), ""))
        head_rows.append(
            ScorecardRow(
                "area_head",
                a.head_user_id,
                a.code,
                display or username,
                score=score,
                own_score=own,
                team_score=team_score,
                parent_kind="area",
                parent_id=a.id,
            )
        )
    tables["area_head"] = finish(head_rows, definitions, previous.get("area_head", NO_LAST_MONTH).as_dict())

    district_scores = list(scored["district"].score_of().values())  # best first, as the rows were summed
    own = round(sum(district_scores) / len(district_scores), 2) if district_scores else None
    score, own, team_score = _combine(
        own, [r.score for r in head_rows if r.score is not None], rules["center_head"]
    )
    center = ScorecardRow(
        "center_head", 0, "center", "指挥中心", score=score, own_score=own, team_score=team_score
    )
    tables["center_head"] = finish(
        [center], definitions, previous.get("center_head", NO_LAST_MONTH).as_dict()
    )
    return tables


# ---------------------------------------------------------------- the whole month


@dataclass
class MonthResult:
    month: str
    definition_version: int
    tables: dict[str, ScorecardTable]
    contest: ContestTable
    counts: Counts


@dataclass
class LastMonth:
    """Last month's scores of one tier, from its latest frozen version: the
    subjects' ids (ascending) and their scores (NaN: none)."""

    ids: np.ndarray
    scores: np.ndarray

    def of(self, subject_ids: np.ndarray) -> np.ndarray:
        """Each of ``subject_ids``' score last month (NaN: none)."""
        if not len(self.ids):
            return np.full(len(subject_ids), np.nan)
        at = np.minimum(np.searchsorted(self.ids, subject_ids), len(self.ids) - 1)
        return np.where(self.ids[at] == subject_ids, self.scores[at], np.nan)

    @classmethod
    def from_dict(cls, scores: dict[int, float]) -> LastMonth:
        ids = sorted(scores)
        return cls(np.array(ids, dtype=np.int64), np.array([scores[i] for i in ids], dtype=float))

    def as_dict(self) -> dict[int, float]:
        """``{subject_id: score}`` of the subjects that had one."""
        return {i: s for i, s in zip(self.ids.tolist(), self.scores.tolist(), strict=True) if s == s}


NO_LAST_MONTH = LastMonth(np.zeros(0, dtype=np.int64), np.zeros(0))


def previous_scores(month: str) -> dict[str, LastMonth]:
    """Last month's scores per tier from its latest frozen version (a city
    month has ~85,000 rows: read as one integer matrix, each score in
    hundredths — every score is kept to two decimals — and -1 for none)."""
    from gridcity.scorecards.models import ScorecardRowRecord, ScorecardVersion

    prev = shift_month(month, -1)
    version_id = db.session.scalar(
        select(ScorecardVersion.id)
        .where(ScorecardVersion.month == prev)
        .order_by(ScorecardVersion.version.desc())
        .limit(1)
    )
    if version_id is None:
        return {}
    rows = ScorecardRowRecord.__table__
    matrix = int_matrix(
        select(
            log.Code({t: k for k, t in enumerate(TIERS)}, value=rows.c.tier).sql(),
            log.key(rows.c.subject_id),
            log.key(func.round(rows.c.score * 100)),
        ).where(rows.c.version_id == version_id),
        3,
    )
    matrix = matrix[np.lexsort((matrix[:, 1], matrix[:, 0]))]
    out: dict[str, LastMonth] = {}
    for k, tier in enumerate(TIERS):
        mine = matrix[matrix[:, 0] == k]
        if len(mine):
            hundredths = mine[:, 2]
            out[tier] = LastMonth(mine[:, 1].copy(), np.where(hundredths >= 0, hundredths / 100, np.nan))
    return out


def compute_all(month: str, adjust: Callable[[Counts], None] | None = None) -> MonthResult:
    """Every tier's table and the contest of ``month``, live.

    The counted tiers come out as columns: each table holds its tier's
    figures as arrays (:class:`~gridcity.scorecards.scoring.figures.TierFigures`:
    ids, codes, counts, indicator values and scores, scores, grades, ranks,
    last month's score) and makes its :class:`ScorecardRow` objects only when
    ``table.rows`` is first read. The leader tiers (a few thousand rows at
    most) are made as rows directly.

    ``adjust``, when given, changes the counts in place before they are
    scored (a frozen month's accepted appeals:
    ``snapshots.appeal_exclusions.step``)."""
    with bulk_objects():
        return _compute_all(month, adjust)


def _compute_all(month: str, adjust: Callable[[Counts], None] | None = None) -> MonthResult:
    start, end = month_bounds(month)
    definition_set = ind.set_for_month(month)
    definitions = definition_set.document
    # Who and what is scored, and last month's scores, are read beside the
    # month's counting.
    with log.read_aside(lambda: (_subjects(), _unit_grids(), previous_scores(month))) as scoring_reads:
        counts = count_month(start, end, definitions["limits_minutes"])
    subjects, unit_grids, previous = scoring_reads()
    if adjust is not None:
        adjust(counts)
    subjects["unit_grid"] = {
        i: unit_grids[i] for i in counts.arrays["unit_grid"].ids.tolist() if i in unit_grids
    }
    for role in PERSON_TIERS:  # someone who acted in a role they no longer have
        missing = set(counts.tier(role).ids.tolist()) - set(subjects[role])
        for user_id, (username, display) in _user_names(missing).items():
            subjects[role][user_id] = (username, display, None, None)
    scored = {
        tier: score_tier(
            tier, subjects[tier], counts.tier(tier), definitions, previous.get(tier, NO_LAST_MONTH)
        )
        for tier in (*AREA_TIERS, "unit", *PERSON_TIERS)
    }
    tables = {
        tier: ScorecardTable(month, tier, None, definition_set.version, None, figures=figures)
        for tier, figures in scored.items()
    }
    for tier, rows in leader_tiers(scored, definitions, previous).items():
        tables[tier] = ScorecardTable(month, tier, rows, definition_set.version, None)
    contest_table = contest.compute(month, counts.patrol_findings)
    return MonthResult(month, definition_set.version, tables, contest_table, counts)
