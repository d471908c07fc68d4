"""主动治理 — proactive tasks: the center turns a hotspot or a recurring
problem (the analysis, issue 20) into work for a unit, tracked as a case.

A task is a **case** with the source ``proactive``. It starts already filed
and dispatched: two history events at the same instant by the manager who
raised it — ``initiate`` (发起: what, where, from which hotspot or
recurrence; to 立案) and ``dispatch`` (派遣 to the chosen unit, with the
deadline; to 已派遣). From there it goes round the loop like any case: the
unit's portal and queue, accept, handle with proof, the grid inspector's
check, close; extension, suspension and return; urging, the sweeper's
warnings and overdue marks, live events, the drawer and its history.

**The deadline** is a moment the manager names (a date and time), not an
amount on the category's clock: a clean-up campaign is planned to a day,
and the category's clock is made for one reported problem (hours). The case
runs it on the continuous clock (``emergency_hours``): its budget is the
time from now to that moment, so its deadline is exactly that moment; a
suspension stops it and an extension adds hours to it like any case's.

**How it counts in the scorecards** (DOMAIN §7.1; the counting engine reads
actions, so nothing there changes): ``initiate`` is no counted action — the
task is no report (neither an inspector's report nor a valid one, and no
missed report for the grid's inspectors: rule 6 counts cases first
*reported*) and no filing (no shift leader filed it against a filing
standard). Its ``dispatch`` is a dispatch: the unit and the place count it
as dispatched, and from it on the unit is judged like for any dispatched
case — handled, on time by the deadline in force, overdue, extension,
suspension, return, rework, closed (rule 3). The manager who raised it is
no position that is scored (inspector, operator, shift leader, dispatcher),
so no person's figure counts the creation; the inspector's check and the
shift leader's close count for them as on any case.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import shapely
from flask import current_app
from sqlalchemy import func, select

from gridcity.cases import deadlines, queries, states
from gridcity.cases.history import record
from gridcity.cases.models import Case
from gridcity.cases.services import announce, case_number, place_fields
from gridcity.core.auth import role_name
from gridcity.core.clock import utcnow
from gridcity.core.errors import Forbidden, GridCityError
from gridcity.extensions import db
from gridcity.geo.locator import Location
from gridcity.geo.models import Community, Street
from gridcity.geo.services import locate
from gridcity.org.models import Role, Unit, User
from gridcity.proactive.models import BASIS_KINDS, ProactiveTask
from gridcity.taxonomy.services import get_category, responsible_unit_id
from gridcity.workcalendar.clock import EMERGENCY_HOURS

SOURCE = "proactive"
# Raising work for a unit from the analysis is management's decision (决策
# 建议 → 主动治理). DOMAIN gives the shift leader filing and closing and the
# dispatcher the sending of reported cases; neither decides new work.
CREATORS = (Role.MANAGER,)
# The centers read the tasks (they work them like any case).
READERS = (Role.MANAGER, Role.ADMIN, Role.SHIFT_LEADER, Role.DISPATCHER, Role.OPERATOR)
TITLE_MAX = 200
DETAILS_MAX = 4000
REF_MAX = 64
# A hotspot of a month rarely has more; a link with more is a mistake.
MAX_BASIS_CASES = 500


@dataclass(frozen=True)
class Basis:
    """What the task was raised from: a hotspot or recurrence of the analysis
    (its kind and its own id) and the cases behind it."""

    kind: str
    ref: str
    case_ids: tuple[int, ...]


@dataclass(frozen=True)
class Place:
    """A position picked for the task (WGS-84)."""

    lon: float
    lat: float


# ---------------------------------------------------------------- checks


def require_creator(actor: User) -> None:
    if actor.role not in {r.value for r in CREATORS}:
        raise Forbidden("forbidden_role", role=role_name(actor.role))


def basis_cases(actor: User, basis: Basis) -> list[Case]:
    """The basis cases, checked: every id a case the actor may see (one
    outside their scope answers like a missing one), none a report merged
    into another case (cite that case instead)."""
    if basis.kind not in BASIS_KINDS:
        raise GridCityError("proactive_basis_kind", kinds=", ".join(BASIS_KINDS))
    if not basis.ref.strip() or len(basis.ref) > REF_MAX:
        raise GridCityError("proactive_basis_ref", max=REF_MAX)
    ids = sorted(set(basis.case_ids))
    if not ids:
        raise GridCityError("proactive_no_cases")
    if len(ids) > MAX_BASIS_CASES:
        raise GridCityError("proactive_too_many_cases", max=MAX_BASIS_CASES)
    found = db.session.scalars(select(Case).where(Case.id.in_(ids))).all()
    cases = queries.visible_only(actor, sorted(found, key=lambda c: c.id))
    unknown = sorted(set(ids) - {c.id for c in cases})
    if unknown:
        raise GridCityError("proactive_unknown_cases", status=422, ids=", ".join(map(str, unknown[:20])))
    merged = [c.number for c in cases if c.merged_into_id is not None]
    if merged:
        raise GridCityError("proactive_foreign_cases", status=422, numbers=", ".join(merged[:20]))
    return cases


def shared_category(cases: list[Case]):
    """The basis cases' category when they all share one, else None."""
    ids = {c.category_id for c in cases}
    return cases[0].category if len(ids) == 1 else None


def centre(cases: list[Case], place: Place | None = None) -> tuple[float, float, Location]:
    """Where the task is: the picked position, else the basis cases' centre
    (their mean position), else — the centre falling outside the city (a
    crescent of cases round a bay) — the basis case nearest to it."""
    if place is not None:
        return place.lon, place.lat, locate(place.lon, place.lat)
    lon = sum(c.lon for c in cases) / len(cases)
    lat = sum(c.lat for c in cases) / len(cases)
    try:
        return lon, lat, locate(lon, lat)
    except GridCityError:
        nearest = min(cases, key=lambda c: ((c.lon - lon) ** 2 + (c.lat - lat) ** 2, c.id))
        return nearest.lon, nearest.lat, locate(nearest.lon, nearest.lat)


def routed_unit_id(category, location: Location) -> int | None:
    """The unit the responsibility rules pick for the category there (the
    form's default), or None when no rule applies."""
    try:
        return responsible_unit_id(category, location)
    except GridCityError:
        return None


def _active_unit(unit: int | str) -> Unit:
    """A unit by id or code, active."""
    if isinstance(unit, int):
        found = db.session.get(Unit, unit)
    else:
        found = db.session.scalar(select(Unit).where(Unit.code == str(unit).strip()))
    if found is None or not found.active:
        raise GridCityError("unknown_unit", status=422, code=str(unit))
    return found


def _address(location: Location) -> str:
    """The street and community, as a reader names the place."""
    street = db.session.get(Street, location.street_id)
    community = db.session.get(Community, location.community_id)
    return "".join(p.name for p in (street, community) if p is not None)


# ---------------------------------------------------------------- creation


def create_proactive_task(
    actor: User,
    title: str,
    description: str,
    unit: int | str,
    deadline: dt.datetime,
    place: Place | None,
    basis: Basis,
    category: str | None = None,
) -> ProactiveTask:
    """主动治理 — raise a task from a hotspot or recurrence: a case of the
    basis cases' category (or ``category`` when they differ, or to override),
    at ``place`` or the basis cases' centre, filed and dispatched at once to
    ``unit`` (id or code) with ``deadline`` (an aware moment in the future).
    The caller commits."""
    require_creator(actor)
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        raise GridCityError("proactive_title_required")
    if len(title) > TITLE_MAX or len(description) > DETAILS_MAX:
        raise GridCityError("proactive_text_too_long", title=TITLE_MAX, details=DETAILS_MAX)
    cases = basis_cases(actor, basis)
    chosen = get_category(category) if category else shared_category(cases)
    if chosen is None:
        raise GridCityError("proactive_category_required")
    target = _active_unit(unit)
    now = utcnow()
    if deadline.tzinfo is None:
        raise GridCityError("bad_request", detail="the deadline needs a time zone")
    if deadline <= now:
        raise GridCityError("proactive_deadline_past", status=422)
    lon, lat, location = centre(cases, place)
    address = _address(location)
    routed = routed_unit_id(chosen, location)

    case = Case(
        client_uuid=str(uuid.uuid4()),
        state=states.FILED,
        geom=shapely.Point(lon, lat),
        category_id=chosen.id,
        source=SOURCE,
        lon=lon,
        lat=lat,
        urgency=chosen.urgency,
        reported_at=now,
        events=[],
        **place_fields(location),
    )
    db.session.add(case)
    db.session.flush()
    case.state = None  # the initiate event sets everything, state included
    initiate = record(
        case,
        "initiate",
        states.FILED,
        actor,
        note=title,
        at=now,
        lon=lon,
        lat=lat,
        set={
            "number": case_number(case.id, now),
            "source": SOURCE,
            "reporter_id": actor.id,
            "category_id": chosen.id,
            "urgency": chosen.urgency,
            "description": f"{title}\n{description}" if description else title,
            "address": address,
            "lon": lon,
            "lat": lat,
            "reported_at": now,
            "filed_at": now,
            **place_fields(location),
        },
        extra={"basis_kind": basis.kind, "basis_ref": basis.ref, "basis_cases": len(cases)},
    )
    handling = _deadline(now, deadline)
    dispatched = record(
        case,
        "dispatch",
        states.DISPATCHED,
        actor,
        at=now,
        set={
            "unit_id": target.id,
            "dispatched_at": now,
            "warned": False,
            "overdue": False,
            **deadlines.deadline_fields(handling),
        },
        extra={"routed_unit_id": routed} if routed is not None else {},
    )
    task = ProactiveTask(
        case_id=case.id,
        title=title,
        details=description,
        basis_kind=basis.kind,
        basis_ref=basis.ref.strip(),
        created_by=actor.id,
        created_at=now,
        basis_cases=cases,
    )
    db.session.add(task)
    announce(case, initiate)
    announce(case, dispatched)
    return task


def _deadline(now: dt.datetime, deadline: dt.datetime) -> deadlines.Deadline:
    """The handling clock of a task: continuous, its budget up to the moment
    named (see the module's docstring)."""
    budget = (deadline - now).total_seconds()
    return deadlines.running_deadline(
        deadlines.calendar(), EMERGENCY_HOURS, budget, 0.0, now, deadlines.policy("handle")[2]
    )


def default_deadline(now: dt.datetime | None = None) -> dt.datetime:
    """What the form proposes: ``GRIDCITY_PROACTIVE_DEFAULT_DAYS`` ahead, at
    the end of that day's office hours (18:00 city time)."""
    from zoneinfo import ZoneInfo

    settings = current_app.config["SETTINGS"]
    local = (now or utcnow()).astimezone(ZoneInfo(settings.timezone))
    day = local.date() + dt.timedelta(days=settings.proactive_default_days)
    return dt.datetime.combine(day, dt.time(18, 0), tzinfo=local.tzinfo)


# ---------------------------------------------------------------- reading


def task_of_case(case_id: int) -> ProactiveTask | None:
    return db.session.scalar(select(ProactiveTask).where(ProactiveTask.case_id == case_id))


def tasks(limit: int = 200, offset: int = 0) -> tuple[int, list[ProactiveTask]]:
    """The tasks, newest first, and how many there are."""
    total = db.session.scalar(select(func.count(ProactiveTask.id)))
    rows = db.session.scalars(
        select(ProactiveTask)
        .order_by(ProactiveTask.created_at.desc(), ProactiveTask.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return total, list(rows)


BASIS_CASE_KEYS = ("id", "number", "state", "category", "address", "reported_at")


def basis_case_json(case: Case) -> dict:
    """A basis case as the pages list it: number, category, address."""
    summary = queries.case_summary(case)
    return {key: summary[key] for key in BASIS_CASE_KEYS}


def task_json(task: ProactiveTask) -> dict:
    """A task with where its case stands (state, unit, deadline) and its basis."""
    case = task.case
    summary = queries.case_summary(case)
    return {
        "id": task.id,
        "title": task.title,
        "details": task.details,
        "case": {key: summary[key] for key in ("id", "number", "state", "version")},
        **{key: summary[key] for key in ("state", "category", "unit", "deadline_at")},
        "overdue": bool(case.overdue),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "basis": {
            "kind": task.basis_kind,
            "ref": task.basis_ref,
            "case_ids": [c.id for c in task.basis_cases],
        },
        "created_by": task.creator.display_name,
        "created_at": task.created_at.isoformat(),
    }


def proposal(actor: User, basis: Basis) -> dict:
    """What the form proposes for a basis: its cases (checked), their shared
    category, their centre and the unit the rules pick there."""
    require_creator(actor)
    cases = basis_cases(actor, basis)
    category = shared_category(cases)
    lon, lat, location = centre(cases)
    return {
        "cases": cases,
        "category": category,
        "lon": lon,
        "lat": lat,
        "place": _address(location),
        "unit_grid_code": location.unit_grid_code,
        "routed_unit_id": routed_unit_id(category, location) if category is not None else None,
        "deadline": default_deadline(),
    }


def active_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)))


def drawer_basis(case: Case, user: User) -> dict | None:
    """What the case drawer shows of a proactive task: its title, what it was
    raised from and the basis cases the user may see (a unit sees its own)."""
    task = task_of_case(case.id) if case.source == SOURCE else None
    if task is None:
        return None
    return {
        "title": task.title,
        "kind": task.basis_kind,
        "case_count": len(task.basis_cases),
        "cases": [basis_case_json(c) for c in queries.visible_only(user, task.basis_cases)],
    }


def tasks_xlsx(rows: list[ProactiveTask], language: str) -> bytes:
    """The tasks as the list page shows them, one row each, in a workbook
    written the scorecards' way (Chinese headers by default, header frozen)."""
    import io

    from openpyxl import Workbook

    from gridcity.scorecards.presentation.exports import COUNT, TEXT, Field, write_sheet
    from gridcity.web.formats import city_datetime
    from gridcity.web.ui_text import ui_text

    def t(key: str) -> str:
        return ui_text(key, language)

    def state(case: Case) -> str:
        return t(f"d_state_{case.state}") + (f" · {t('pa_overdue')}" if case.overdue else "")

    fields = [
        Field(t("pa_case_number"), TEXT, [r.case.number for r in rows]),
        Field(t("pa_title"), TEXT, [r.title for r in rows]),
        Field(t("pa_state"), TEXT, [state(r.case) for r in rows]),
        Field(t("pa_unit"), TEXT, [r.case.unit.name if r.case.unit else "—" for r in rows]),
        Field(t("pa_deadline"), TEXT, [city_datetime(r.case.deadline_at) for r in rows]),
        Field(t("pa_basis"), TEXT, [t(f"pa_basis_{r.basis_kind}") for r in rows]),
        Field(t("pa_basis_cases"), COUNT, [len(r.basis_cases) for r in rows]),
        Field(t("pa_created_by"), TEXT, [r.creator.display_name for r in rows]),
        Field(t("pa_created_at"), TEXT, [city_datetime(r.created_at) for r in rows]),
    ]
    book = Workbook()
    write_sheet(book.active, t("pa_list_title"), city_datetime(utcnow()), fields, grade_fills=False)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
