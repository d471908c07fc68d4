"""An independent recount of a month's scorecard counts, written from DOMAIN
§7.1 and the one-line meaning of each count (``counts.py`` COUNT_DOCS) only.

It imports nothing from ``gridcity.scorecards``: it reads the raw rows
(``case_event``, ``case_task``, ``patrol``, ``app_user``,
``inspector_work_grid``) and walks each case's event log in plain Python. The
sweeper's marks (``overdue``, ``warn``, ``task_overdue``) are ignored: they
are notifications (rule 1). The handling deadlines recorded by the services
(at dispatch, extension, rework, resumption) are used as the running deadline,
except that an extension asked for after the deadline it would move had
passed moves nothing (rule 5): from then on the deadline is recomputed on the
category's clock without it.

``recount(month, now)`` returns ``{(tier, subject_id): {count: [case ids]}}``:
one case id per thing counted (a count of events lists a case once per
event), so a figure is the length of its list and the list is its drill-down.
Only events at or before ``now`` are read, so a month can be recounted as it
was when it was frozen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gridcity.cases.models import CaseEvent, CaseTask
from gridcity.extensions import db
from gridcity.geo.models import inspector_work_grid
from gridcity.org.models import User
from gridcity.patrols.models import Patrol
from gridcity.workcalendar.clock import add_clock_time
from gridcity.workcalendar.services import working_calendar

TIMEZONE = "Asia/Shanghai"
# The limits of the timed desk steps (the definition set's limits_minutes).
LIMITS = {"accept": 30, "file": 60, "dispatch": 60, "close": 60}
CONTEST_PATROLS = ("night", "holiday", "month_end")
PLACES = ("unit_grid", "work_grid", "area", "street", "district")
INSPECTOR_SOURCES = ("inspector", "patrol")


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    year, mon = (int(x) for x in month.split("-"))
    tz = ZoneInfo(TIMEZONE)
    start = dt.datetime(year, mon, 1, tzinfo=tz)
    end = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def within(limit_minutes: int, start: dt.datetime | None, done: dt.datetime) -> bool:
    return start is not None and done - start <= dt.timedelta(minutes=limit_minutes)


@dataclass
class Dispatch:
    """One dispatch of a case (派遣): who sent it where, and what befell it
    before the case's next dispatch."""

    at: dt.datetime
    actor: int
    reworked: list[dt.datetime] = field(default_factory=list)
    returned: list[dt.datetime] = field(default_factory=list)


@dataclass
class CaseLog:
    """What the event log says about one case, up to ``now``."""

    id: int
    reported_at: dt.datetime
    reporter: int | None
    source: str
    places: dict[str, int | None]
    patrol_id: int | None
    voided_at: dt.datetime | None = None
    merged_into: int | None = None
    closed_at: dt.datetime | None = None
    # A proactive task (主动治理) starts with the center's own "initiate": it
    # is no report (no inspector's, no valid, no missed one).
    report: bool = True


class Recount:
    """Counts of one month as of ``now``, for every tier and subject."""

    def __init__(self, month: str, now: dt.datetime):
        self.month = month
        self.now = now
        self.start, self.end = month_bounds(month)
        self.calendar = working_calendar(TIMEZONE)
        self.out: dict[tuple[str, int], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.cases: dict[int, CaseLog] = {}
        # (case, unit) pairs whose deadline passed in the month, and cases.
        self.overdue_units: set[tuple[int, int]] = set()
        self.overdue_cases: set[int] = set()

    def in_month(self, moment: dt.datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end and moment <= self.now

    def add(self, tier: str, subject: int | None, count: str, case_id: int) -> None:
        if subject is not None:
            self.out[tier, subject][count].append(case_id)

    def place(self, case: CaseLog, count: str) -> None:
        for tier in PLACES:
            self.add(tier, case.places[tier], count, case.id)

    # ------------------------------------------------------------ reading

    def read(self):
        events = db.session.execute(
            select(
                CaseEvent.id,
                CaseEvent.case_id,
                CaseEvent.action,
                CaseEvent.to_state,
                CaseEvent.actor_id,
                CaseEvent.actor_role,
                CaseEvent.at,
                CaseEvent.data,
            )
            .where(CaseEvent.at <= self.now)
            .order_by(CaseEvent.case_id, CaseEvent.id)
        ).all()
        by_case: dict[int, list] = defaultdict(list)
        for e in events:
            by_case[e.case_id].append(e)
        self.tasks = {t.id: t for t in db.session.execute(select(CaseTask.id, CaseTask.due_at)).all()}
        self.patrol_kind = dict(db.session.execute(select(Patrol.id, Patrol.kind)).all())
        self.role = dict(db.session.execute(select(User.id, User.role)).all())
        self.grids_of: dict[int, set[int]] = defaultdict(set)
        self.inspectors_of: dict[int, set[int]] = defaultdict(set)
        for user_id, grid_id in db.session.execute(
            select(inspector_work_grid.c.user_id, inspector_work_grid.c.work_grid_id)
        ):
            self.grids_of[user_id].add(grid_id)
            self.inspectors_of[grid_id].add(user_id)
        return by_case

    # ------------------------------------------------------------ counting

    def run(self) -> dict[tuple[str, int], dict[str, int]]:
        by_case = self.read()
        for case_id, events in by_case.items():
            if events[0].action not in ("report", "initiate"):
                raise AssertionError(f"case {case_id}: history does not start with its report")
            s = events[0].data["set"]
            self.cases[case_id] = CaseLog(
                id=case_id,
                reported_at=events[0].at,
                reporter=s.get("reporter_id"),
                source=s["source"],
                places={
                    "unit_grid": s.get("unit_grid_id"),
                    "work_grid": s.get("work_grid_id"),
                    "area": s.get("area_id"),
                    "street": s.get("street_id"),
                    "district": s.get("district_id"),
                },
                patrol_id=s.get("patrol_id"),
                report=events[0].action == "report",
            )
        for case_id, events in by_case.items():
            self.walk(self.cases[case_id], events)
        self.reports()
        self.overdue()
        return {key: dict(counts) for key, counts in self.out.items()}

    def walk(self, case: CaseLog, events: list) -> None:
        """One case's log in order: the desk steps, the tasks, and the unit's
        running handling deadline (rules 1-5)."""
        accepted_at = verified_at = filed_at = returned_at = checked_at = None
        unit = None
        deadline = None  # the running handling deadline in force, None while stopped
        budget = 0.0  # as recorded by the services (with late extensions)
        late_extra = 0.0  # budget added by extensions asked for too late (rule 5)
        used = 0.0
        started = None
        clock = None
        last_handle_on_time = False
        dispatch: Dispatch | None = None
        dispatches: list[Dispatch] = []
        requests: dict[int, tuple[dt.datetime, dt.datetime | None]] = {}

        counted = False  # the deadline in force already passed (and was counted)

        def passed(upto: dt.datetime) -> None:
            """The deadline in force passes once; it stays in force to judge
            the steps after it (they are late)."""
            nonlocal counted
            if deadline is not None and not counted and deadline < upto:
                counted = True
                self.deadline_passed(case, unit, deadline)

        def restart(e) -> dt.datetime:
            """The deadline a running-again clock has (rework, resumption)."""
            recorded = dt.datetime.fromisoformat(e.data["set"]["deadline_at"])
            if not late_extra:
                return recorded
            return add_clock_time(self.calendar, e.at, clock, max(budget - late_extra - used, 0.0))

        for e in events[1:]:
            passed(e.at)
            before = deadline
            a, data = e.action, e.data or {}
            s = data.get("set", {})
            if a == "accept":
                accepted_at = e.at
                direct = e.to_state == "accepted"
                if self.in_month(e.at):
                    self.add("operator", e.actor_id, "accepted", case.id)
                    kind = "accepted_direct" if direct else "accepted_verify"
                    self.add("operator", e.actor_id, kind, case.id)
                    if within(LIMITS["accept"], case.reported_at, e.at):
                        self.add("operator", e.actor_id, f"{kind}_on_time", case.id)
            elif a == "verify":
                if data.get("result") == "pass":
                    verified_at = e.at
                else:
                    self.voided(case, e, by_desk=False)
                if self.in_month(e.at):
                    self.add("inspector", e.actor_id, "verified", case.id)
                    if e.at <= self.tasks[data["task_id"]].due_at:
                        self.add("inspector", e.actor_id, "verified_on_time", case.id)
            elif a == "void":
                self.voided(case, e, by_desk=True)
            elif a == "merge":
                case.merged_into = s["merged_into_id"]
            elif a == "file":
                filed_at = e.at
                if self.in_month(e.at):
                    self.place(case, "filed")
                    self.add("shift_leader", e.actor_id, "filed", case.id)
                    if within(LIMITS["file"], verified_at or accepted_at, e.at):
                        self.add("shift_leader", e.actor_id, "filed_on_time", case.id)
            elif a == "dispatch":
                unit = s["unit_id"]
                clock = s["handle_clock"]
                budget, used, late_extra = s["handle_budget_s"], s.get("handle_used_s") or 0.0, 0.0
                started = e.at
                deadline = dt.datetime.fromisoformat(s["deadline_at"])
                dispatch = Dispatch(e.at, e.actor_id)
                dispatches.append(dispatch)
                if self.in_month(e.at):
                    self.place(case, "dispatched")
                    self.add("unit", unit, "dispatched", case.id)
                    self.add("dispatcher", e.actor_id, "dispatched", case.id)
                    # A re-dispatch is timed from the approved return (rule 2).
                    if within(LIMITS["dispatch"], returned_at or filed_at, e.at):
                        self.add("dispatcher", e.actor_id, "dispatched_on_time", case.id)
            elif a == "handle":
                on_time = deadline is not None and e.at <= deadline
                last_handle_on_time = on_time
                used = s.get("handle_used_s", used)
                deadline, started = None, None
                if self.in_month(e.at):
                    self.place(case, "handled")
                    self.add("unit", unit, "handled", case.id)
                    if on_time:
                        self.place(case, "handled_on_time")
                        self.add("unit", unit, "handled_on_time", case.id)
            elif a == "check":
                if self.in_month(e.at):
                    self.add("inspector", e.actor_id, "checked", case.id)
                    if e.at <= self.tasks[data["task_id"]].due_at:
                        self.add("inspector", e.actor_id, "checked_on_time", case.id)
                if data.get("result") == "pass":
                    checked_at = e.at
                else:
                    deadline, started = restart(e), e.at
                    self.reworked(case, unit, dispatch, e.at)
            elif a == "rework":  # 不予结案 by the shift leader, or a closed case reopened
                deadline, started = restart(e), e.at
                self.reworked(case, unit, dispatch, e.at)
                if data.get("reopened"):  # "not fixed", confirmed on site: no longer closed
                    case.closed_at = None
            elif a.startswith("rating_"):  # 满意度, for the unit holding the case
                if self.in_month(e.at):
                    counts = ["rated"] + (
                        ["rated_satisfied"] if a in ("rating_satisfied", "rating_basic") else []
                    )
                    for count in counts:
                        self.place(case, count)
                        self.add("unit", unit, count, case.id)
            elif a == "close":
                case.closed_at = e.at
                if self.in_month(e.at):
                    self.place(case, "closed")
                    self.add("unit", unit, "closed", case.id)
                    self.add("shift_leader", e.actor_id, "closed", case.id)
                    if last_handle_on_time:
                        self.place(case, "closed_on_time")
                        self.add("unit", unit, "closed_on_time", case.id)
                    if within(LIMITS["close"], checked_at, e.at):
                        self.add("shift_leader", e.actor_id, "closed_promptly", case.id)
            elif a == "request":
                # Asked for before the running deadline passed? (rule 5)
                requests[data["request_id"]] = (e.at, deadline)
            elif a == "decide" and data.get("approved"):
                kind = data["kind"]
                if kind == "extension":
                    asked_at, in_force = requests[data["request_id"]]
                    new_budget = s["handle_budget_s"]
                    if in_force is not None and asked_at <= in_force and not late_extra:
                        deadline = dt.datetime.fromisoformat(s["deadline_at"])
                    elif in_force is not None and asked_at <= in_force:
                        deadline = add_clock_time(
                            self.calendar, started, clock, max(new_budget - late_extra - used, 0.0)
                        )
                    else:
                        late_extra += new_budget - budget
                    budget = new_budget
                elif kind == "suspension":
                    used = s.get("handle_used_s", used)
                    deadline, started = None, None
                elif kind == "return":
                    returned_at = e.at
                    if dispatch is not None:
                        dispatch.returned.append(e.at)
                if self.in_month(e.at):
                    count = {"extension": "extension", "suspension": "suspension", "return": "returned"}[kind]
                    self.place(case, count)
                    self.add("unit", unit, count, case.id)
                if kind == "return":
                    unit, deadline, started, clock = None, None, None, None
            elif a == "resume":
                started = e.at
                deadline = restart(e)
            if deadline != before:
                counted = False
        passed(self.now)
        for d in dispatches:
            if not self.in_month(d.at):
                continue
            if any(self.in_month(t) for t in d.reworked):
                self.add("dispatcher", d.actor, "dispatched_reworked", case.id)
            if any(self.in_month(t) for t in d.returned):
                self.add("dispatcher", d.actor, "dispatched_returned", case.id)

    def voided(self, case: CaseLog, e, by_desk: bool) -> None:
        case.voided_at = e.at
        if self.in_month(e.at):
            self.place(case, "voided")
            if by_desk and e.actor_role in ("operator", "shift_leader"):
                self.add(e.actor_role, e.actor_id, "voided", case.id)

    def reworked(self, case: CaseLog, unit: int | None, dispatch: Dispatch | None, at: dt.datetime) -> None:
        if dispatch is not None:
            dispatch.reworked.append(at)
        if self.in_month(at):
            self.place(case, "rework")
            self.add("unit", unit, "rework", case.id)

    def deadline_passed(self, case: CaseLog, unit: int | None, deadline: dt.datetime) -> None:
        """The running deadline passed while ``unit`` held the case (rules 1, 3)."""
        if self.start <= deadline < self.end:
            self.overdue_cases.add(case.id)
            if unit is not None:
                self.overdue_units.add((case.id, unit))

    # ------------------------------------------------------------ reports

    def reports(self) -> None:
        """Reports of the month, valid reports, patrol findings and missed
        reports (rule 6: by the first of the reports merged into a case)."""
        merged_into: dict[int, list[int]] = defaultdict(list)
        for case in self.cases.values():
            if case.merged_into is not None:
                merged_into[case.merged_into].append(case.id)

        def family(case_id: int) -> list[int]:
            out, todo = [], [case_id]
            while todo:
                c = todo.pop()
                out.append(c)
                todo.extend(merged_into[c])
            return out

        for case in self.cases.values():
            if not case.report or not self.in_month(case.reported_at):
                continue
            valid = case.voided_at is None
            by_inspector = case.source in INSPECTOR_SOURCES
            finding = valid and self.patrol_kind.get(case.patrol_id) in CONTEST_PATROLS
            self.place(case, "reported")
            if by_inspector:
                self.place(case, "inspector_reported")
            if valid:
                self.place(case, "valid")
            if finding:
                self.place(case, "patrol_findings")
            if self.role.get(case.reporter) == "inspector":
                self.add("inspector", case.reporter, "reported", case.id)
                if valid:
                    self.add("inspector", case.reporter, "valid", case.id)
                if finding:
                    self.add("inspector", case.reporter, "patrol_findings", case.id)
            grid = case.places["work_grid"]
            if not valid or case.merged_into is not None or grid is None:
                continue
            first = min((self.cases[c] for c in family(case.id)), key=lambda c: (c.reported_at, c.id))
            for inspector in self.inspectors_of[grid]:
                self.add("inspector", inspector, "grid_valid", case.id)
                if first.reporter not in self.inspectors_of[grid]:
                    self.add("inspector", inspector, "missed", case.id)

    def overdue(self) -> None:
        """Overdue cases of the month; of those, the ones not closed by its
        end; should-close = closed + overdue and open."""

        def open_at_end(case_id: int) -> bool:
            closed = self.cases[case_id].closed_at
            return closed is None or closed >= self.end

        for case_id in sorted(self.overdue_cases):
            case = self.cases[case_id]
            self.place(case, "overdue")
            if open_at_end(case_id):
                self.place(case, "overdue_open")
        for case_id, unit in sorted(self.overdue_units):
            self.add("unit", unit, "overdue", case_id)
            if open_at_end(case_id):
                self.add("unit", unit, "overdue_open", case_id)
        for (tier, _), counts in self.out.items():
            if tier in (*PLACES, "unit"):
                counts["should_close"] = counts.get("closed", []) + counts.get("overdue_open", [])


def recount(month: str, now: dt.datetime) -> dict[tuple[str, int], dict[str, list[int]]]:
    """Every count of every subject of ``month`` as known at ``now``."""
    r = Recount(month, now)
    r.run()
    return {key: dict(counts) for key, counts in r.out.items()}
