"""The counting engine: a month's counts for every subject from the case
history, in a handful of GROUP BY queries, and the cases behind each count
(the drill-down). Scores, grades and ranks are made from these counts one
layer up (:mod:`gridcity.scorecards.scoring.scores`).

Where a count comes from (every event is a ``case_event`` row whose ``at``
falls in the month, joined to its case):

- areas (unit grid, work grid, area, street, district): the case's place;
- units: a dispatch counts for the unit it named; the unit handlers' own
  events (accept, handle, request) for the handler's unit; an approved return
  for the unit that asked for it (the actor of the case's latest ``request``
  before it); every other event (overdue marks, checks, closes, approvals)
  for the case's current unit;
- people: the actor of the event, by the role they acted in — the inspector
  who completed a verify or check task is the actor of that event; a
  dispatcher's ``dispatched_reworked`` / ``dispatched_returned`` count the
  reworks / returns of the month whose latest earlier dispatch was theirs.

Definitions that need one:

- on time (``handled_on_time``, ``closed_on_time``): the case has no overdue
  mark (the sweeper's ``overdue`` event) before the step — an overdue mark
  sticks, even if an extension is granted after the deadline;
- ``verified_on_time`` / ``checked_on_time``: the task was completed by its
  ``due_at`` (the same rule as ``mobile.services.task_counts``);
- ``overdue_open``: overdue marks of the month on cases not closed by the
  month's end; ``should_close`` = ``closed`` + ``overdue_open``;
- ``valid``: the case was not voided (its ``voided_at`` is empty; a merged
  report keeps its credit, as in ``mobile.services.inspector_month``);
- missed reports (漏报): a valid case reported in the month in a work grid
  by anyone who is not one of that work grid's inspectors (the public, the
  hotline, Open311, or another grid's inspector or patrol) is a missed report
  of each inspector of that work grid; ``grid_valid`` is the number of valid
  cases reported in their work grids, so missed rate = missed / grid_valid;
- the center's timed steps (accept, file, dispatch, close) are on time within
  ``limits_minutes`` of the step before (report; acceptance or verification;
  filing; the passed check), measured on the continuous clock.

Unit grids get a row only when they have a count in the month (a city has
hundreds of thousands); every other tier lists all its subjects.

The center's time limits (``limits_minutes``) are part of the indicator
definitions, which live one layer up: the caller passes them in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from flask import current_app
from sqlalchemy import Interval, and_, case, func, literal, or_, select, text, tuple_
from sqlalchemy.orm import aliased

from gridcity.cases.models import Case, CaseEvent, CaseTask
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.models import inspector_work_grid
from gridcity.org.models import User
from gridcity.patrols.models import Patrol
from gridcity.scorecards.counting import counts as ind
from gridcity.scorecards.counting.counts import AREA_TIERS, LEADER_TIERS, PERSON_TIERS

CONTEST_PATROL_KINDS = ("night", "holiday", "month_end")
COUNTED_ACTIONS = (
    "report",
    "accept",
    "verify",
    "file",
    "void",
    "dispatch",
    "handle",
    "check",
    "close",
    "rework",
    "overdue",
    "decide",
)

E = CaseEvent.__table__.alias("e")
C = Case.__table__.alias("c")
T = CaseTask.__table__.alias("t")
U = User.__table__.alias("u")
P = Patrol.__table__.alias("p")
OWN = inspector_work_grid.alias("own")  # the reporter is an inspector of the case's work grid

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


# ---------------------------------------------------------------- SQL pieces


def _within(earlier, later, seconds: float):
    """``later`` is at most ``seconds`` after ``earlier``. PostgreSQL compares
    the interval itself (the same order as its length in seconds, without
    making a numeric of every event's interval); SQLite has Julian days."""
    if db.session.get_bind().dialect.name == "postgresql":
        return later - earlier <= literal(dt.timedelta(seconds=seconds), Interval)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0 <= seconds


class Ctx:
    """The month's FROM clause and the rule of every count over it."""

    def __init__(self, start: dt.datetime, end: dt.datetime, limits: dict):
        self.start, self.end = start, end
        cases = E.join(C, C.c.id == E.c.case_id)
        self.task = and_(
            T.c.case_id == E.c.case_id,
            T.c.kind == E.c.action,
            T.c.completed_at == E.c.at,
            T.c.completed_at >= start,
            T.c.completed_at < end,
        )
        self.from_ = self._with_people_and_places(cases.outerjoin(T, self.task))
        # The month's pass reads no task (see _tasks_on_time).
        self.from_pass = self._with_people_and_places(cases)
        self.in_month = and_(E.c.at >= start, E.c.at < end)
        # Events no count looks at (unit_accept, request, warn, task_overdue,
        # same_as, resume, …) are left out of the pass.
        self.counted = E.c.action.in_(COUNTED_ACTIONS)
        a, to = E.c.action, E.c.to_state
        # Before the case's first overdue mark (a column the sweeper writes).
        first_overdue = C.c.first_overdue_event_id
        not_late = or_(first_overdue.is_(None), first_overdue > E.c.id)
        valid_case = C.c.voided_at.is_(None)
        report = a == "report"
        within = {k: v * 60.0 for k, v in limits.items()}
        accept = a == "accept"
        self.cond = {
            "reported": report,
            "inspector_reported": and_(report, C.c.source.in_(("inspector", "patrol"))),
            "valid": and_(report, valid_case),
            "patrol_findings": and_(report, valid_case, P.c.kind.in_(CONTEST_PATROL_KINDS)),
            # per work grid; every inspector of the grid gets the grid's figures
            "grid_valid": and_(report, valid_case),
            "missed": and_(report, valid_case, OWN.c.user_id.is_(None)),
            "filed": a == "file",
            "voided": and_(a.in_(("void", "verify")), to == "voided"),
            "dispatched": a == "dispatch",
            "handled": a == "handle",
            "handled_on_time": and_(a == "handle", not_late),
            "closed": a == "close",
            "closed_on_time": and_(a == "close", not_late),
            "overdue": a == "overdue",
            "overdue_open": and_(a == "overdue", or_(C.c.closed_at.is_(None), C.c.closed_at >= end)),
            # a failed check, or a shift leader's 不予结案
            "rework": or_(and_(a == "check", to == "in_progress"), a == "rework"),
            "extension": and_(
                a == "decide",
                E.c.data["kind"].as_string() == "extension",
                E.c.data["approved"].as_boolean(),
            ),
            "suspension": and_(a == "decide", to == "suspended"),
            "returned": and_(a == "decide", to == "filed"),
            "verified": a == "verify",
            "verified_on_time": and_(a == "verify", T.c.completed_at <= T.c.due_at),
            "checked": a == "check",
            "checked_on_time": and_(a == "check", T.c.completed_at <= T.c.due_at),
            "accepted": accept,
            "accepted_verify": and_(accept, to == "verifying"),
            "accepted_verify_on_time": and_(
                accept, to == "verifying", _within(C.c.reported_at, E.c.at, within["accept"])
            ),
            "accepted_direct": and_(accept, to == "accepted"),
            "accepted_direct_on_time": and_(
                accept, to == "accepted", _within(C.c.reported_at, E.c.at, within["accept"])
            ),
            "filed_on_time": and_(
                a == "file",
                _within(func.coalesce(C.c.verified_at, C.c.accepted_at), E.c.at, within["file"]),
            ),
            "closed_promptly": and_(a == "close", _within(C.c.checked_at, E.c.at, within["close"])),
            "dispatched_on_time": and_(a == "dispatch", _within(C.c.filed_at, E.c.at, within["dispatch"])),
        }
        self.unit_key = case(
            (a == "dispatch", E.c.data[("set", "unit_id")].as_integer()),
            (E.c.actor_role == "unit_handler", U.c.unit_id),
            else_=C.c.unit_id,
        )
        self.area_keys = {
            "unit_grid": C.c.unit_grid_id,
            "work_grid": C.c.work_grid_id,
            "area": C.c.area_id,
            "street": C.c.street_id,
            "district": C.c.district_id,
        }

    @staticmethod
    def _with_people_and_places(joined):
        return (
            joined.outerjoin(U, U.c.id == E.c.actor_id)
            .outerjoin(P, P.c.id == C.c.patrol_id)
            .outerjoin(OWN, and_(OWN.c.work_grid_id == C.c.work_grid_id, OWN.c.user_id == C.c.reporter_id))
        )

    def prior_actor(self, action: str):
        """The actor of the case's latest ``action`` event before this one."""
        e3 = CaseEvent.__table__.alias("e_prior")
        return (
            select(e3.c.actor_id)
            .where(e3.c.case_id == E.c.case_id, e3.c.action == action, e3.c.id < E.c.id)
            .order_by(e3.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )


def _count(cond):
    return func.count().filter(cond)


FINE_COUNTS = tuple(c for c in dict.fromkeys(ind.AREA_COUNTS + ind.UNIT_COUNTS) if c != "should_close")
# What the pass counts per place × unit (missed reports per work grid too)
# and per actor × role.
PLACE_COUNTS = (*FINE_COUNTS, "grid_valid", "missed")
# Verify and check tasks done on time: counted apart, from the month's tasks.
TASK_COUNTS = ("verified_on_time", "checked_on_time")
PERSON_SQL_COUNTS = tuple(
    c
    for c in dict.fromkeys(sum(ind.ROLE_COUNTS.values(), ()))
    if c not in ("grid_valid", "missed", "dispatched_reworked", "dispatched_returned", *TASK_COUNTS)
)
PLACE_KEYS = (*AREA_TIERS, "unit")


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
    """Counts per tier: area tiers and units as arrays (a city has hundreds of
    thousands of unit grids), people as ``{subject_id: {count: n}}``."""

    arrays: dict[str, TierCounts] = field(default_factory=dict)
    people: dict[str, dict[int, dict[str, int]]] = field(default_factory=dict)
    patrol_findings: list[tuple] = field(default_factory=list)  # (street_id, category code, kind, n)

    @property
    def by_tier(self) -> dict[str, dict[int, dict[str, int]]]:
        """Every tier as ``{tier: {subject_id: {count: n}}}``."""
        return {**{t: a.as_dict() for t, a in self.arrays.items()}, **self.people}

    def tier(self, tier: str) -> TierCounts:
        if tier in self.arrays:
            return self.arrays[tier]
        return TierCounts.from_dict(self.people.get(tier, {}), ind.TIER_COUNTS[tier])


def _case_id_range(ctx: Ctx) -> tuple[int | None, int | None]:
    """The smallest and largest case id with an event in the month. The pass
    joins only cases in that range: the month's events are mostly on recent
    cases, so the case table is not read whole every month. ("+ 0": else the
    planner walks the case_id index from the oldest case to find the month.)"""
    return tuple(
        db.session.execute(
            select(func.min(E.c.case_id + 0), func.max(E.c.case_id + 0)).where(ctx.in_month, ctx.counted)
        ).one()
    )


def _one_pass(ctx: Ctx) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """The month's events counted once, grouped two ways: by place × unit and
    by actor × role (GROUPING SETS on PostgreSQL, two queries on SQLite).

    Returns the place keys (a row of :data:`PLACE_KEYS` ids per group, -1 for
    none), their counts (columns :data:`PLACE_COUNTS`) and ``[(actor_id, role,
    counts)]`` (counts in the order of :data:`PERSON_SQL_COUNTS`)."""
    empty = (
        np.zeros((0, len(PLACE_KEYS)), dtype=np.int64),
        np.zeros((0, len(PLACE_COUNTS)), dtype=np.int64),
        [],
    )
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Big aggregates (settings for this transaction only, set before the
        # case id range so that it may use a worker too): JIT compilation costs
        # more than it saves here, and the groups fit in memory.
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL work_mem = '256MB'"))
        # The join is worth splitting across workers even at the default
        # worker count (the planner's defaults price that too high here).
        db.session.execute(text("SET LOCAL parallel_setup_cost = 10"))
        db.session.execute(text("SET LOCAL parallel_tuple_cost = 0.001"))
        # One worker: the aggregate above the join runs in the leading process
        # alone, and a second worker only competes with it for the cores
        # (measured on the two-core bench machine: 1.35 s against 1.7 s).
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 1"))
    low, high = _case_id_range(ctx)
    if low is None:
        return empty
    place = [*(ctx.area_keys[t] for t in AREA_TIERS), ctx.unit_key]
    place_sums = [_count(ctx.cond[c]) for c in PLACE_COUNTS]
    people_sums = [_count(ctx.cond[c]) for c in PERSON_SQL_COUNTS]
    month = (ctx.in_month, ctx.counted, C.c.id.between(low, high))
    if not postgres:
        by_place = db.session.execute(
            select(*place, *place_sums).select_from(ctx.from_pass).where(*month).group_by(*place)
        ).all()
        by_people = db.session.execute(
            select(E.c.actor_id, E.c.actor_role, *people_sums)
            .select_from(ctx.from_pass)
            .where(*month)
            .group_by(E.c.actor_id, E.c.actor_role)
        ).all()
        n = len(PLACE_KEYS)
        keys = np.array([[-1 if k is None else k for k in r[:n]] for r in by_place], dtype=np.int64)
        sums = np.array([r[n:] for r in by_place], dtype=np.int64)
        return (
            keys.reshape(-1, n),
            sums.reshape(-1, len(PLACE_COUNTS)),
            [(r[0], r[1], tuple(r[2:])) for r in by_people],
        )
    # A group's figures come back as one comma-separated text that numpy
    # parses at once: tens of thousands of groups × dozens of counts would
    # otherwise be as many Python ints made one by one.
    per_actor = func.grouping(E.c.actor_id, E.c.actor_role) == 0
    figures = case(
        (per_actor, func.concat_ws(",", *people_sums)),
        else_=func.concat_ws(",", *(func.coalesce(k, -1) for k in place), *place_sums),
    )
    rows = db.session.execute(
        select(per_actor, E.c.actor_id, E.c.actor_role, figures)
        .select_from(ctx.from_pass)
        .where(*month)
        .group_by(func.grouping_sets(tuple_(*place), tuple_(E.c.actor_id, E.c.actor_role)))
    ).all()
    places = ",".join(r[3] for r in rows if not r[0])
    width = len(PLACE_KEYS) + len(PLACE_COUNTS)
    matrix = (
        np.fromstring(places, dtype=np.int64, sep=",").reshape(-1, width)
        if places
        else np.zeros((0, width), dtype=np.int64)
    )
    people = [(r[1], r[2], tuple(int(x) for x in r[3].split(","))) for r in rows if r[0]]
    return matrix[:, : len(PLACE_KEYS)], matrix[:, len(PLACE_KEYS) :], people


def _tasks_on_time(ctx: Ctx) -> list[tuple]:
    """``[(actor_id, role, verified_on_time, checked_on_time)]``: the month's
    verify and check events whose task was done by its due time. Apart from
    the pass, which would otherwise look up a task for every event."""
    return db.session.execute(
        select(E.c.actor_id, E.c.actor_role, *(_count(ctx.cond[c]) for c in TASK_COUNTS))
        .select_from(E.join(T, ctx.task))
        .where(ctx.in_month, E.c.action.in_(("verify", "check")), T.c.completed_at <= T.c.due_at)
        .group_by(E.c.actor_id, E.c.actor_role)
    ).all()


def count_month(start: dt.datetime, end: dt.datetime, limits: dict) -> Counts:
    ctx = Ctx(start, end, limits)
    out = Counts(people={t: {} for t in PERSON_TIERS})
    keys, sums, by_people = _one_pass(ctx)

    # 1. areas and units, rolled up from place × unit; should_close =
    # closed + overdue_open, as one more column.
    column = {c: j for j, c in enumerate(PLACE_COUNTS)}
    # One row per count (floats: np.bincount adds them up exactly, far below
    # 2**53), shared by every tier's roll-up.
    figures = np.empty((len(PLACE_COUNTS) + 1, len(sums)))
    figures[: len(PLACE_COUNTS)] = sums.T
    figures[len(PLACE_COUNTS)] = sums[:, column["closed"]] + sums[:, column["overdue_open"]]
    column["should_close"] = len(PLACE_COUNTS)
    for j, tier in enumerate(PLACE_KEYS):
        names = ind.TIER_COUNTS[tier]
        out.arrays[tier] = _rollup(keys[:, j], figures[[column[c] for c in names]], names)
    grids = _rollup(keys[:, 1], figures[[column["grid_valid"], column["missed"]]], ("grid_valid", "missed"))
    grid_figures = dict(zip(grids.ids.tolist(), grids.matrix.tolist(), strict=True))

    # 2. people, by the role they acted in.
    for user_id, role, values in by_people:
        if user_id is None or role not in PERSON_TIERS:
            continue
        named = dict(zip(PERSON_SQL_COUNTS, values, strict=True))  # grid_valid, missed: below
        out.people[role][user_id] = {c: int(named.get(c, 0)) for c in ind.ROLE_COUNTS[role]}
    for user_id, role, *on_time in _tasks_on_time(ctx):
        if user_id is None or role not in PERSON_TIERS:
            continue
        row = out.people[role].setdefault(user_id, dict.fromkeys(ind.ROLE_COUNTS[role], 0))
        for name, n in zip(TASK_COUNTS, on_time, strict=True):
            if name in row:
                row[name] += int(n)

    # 3. missed reports (漏报): every inspector of a work grid gets its figures.
    for user_id, wg in db.session.execute(
        select(inspector_work_grid.c.user_id, inspector_work_grid.c.work_grid_id)
    ):
        grid_valid, missed = grid_figures.get(wg, (0, 0))
        if not grid_valid:
            continue
        row = out.people["inspector"].setdefault(user_id, dict.fromkeys(ind.ROLE_COUNTS["inspector"], 0))
        row["grid_valid"] += int(grid_valid)
        row["missed"] += int(missed)

    # 4. reworks and returns of the month: the dispatcher of the case's latest
    # dispatch before them, and (returns) the unit that asked.
    rework = ctx.cond["rework"]
    returned = and_(E.c.action == "decide", E.c.to_state == "filed")
    dispatcher = ctx.prior_actor("dispatch").label("dispatcher")
    requester = case((returned, ctx.prior_actor("request"))).label("requester")
    attributed = db.session.execute(
        select(dispatcher, requester, _count(rework), _count(returned))
        .where(ctx.in_month, E.c.action.in_(("check", "rework", "decide")), or_(rework, returned))
        .group_by(dispatcher, requester)
    ).all()
    unit_of = dict(
        db.session.execute(
            select(User.id, User.unit_id).where(User.id.in_({r[1] for r in attributed if r[1] is not None}))
        ).all()
    )
    returns_of_unit: dict[int, int] = {}
    for dispatcher_id, requester_id, n_rework, n_returned in attributed:
        if dispatcher_id is not None:
            row = out.people["dispatcher"].setdefault(
                dispatcher_id, dict.fromkeys(ind.ROLE_COUNTS["dispatcher"], 0)
            )
            row["dispatched_reworked"] += int(n_rework)
            row["dispatched_returned"] += int(n_returned)
        unit_id = unit_of.get(requester_id)
        if unit_id is not None and n_returned:
            returns_of_unit[unit_id] = returns_of_unit.get(unit_id, 0) + int(n_returned)
    out.arrays["unit"] = _with_returns(out.arrays["unit"], returns_of_unit)

    # 5. the contest's patrol findings: street × category × patrol kind.
    out.patrol_findings = patrol_findings(start, end)
    return out


def _with_returns(units: TierCounts, returns_of_unit: dict[int, int]) -> TierCounts:
    """A unit's ``returned`` counts the approved returns it asked for (not the
    events on cases it holds): replace the column, adding units it names."""
    ids, matrix = units.ids, units.matrix.copy()
    missing = sorted(set(returns_of_unit) - set(ids.tolist()))
    if missing:
        ids = np.concatenate([ids, np.array(missing, dtype=np.int64)])
        matrix = np.vstack([matrix, np.zeros((len(missing), matrix.shape[1]), dtype=np.int64)])
        order = np.argsort(ids)
        ids, matrix = ids[order], matrix[order]
    column = units.names.index("returned")
    matrix[:, column] = 0
    position = {k: j for j, k in enumerate(ids.tolist())}
    for unit_id, n in returns_of_unit.items():
        matrix[position[unit_id], column] = n
    return TierCounts(ids, matrix, units.names)


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


def _rollup(keys: np.ndarray, figures: np.ndarray, names) -> TierCounts:
    """Add up the place figures by key (rows keyed -1 belong to no subject).
    ``figures`` has one row per count of ``names`` and one column per place
    row; each count is summed by key with one ``np.bincount``."""
    keep = keys != -1
    if not keep.all():
        keys, figures = keys[keep], figures[:, keep]
    if len(keys) == 0:
        return TierCounts(keys.astype(np.int64), np.zeros((0, len(names)), dtype=np.int64), tuple(names))
    dense = int(keys.max()) < 4 * len(keys) + 65536
    if dense:  # ids few and small enough to be the bins themselves: no sorting
        slot, present = keys, np.flatnonzero(np.bincount(keys))
    else:
        present, slot = np.unique(keys, return_inverse=True)
    matrix = np.empty((len(present), len(names)), dtype=np.int64)
    for j, row in enumerate(figures):
        summed = np.bincount(slot, weights=row)
        matrix[:, j] = summed[present] if dense else summed
    return TierCounts(present.astype(np.int64), matrix, tuple(names))


# ---------------------------------------------------------------- drill-down


SPECIAL_DRILLS = {"should_close", "grid_valid", "missed", "dispatched_reworked", "dispatched_returned"}


def cases_behind(month: str, subject_kind: str, subject_id: int, count: str, limits: dict) -> list[int]:
    """The cases behind one count of one subject (see the module docstring);
    ``limits`` are the definitions' ``limits_minutes``."""
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
    start, end = month_bounds(month)
    ctx = Ctx(start, end, limits)
    if subject_kind in AREA_TIERS:
        who = ctx.area_keys[subject_kind] == subject_id
    elif subject_kind == "unit":
        who = ctx.unit_key == subject_id
    else:
        who = and_(E.c.actor_id == subject_id, E.c.actor_role == subject_kind)
    if count == "should_close":
        cond = or_(ctx.cond["closed"], ctx.cond["overdue_open"])
    elif count in ("grid_valid", "missed"):
        own = aliased(inspector_work_grid)
        iw = inspector_work_grid
        query = (
            select(C.c.id)
            .select_from(
                E.join(C, C.c.id == E.c.case_id)
                .join(iw, iw.c.work_grid_id == C.c.work_grid_id)
                .outerjoin(
                    own, and_(own.c.work_grid_id == C.c.work_grid_id, own.c.user_id == C.c.reporter_id)
                )
            )
            .where(ctx.in_month, E.c.action == "report", C.c.voided_at.is_(None), iw.c.user_id == subject_id)
        )
        if count == "missed":
            query = query.where(own.c.user_id.is_(None))
        return sorted(set(db.session.scalars(query)))
    elif count in ("dispatched_reworked", "dispatched_returned"):
        cond = and_(
            ctx.cond["rework" if count == "dispatched_reworked" else "returned"],
            ctx.prior_actor("dispatch") == subject_id,
        )
        who = literal(True)
    elif subject_kind == "unit" and count == "returned":
        requester_unit = select(User.unit_id).where(User.id == ctx.prior_actor("request")).scalar_subquery()
        cond, who = and_(ctx.cond["returned"], requester_unit == subject_id), literal(True)
    else:
        cond = ctx.cond[count]
    return sorted(
        set(db.session.scalars(select(C.c.id).select_from(ctx.from_).where(ctx.in_month, who, cond)))
    )
