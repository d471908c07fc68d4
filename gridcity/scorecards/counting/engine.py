"""The counting engine: a month's counts for every subject from the case
history, and the cases behind each count (the drill-down). Scores, grades
and ranks are made from these counts one layer up
(:mod:`gridcity.scorecards.scoring.scores`).

The counts follow the counting rules of DOMAIN.md §7.1 (binding). Every
event is a ``case_event`` row whose ``at`` falls in the month, with its
case; what each count counts is in ``counts.COUNT_DOCS``. The month's events
and cases are read as integer matrices (:mod:`.log`) and the rules applied to
whole columns; the cases with a history (returns, extensions, suspensions,
reworks: a few in a hundred) are walked event by event (:mod:`.timeline`).

Who a count goes to (rule 3):

- areas (unit grid, work grid, area, street, district): the case's place;
- units: the unit that held the case when the event happened — the unit of
  the case's latest dispatch before it (a dispatch counts for the unit it
  names), none after an approved return; so a return, extension,
  suspension, rework, handling or close counts for the unit of the time, and
  an overdue for the unit whose clock ran out, even after the case moved on;
- people: the actor of the event, by the role they acted in (the inspector
  who completed a verify or check task is the actor of that event); a
  dispatcher's ``dispatched_reworked`` / ``dispatched_returned`` count their
  dispatches of the month that were reworked / returned within the month
  (before the case's next dispatch), each dispatch once.

Lateness (rules 1, 2, 5) is a fact of time, read from the deadlines the
history records (each dispatch, approved extension, resumption and rework
records the running handling deadline, on the category's clock with the
suspension pauses); the sweeper's marks are notifications and count for
nothing:

- a handling is on time (``handled_on_time``) iff it was done by the
  deadline in force at that moment; a close is on time (``closed_on_time``)
  iff the handling it closed was;
- a running deadline *passes* at its instant if the clock ran up to it from
  the event that set it with no handling, nor approved suspension, return or
  extension in between (the extensions in force at that moment: one asked
  for in time but approved after the deadline makes a new deadline, which
  judges the handling, but the one in force had passed).
  ``overdue`` counts, for a place, the cases a deadline of which passed in the
  month (and before now); for a unit, the cases whose deadline passed while
  it held them. ``overdue_open``: of those, the cases not closed by the
  month's end; ``should_close`` = ``closed`` + ``overdue_open``;
- an extension moves a deadline only if it was asked for before the
  deadline passed; one asked for later leaves the step late — its dispatch's
  clock had run out, so every later step under that dispatch is late too,
  whatever deadline the services recorded;
- each step is timed from the event that made it possible: accept from the
  report, file from acceptance (or verification), dispatch from filing and a
  re-dispatch from the approval of the return, close (``closed_promptly``)
  from the passed check, each within ``limits_minutes`` on the continuous
  clock; the handling from the dispatch the unit received (above);
- ``verified_on_time`` / ``checked_on_time``: the task the event completed
  (its ``task_id``: rule 4, never matched by time) was completed by its
  ``due_at``.

Reports (rule 6):

- ``valid``: a report whose case was not voided; a report merged into
  another case keeps its credit for its reporter;
- missed reports (漏报): ``grid_valid`` counts the valid cases (reports not
  merged into another) reported in the month in an inspector's work grids,
  ``missed`` those whose first report — the earliest of the case's own and
  the reports merged into it — came from someone who is not an inspector of
  that work grid. Every inspector of the work grid gets its figures.

Figures and drill-downs (rule 8): :func:`month_facts` lists the rows every
count counted — a case per counted case, an event per counted event; a
subject's figure is the number of its rows and its drill-down lists them,
as long as its figure. A frozen month stores them with its figures.

Unit grids get a row only when they have a count in the month (a city has
hundreds of thousands); every other tier lists all its subjects.

The center's time limits (``limits_minutes``) are part of the indicator
definitions, which live one layer up: the caller passes them in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import func, or_, select

from gridcity.cases.models import CaseTask
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.models import inspector_work_grid
from gridcity.scorecards.counting import counts as ind
from gridcity.scorecards.counting import log
from gridcity.scorecards.counting.counts import AREA_TIERS, LEADER_TIERS, PERSON_TIERS
from gridcity.scorecards.counting.log import ACTION, CA, EV, NONE, STATE, TL, C, E, P
from gridcity.scorecards.counting.rows import through as rows_through
from gridcity.scorecards.counting.timeline import walk

CONTEST_PATROL_KINDS = log.CONTEST_PATROL_KINDS
T = CaseTask.__table__.alias("t")

# ---------------------------------------------------------------- months


def parse_month(month: str) -> tuple[int, int]:
    try:
        year, mon = str(month).split("-")
        y, m = int(year), int(mon)
        if len(year) != 4 or len(mon) != 2 or not 1 <= m <= 12:
            raise ValueError
    except ValueError:
        raise GridCityError("bad_request", detail=f"month must be YYYY-MM (got {month!r})") from None
    return y, m


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a month in the city's time zone, as UTC."""
    from gridcity.mobile.services import month_bounds as bounds

    y, m = parse_month(month)
    return bounds(y, m, current_app.config["SETTINGS"].timezone)


def shift_month(month: str, delta: int) -> str:
    y, m = parse_month(month)
    n = y * 12 + (m - 1) + delta
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def month_of(moment: dt.datetime) -> str:
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(current_app.config["SETTINGS"].timezone))
    return f"{local.year:04d}-{local.month:02d}"


# ---------------------------------------------------------------- §7.1 on the month's events

# Columns of the crossing rows: the case, its place keys and unit (as
# PLACE_KEYS), then flags.
CROSSING_COLUMNS = ("case_id", *("unit_grid", "work_grid", "area", "street", "district", "unit"))
PLACE_KEYS = (*AREA_TIERS, "unit")

FINE_COUNTS = tuple(c for c in dict.fromkeys(ind.AREA_COUNTS + ind.UNIT_COUNTS) if c != "should_close")
# What a flag per event marks, for places × units (missed reports per work
# grid too) and actors × roles. The overdue counts come from the deadlines
# that passed (:func:`overdue_crossings`): a place's count cases, a unit's
# the cases it held (a case can pass two units' deadlines).
OVERDUE_COUNTS = ("overdue", "overdue_open")
PLACE_EVENT_COUNTS = (*(c for c in FINE_COUNTS if c not in OVERDUE_COUNTS), "grid_valid", "missed")
# Verify and check tasks done on time: counted apart, from the month's tasks.
TASK_COUNTS = ("verified_on_time", "checked_on_time")
PERSON_EVENT_COUNTS = tuple(
    c
    for c in dict.fromkeys(sum(ind.ROLE_COUNTS.values(), ()))
    if c not in ("grid_valid", "missed", "dispatched_reworked", "dispatched_returned", *TASK_COUNTS)
)


def _pair(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Two non-negative ids as one sortable key (NONE in either: -1)."""
    return np.where((high >= 0) & (low >= 0), (high << 32) | (low & 0xFFFFFFFF), -1)


def _last_before(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each ``wanted`` (case, id) key, the row of ``keys`` (sorted) of the
    same case with the largest smaller id: (row, found)."""
    at = np.searchsorted(keys, wanted, side="left") - 1
    safe = np.maximum(at, 0)
    found = at >= 0
    if len(keys):
        found &= (keys[safe] >> 32) == (wanted >> 32)
    return safe, found


def _for_each_inspector(grids: np.ndarray, case_ids: np.ndarray, work_grids: np.ndarray) -> np.ndarray:
    """Rows (inspector, case): each case once for every inspector of its work
    grid. ``grids``: rows (inspector, work grid) sorted by work grid."""
    first = np.searchsorted(grids[:, 1], work_grids, side="left")
    many = np.searchsorted(grids[:, 1], work_grids, side="right") - first
    starts = np.cumsum(many) - many
    at = np.arange(int(many.sum())) - np.repeat(starts, many) + np.repeat(first, many)
    return np.column_stack([grids[at, 0], np.repeat(case_ids, many)])


def _first_reporters(cases: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Rule 6: the reporter of each case's first report — the earliest of its
    own and the reports merged into it (by time, then id) — for the cases
    ``among`` (a mask over ``cases``)."""
    reporters = cases[:, CA["reporter"]].copy()
    merged = log.merged_reports(np.unique(cases[among, 0]))
    if len(merged):
        # The earliest merged report of each target: sort by target, time, id.
        merged = merged[np.lexsort((merged[:, 3], merged[:, 2], merged[:, 0]))]
        first = merged[np.r_[True, merged[1:, 0] != merged[:-1, 0]]]
        row = np.searchsorted(cases[:, 0], first[:, 0])
        own_time, own_id = cases[row, CA["reported"]], cases[row, 0]
        earlier = (first[:, 2] < own_time) | ((first[:, 2] == own_time) & (first[:, 3] < own_id))
        reporters[row[earlier]] = first[earlier, 1]
    return reporters


def _event_flags(ev: np.ndarray, cases: np.ndarray, row: np.ndarray, keys: np.ndarray, result, limits: dict):
    """Per event of the month, a flag per count of :data:`PLACE_EVENT_COUNTS`
    and :data:`PERSON_EVENT_COUNTS`, and the unit that held its case (rule 3).
    ``row``: each event's case in ``cases``; ``keys``: the walked timeline
    events' (case, id) keys (sorted), ``result`` the walk."""
    n = len(ev)
    a, to, at = ev[:, EV["action"]], ev[:, EV["to_state"]], ev[:, EV["at"]]

    def of_case(name: str) -> np.ndarray:
        return cases[row, CA[name]]

    simple = of_case("simple") == 1
    returned_case = of_case("returned") == 1
    deadline, handled = of_case("deadline"), of_case("handled")

    # What the walk of the cases with a history says at each of their events:
    # at the event itself (a handling's or close's lateness, the unit a
    # dispatch names) and just before it (the unit holding the case, its
    # latest return).
    held, returned_at = np.full(n, NONE), np.full(n, NONE)
    dispatched_to, walked_on_time = np.full(n, NONE), np.zeros(n, dtype=bool)
    checked = of_case("checked")  # a close is timed from the check it closed
    walked = np.flatnonzero(~simple)
    if len(walked) and len(keys):
        wanted = _pair(ev[walked, EV["case_id"]], ev[walked, EV["id"]])
        at_key = np.searchsorted(keys, wanted)
        itself = np.minimum(at_key, len(keys) - 1)
        found = keys[itself] == wanted
        walked_on_time[walked] = found & result.on_time[itself]
        dispatched_to[walked] = np.where(found, result.held_after[itself], NONE)
        checked[walked] = np.where(found, result.checked_before[itself], checked[walked])
        before = np.maximum(at_key - 1, 0)
        has_before = (at_key > 0) & ((keys[before] >> 32) == (wanted >> 32))
        held[walked] = np.where(has_before, result.held_after[before], NONE)
        returned_at[walked] = np.where(has_before, result.returned_after[before], NONE)

    def within(earlier, minutes):
        """Done within ``minutes`` of ``earlier`` (on the continuous clock)."""
        return (earlier != NONE) & (at - earlier <= round(minutes * 60_000_000))

    is_ = {name: a == code for name, code in ACTION.items()}
    state = {name: to == code for name, code in STATE.items()}
    report, valid_case = is_["report"], of_case("voided") == 0
    grid_case = report & valid_case & (of_case("merged") == 0)
    # Rule 6: a grid's case is missed unless its first report came from an
    # inspector of its work grid.
    reports = np.flatnonzero(grid_case)
    among = np.zeros(len(cases), dtype=bool)
    among[row[reports]] = True
    reporters = _first_reporters(cases, among)[row[reports]]
    grids = log.inspector_grids()
    own = np.zeros(n, dtype=bool)
    own[reports] = np.isin(
        _pair(cases[row[reports], CA["work_grid"]], reporters), _pair(grids[:, 1], grids[:, 0])
    )
    dispatch_from = np.where(returned_case & (returned_at != NONE), returned_at, of_case("filed"))
    reported_at = of_case("reported")
    flags = {
        "reported": report,
        "inspector_reported": report & (of_case("inspector_source") == 1),
        "valid": report & valid_case,
        "patrol_findings": report & valid_case & (of_case("contest_patrol") == 1),
        # per work grid; every inspector of the grid gets the grid's figures
        "grid_valid": grid_case,
        "missed": grid_case & ~own,
        "filed": is_["file"],
        "voided": (is_["void"] | is_["verify"]) & state["voided"],
        "dispatched": is_["dispatch"],
        "handled": is_["handle"],
        "handled_on_time": is_["handle"]
        & np.where(simple, (deadline != NONE) & (at <= deadline), walked_on_time),
        "closed": is_["close"],
        "closed_on_time": is_["close"]
        & np.where(simple, (handled != NONE) & (deadline != NONE) & (handled <= deadline), walked_on_time),
        # a failed check, or a shift leader's 不予结案
        "rework": (is_["check"] & state["in_progress"]) | is_["rework"],
        # a citizen's rating, for the unit that held the case then (rule 3)
        "rated": is_["rating_satisfied"] | is_["rating_basic"] | is_["rating_unsatisfied"],
        "rated_satisfied": is_["rating_satisfied"] | is_["rating_basic"],
        "extension": ev[:, EV["approved"]] == log.APPROVED_EXTENSION,
        "suspension": is_["decide"] & state["suspended"],
        "returned": is_["decide"] & state["filed"],
        "verified": is_["verify"],
        "checked": is_["check"],
        "accepted": is_["accept"],
        "accepted_verify": is_["accept"] & state["verifying"],
        "accepted_verify_on_time": is_["accept"] & state["verifying"] & within(reported_at, limits["accept"]),
        "accepted_direct": is_["accept"] & state["accepted"],
        "accepted_direct_on_time": is_["accept"] & state["accepted"] & within(reported_at, limits["accept"]),
        "filed_on_time": is_["file"] & within(of_case("desk_done"), limits["file"]),
        "closed_promptly": is_["close"] & within(checked, limits["close"]),
        "dispatched_on_time": is_["dispatch"] & within(dispatch_from, limits["dispatch"]),
    }
    # A case never returned had one dispatch, to the unit its row names; a
    # dispatch of another holds for the unit it names (the walk's unit after it).
    unit = np.where(returned_case, np.where(is_["dispatch"], dispatched_to, held), of_case("unit"))
    return flags, unit


# ---------------------------------------------------------------- overdue (rule 1)


def _simple_crossings(cases: np.ndarray, start_us: int, bound_us: int) -> np.ndarray:
    """Cases with no history whose deadline passed in [start, bound): their
    row's deadline came before their handling. Rows (case, unit, deadline)."""
    deadline, dispatched, handled = (cases[:, CA[k]] for k in ("deadline", "dispatched", "handled"))
    passed = (
        (cases[:, CA["simple"]] == 1)
        & (deadline >= start_us)
        & (deadline < bound_us)
        & (dispatched != NONE)
        & (dispatched < deadline)
        & ((handled == NONE) | (handled > deadline))
    )
    return cases[passed][:, [0, CA["unit"], CA["deadline"]]]


def overdue_crossings(simple: np.ndarray, walked: np.ndarray, cases: np.ndarray, end_us: int) -> np.ndarray:
    """Rule 1: every running deadline that passed in the month — rows of
    :data:`CROSSING_COLUMNS` plus three flags: the case's first in the month
    (a place's ``overdue`` counts cases), the first of that case at that unit
    (a unit's), the case not closed by the month's end (``overdue_open``).
    ``simple``: (case, unit, deadline) rows of cases with no history;
    ``walked``: the walk's (case, unit held, deadline, set by a dispatch)."""
    if len(walked):
        row = np.searchsorted(cases[:, 0], walked[:, 0])
        # A case never returned is held by its unit, except a dispatch's own
        # deadline, which names its unit (see _event_flags).
        never_returned = (cases[row, CA["returned"]] == 0) & (walked[:, 3] == 0)
        walked = np.column_stack(
            [walked[:, 0], np.where(never_returned, cases[row, CA["unit"]], walked[:, 1]), walked[:, 2]]
        )
    rows = np.vstack([simple.reshape(-1, 3), walked.reshape(-1, 3)])
    width = len(CROSSING_COLUMNS) + 3
    if not len(rows):
        return np.zeros((0, width), dtype=np.int64)
    rows = rows[np.lexsort((rows[:, 2], rows[:, 0]))]
    case_row = cases[np.searchsorted(cases[:, 0], rows[:, 0])]
    first_case = np.r_[True, rows[1:, 0] != rows[:-1, 0]]
    pair = np.lexsort((np.arange(len(rows)), rows[:, 1], rows[:, 0]))
    first_unit = np.zeros(len(rows), dtype=bool)
    sorted_pairs = rows[pair][:, :2]
    first_unit[pair] = np.r_[True, np.any(sorted_pairs[1:] != sorted_pairs[:-1], axis=1)]
    closed = case_row[:, CA["closed"]]
    still_open = (closed == NONE) | (closed >= end_us)
    places = case_row[:, [CA[p] for p in log.PLACE_COLUMNS]]
    return np.column_stack([rows[:, 0], places, rows[:, 1], first_case, first_unit, still_open]).astype(
        np.int64
    )


def _dispatches_undone(timelines: np.ndarray, start_us: int, end_us: int) -> np.ndarray:
    """Rows (dispatcher, case, is_rework) of the month's dispatches that
    were reworked or returned later in the month, before the case's next
    dispatch: one row per dispatch and outcome (a dispatch reworked twice is
    one reworked dispatch), so a dispatcher's reworked dispatches are some
    of their dispatches (rule 4: no rate leaves 0–100 %). ``timelines``: of
    every case with a rework or a return in the month."""
    tl = timelines
    a, to, at = tl[:, TL["action"]], tl[:, TL["to_state"]], tl[:, TL["at"]]
    rework = ((a == ACTION["check"]) & (to == STATE["in_progress"])) | (a == ACTION["rework"])
    returned = (a == ACTION["decide"]) & (to == STATE["filed"])
    in_month = (rework | returned) & (at >= start_us) & (at < end_us)
    undone, is_rework = tl[in_month], rework[in_month]
    dispatches = tl[a == ACTION["dispatch"]]
    row, found = _last_before(
        _pair(dispatches[:, TL["case_id"]], dispatches[:, TL["id"]]),
        _pair(undone[:, TL["case_id"]], undone[:, TL["id"]]),
    )
    if not len(dispatches):
        return np.zeros((0, 3), dtype=np.int64)
    d = dispatches[row]
    keep = found & (d[:, TL["at"]] >= start_us) & (d[:, TL["at"]] < end_us) & (d[:, TL["actor_id"]] != NONE)
    outcomes = np.column_stack([d[keep, TL["id"]], is_rework[keep]])
    _, first = np.unique(outcomes, axis=0, return_index=True)
    d, outcome = d[keep][first], is_rework[keep][first]
    return np.column_stack([d[:, TL["actor_id"]], d[:, TL["case_id"]], outcome]).reshape(-1, 3)


# ---------------------------------------------------------------- counting


@dataclass
class TierCounts:
    """One tier's counts as arrays: the subjects' ids (ascending) and a
    matrix with a row per subject and a column per name of ``names``."""

    ids: np.ndarray
    matrix: np.ndarray
    names: tuple[str, ...]

    @classmethod
    def from_dict(cls, counts: dict[int, dict[str, int]], names) -> TierCounts:
        ids = sorted(counts)
        matrix = np.array([[counts[i].get(n, 0) for n in names] for i in ids], dtype=np.int64)
        return cls(np.array(ids, dtype=np.int64), matrix.reshape(len(ids), len(names)), tuple(names))

    def as_dict(self) -> dict[int, dict[str, int]]:
        return {
            i: dict(zip(self.names, row))  # noqa: B905 - same length by construction
            for i, row in zip(self.ids.tolist(), self.matrix.tolist(), strict=True)
        }

    def rows_for(self, subject_ids: np.ndarray) -> np.ndarray:
        """The matrix rows of the given subjects (zeros where one has none)."""
        out = np.zeros((len(subject_ids), len(self.names)), dtype=np.int64)
        if len(self.ids) and len(subject_ids):
            at = np.minimum(np.searchsorted(self.ids, subject_ids), len(self.ids) - 1)
            found = self.ids[at] == subject_ids
            out[found] = self.matrix[at[found]]
        return out


@dataclass
class Counts:
    """Counts per tier as arrays (:class:`TierCounts`), people's tiers too: a
    city has hundreds of thousands of unit grids and thousands of inspectors."""

    arrays: dict[str, TierCounts] = field(default_factory=dict)
    patrol_findings: list[tuple] = field(default_factory=list)  # (street_id, category code, kind, n)
    # The rows behind every count (:func:`month_facts`), frozen with the figures.
    facts: dict = field(default_factory=dict)

    @property
    def by_tier(self) -> dict[str, dict[int, dict[str, int]]]:
        """Every tier as ``{tier: {subject_id: {count: n}}}``."""
        return {t: a.as_dict() for t, a in self.arrays.items()}

    def tier(self, tier: str) -> TierCounts:
        if tier in self.arrays:
            return self.arrays[tier]
        return TierCounts.from_dict({}, ind.TIER_COUNTS[tier])


def count_month(start: dt.datetime, end: dt.datetime, limits: dict) -> Counts:
    """The month's counts: each subject's figure is the number of its rows
    in :func:`month_facts` (rule 8: a figure and its drill-down are one
    computation), which the counts keep (``facts``) for the freeze."""
    facts = month_facts(start, end, limits)
    out = Counts(facts=facts)
    for tier in PLACE_KEYS:
        group = fact_group(tier)
        column = AREA_FACT_COLUMNS.index(tier) if group == "area" else 0
        names = ind.TIER_COUNTS[tier]
        out.arrays[tier] = _tally([facts[(group, c)][:, column] for c in names], names)
    for role in PERSON_TIERS:
        names = ind.TIER_COUNTS[role]
        out.arrays[role] = _tally([facts[(role, c)][:, 0] for c in names], names)
    out.patrol_findings = patrol_findings(start, end)
    return out


def _tally(subjects: list[np.ndarray], names) -> TierCounts:
    """Counts per subject: ``subjects[j]`` holds a subject id per row counted
    by ``names[j]`` (-1: no subject). A subject is listed when it has a row."""
    width = len(names)
    top = max((int(ids.max()) + 1 for ids in subjects if len(ids)), default=0)
    if top * width <= _DENSE_TALLY:
        # Ids are row numbers of their tables: count into a row per id, a
        # count at a time (shifted by one: -1, no subject, is counted apart).
        dense = np.zeros((top, width), dtype=np.int64, order="F")
        for j, ids in enumerate(subjects):
            dense[:, j] = np.bincount(ids + 1, minlength=top + 1)[1:]
        ids = np.flatnonzero(dense.any(axis=1))
        return TierCounts(ids.astype(np.int64), dense[ids], tuple(names))
    subjects = [ids[ids != -1] for ids in subjects]
    column = np.concatenate([np.full(len(ids), j, dtype=np.int64) for j, ids in enumerate(subjects)])
    subject = np.concatenate(subjects) if subjects else np.zeros(0, dtype=np.int64)
    ids, slot = np.unique(subject, return_inverse=True)
    matrix = np.bincount(slot * width + column, minlength=len(ids) * width).reshape(len(ids), width)
    return TierCounts(ids.astype(np.int64), matrix.astype(np.int64), tuple(names))


_DENSE_TALLY = 20_000_000  # cells of a dense count (160 MB) before counting by sorted ids


def patrol_findings(start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """Valid cases reported in [start, end) on a night, holiday or month-end
    patrol: (street_id, category code, patrol kind, n). (A case's
    ``reported_at`` is its report event's time.)"""
    from gridcity.taxonomy.models import Category

    return [
        tuple(r)
        for r in db.session.execute(
            select(C.c.street_id, Category.code, P.c.kind, func.count())
            # Through the partial index of patrol cases by report time
            # (models.py); "+ 0" keeps the planner off the patrol_id index,
            # which holds every year's patrol cases.
            .select_from(
                C.join(P, P.c.id == C.c.patrol_id + 0).join(Category, Category.id == C.c.category_id)
            )
            .where(
                C.c.patrol_id.is_not(None),
                C.c.reported_at >= start,
                C.c.reported_at < end,
                C.c.voided_at.is_(None),
                P.c.kind.in_(CONTEST_PATROL_KINDS),
            )
            .group_by(C.c.street_id, Category.code, P.c.kind)
        ).all()
    ]


# ---------------------------------------------------------------- drill-down


# What each count counts (rule 8): cases, or events — then its drill-down
# lists a row per event, a case as often as it was counted.
EVENT_COUNTS = frozenset(
    {
        "dispatched",
        "dispatched_on_time",
        "handled",
        "handled_on_time",
        "rework",
        "extension",
        "suspension",
        "returned",
        "verified",
        "verified_on_time",
        "checked",
        "checked_on_time",
        "dispatched_reworked",
        "dispatched_returned",
        "rated",
        "rated_satisfied",
    }
)
AREA_FACT_COLUMNS = ("case_id", *AREA_TIERS)  # a fact of the "area" group
PAIR_FACT_COLUMNS = ("subject_id", "case_id")  # of the "unit" group and each person tier


def check_count(subject_kind: str, count: str) -> None:
    if subject_kind in LEADER_TIERS:
        raise GridCityError(
            "bad_request", detail=f"{subject_kind} rows combine scores; drill into their team"
        )
    if subject_kind not in ind.TIER_COUNTS:
        raise GridCityError("bad_request", detail=f"unknown tier {subject_kind!r}")
    if count not in ind.TIER_COUNTS[subject_kind]:
        raise GridCityError(
            "bad_request",
            detail=f"{subject_kind} has no count {count!r}; it has {', '.join(ind.TIER_COUNTS[subject_kind])}",
        )


def fact_group(subject_kind: str) -> str:
    return "area" if subject_kind in AREA_TIERS else subject_kind


def facts_of(facts: np.ndarray, subject_kind: str, subject_id: int) -> list[int]:
    """The case ids (one per counted row, ascending) of one subject among a
    group's facts."""
    if subject_kind in AREA_TIERS:
        column = AREA_FACT_COLUMNS.index(subject_kind)
        return sorted(facts[facts[:, column] == subject_id, 0].tolist())
    return sorted(facts[facts[:, 0] == subject_id, 1].tolist())


def _narrowed(tier: str | None, subject_id: int | None) -> list:
    """Conditions on the month's events that keep those a subject's rows can
    come from (a drill-down, live); a unit's come from any event."""
    if tier in AREA_TIERS:
        return [E.c.case_id.in_(select(C.c.id).where(C.c[f"{tier}_id"] == subject_id))]
    if tier == "inspector":
        grids = select(inspector_work_grid.c.work_grid_id).where(inspector_work_grid.c.user_id == subject_id)
        return [
            or_(
                E.c.actor_id == subject_id, E.c.case_id.in_(select(C.c.id).where(C.c.work_grid_id.in_(grids)))
            )
        ]
    if tier == "dispatcher":
        return [or_(E.c.actor_id == subject_id, E.c.action.in_(("check", "rework", "decide")))]
    if tier in PERSON_TIERS:
        return [E.c.actor_id == subject_id]
    return []


def _rows_of(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The row of each of ``wanted`` in ``ids`` (sorted, unique, holding
    every one of them): through a table of rows by id where the ids lie close
    together (a month's cases), else by binary search."""
    if not len(ids) or int(ids[-1]) - int(ids[0]) > 8 * max(len(ids), len(wanted)):
        return np.searchsorted(ids, wanted)
    low = int(ids[0])
    table = np.empty(int(ids[-1]) - low + 1, dtype=np.int64)
    table[ids - low] = np.arange(len(ids))
    return table[wanted - low]


def _not_among(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The distinct ``values`` that are not ``ids``, sorted: through a table
    by value where the values lie close together (a month's cases), else by
    sorting."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    low, high = int(values.min()), int(values.max())
    if high - low > 8 * len(values):
        return np.setdiff1d(values, ids)
    left = np.zeros(high - low + 1, dtype=bool)
    left[values - low] = True
    left[ids[(ids >= low) & (ids <= high)] - low] = False
    return np.flatnonzero(left) + low


def _stacked(parts: list[np.ndarray]) -> np.ndarray:
    """The parts one under the other (the only one with rows as it is)."""
    full = [p for p in parts if len(p)]
    return full[0] if len(full) == 1 else np.vstack(parts)


def _case_id_range(start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """The smallest and largest case id with a counted event in the month
    ((0, -1) if none). ("+ 0": else the planner walks the case_id index from
    the oldest case to find the month.)"""
    low, high = db.session.execute(
        select(func.min(E.c.case_id + 0), func.max(E.c.case_id + 0)).where(
            E.c.at >= start, E.c.at < end, E.c.action.in_(log.COUNTED_ACTIONS)
        )
    ).one()
    return (0, -1) if low is None else (low, high)


def _id_range(case_ids: np.ndarray) -> tuple[int, int]:
    return (int(case_ids.min()), int(case_ids.max())) if len(case_ids) else (0, -1)


def _crossing_scope(start: dt.datetime, end: dt.datetime):
    """The cases whose running deadline may have passed in [start, end):
    those with a deadline in the month or a clock running now. A case whose
    deadline passed in the month is one of these, unless nothing at all
    happened to it in the month, not even the sweeper's mark (then it is
    among the cases of the month's events), and it has left the running
    states since."""
    return or_(C.c.deadline_at.between(start, end), C.c.state.in_(log.RUNNING))


def _cases_and_timelines(*scope, ev: np.ndarray | None = None, ids=None) -> tuple[np.ndarray, np.ndarray]:
    """The cases in ``scope`` (and among ``ids``), and the timelines of those
    with a history (given ``ev``: only of those with an event in it)."""
    cases = log.case_rows(*scope, ids=ids)
    with_history = cases[:, CA["simple"]] == 0
    if ev is not None:
        with_history &= np.isin(cases[:, 0], ev[:, EV["case_id"]])
    return cases, log.timelines(cases[with_history, 0])


def _tasks_on_time(ev: np.ndarray) -> np.ndarray:
    """Of the tasks the month's verifications and checks completed, those
    completed by their due time."""
    verify_or_check = np.isin(ev[:, EV["action"]], (ACTION["verify"], ACTION["check"]))
    return log.tasks_on_time(np.unique(ev[verify_or_check, EV["task"]]))


def _with_the_events_cases(ev: np.ndarray, crossing: tuple[np.ndarray, np.ndarray]) -> tuple:
    """A whole month's cases and timelines: those of :func:`_crossing_scope`
    (``crossing``: nearly all of the month's) and, read by id, the cases of
    the month's events not among them, put together in order."""
    crossing_cases, crossing_timelines = crossing
    missing = _not_among(ev[:, EV["case_id"]], crossing_cases[:, 0])
    rest_cases, rest_timelines = _cases_and_timelines(ids=missing)
    return (
        _merged(crossing_cases, rest_cases, 0),
        _merged(crossing_timelines, rest_timelines, log.TL["case_id"]),
    )


def _merged(rows: np.ndarray, more: np.ndarray, j: int) -> np.ndarray:
    """Two matrices ordered by their column ``j``, none of whose values is
    in both, as one in that order (column-major)."""
    at = np.searchsorted(rows[:, j], more[:, j]) + np.arange(len(more))
    out = np.empty((len(rows) + len(more), rows.shape[1]), dtype=np.int64, order="F")
    theirs = np.ones(len(out), dtype=bool)
    theirs[at] = False
    out[at], out[theirs] = more, rows
    return out


def _read_whole_month(start, end, readers) -> tuple:
    """A whole month's events, cases, timelines and tasks done on time.
    Given the two connections ``readers`` (one snapshot), the events and
    their tasks are read on the first while the cases of
    :func:`_crossing_scope` and their timelines are read on the second;
    without, one after the other through the session."""
    if readers is None:
        ev = log.month_events(start, end)
        cases, timelines = _with_the_events_cases(ev, _cases_and_timelines(_crossing_scope(start, end)))
        return ev, cases, timelines, _tasks_on_time(ev)

    def through(reader: int, read: Callable[[], Any]) -> Callable[[], Any]:
        def work() -> Any:
            with rows_through(readers[reader]):
                return read()

        return work

    ev, crossing = _at_once(
        through(0, lambda: log.month_events(start, end)),
        through(1, lambda: _cases_and_timelines(_crossing_scope(start, end))),
    )
    # The few other cases of the month's events on the second reader, while
    # the first reads the tasks.
    tasks_on_time, (cases, timelines) = _at_once(
        through(0, lambda: _tasks_on_time(ev)), through(1, lambda: _with_the_events_cases(ev, crossing))
    )
    return ev, cases, timelines, tasks_on_time


def _at_once(here: Callable[[], Any], there: Callable[[], Any]) -> tuple[Any, Any]:
    """``here`` in this thread while ``there`` runs in another: what each
    returned (the first error raised, once both are done)."""
    other = log.in_thread(there, "scorecard-reader")
    try:
        mine = here()
    except BaseException:
        try:
            other()
        except BaseException:  # noqa: BLE001, S110 - this thread's error is the one to see
            pass
        raise
    return mine, other()


def month_facts(start: dt.datetime, end: dt.datetime, limits: dict, subject=None) -> dict:
    """Rule 8: the rows every count of the month counted, ``{(group, count):
    int matrix}`` — group ``area`` (columns :data:`AREA_FACT_COLUMNS`, one row
    for all five area tiers), ``unit`` and each person tier (columns
    :data:`PAIR_FACT_COLUMNS`). A subject's figure is the number of its rows;
    its drill-down lists their cases. Frozen with a month's figures.

    ``subject`` (tier, id) only narrows the reading to what that subject's
    rows can come from (its drill-down, live)."""
    tier, subject_id = subject if subject else (None, None)
    group = fact_group(tier) if subject else None
    parts: dict[tuple[str, str], list[np.ndarray]] = {}

    def put(group: str, count: str, rows) -> None:
        width = len(AREA_FACT_COLUMNS) if group == "area" else 2
        parts.setdefault((group, count), []).append(np.asarray(rows, dtype=np.int64).reshape(-1, width))

    for t in ("area", "unit", *PERSON_TIERS):
        for c in ind.AREA_COUNTS if t == "area" else ind.TIER_COUNTS[t]:
            put(t, c, [])
    # 1. the month's events and their cases, with the cases whose running
    # deadline may have passed in the month; the cases with a history are
    # walked event by event (timeline.py).
    bound = min(end, utcnow())
    crossing = group in (None, "area", "unit") and bound > start
    whole_month = crossing and subject is None
    readers_or_none = log.parallel_readers() if whole_month else nullcontext()
    with log.reading(), readers_or_none as readers:
        if whole_month:
            ev, cases, timelines, tasks_on_time = _read_whole_month(start, end, readers)
        else:
            # A drill-down (or a month not begun): the cases of the month's
            # id range, and those whose deadline may have passed in it.
            ev = log.month_events(start, end, _narrowed(tier, subject_id))
            low, high = _case_id_range(start, end) if subject else _id_range(ev[:, EV["case_id"]])
            scope = C.c.id.between(low, high)
            cases, timelines = _cases_and_timelines(
                or_(scope, _crossing_scope(start, end)) if crossing else scope, ev=None if crossing else ev
            )
            tasks_on_time = _tasks_on_time(ev)
    # Without crossings to find (a person's drill-down, a month not begun)
    # the period to find them in is empty.
    start_us, bound_us = log.to_micros(start), log.to_micros(bound if crossing else start)
    result = walk(timelines, start_us, bound_us)
    keys = _pair(timelines[:, log.TL["case_id"]], timelines[:, log.TL["id"]])

    # 2. a flag per count and event.
    row = _rows_of(cases[:, 0], ev[:, EV["case_id"]])
    flag, unit_key = _event_flags(ev, cases, row, keys, result, limits)
    area_keys = np.column_stack([ev[:, EV["case_id"]], *(cases[row, CA[p]] for p in log.PLACE_COLUMNS)])
    unit_pairs = np.column_stack([unit_key, ev[:, EV["case_id"]]])
    for c in PLACE_EVENT_COUNTS:
        if c in ind.AREA_COUNTS:
            put("area", c, area_keys[flag[c]])
        if c in ind.UNIT_COUNTS:
            put("unit", c, unit_pairs[flag[c]])
    actor_ids, roles = ev[:, EV["actor_id"]], ev[:, EV["role"]]
    for k, role in enumerate(PERSON_TIERS):
        mine = np.flatnonzero((roles == k) & (actor_ids != NONE))
        pairs = np.column_stack([actor_ids[mine], ev[mine, EV["case_id"]]])
        for c in ind.ROLE_COUNTS[role]:
            if c in PERSON_EVENT_COUNTS:
                put(role, c, pairs[flag[c][mine]])

    # 3. missed reports: the grid's cases, for every inspector of the grid.
    if group in (None, "inspector"):
        grids = log.inspector_grids()
        grids = grids[np.argsort(grids[:, 1], kind="stable")]  # by work grid
        work_grids = area_keys[:, 1 + AREA_TIERS.index("work_grid")]
        for c in ("grid_valid", "missed"):
            put("inspector", c, _for_each_inspector(grids, ev[flag[c], EV["case_id"]], work_grids[flag[c]]))

    # 4. tasks done on time, each event by its own task (rule 4).
    if group in (None, "inspector"):
        a = ev[:, EV["action"]]
        mine = (ev[:, EV["role"]] == PERSON_TIERS.index("inspector")) & (ev[:, EV["actor_id"]] != NONE)
        done = mine & ((a == ACTION["verify"]) | (a == ACTION["check"]))
        on_time = done & np.isin(ev[:, EV["task"]], tasks_on_time)
        pairs = ev[:, [EV["actor_id"], EV["case_id"]]]
        put("inspector", "verified_on_time", pairs[on_time & (a == ACTION["verify"])])
        put("inspector", "checked_on_time", pairs[on_time & (a == ACTION["check"])])

    # 5. the month's dispatches reworked or returned within the month.
    if group in (None, "dispatcher"):
        undone = _dispatches_undone(timelines, start_us, log.to_micros(end))
        put("dispatcher", "dispatched_reworked", undone[undone[:, 2] == 1, :2])
        put("dispatcher", "dispatched_returned", undone[undone[:, 2] == 0, :2])

    # 6. the deadlines that passed (rule 1), and should_close.
    crossings = overdue_crossings(
        _simple_crossings(cases, start_us, bound_us), result.crossings, cases, log.to_micros(end)
    )
    first_case, first_unit, still_open = (crossings[:, j].astype(bool) for j in (7, 8, 9))
    crossing_area = crossings[:, : 1 + len(AREA_TIERS)]
    crossing_unit = crossings[:, [1 + len(AREA_TIERS), 0]]
    put("area", "overdue", crossing_area[first_case])
    put("area", "overdue_open", crossing_area[first_case & still_open])
    put("unit", "overdue", crossing_unit[first_unit])
    put("unit", "overdue_open", crossing_unit[first_unit & still_open])
    groups = {k: _stacked(v) for k, v in parts.items()}
    for place_group in ("area", "unit"):
        groups[(place_group, "should_close")] = np.vstack(
            [groups[(place_group, "closed")], groups[(place_group, "overdue_open")]]
        )
    if subject:
        for key in [k for k in groups if k[0] != group]:
            del groups[key]
    return groups


def cases_behind(month: str, subject_kind: str, subject_id: int, count: str, limits: dict) -> list[int]:
    """The cases behind one count of one subject, live: one id per counted row
    (a case counted twice — two dispatches, two reworks — is listed twice), so
    that the list is as long as the figure (rule 8); ``limits`` are the
    definitions' ``limits_minutes``."""
    check_count(subject_kind, count)
    start, end = month_bounds(month)
    facts = month_facts(start, end, limits, (subject_kind, subject_id))
    return facts_of(facts[(fact_group(subject_kind), count)], subject_kind, subject_id)
