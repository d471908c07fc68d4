"""The patrol organisation as the admin console, its API and the ``gridcity
geo`` commands edit it: areas (片区) with their heads, work groups (工作小组)
with their leaders, work grids (工作网格) and the unit grids each holds.

A unit grid belongs to one work grid at a time: giving it to another takes
it from the first, and the preview says so before anything is saved (saving
such a move needs ``confirm_moves``). After a change the work grids' shapes
are recomputed and the locator's revision moves, so every process places the
next report by the new membership. Cases keep the work grid stored on them:
history is not rewritten.

Every change is audited (``area.*``, ``work_group.*``, ``work_grid.*``) with
before → after; the caller commits."""

from __future__ import annotations

from sqlalchemy import func, select, update

from gridcity.audit import services as audit
from gridcity.core.errors import FieldError, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.geo.models import Area, Street, UnitGrid, WorkGrid, WorkGroup
from gridcity.geo.services import create_area, create_work_group, mark_grids_changed, refresh_work_grid_shape
from gridcity.org.models import Role, User
from gridcity.org.trail import changed

AREA_KIND, WORK_GROUP_KIND, WORK_GRID_KIND = "area", "work_group", "work_grid"
CODE_LIMIT, NAME_LIMIT = 20, 100
# One save picks at most this many unit grids (a city's biggest work grid is a few thousand).
MAX_PICKED = 20000
# Who may lead: an area head (片区长) or group leader is a manager or an inspector.
LEADER_ROLES = (Role.MANAGER.value, Role.INSPECTOR.value)


# ---------------------------------------------------------------- shared checks


def _name(value) -> str:
    text = str(value or "").strip()
    if not text:
        raise FieldError("name", "org_name_required")
    if len(text) > NAME_LIMIT:
        raise FieldError("name", "org_text_too_long", max=NAME_LIMIT)
    return text


def _code(value, model) -> str:
    code = str(value or "").strip()
    if not code or len(code) > CODE_LIMIT or any(c.isspace() for c in code):
        raise FieldError("code", "org_bad_code", max=CODE_LIMIT)
    if db.session.scalar(select(model.id).where(model.code == code)):
        raise FieldError("code", "duplicate_code", status=409, code=code)
    return code


def _person(field: str, username) -> User | None:
    """A leader or head by user name ('' or None: nobody)."""
    username = str(username or "").strip()
    if not username:
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise FieldError(field, "org_unknown_person", username=username[:50])
    if user.role not in LEADER_ROLES:
        raise FieldError(field, "org_person_role", username=username[:50])
    return user


def _person_name(user_id: int | None) -> str | None:
    user = db.session.get(User, user_id) if user_id else None
    return f"{user.display_name} ({user.username})" if user is not None else None


def _record(action: str, actor, kind: str, obj, before, after) -> None:
    audit.record(
        action,
        actor,
        object_kind=kind,
        object_id=obj.id,
        object_label=f"{obj.name} ({obj.code})",
        before=before,
        after=after,
    )


def _get(model, object_id: int, key: str):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound(key)
    return obj


def by_code(model, code: str, kind: str):
    obj = db.session.scalar(select(model).where(model.code == code))
    if obj is None:
        raise GridCityError("unknown_place", status=404, kind=kind, code=code)
    return obj


# ---------------------------------------------------------------- areas


def area_snapshot(area: Area) -> dict:
    street = db.session.get(Street, area.street_id) if area.street_id else None
    return {
        "name": area.name,
        "street": street.name if street is not None else None,
        "head": _person_name(area.head_user_id),
    }


def _street_id(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        street = db.session.get(Street, int(value))
    except (TypeError, ValueError):
        street = None
    if street is None:
        raise FieldError("street", "unit_unknown_street")
    return street.id


def add_area(code, name, street_id=None, head_username=None, actor=None) -> Area:
    """片区 — a new area (audited ``area.create``)."""
    code, name = _code(code, Area), _name(name)
    street_id, head = _street_id(street_id), _person("head", head_username)
    area = create_area(code, name)
    area.street_id, area.head_user_id = street_id, head.id if head else None
    db.session.flush()
    _record("area.create", actor, AREA_KIND, area, None, area_snapshot(area))
    return area


def edit_area(area_id: int, actor=None, **changes) -> Area:
    """Change an area's ``name``, ``street_id`` or ``head`` (a user name)."""
    area = _get(Area, area_id, "area_not_found")
    values = {}
    if "name" in changes:
        values["name"] = _name(changes["name"])
    if "street_id" in changes:
        values["street_id"] = _street_id(changes["street_id"])
    if "head" in changes:
        head = _person("head", changes["head"])
        values["head_user_id"] = head.id if head else None
    before = area_snapshot(area)
    for field, value in values.items():
        setattr(area, field, value)
    db.session.flush()
    old, new = changed(before, area_snapshot(area))
    if new:
        _record("area.update", actor, AREA_KIND, area, old, new)
    return area


# ---------------------------------------------------------------- work groups


def work_group_snapshot(group: WorkGroup) -> dict:
    return {
        "name": group.name,
        "area": db.session.get(Area, group.area_id).name,
        "leader": _person_name(group.leader_user_id),
    }


def _area_id(value) -> int:
    try:
        area = db.session.get(Area, int(value))
    except (TypeError, ValueError):
        area = None
    if area is None:
        raise FieldError("area", "org_unknown_area")
    return area.id


def add_work_group(code, name, area_id, leader_username=None, actor=None) -> WorkGroup:
    """工作小组 — a new work group (audited ``work_group.create``)."""
    code, name = _code(code, WorkGroup), _name(name)
    area = db.session.get(Area, _area_id(area_id))
    leader = _person("leader", leader_username)
    group = create_work_group(code, name, area.code)
    group.leader_user_id = leader.id if leader else None
    db.session.flush()
    _record("work_group.create", actor, WORK_GROUP_KIND, group, None, work_group_snapshot(group))
    return group


def edit_work_group(group_id: int, actor=None, **changes) -> WorkGroup:
    """Change a work group's ``name``, ``area_id`` or ``leader`` (a user name)."""
    group = _get(WorkGroup, group_id, "work_group_not_found")
    values = {}
    if "name" in changes:
        values["name"] = _name(changes["name"])
    if "area_id" in changes:
        values["area_id"] = _area_id(changes["area_id"])
    if "leader" in changes:
        leader = _person("leader", changes["leader"])
        values["leader_user_id"] = leader.id if leader else None
    before = work_group_snapshot(group)
    for field, value in values.items():
        setattr(group, field, value)
    db.session.flush()
    old, new = changed(before, work_group_snapshot(group))
    if new:
        _record("work_group.update", actor, WORK_GROUP_KIND, group, old, new)
    return group


# ---------------------------------------------------------------- work grids


def unit_grid_count(work_grid_id: int) -> int:
    return db.session.scalar(select(func.count(UnitGrid.id)).where(UnitGrid.work_grid_id == work_grid_id))


def work_grid_snapshot(work_grid: WorkGrid) -> dict:
    group = db.session.get(WorkGroup, work_grid.work_group_id) if work_grid.work_group_id else None
    return {
        "name": work_grid.name,
        "area": db.session.get(Area, work_grid.area_id).name,
        "work_group": group.name if group is not None else None,
    }


def _work_group_id(value, area_id: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        group = db.session.get(WorkGroup, int(value))
    except (TypeError, ValueError):
        group = None
    if group is None:
        raise FieldError("work_group", "org_unknown_work_group")
    if group.area_id != area_id:
        raise FieldError("work_group", "org_group_other_area")
    return group.id


def add_work_grid(code, name, area_id, work_group_id=None, actor=None) -> WorkGrid:
    """工作网格 — a new, empty work grid (audited ``work_grid.create``);
    unit grids join it with :func:`assign_unit_grids`."""
    code, name = _code(code, WorkGrid), _name(name)
    area_id = _area_id(area_id)
    work_grid = WorkGrid(
        code=code, name=name, area_id=area_id, work_group_id=_work_group_id(work_group_id, area_id)
    )
    db.session.add(work_grid)
    db.session.flush()
    _record("work_grid.create", actor, WORK_GRID_KIND, work_grid, None, work_grid_snapshot(work_grid))
    return work_grid


def edit_work_grid(work_grid_id: int, actor=None, **changes) -> WorkGrid:
    """Change a work grid's ``name``, ``area_id`` or ``work_group_id``."""
    work_grid = work_grid_by_id(work_grid_id)
    values = {}
    if "name" in changes:
        values["name"] = _name(changes["name"])
    area_id = _area_id(changes["area_id"]) if "area_id" in changes else work_grid.area_id
    values["area_id"] = area_id
    group = changes["work_group_id"] if "work_group_id" in changes else work_grid.work_group_id
    values["work_group_id"] = _work_group_id(group, area_id)
    before = work_grid_snapshot(work_grid)
    for field, value in values.items():
        setattr(work_grid, field, value)
    db.session.flush()
    old, new = changed(before, work_grid_snapshot(work_grid))
    if new:
        if "area" in new:  # the locator gives each unit grid its work grid's area
            mark_grids_changed()
        _record("work_grid.update", actor, WORK_GRID_KIND, work_grid, old, new)
    return work_grid


def work_grid_by_id(work_grid_id: int) -> WorkGrid:
    return _get(WorkGrid, work_grid_id, "work_grid_not_found")


def area_by_id(area_id: int) -> Area:
    return _get(Area, area_id, "area_not_found")


def work_group_by_id(group_id: int) -> WorkGroup:
    return _get(WorkGroup, group_id, "work_group_not_found")


def _picked(unit_grid_ids) -> list[int]:
    if not isinstance(unit_grid_ids, (list, tuple)) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in unit_grid_ids
    ):
        raise GridCityError("bad_request", detail="unit_grid_ids: a list of unit grid ids")
    if len(unit_grid_ids) > MAX_PICKED:
        raise GridCityError("org_too_many_unit_grids", max=MAX_PICKED)
    ids = sorted(set(unit_grid_ids))
    known = set(db.session.scalars(select(UnitGrid.id).where(UnitGrid.id.in_(ids)))) if ids else set()
    missing = [i for i in ids if i not in known]
    if missing:
        raise GridCityError("org_unknown_unit_grids", status=422, ids=", ".join(map(str, missing[:10])))
    return ids


def preview_unit_grids(work_grid_id: int, unit_grid_ids) -> dict:
    """What saving ``unit_grid_ids`` as the work grid's whole set would do:
    the unit grids added, removed, and those taken from another work grid
    (by that work grid). Saves nothing."""
    work_grid = work_grid_by_id(work_grid_id)
    wanted = set(_picked(unit_grid_ids))
    current = dict(
        db.session.execute(
            select(UnitGrid.id, UnitGrid.code).where(UnitGrid.work_grid_id == work_grid.id)
        ).all()
    )
    added_rows = (
        db.session.execute(
            select(UnitGrid.id, UnitGrid.code, UnitGrid.work_grid_id).where(
                UnitGrid.id.in_(sorted(wanted - set(current)))
            )
        ).all()
        if wanted - set(current)
        else []
    )
    others = {r.work_grid_id for r in added_rows if r.work_grid_id is not None}
    named = (
        {w.id: w for w in db.session.scalars(select(WorkGrid).where(WorkGrid.id.in_(others)))}
        if others
        else {}
    )
    moves: dict[int, list[str]] = {}
    for row in added_rows:
        if row.work_grid_id is not None:
            moves.setdefault(row.work_grid_id, []).append(row.code)
    return {
        "work_grid": {"id": work_grid.id, "code": work_grid.code, "name": work_grid.name},
        "before": len(current),
        "after": len(wanted),
        "added": sorted(r.code for r in added_rows),
        "removed": sorted(code for i, code in current.items() if i not in wanted),
        "moved_from": [
            {"id": wid, "code": named[wid].code, "name": named[wid].name, "unit_grids": sorted(codes)}
            for wid, codes in sorted(moves.items(), key=lambda kv: named[kv[0]].code)
        ],
    }


def assign_unit_grids(work_grid_id: int, unit_grid_ids, confirm_moves: bool = False, actor=None) -> dict:
    """Make ``unit_grid_ids`` the work grid's unit grids: the others leave it
    (to no work grid), and those of another work grid move here only when
    ``confirm_moves`` (else 409 naming them). Both work grids' shapes are
    redrawn and the locator told; audited ``work_grid.unit_grids`` on each
    work grid that changed. Returns the preview of what was done."""
    preview = preview_unit_grids(work_grid_id, unit_grid_ids)
    if preview["moved_from"] and not confirm_moves:
        raise GridCityError(
            "org_moves_need_confirm",
            status=409,
            moves="；".join(
                f"{m['name']} ({m['code']}): {len(m['unit_grids'])}" for m in preview["moved_from"]
            ),
        )
    if not preview["added"] and not preview["removed"]:
        return preview
    work_grid = work_grid_by_id(work_grid_id)
    wanted = _picked(unit_grid_ids)
    others = [db.session.get(WorkGrid, m["id"]) for m in preview["moved_from"]]
    other_before = {w.id: unit_grid_count(w.id) for w in others}
    leaving = update(UnitGrid).where(UnitGrid.work_grid_id == work_grid.id)
    if wanted:
        leaving = leaving.where(UnitGrid.id.not_in(wanted))
    db.session.execute(leaving.values(work_grid_id=None))
    if wanted:
        db.session.execute(update(UnitGrid).where(UnitGrid.id.in_(wanted)).values(work_grid_id=work_grid.id))
    for changed_grid in (work_grid, *others):
        refresh_work_grid_shape(changed_grid)
    mark_grids_changed()
    db.session.flush()
    after = {"unit_grid_count": preview["after"]}
    if preview["added"]:
        after["added_unit_grids"] = preview["added"]
    if preview["removed"]:
        after["removed_unit_grids"] = preview["removed"]
    _record(
        "work_grid.unit_grids",
        actor,
        WORK_GRID_KIND,
        work_grid,
        {"unit_grid_count": preview["before"]},
        after,
    )
    for other, moved in zip(others, preview["moved_from"]):
        _record(
            "work_grid.unit_grids",
            actor,
            WORK_GRID_KIND,
            other,
            {"unit_grid_count": other_before[other.id]},
            {
                "unit_grid_count": other_before[other.id] - len(moved["unit_grids"]),
                "moved_to": f"{work_grid.name} ({work_grid.code})",
                "removed_unit_grids": moved["unit_grids"],
            },
        )
    return preview


def unit_grid_ids_by_codes(codes: list[str]) -> list[int]:
    """Unit grid ids for codes (the command line names unit grids by code)."""
    rows = dict(db.session.execute(select(UnitGrid.code, UnitGrid.id).where(UnitGrid.code.in_(codes))).all())
    missing = [c for c in codes if c not in rows]
    if missing:
        raise GridCityError("org_unknown_unit_grids", status=422, ids=", ".join(missing[:10]))
    return [rows[c] for c in codes]


def unit_grid_ids_of(work_grid_id: int) -> list[int]:
    return list(db.session.scalars(select(UnitGrid.id).where(UnitGrid.work_grid_id == work_grid_id)))


def work_grid_rows() -> list[dict]:
    """Every work grid with its area, group, unit-grid count and inspectors (by code)."""
    counts = dict(
        db.session.execute(
            select(UnitGrid.work_grid_id, func.count(UnitGrid.id)).group_by(UnitGrid.work_grid_id)
        ).all()
    )
    out = []
    for w in db.session.scalars(select(WorkGrid).order_by(WorkGrid.code)):
        out.append(
            {
                "id": w.id,
                "code": w.code,
                "name": w.name,
                "area": {"id": w.area.id, "code": w.area.code, "name": w.area.name},
                "work_group": None
                if w.work_group is None
                else {"id": w.work_group.id, "code": w.work_group.code, "name": w.work_group.name},
                "unit_grid_count": counts.get(w.id, 0),
                "inspectors": [
                    {"id": u.id, "username": u.username, "display_name": u.display_name, "active": u.active}
                    for u in sorted(w.inspectors, key=lambda u: u.username)
                ],
            }
        )
    return out
