"""The counting engine: a month's counts for every subject from the case
history, in a handful of GROUP BY queries, and the cases behind each count
(the drill-down). Scores, grades and ranks are made from these counts one
layer up (:mod:`gridcity.scorecards.scoring.scores`).

The counts follow the counting rules of DOMAIN.md §7.1 (binding). Every
event is a ``case_event`` row whose ``at`` falls in the month, joined to its
case; what each count counts is in ``counts.COUNT_DOCS``.

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
count counted — a case per counted case, an event per counted event — with
the same conditions as the counting pass; a subject's drill-down is its rows,
as long as its figure. A frozen month stores them with its figures.

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
from sqlalchemy import (
    TIMESTAMP,
    Integer,
    Interval,
    and_,
    any_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from gridcity.cases.models import Case, CaseEvent, CaseRequest, CaseTask, UTCDateTime
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.models import inspector_work_grid
from gridcity.org.models import User
from gridcity.patrols.models import Patrol
from gridcity.scorecards.counting import counts as ind
from gridcity.scorecards.counting.counts import AREA_TIERS, LEADER_TIERS, PERSON_TIERS
from gridcity.scorecards.counting.rows import bigint, int_matrix

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
    "decide",
)

EVENTS = CaseEvent.__table__
REQUESTS = CaseRequest.__table__
E = EVENTS.alias("e")
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
    making a numeric of every event's interval); SQLite has Julian days, as
    floating-point numbers: their difference is rounded to the millisecond,
    so that a step done exactly at its limit is on time there too (rule 1)."""
    if _postgres():
        return later - earlier <= literal(dt.timedelta(seconds=seconds), Interval)
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3) <= seconds


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _moment(column):
    """A time column as a value that orders like the time (SQLite stores
    text, compared as Julian days so that it compares with :func:`_json_moment`)."""
    return column if _postgres() else func.julianday(column)


def _json_moment(text_value):
    """An ISO time kept in an event's JSON (``data.set.deadline_at``) as a
    value comparable with :func:`_moment` of a column (naive UTC)."""
    if _postgres():
        return func.timezone("UTC", cast(text_value, TIMESTAMP(timezone=True)))
    return func.julianday(text_value)


def _param(moment: dt.datetime):
    return _moment(literal(moment, UTCDateTime))


# ---------------------------------------------------------------- §7.1 on SQL
#
# Every rule below reads the event log. A case whose counters are all zero
# (no return, extension, suspension or rework, ever: ``_simple``) had one
# dispatch and one running deadline, which its row still holds; only the
# other cases (a few in a hundred) are read event by event, in correlated
# sub-queries that a CASE keeps away from the simple ones.


def _simple(c):
    return and_(
        c.c.return_count == 0, c.c.extension_count == 0, c.c.suspension_count == 0, c.c.rework_count == 0
    )


def _approved(x, kind: str | None = None):
    cond = and_(x.c.action == "decide", x.c.data["approved"].as_boolean())
    return and_(cond, x.c.data["kind"].as_string() == kind) if kind else cond


def _sets_deadline(x):
    """Events that set the running handling deadline: a dispatch, an approved
    extension, a resumption, a rework (failed check, 不予结案)."""
    return or_(x.c.action == "dispatch", _restarts_clock(x), _approved(x, "extension"))


def _restarts_clock(x):
    """Events that start the clock again: a rework (failed check, 不予结案), a
    resumption."""
    return or_(
        x.c.action.in_(("resume", "rework")), and_(x.c.action == "check", x.c.to_state == "in_progress")
    )


def _recorded_deadline(x):
    return _json_moment(x.c.data[("set", "deadline_at")].as_string())


def _deadline_before(ev):
    """The deadline recorded by the case's latest deadline-setting event
    before ``ev`` (the one in force at ``ev``)."""
    x = EVENTS.alias()
    return (
        select(_recorded_deadline(x))
        .where(x.c.case_id == ev.c.case_id, x.c.id < ev.c.id, _sets_deadline(x))
        .order_by(x.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _requested_at(x):
    """When the request an approved decision ``x`` decided was made."""
    return (
        select(_moment(REQUESTS.c.requested_at))
        .where(REQUESTS.c.id == x.c.data["request_id"].as_integer())
        .scalar_subquery()
    )


def _tainted(ev):
    """Rule 5: within the dispatch ``ev`` belongs to, an extension was approved
    that had been asked for after the deadline passed. It moved no deadline;
    the clock had run out, and (its used time only grows) every later step of
    that dispatch is late, whatever deadline the services recorded."""
    x, d = EVENTS.alias(), EVENTS.alias()
    tenure = (
        select(func.max(d.c.id))
        .where(d.c.case_id == ev.c.case_id, d.c.action == "dispatch", d.c.id <= ev.c.id)
        # ``ev`` belongs to the query two levels up (outside the EXISTS below),
        # which SQLAlchemy does not correlate by itself: without this the
        # sub-query read every event of the table as ``ev``.
        .correlate(ev)
        .scalar_subquery()
    )
    return (
        select(x.c.id)
        .where(
            x.c.case_id == ev.c.case_id,
            x.c.id < ev.c.id,
            x.c.id > tenure,
            _approved(x, "extension"),
            _requested_at(x) > _deadline_before(x),
        )
        .correlate(ev)  # also when nested deeper (a deadline inside a sub-query)
        .exists()
    )


def _on_time_slow(h, c):
    """A handling ``h`` of a case with a history (see :func:`_simple`) was on
    time: by the deadline in force, and no extension asked for too late."""
    return and_(
        _moment(h.c.at) <= _deadline_before(h),
        or_(c.c.extension_count == 0, ~_tainted(h)),
    )


def _handled_on_time(ev, c):
    # A CASE, so that the sub-queries run for handlings of cases with a
    # history only (AND gives PostgreSQL no order of evaluation).
    return case(
        (ev.c.action != "handle", False),
        (_simple(c), _moment(ev.c.at) <= _moment(c.c.deadline_at)),
        else_=_on_time_slow(ev, c),
    )


def _closed_on_time(ev, c):
    """The handling this close closed (the latest before it) was on time."""
    h = EVENTS.alias()
    last_handling = (
        select(_on_time_slow(h, c))
        .where(h.c.case_id == ev.c.case_id, h.c.action == "handle", h.c.id < ev.c.id)
        .order_by(h.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (ev.c.action != "close", False),
        (_simple(c), _moment(c.c.handled_at) <= _moment(c.c.deadline_at)),
        else_=last_handling,
    )


def _unit_at(ev, c):
    """Rule 3: the unit that held the case when ``ev`` happened — the unit of
    the latest dispatch before it, none after an approved return."""
    x = EVENTS.alias()
    held = (
        select(case((x.c.action == "dispatch", x.c.data[("set", "unit_id")].as_integer())))
        .where(
            x.c.case_id == ev.c.case_id,
            x.c.id < ev.c.id,
            or_(x.c.action == "dispatch", and_(x.c.action == "decide", x.c.to_state == "filed")),
        )
        .order_by(x.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return case(
        (ev.c.action == "dispatch", ev.c.data[("set", "unit_id")].as_integer()),
        (c.c.return_count == 0, c.c.unit_id),
        else_=held,
    )


def _dispatch_from(ev, c):
    """Rule 2: a dispatch is timed from the filing, a re-dispatch from the
    approval of the return before it."""
    x = EVENTS.alias()
    returned = (
        select(func.max(x.c.at))
        .where(x.c.case_id == ev.c.case_id, x.c.id < ev.c.id, x.c.action == "decide", x.c.to_state == "filed")
        .scalar_subquery()
    )
    return case((c.c.return_count == 0, c.c.filed_at), else_=func.coalesce(returned, c.c.filed_at))


def _first_reports(low: int | None = None, high: int | None = None):
    """Rule 6: per case, the earliest report merged into it (its reporter and
    time); the case's own report is its first unless one of these is earlier."""
    m = Case.__table__.alias("merged")
    query = select(
        m.c.merged_into_id.label("target"),
        m.c.reporter_id,
        m.c.reported_at,
        m.c.id,
        func.row_number()
        .over(partition_by=m.c.merged_into_id, order_by=(m.c.reported_at, m.c.id))
        .label("n"),
    ).where(m.c.state == "merged", m.c.merged_into_id.is_not(None))
    if low is not None:
        query = query.where(m.c.merged_into_id.between(low, high))
    return query.subquery("first_merged")


class Ctx:
    """The month's FROM clause and the rule of every count over it."""

    def __init__(self, start: dt.datetime, end: dt.datetime, limits: dict, low=None, high=None):
        self.start, self.end = start, end
        self.low, self.high = low, high  # the month's case id range, once known
        cases = E.join(C, C.c.id == E.c.case_id)
        # Rule 4: a verify or check event names the task it completed.
        self.task = T.c.id == E.c.data["task_id"].as_integer()
        fm = _first_reports(low, high)
        earlier = or_(
            fm.c.reported_at < C.c.reported_at, and_(fm.c.reported_at == C.c.reported_at, fm.c.id < C.c.id)
        )
        self.first_reporter = case((earlier, fm.c.reporter_id), else_=C.c.reporter_id)
        self.from_pass = self._with_people_and_places(
            cases.outerjoin(fm, and_(fm.c.target == C.c.id, fm.c.n == 1)), self.first_reporter
        )
        self.from_ = self.from_pass
        self.in_month = and_(E.c.at >= start, E.c.at < end)
        # Events no count looks at (unit_accept, request, warn, task_overdue,
        # same_as, resume, overdue marks, …) are left out of the pass.
        self.counted = E.c.action.in_(COUNTED_ACTIONS)
        a, to = E.c.action, E.c.to_state
        valid_case = C.c.voided_at.is_(None)
        report = a == "report"
        # Reports that are cases (not merged into another): the grid's figures.
        grid_case = and_(report, valid_case, C.c.merged_into_id.is_(None))
        within = {k: v * 60.0 for k, v in limits.items()}
        accept = a == "accept"
        self.cond = {
            "reported": report,
            "inspector_reported": and_(report, C.c.source.in_(("inspector", "patrol"))),
            "valid": and_(report, valid_case),
            "patrol_findings": and_(report, valid_case, P.c.kind.in_(CONTEST_PATROL_KINDS)),
            # per work grid; every inspector of the grid gets the grid's figures
            "grid_valid": grid_case,
            "missed": and_(grid_case, OWN.c.user_id.is_(None)),
            "filed": a == "file",
            "voided": and_(a.in_(("void", "verify")), to == "voided"),
            "dispatched": a == "dispatch",
            "handled": a == "handle",
            "handled_on_time": and_(a == "handle", _handled_on_time(E, C)),
            "closed": a == "close",
            "closed_on_time": and_(a == "close", _closed_on_time(E, C)),
            # a failed check, or a shift leader's 不予结案
            "rework": or_(and_(a == "check", to == "in_progress"), a == "rework"),
            "extension": _approved(E, "extension"),
            "suspension": and_(a == "decide", to == "suspended"),
            "returned": and_(a == "decide", to == "filed"),
            "verified": a == "verify",
            "checked": a == "check",
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
            "dispatched_on_time": and_(
                a == "dispatch", _within(_dispatch_from(E, C), E.c.at, within["dispatch"])
            ),
        }
        self.task_cond = {
            "verified_on_time": and_(a == "verify", T.c.completed_at <= T.c.due_at),
            "checked_on_time": and_(a == "check", T.c.completed_at <= T.c.due_at),
        }
        self.unit_key = _unit_at(E, C)
        self.area_keys = {
            "unit_grid": C.c.unit_grid_id,
            "work_grid": C.c.work_grid_id,
            "area": C.c.area_id,
            "street": C.c.street_id,
            "district": C.c.district_id,
        }

    @staticmethod
    def _with_people_and_places(joined, first_reporter):
        return (
            joined.outerjoin(U, U.c.id == E.c.actor_id)
            .outerjoin(P, P.c.id == C.c.patrol_id)
            .outerjoin(OWN, and_(OWN.c.work_grid_id == C.c.work_grid_id, OWN.c.user_id == first_reporter))
        )

    def dispatches_undone(self):
        """Rows (dispatcher, case, is_rework) of the month's dispatches that
        were reworked or returned later in the month, before the case's next
        dispatch: one row per dispatch and outcome (a dispatch reworked twice is
        one reworked dispatch), so a dispatcher's reworked dispatches are some
        of their dispatches (rule 4: no rate leaves 0–100 %)."""
        d = CaseEvent.__table__.alias("e_dispatch")
        prior = (
            select(d.c.id)
            .where(d.c.case_id == E.c.case_id, d.c.action == "dispatch", d.c.id < E.c.id)
            .order_by(d.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        rework, returned = self.cond["rework"], self.cond["returned"]
        undone = (
            select(prior.label("dispatch_id"), case((rework, 1), else_=0).label("is_rework"))
            .select_from(E)
            .where(self.in_month, E.c.action.in_(("check", "rework", "decide")), or_(rework, returned))
            .subquery("undone")
        )
        return db.session.execute(
            select(d.c.actor_id, d.c.case_id, undone.c.is_rework)
            .select_from(undone.join(d, d.c.id == undone.c.dispatch_id))
            .where(d.c.at >= self.start, d.c.at < self.end, d.c.actor_id.is_not(None))
            .group_by(d.c.id, d.c.actor_id, d.c.case_id, undone.c.is_rework)
        ).all()


# ---------------------------------------------------------------- overdue (rule 1)

RUNNING = ("dispatched", "in_progress")
# The actions of the events that may set a running deadline (:func:`_sets_deadline`).
DEADLINE_ACTIONS = ("dispatch", "resume", "rework", "check", "decide")
# Columns of the crossing rows: the case, its place keys and unit (as
# PLACE_KEYS), then flags.
CROSSING_COLUMNS = ("case_id", *("unit_grid", "work_grid", "area", "street", "district", "unit"))


def _running_deadline(s, c):
    """The deadline event ``s`` set: the one the services recorded, except
    after a late extension (rule 5) — the dispatch's clock had run out, so a
    rework or resumption under it leaves no time: its deadline is its own
    instant (passed at once)."""
    recorded = _recorded_deadline(s)
    return case(
        (
            and_(_restarts_clock(s), c.c.extension_count > 0),
            case((_tainted(s), _moment(s.c.at)), else_=recorded),
        ),
        else_=recorded,
    )


def _period_crossed(s, c, start: dt.datetime, bound: dt.datetime):
    """A deadline set by event ``s`` passed in [start, bound): the clock had
    run from ``s`` up to it with nothing in between that stopped it or moved it
    — a handling, or an approved suspension, return or extension (rule 1: the
    extensions in force at that moment; one approved later moves the deadline
    from its approval on — a new deadline that may pass in its turn — but the
    one in force had passed)."""
    deadline = _running_deadline(s, c)
    n = EVENTS.alias()
    stopped = (
        select(n.c.id)
        .where(
            n.c.case_id == s.c.case_id,
            n.c.id > s.c.id,
            _moment(n.c.at) <= deadline,
            or_(n.c.action == "handle", _approved(n)),
        )
        .exists()
    )
    valid_start = or_(
        s.c.action != "decide",
        _requested_at(s) <= _deadline_before(s),  # an extension asked for in time
    )
    # A CASE: the sub-queries only for deadlines that fall in the month.
    return case(
        (
            and_(
                _sets_deadline(s),
                deadline >= _param(start),
                deadline < _param(bound),
                # A rework with no handling time left sets its deadline at its
                # own instant: passed at once.
                _moment(s.c.at) <= deadline,
            ),
            and_(valid_start, or_(c.c.extension_count == 0, _restarts_clock(s), ~_tainted(s)), ~stopped),
        ),
        else_=False,
    )


def _among(column, ids: list[int]) -> list:
    """Conditions ``column`` is one of ``ids``: one array on PostgreSQL, lists
    short enough for SQLite's limit on parameters there."""
    if _postgres():
        return [column == any_(literal(ids, ARRAY(Integer)))] if ids else []
    return [column.in_(ids[k : k + 500]) for k in range(0, len(ids), 500)]


def _seconds(moment) -> float:
    """A :func:`_moment` value as a number that orders like it."""
    if isinstance(moment, dt.datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
    return float(moment)


def overdue_crossings(start: dt.datetime, end: dt.datetime, low=None, high=None) -> np.ndarray:
    """Rule 1: every running deadline that passed in [start, end) — and
    before now — as rows of :data:`CROSSING_COLUMNS` plus three flags: the
    case's first in the month (a place's ``overdue`` counts cases), the first
    of that case at that unit (a unit's), the case not closed by the month's
    end (``overdue_open``).

    A case with no history (:func:`_simple`) passes its deadline when its row's
    ``deadline_at`` comes before its handling; the others are read from their
    deadline-setting events, among the cases with an event in the month, a
    deadline in it, or a clock running now (a case whose deadline passed in
    the month had one of these, unless nothing at all happened to it in the
    month — not even the sweeper's mark — and it has left the running states
    since)."""
    bound = min(end, utcnow())
    width = len(CROSSING_COLUMNS) + 3
    if bound <= start:
        return np.zeros((0, width), dtype=np.int64)
    places = (C.c.unit_grid_id, C.c.work_grid_id, C.c.area_id, C.c.street_id, C.c.district_id)
    simple_rows = db.session.execute(
        select(C.c.id, *places, C.c.unit_id, _moment(C.c.deadline_at), C.c.closed_at).where(
            _simple(C),
            C.c.deadline_at >= start,
            C.c.deadline_at < bound,
            C.c.dispatched_at < C.c.deadline_at,
            or_(C.c.handled_at.is_(None), C.c.handled_at > C.c.deadline_at),
        )
    ).all()
    s = EVENTS.alias("s")
    candidates = [C.c.deadline_at.between(start, end), C.c.state.in_(RUNNING)]
    if low is not None:
        candidates.append(C.c.id.between(low, high))
    # The cases first, then their events through the case_id index: a join
    # lets the planner read the whole event log to find them (a city year is
    # millions of events for some ten thousand such cases).
    case_ids = db.session.scalars(select(C.c.id).where(~_simple(C), or_(*candidates))).all()
    other_rows = []
    for among_events, among_cases in zip(
        _among(s.c.case_id, case_ids), _among(C.c.id, case_ids), strict=True
    ):
        other_rows += db.session.execute(
            select(C.c.id, *places, _unit_at(s, C), _running_deadline(s, C), C.c.closed_at)
            .select_from(s.join(C, C.c.id == s.c.case_id))
            .where(
                among_events,
                among_cases,
                s.c.action.in_(DEADLINE_ACTIONS),
                _period_crossed(s, C, start, bound),
            )
        ).all()
    rows = [(*r[:7], _seconds(r[7]), r[8]) for r in [*simple_rows, *other_rows]]
    if not rows:
        return np.zeros((0, width), dtype=np.int64)
    rows.sort(key=lambda r: (r[0], r[7]))
    out = np.full((len(rows), width), -1, dtype=np.int64)
    seen_case, seen_unit = set(), set()
    for j, r in enumerate(rows):
        out[j, :7] = [-1 if v is None else v for v in r[:7]]
        out[j, 7] = r[0] not in seen_case
        out[j, 8] = (r[0], r[6]) not in seen_unit
        closed = r[8]
        out[j, 9] = closed is None or closed >= end
        seen_case.add(r[0])
        seen_unit.add((r[0], r[6]))
    return out


FINE_COUNTS = tuple(c for c in dict.fromkeys(ind.AREA_COUNTS + ind.UNIT_COUNTS) if c != "should_close")
# What the pass counts per place × unit (missed reports per work grid too)
# and per actor × role. The overdue counts come from the deadlines that
# passed (:func:`overdue_crossings`): a place's count cases, a unit's the
# cases it held (``unit_overdue``: a case can pass two units' deadlines).
OVERDUE_COUNTS = ("overdue", "overdue_open", "unit_overdue", "unit_overdue_open")
PLACE_SQL_COUNTS = (*(c for c in FINE_COUNTS if c not in OVERDUE_COUNTS), "grid_valid", "missed")
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
    # The rows behind every count (:func:`month_facts`), frozen with the figures.
    facts: dict = field(default_factory=dict)

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
        out.people[role] = _tally([facts[(role, c)][:, 0] for c in names], names).as_dict()
    out.patrol_findings = patrol_findings(start, end)
    return out


def _tally(subjects: list[np.ndarray], names) -> TierCounts:
    """Counts per subject: ``subjects[j]`` holds a subject id per row counted
    by ``names[j]`` (-1: no subject). A subject is listed when it has a row."""
    column = np.concatenate([np.full(len(ids), j, dtype=np.int64) for j, ids in enumerate(subjects)])
    subject = np.concatenate(subjects) if subjects else np.zeros(0, dtype=np.int64)
    keep = subject != -1
    ids, slot = np.unique(subject[keep], return_inverse=True)
    width = len(names)
    matrix = np.bincount(slot * width + column[keep], minlength=len(ids) * width).reshape(len(ids), width)
    return TierCounts(ids.astype(np.int64), matrix.astype(np.int64), tuple(names))


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


def month_facts(start: dt.datetime, end: dt.datetime, limits: dict, subject=None) -> dict:
    """Rule 8: the rows every count of the month counted, ``{(group, count):
    int matrix}`` — group ``area`` (columns :data:`AREA_FACT_COLUMNS`, one row
    for all five area tiers), ``unit`` and each person tier (columns
    :data:`PAIR_FACT_COLUMNS`). A subject's figure is the number of its rows;
    its drill-down lists their cases. The same conditions as the pass
    (:class:`Ctx`), the same overdue crossings; frozen with a month's figures.

    ``subject`` (tier, id) only narrows the reading to what that subject's
    rows can come from (its drill-down, live)."""
    ctx = Ctx(start, end, limits)
    low, high = _case_id_range(ctx)
    groups: dict[tuple[str, str], list] = {}

    def put(group: str, count: str, rows) -> None:
        width = len(AREA_FACT_COLUMNS) if group == "area" else 2
        array = np.asarray(rows, dtype=np.int64).reshape(-1, width)
        groups[(group, count)] = (
            np.vstack([groups[(group, count)], array]) if (group, count) in groups else array
        )

    for tier in ("area", "unit", *PERSON_TIERS):
        names = ind.AREA_COUNTS if tier == "area" else ind.TIER_COUNTS[tier]
        for c in names:
            put(tier, c, [])
    if low is None:  # no event in the month; a deadline may still pass in it
        low, high = 0, -1
    ctx = Ctx(start, end, limits, low, high)
    tier, subject_id = subject if subject else (None, None)
    narrow = []
    if tier in AREA_TIERS:
        narrow.append(ctx.area_keys[tier] == subject_id)
    elif tier == "unit":
        narrow.append(ctx.unit_key == subject_id)
    elif tier == "inspector":
        grids = select(inspector_work_grid.c.work_grid_id).where(inspector_work_grid.c.user_id == subject_id)
        narrow.append(or_(E.c.actor_id == subject_id, C.c.work_grid_id.in_(grids)))
    elif tier in PERSON_TIERS and tier != "dispatcher":
        narrow.append(E.c.actor_id == subject_id)
    elif tier == "dispatcher":
        narrow.append(or_(E.c.actor_id == subject_id, E.c.action.in_(("check", "rework", "decide"))))

    # 1. the pass's events, a row each, with a bit per count (a city month
    # is a million events: they come as one matrix, see rows.int_matrix).
    if _postgres():
        # JIT compilation costs more than it saves here (this transaction only).
        db.session.execute(text("SET LOCAL jit = off"))
    sql_counts = tuple(dict.fromkeys((*PLACE_SQL_COUNTS, *PERSON_SQL_COUNTS)))
    mask = sum((case((ctx.cond[c], 1 << j), else_=0) for j, c in enumerate(sql_counts)), literal(0))
    role_code = case(*((E.c.actor_role == r, k) for k, r in enumerate(PERSON_TIERS)), else_=-1)
    columns = [C.c.id, *(ctx.area_keys[t] for t in AREA_TIERS), ctx.unit_key, E.c.actor_id, role_code, mask]
    matrix = int_matrix(
        select(*(bigint(c) for c in columns))
        .select_from(ctx.from_pass)
        .where(ctx.in_month, ctx.counted, C.c.id.between(low, high), *narrow),
        len(columns),
    )
    n_keys = 1 + len(AREA_TIERS) + 1
    flag = {c: ((matrix[:, -1] >> j) & 1).astype(bool) for j, c in enumerate(sql_counts)}
    area_keys = matrix[:, : 1 + len(AREA_TIERS)]
    unit_pairs = matrix[:, [n_keys - 1, 0]]
    for c in PLACE_SQL_COUNTS:
        if c in ind.AREA_COUNTS:
            put("area", c, area_keys[flag[c]])
        if c in ind.UNIT_COUNTS:
            put("unit", c, unit_pairs[flag[c]])
    actor_ids, roles = matrix[:, n_keys], matrix[:, n_keys + 1]
    for k, role in enumerate(PERSON_TIERS):
        mine = (roles == k) & (actor_ids != -1)
        for c in ind.ROLE_COUNTS[role]:
            if c in PERSON_SQL_COUNTS:
                keep = mine & flag[c]
                put(role, c, np.column_stack([actor_ids[keep], matrix[keep, 0]]))

    group = fact_group(tier) if subject else None
    # 2. missed reports: the grid's cases, for every inspector of the grid.
    members: dict[int, list[int]] = {}
    for user_id, wg in db.session.execute(
        select(inspector_work_grid.c.user_id, inspector_work_grid.c.work_grid_id)
    ):
        members.setdefault(wg, []).append(user_id)
    wg_column = 1 + AREA_TIERS.index("work_grid")
    for c in ("grid_valid", "missed") if group in (None, "inspector") else ():
        picked = matrix[flag[c]]
        put(
            "inspector",
            c,
            [
                (user_id, case_id)
                for case_id, wg in picked[:, [0, wg_column]].tolist()
                for user_id in members.get(wg, ())
            ],
        )

    # 3. tasks done on time, each event by its own task (rule 4): verify
    # and check events in one reading (1: a verify, 0: a check).
    if group in (None, "inspector"):
        task_rows = int_matrix(
            select(bigint(E.c.actor_id), bigint(E.c.case_id), bigint(cast(E.c.action == "verify", Integer)))
            .select_from(E.join(T, ctx.task))
            .where(
                ctx.in_month,
                E.c.action.in_(("verify", "check")),
                E.c.actor_role == "inspector",
                E.c.actor_id.is_not(None),
                T.c.completed_at <= T.c.due_at,
            ),
            3,
        )
        put("inspector", "verified_on_time", task_rows[task_rows[:, 2] == 1, :2])
        put("inspector", "checked_on_time", task_rows[task_rows[:, 2] == 0, :2])

    # 4. the month's dispatches reworked or returned within the month.
    if group in (None, "dispatcher"):
        for dispatcher_id, case_id, is_rework in ctx.dispatches_undone():
            put(
                "dispatcher",
                "dispatched_reworked" if is_rework else "dispatched_returned",
                [(dispatcher_id, case_id)],
            )

    # 5. the deadlines that passed (rule 1), and should_close.
    crossings = (
        overdue_crossings(start, end, low, high)
        if group in (None, "area", "unit")
        else np.zeros((0, len(CROSSING_COLUMNS) + 3), dtype=np.int64)
    )
    first_case, first_unit, still_open = (crossings[:, j].astype(bool) for j in (7, 8, 9))
    crossing_area = crossings[:, : 1 + len(AREA_TIERS)]
    crossing_unit = crossings[:, [1 + len(AREA_TIERS), 0]]
    put("area", "overdue", crossing_area[first_case])
    put("area", "overdue_open", crossing_area[first_case & still_open])
    put("unit", "overdue", crossing_unit[first_unit])
    put("unit", "overdue_open", crossing_unit[first_unit & still_open])
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
