"""Units, users, passwords and scope."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from gridcity.core.errors import GridCityError, NotFound
from gridcity.extensions import db
from gridcity.geo.models import Area, WorkGrid, WorkGroup
from gridcity.org.models import ROLE_NAMES, UNIT_KINDS, Role, Unit, User
from gridcity.org.sessions import end_user_sessions


def create_unit(
    code: str,
    name: str,
    kind: str,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    street_id: int | None = None,
) -> Unit:
    """责任单位 — register a responsible unit."""
    if kind not in UNIT_KINDS:
        raise GridCityError("bad_request", detail=f"unit kind {kind!r}; use one of {', '.join(UNIT_KINDS)}")
    if db.session.scalar(select(Unit.id).where(Unit.code == code)):
        raise GridCityError("duplicate_code", status=409, code=code)
    unit = Unit(
        code=code,
        name=name,
        kind=kind,
        contact_name=contact_name,
        contact_phone=contact_phone,
        street_id=street_id,
        active=True,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def get_unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise GridCityError("unknown_unit", status=404, code=code)
    return unit


def create_user(
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    unit_code: str | None = None,
    work_grid_codes: list[str] | None = None,
    phone: str | None = None,
) -> User:
    """Add a user with a role and its scope (a handler's unit, an inspector's work grids)."""
    if role not in {r.value for r in Role}:
        raise GridCityError(
            "bad_request", detail=f"role {role!r}; use one of {', '.join(r.value for r in Role)}"
        )
    if not username or len(password) < 8:
        raise GridCityError(
            "bad_request", detail="a user name and a password of at least 8 characters are needed"
        )
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise GridCityError("duplicate_code", status=409, code=username)
    unit = None
    if role == Role.UNIT_HANDLER.value:
        if not unit_code:
            raise GridCityError("bad_request", detail="a unit handler needs a unit")
        unit = get_unit(unit_code)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=generate_password_hash(password),
        unit=unit,
        phone=phone,
        active=True,
        on_duty=True,
    )
    if work_grid_codes:
        if role != Role.INSPECTOR.value:
            raise GridCityError("bad_request", detail="only inspectors are given work grids")
        grids = list(db.session.scalars(select(WorkGrid).where(WorkGrid.code.in_(work_grid_codes))))
        missing = set(work_grid_codes) - {g.code for g in grids}
        if missing:
            raise GridCityError(
                "unknown_place", status=404, kind="work_grid", code=", ".join(sorted(missing))
            )
        user.work_grids = grids
    db.session.add(user)
    db.session.flush()
    return user


def set_password(username: str, password: str) -> None:
    """A new password; every session of the user ends (their sockets after the commit)."""
    if len(password) < 8:
        raise GridCityError("bad_request", detail="a password has at least 8 characters")
    user = get_user(username)
    user.password_hash = generate_password_hash(password)
    end_user_sessions(user)


change_password = set_password


def deactivate_user(username: str) -> User:
    """停用 — the user can no longer sign in; their sessions and live sockets end now."""
    user = get_user(username)
    user.active = False
    end_user_sessions(user)
    return user


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("not_found", what=f"user {username}")
    return user


def authenticate(username: str, password: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        raise GridCityError("bad_credentials", status=401)
    return user


def describe_user(user: User) -> dict:
    """What ``/api/v1/me`` answers: who the user is and what they may see."""
    zh, en = ROLE_NAMES[Role(user.role)]
    led_groups = db.session.scalars(select(WorkGroup).where(WorkGroup.leader_user_id == user.id)).all()
    headed_areas = db.session.scalars(select(Area).where(Area.head_user_id == user.id)).all()
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "role_name": {"zh": zh, "en": en},
        "unit": None
        if user.unit is None
        else {"id": user.unit.id, "code": user.unit.code, "name": user.unit.name},
        "scope": {
            "work_grids": [{"id": w.id, "code": w.code, "name": w.name} for w in user.work_grids],
            "work_groups": [{"id": w.id, "code": w.code, "name": w.name} for w in led_groups],
            "areas": [{"id": a.id, "code": a.code, "name": a.name} for a in headed_areas],
        },
    }
