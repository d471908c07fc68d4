"""Reading cases: who may see which, filters, paging, and the JSON shapes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, and_, or_, select

from gridcity.cases import states
from gridcity.cases.history_lines import history_lines
from gridcity.cases.models import Case, CaseEvent, CaseRequest, CaseTask, Photo
from gridcity.core.errors import Forbidden, GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.geo.models import UnitGrid
from gridcity.org.models import Role, User, is_unit_member
from gridcity.taxonomy.models import Category

PAGE_MAX = 500
SORTS = {
    "reported_at": Case.reported_at,
    "-reported_at": Case.reported_at.desc(),
    "deadline_at": Case.deadline_at,
    "-deadline_at": Case.deadline_at.desc(),
    "id": Case.id,
    "-id": Case.id.desc(),
}


def visible_cases(user: User) -> Select:
    """Staff see every case; a unit's members (handlers, supervisor) their
    unit's; an inspector the cases of their work grids and their own reports."""
    query = select(Case)
    if is_unit_member(user):
        return query.where(Case.unit_id == user.unit_id)
    if user.role == Role.INSPECTOR.value:
        grids = [w.id for w in user.work_grids]
        return query.where(or_(Case.work_grid_id.in_(grids), Case.reporter_id == user.id))
    return query


def can_see(user: User, case: Case) -> bool:
    return (
        db.session.scalar(visible_cases(user).where(Case.id == case.id).with_only_columns(Case.id))
        is not None
    )


def sees_photo_originals(user: User) -> bool:
    """Whether ``user`` gets a photo's original bytes (EXIF position, device)
    on the cases they may see, rather than the copy without metadata: the
    roles named by ``GRIDCITY_PHOTO_ORIGINAL_ROLES`` (the centers' staff)."""
    return user.role in current_app.config["SETTINGS"].photo_original_role_set


def visible_only(user: User, cases: list[Case]) -> list[Case]:
    """``cases`` without those outside the user's scope, in the same order."""
    if not cases:
        return []
    ids = visible_cases(user).where(Case.id.in_([c.id for c in cases])).with_only_columns(Case.id)
    seen = set(db.session.scalars(ids))
    return [c for c in cases if c.id in seen]


def readable_photo(user: User, photo_id: int) -> Photo:
    """A case photo the user may see. A photo of a case outside their scope
    answers exactly like a photo that does not exist: the refusal must not
    tell them the case's number, nor that it exists."""
    visible = visible_cases(user).with_only_columns(Case.id).scalar_subquery()
    row = db.session.scalar(select(Photo).where(Photo.id == photo_id, Photo.case_id.in_(visible)))
    if row is None:
        raise GridCityError("not_found", status=404, what=f"photo {photo_id}")
    return row


def _int(args, name):
    try:
        return int(args[name])
    except ValueError:
        raise GridCityError("bad_request", detail=f"{name} must be an integer") from None


def _date(args, name) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(args[name])
    except ValueError:
        raise GridCityError("bad_request", detail=f"{name} must be an ISO date or date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def filtered(user: User, args) -> tuple[Select, int, int]:
    """The query for ``GET /api/v1/cases`` and its page."""
    query = visible_cases(user)
    if "state" in args:
        wanted = args["state"].split(",")
        unknown = set(wanted) - set(states.STATES) - {"open"}
        if unknown:
            raise GridCityError("bad_request", detail=f"unknown state(s) {', '.join(sorted(unknown))}")
        wanted = [s for s in wanted if s != "open"] + (list(states.OPEN_STATES) if "open" in wanted else [])
        query = query.where(Case.state.in_(wanted))
    for name, column in (
        ("unit", Case.unit_id),
        ("street", Case.street_id),
        ("work_grid", Case.work_grid_id),
    ):
        if name in args:
            query = query.where(column == _int(args, name))
    if "unit_grid" in args:
        query = query.where(
            Case.unit_grid_id
            == select(UnitGrid.id).where(UnitGrid.code == args["unit_grid"]).scalar_subquery()
        )
    if "category" in args:
        query = query.where(
            Case.category_id.in_(select(Category.id).where(Category.code.in_(args["category"].split(","))))
        )
    if "source" in args:
        query = query.where(Case.source.in_(args["source"].split(",")))
    for name, column in (("overdue", Case.overdue), ("warned", Case.warned)):
        if name in args:
            query = query.where(column.is_(args[name].lower() in ("1", "true", "yes")))
    if "from" in args:
        query = query.where(Case.reported_at >= _date(args, "from"))
    if "to" in args:
        query = query.where(Case.reported_at < _date(args, "to"))
    if "bbox" in args:
        try:
            west, south, east, north = (float(v) for v in args["bbox"].split(","))
        except ValueError:
            raise GridCityError("bad_request", detail="bbox=west,south,east,north") from None
        query = query.where(Case.lon.between(west, east), Case.lat.between(south, north))
    if "q" in args:
        text = f"%{args['q']}%"
        query = query.where(
            or_(Case.description.ilike(text), Case.address.ilike(text), Case.number.like(text))
        )
    sort = args.get("sort", "-reported_at")
    if sort not in SORTS:
        raise GridCityError("bad_request", detail=f"sort must be one of {', '.join(SORTS)}")
    limit = max(min(_int(args, "limit") if "limit" in args else 50, PAGE_MAX), 1)
    offset = max(_int(args, "offset") if "offset" in args else 0, 0)
    return query.order_by(SORTS[sort], Case.id), limit, offset


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def case_summary(case: Case) -> dict:
    return {
        "id": case.id,
        "number": case.number,
        "state": case.state,
        "version": case.version,
        "source": case.source,
        "category": {
            "code": case.category.code,
            "name_zh": case.category.name_zh,
            "name_en": case.category.name_en,
            "kind": case.category.major.kind,
        },
        "urgency": case.urgency,
        "description": case.description,
        "address": case.address,
        "lon": case.lon,
        "lat": case.lat,
        "accuracy_m": case.accuracy_m,
        "unit_grid_id": case.unit_grid_id,
        "street_id": case.street_id,
        "work_grid_id": case.work_grid_id,
        "unit": None
        if case.unit is None
        else {"id": case.unit.id, "code": case.unit.code, "name": case.unit.name},
        "reported_at": _iso(case.reported_at),
        "deadline_at": _iso(case.deadline_at),
        "warn_at": _iso(case.warn_at),
        "warned": case.warned,
        "overdue": case.overdue,
        "merged_into_id": case.merged_into_id,
        "patrol_id": case.patrol_id,
        "counts": {
            "rework": case.rework_count,
            "extension": case.extension_count,
            "suspension": case.suspension_count,
            "return": case.return_count,
            "urge": case.urge_count or 0,
            "escalation": case.escalation_count or 0,
        },
        "last_urged_at": _iso(case.last_urged_at),
        "escalated": states.is_escalated(case.escalated_at, case.deadline_at, case.overdue),
    }


@dataclass
class KnownParts:
    """The parts of a case's detail its caller already holds (a new case's)."""

    photos: list[Photo]
    tasks: list[CaseTask]
    requests: list[CaseRequest]
    unit_grid_code: str


def case_detail(case: Case, user: User, known: KnownParts | None = None) -> dict:
    if known is None:
        photos = db.session.scalars(select(Photo).where(Photo.case_id == case.id).order_by(Photo.id)).all()
        tasks = db.session.scalars(
            select(CaseTask).where(CaseTask.case_id == case.id).order_by(CaseTask.id)
        ).all()
        requests = db.session.scalars(
            select(CaseRequest).where(CaseRequest.case_id == case.id).order_by(CaseRequest.id)
        ).all()
        unit_grid_code = db.session.scalar(select(UnitGrid.code).where(UnitGrid.id == case.unit_grid_id))
    else:
        photos, tasks, requests, unit_grid_code = (
            known.photos,
            known.tasks,
            known.requests,
            known.unit_grid_code,
        )
    return {
        **case_summary(case),
        "unit_grid_code": unit_grid_code,
        "raw_position": None if case.raw_lon is None else {"lon": case.raw_lon, "lat": case.raw_lat},
        "position_by_hand": bool(case.position_by_hand),
        "component": _component(case.component_id),
        "void_reason": case.void_reason,
        "review_on": _iso(case.review_on),
        "steps": {
            f: _iso(getattr(case, f"{f}_at"))
            for f in (
                "reported",
                "accepted",
                "verified",
                "filed",
                "dispatched",
                "unit_accepted",
                "handled",
                "checked",
                "closed",
                "voided",
            )
        },
        "allowed_actions": states.allowed_actions(case.state, user.role),
        "history": [
            {**event_json(e), "line": {k: v for k, v in line.items() if k != "at"}}
            for e, line in zip(case.events, history_lines(case.events, current_language()), strict=True)
        ],
        "photos": [
            {
                "id": p.id,
                "stage": p.stage,
                "event_id": p.event_id,
                "url": f"/api/v1/photos/{p.id}",
                "thumbnail_url": f"/api/v1/photos/{p.id}?thumbnail=1",
                "width": p.width,
                "height": p.height,
                "exif_distance_m": p.exif_distance_m,
            }
            for p in photos
        ],
        "tasks": [
            {
                "id": t.id,
                "kind": t.kind,
                "inspector_id": t.inspector_id,
                "due_at": _iso(t.due_at),
                "completed_at": _iso(t.completed_at),
                "result": t.result,
                "overdue": t.overdue,
            }
            for t in tasks
        ],
        "requests": [
            {
                "id": r.id,
                "kind": r.kind,
                "state": r.state,
                "reason": r.reason,
                "extra_amount": r.extra_amount,
                "review_on": _iso(r.review_on),
                "requested_at": _iso(r.requested_at),
                "decided_at": _iso(r.decided_at),
            }
            for r in requests
        ],
    }


def _component(component_id: int | None) -> dict | None:
    """The component (部件) a case is about: code, state, owner, position."""
    if component_id is None:
        return None
    from gridcity.inventory.models import Component
    from gridcity.inventory.services import component_json

    component = db.session.get(Component, component_id)
    return None if component is None else component_json(component)


def event_json(e: CaseEvent) -> dict:
    return {
        "seq": e.id,
        "case_id": e.case_id,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "actor_id": e.actor_id,
        "actor_role": e.actor_role,
        "at": _iso(e.at),
        "note": e.note,
        "lon": e.lon,
        "lat": e.lat,
        "data": {k: v for k, v in e.data.items() if k != "set"},
    }


def require_visible(user: User, case: Case) -> None:
    if not can_see(user, case):
        raise Forbidden("not_your_case", number=case.number)


def events_after(user: User, after: int, limit: int = 1000) -> list[dict]:
    """History events newer than ``after`` that the user's live rooms carried
    (the live map's resync after a reconnect or a "resync" notice): those of
    the cases they may see, sweeper marks included."""
    visible = visible_cases(user).with_only_columns(Case.id).scalar_subquery()
    scope = CaseEvent.case_id.in_(visible)
    if is_unit_member(user):
        # A return approved takes the case out of the unit's scope with that
        # very decision, which the unit's room heard live: replay it too.
        colleagues = select(User.id).where(User.unit_id == user.unit_id).scalar_subquery()
        asked_back = (
            select(CaseEvent.case_id)
            .where(CaseEvent.action == "request", CaseEvent.actor_id.in_(colleagues))
            .scalar_subquery()
        )
        scope = or_(
            scope,
            and_(CaseEvent.action == "request", CaseEvent.actor_id.in_(colleagues)),
            and_(
                CaseEvent.action == "decide",
                CaseEvent.to_state == states.FILED,
                CaseEvent.case_id.in_(asked_back),
            ),
        )
    rows = db.session.scalars(
        select(CaseEvent).where(CaseEvent.id > after, scope).order_by(CaseEvent.id).limit(limit)
    ).all()
    return [event_json(e) for e in rows]
