"""What the inspectors' app needs besides the case and patrol APIs: the month's
figures (the same counts the scorecards use), the receipt of a report, and the
inspector's "it's the same" mark on a likely duplicate."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy import case as sql_case

from gridcity.cases import live, states
from gridcity.cases.history import record
from gridcity.cases.models import Case, CaseEvent, CaseTask
from gridcity.cases.routing import likely_duplicates
from gridcity.core.errors import Conflict, Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.geo.models import UnitGrid
from gridcity.org.models import Unit, User
from gridcity.patrols.models import Patrol
from gridcity.taxonomy.models import Category, CategoryMajor

# ---------------------------------------------------------------- my month


@dataclass(frozen=True)
class InspectorMonth:
    """An inspector's figures for one calendar month (in the city's time zone).

    - ``reports``: cases they reported (上报数).
    - ``valid_reports``: of those, the ones not voided (作废). A merged report
      keeps its credit (see ``cases.services.merge``), so it stays valid.
    - ``verify_done`` / ``check_done``: verify (核实) and check (核查) tasks they
      completed this month; ``*_on_time``: of those, completed by the task's
      ``due_at`` (按时核实 / 按时核查).
    """

    inspector_id: int
    month: str
    reports: int
    valid_reports: int
    verify_done: int
    verify_on_time: int
    check_done: int
    check_on_time: int
    patrols: int
    patrol_distance_m: float

    def to_dict(self) -> dict:
        return asdict(self)


def month_bounds(year: int, month: int, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar month in ``timezone``, as UTC."""
    if not 1 <= month <= 12:
        raise GridCityError("bad_request", detail="month must be YYYY-MM")
    tz = ZoneInfo(timezone)
    start = dt.datetime(year, month, 1, tzinfo=tz)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def inspector_month(inspector_id: int, year: int, month: int, timezone: str) -> InspectorMonth:
    start, end = month_bounds(year, month, timezone)
    mine = and_(Case.reporter_id == inspector_id, Case.reported_at >= start, Case.reported_at < end)
    reports = db.session.scalar(select(func.count(Case.id)).where(mine))
    valid = db.session.scalar(select(func.count(Case.id)).where(mine, Case.state != states.VOIDED))
    tasks = {kind: task_counts(inspector_id, kind, start, end) for kind in ("verify", "check")}
    patrols, distance = db.session.execute(
        select(func.count(Patrol.id), func.coalesce(func.sum(Patrol.distance_m), 0.0)).where(
            Patrol.inspector_id == inspector_id, Patrol.started_at >= start, Patrol.started_at < end
        )
    ).one()
    return InspectorMonth(
        inspector_id=inspector_id,
        month=f"{year:04d}-{month:02d}",
        reports=reports,
        valid_reports=valid,
        verify_done=tasks["verify"][0],
        verify_on_time=tasks["verify"][1],
        check_done=tasks["check"][0],
        check_on_time=tasks["check"][1],
        patrols=patrols,
        patrol_distance_m=round(float(distance), 1),
    )


def task_counts(inspector_id: int, kind: str, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(completed, completed on time) verify or check tasks of an inspector in
    [start, end). Who completed a task is the actor of the history event that
    completed it (a grid's inspector may take a colleague's task); the event
    and the task carry the same time."""
    completing = (
        select(CaseTask.completed_at, CaseTask.due_at)
        .join(
            CaseEvent,
            and_(
                CaseEvent.case_id == CaseTask.case_id,
                CaseEvent.action == CaseTask.kind,
                CaseEvent.at == CaseTask.completed_at,
            ),
        )
        .where(
            CaseTask.kind == kind,
            CaseTask.result.in_(("pass", "fail")),
            CaseEvent.actor_id == inspector_id,
            CaseTask.completed_at >= start,
            CaseTask.completed_at < end,
        )
        .subquery()
    )
    done, on_time = db.session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(sql_case((completing.c.completed_at <= completing.c.due_at, 1), else_=0)), 0
            ),
        ).select_from(completing)
    ).one()
    return int(done), int(on_time)


# ---------------------------------------------------------------- my reports


MY_REPORTS_PAGE = 20


@dataclass(frozen=True)
class MyReports:
    """A page of an inspector's own reports (我的上报), newest first."""

    total: int
    items: list[Case]


def my_reports_tag(inspector: User) -> str:
    """Changes whenever one of the inspector's reports moves (every change to
    a case is a history event) or a report is added: the phone polls with it
    and gets 304 while nothing changed. One aggregate over indexed columns."""
    count, last = db.session.execute(
        select(func.count(func.distinct(Case.id)), func.max(CaseEvent.id))
        .select_from(Case)
        .outerjoin(CaseEvent, CaseEvent.case_id == Case.id)
        .where(Case.reporter_id == inspector.id)
    ).one()
    return f"{count}-{last or 0}"


def my_reports(inspector: User, limit: int = MY_REPORTS_PAGE, offset: int = 0) -> MyReports:
    """The cases ``inspector`` reported, whatever became of them, newest first.
    Only the reporter's own: a colleague's report in the same grid is not theirs."""
    mine = Case.reporter_id == inspector.id
    total = db.session.scalar(select(func.count(Case.id)).where(mine))
    rows = db.session.scalars(
        select(Case).where(mine).order_by(Case.reported_at.desc(), Case.id.desc()).limit(limit).offset(offset)
    ).all()
    return MyReports(total=total, items=list(rows))


def my_report_json(case: Case) -> dict:
    """What the list shows: no reporter contact, no other person's data."""
    return {
        "id": case.id,
        "number": case.number,
        "state": case.state,
        "category": {
            "code": case.category.code,
            "name_zh": case.category.name_zh,
            "name_en": case.category.name_en,
        },
        "description": case.description,
        "reported_at": case.reported_at.isoformat(),
        "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
        "overdue": case.overdue,
        "unit": None
        if case.unit is None
        else {"id": case.unit.id, "code": case.unit.code, "name": case.unit.name},
    }


# ---------------------------------------------------------------- a report's receipt


def report_receipt(case: Case, user: User) -> dict:
    """What the reporter sees after sending: the case number, where it was
    placed, the unit it would go to (its component's owner, or the unit the
    responsibility rules point to), and likely duplicates."""
    from gridcity.cases.queries import can_see, case_summary, visible_only
    from gridcity.cases.routing import responsible_unit

    if not can_see(user, case):
        raise NotFound("not_found", what=f"case {case.id}")
    if case.reporter_id != user.id:
        raise Forbidden("not_your_report", number=case.number)
    grid = db.session.get(UnitGrid, case.unit_grid_id)
    work_grid = grid.work_grid
    try:
        unit = db.session.get(Unit, responsible_unit(case)[0])
    except GridCityError:
        unit = None  # no rule yet: the dispatcher chooses
    open_case = case.state in states.OPEN_STATES
    marked = [
        e.data.get("same_as_id")
        for e in case.events
        if e.action == "same_as" and e.data.get("same_as_id") is not None
    ]
    return {
        "id": case.id,
        "number": case.number,
        "state": case.state,
        "version": case.version,
        "category": {
            "code": case.category.code,
            "name_zh": case.category.name_zh,
            "name_en": case.category.name_en,
        },
        "patrol_id": case.patrol_id,
        "unit_grid": {"code": grid.code},
        "community": {"code": grid.community.full_code, "name": grid.community.name},
        "street": {"code": grid.community.street.full_code, "name": grid.community.street.name},
        "work_grid": None if work_grid is None else {"code": work_grid.code, "name": work_grid.name},
        "responsible_unit": None if unit is None else {"id": unit.id, "code": unit.code, "name": unit.name},
        "duplicates": [case_summary(c) for c in visible_only(user, likely_duplicates(case))]
        if open_case
        else [],
        "same_as_ids": marked,
        "photo_count": len([p for p in case_photos(case) if p.stage == "report"]),
    }


def case_photos(case: Case) -> list:
    from gridcity.cases.models import Photo

    return list(db.session.scalars(select(Photo).where(Photo.case_id == case.id).order_by(Photo.id)))


# ---------------------------------------------------------------- "it's the same"


def mark_same_as(case: Case, other: Case, inspector: User, note: str = "") -> Case:
    """The reporter says their new report is the same problem as an open case.

    Merging is the operator's step (合并, role operator), so this changes no
    state: it appends a ``same_as`` event to the report's history, which the
    operator sees with the report and acts on with the merge action."""
    from gridcity.cases.queries import can_see

    # Either case outside the inspector's scope answers as if it did not
    # exist: neither its number nor its state may reach another grid.
    for seen in (case, other):
        if not can_see(inspector, seen):
            raise NotFound("not_found", what=f"case {seen.id}")
    if case.reporter_id != inspector.id:
        raise Forbidden("not_your_report", number=case.number)
    if case.state != states.REPORTED:
        raise Conflict("same_as_refused", number=other.number, detail="the operator has already taken it up")
    if other.id == case.id or other.state not in states.OPEN_STATES:
        raise Conflict("same_as_refused", number=other.number, detail=f"it is {other.state}")
    note = note.strip() or f"上报人确认与案卷 {other.number} 为同一问题，请受理员合并。"
    event = record(
        case,
        "same_as",
        case.state,
        inspector,
        note=note,
        extra={"same_as_id": other.id, "same_as_number": other.number},
    )
    db.session.flush()
    live.queue(db.session, live.rooms_for(case), live.case_payload(case, event.action, event.id))
    return case


# ---------------------------------------------------------------- the app's categories


def app_categories() -> list[dict]:
    """Every active category in the compact form the phone searches: names,
    pinyin initials, keywords, kind, default urgency and the photos a report
    of it needs."""
    from gridcity.taxonomy.services import pinyin_initials

    rows = db.session.execute(
        select(Category, CategoryMajor)
        .join(CategoryMajor, Category.major_id == CategoryMajor.id)
        .where(Category.active)
        .order_by(CategoryMajor.kind, Category.code)
    ).all()
    return [
        {
            "code": c.code,
            "kind": m.kind,
            "zh": c.name_zh,
            "en": c.name_en,
            "major_zh": m.name_zh,
            "major_en": m.name_en,
            "py": pinyin_initials(c.name_zh),
            "kw": c.keywords,
            "urgency": c.urgency,
            # Photos an inspector's report of it must carry (the form says so at once).
            "min_photos": c.inspector_min_photos,
        }
        for c, m in rows
    ]
