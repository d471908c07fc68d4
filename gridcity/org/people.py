"""人员管理 — what the admin console, its API and the ``gridcity org`` commands
do to people: find, edit, deactivate and reactivate (never delete: their
cases keep their name), reset a password, and a user's own password change.
Every change is audited (``gridcity.org.trail``); the caller commits."""

from __future__ import annotations

from sqlalchemy import or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from gridcity.core import clock
from gridcity.core.errors import Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.org import trail
from gridcity.org.models import UNIT_ROLE_VALUES, Role, Unit, User
from gridcity.org.services import (
    check_password_rule,
    deactivate_user,
    describe_user,
    get_user,
    scope_for_role,
)
from gridcity.org.sessions import end_user_sessions

_UNCHANGED = object()


def user_by_id(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found")
    return user


def find_people(
    text: str | None = None,
    role: str | None = None,
    unit_code: str | None = None,
    active: bool | None = None,
    limit: int = 500,
) -> list[User]:
    """The people matching a name or user name (part of either), a role, a
    unit and whether they are active; by role, then user name."""
    query = select(User).order_by(User.role, User.username).limit(limit)
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    if role:
        query = query.where(User.role == role)
    if unit_code:
        query = query.join(Unit, User.unit_id == Unit.id).where(Unit.code == unit_code)
    if active is not None:
        query = query.where(User.active.is_(active))
    return list(db.session.scalars(query))


def update_user(
    username: str,
    actor: User | None = None,
    *,
    display_name=_UNCHANGED,
    role=_UNCHANGED,
    unit_code=_UNCHANGED,
    work_grid_codes=_UNCHANGED,
    on_duty=_UNCHANGED,
) -> User:
    """Change a person's name, role, unit, work grids or on-duty status (what
    is not given stays). The scope follows the role: a unit's member needs a
    unit, only an inspector has work grids (a new role drops what it cannot
    have). Audited before → after; a new role or unit ends their sessions,
    whose pages were built for the old one."""
    user = get_user(username)
    before = trail.user_snapshot(user)
    if display_name is not _UNCHANGED:
        display_name = (display_name or "").strip()
        if not display_name:
            raise GridCityError("bad_request", detail="a name is needed")
        user.display_name = display_name
    new_role = user.role if role is _UNCHANGED else role
    if unit_code is _UNCHANGED:
        unit_code = user.unit.code if user.unit is not None and new_role in UNIT_ROLE_VALUES else None
    if work_grid_codes is _UNCHANGED:
        work_grid_codes = [w.code for w in user.work_grids] if new_role == Role.INSPECTOR.value else []
    if (
        user.role == Role.ADMIN.value
        and new_role != Role.ADMIN.value
        and actor is not None
        and actor.id == user.id
    ):
        raise GridCityError("cannot_demote_self", status=409)
    unit, grids = scope_for_role(new_role, unit_code or None, list(work_grid_codes or []))
    scope_changed = new_role != user.role or unit is not user.unit
    user.role, user.unit = new_role, unit
    user.work_grids = grids
    if on_duty is not _UNCHANGED:
        user.on_duty = bool(on_duty)
    db.session.flush()
    old, new = trail.changed(before, trail.user_snapshot(user))
    if new:
        trail.record_user("user.update", actor, user, before=old, after=new)
    if scope_changed:
        end_user_sessions(user)
    return user


def reactivate_user(username: str, actor: User | None = None) -> User:
    """重新启用 — a deactivated person may sign in again."""
    user = get_user(username)
    if not user.active:
        user.active = True
        trail.record_user("user.reactivate", actor, user, before={"active": False}, after={"active": True})
    return user


def deactivate(username: str, actor: User | None = None) -> User:
    """停用, refused for the admin's own account (they would lock themselves out)."""
    user = get_user(username)
    if actor is not None and actor.id == user.id:
        raise GridCityError("cannot_deactivate_self", status=409)
    return deactivate_user(username, actor)


def reset_password(username: str, password: str, actor: User | None = None) -> User:
    """重置密码 — an admin gives a new initial password (the password rule
    applies); the user must choose their own at the next sign-in, their
    sessions end now and a sign-in lock ends with it."""
    check_password_rule(password, username)
    user = get_user(username)
    user.password_hash = generate_password_hash(password)
    before = user.must_change_password
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    end_user_sessions(user)
    trail.record_user(
        "user.reset_password",
        actor,
        user,
        before={"must_change_password": before},
        after={"must_change_password": True},
    )
    return user


def change_own_password(user: User, old_password: str, new_password: str) -> User:
    """修改密码 — the signed-in user replaces their password: the old one is
    required, the password rule applies, and it must differ from the old one.
    Every session of theirs ends (the caller signs this one in again)."""
    if not check_password_hash(user.password_hash, old_password or ""):
        raise Forbidden("wrong_old_password")
    if old_password == new_password:
        raise GridCityError("password_unchanged", status=400)
    check_password_rule(new_password, user.username)
    user.password_hash = generate_password_hash(new_password)
    before = user.must_change_password
    user.must_change_password = False
    end_user_sessions(user)
    trail.record_user(
        "user.change_password",
        user,
        user,
        before={"must_change_password": before} if before else None,
        after={"must_change_password": False} if before else None,
    )
    return user


def describe_person(user: User) -> dict:
    """A person as the admin console and its API show them (no password hash,
    no phone: the console does not need it)."""
    locked = user.locked_until is not None and user.locked_until > clock.utcnow()
    return {
        **describe_user(user),
        "active": bool(user.active),
        "on_duty": bool(user.on_duty),
        "locked": locked,
        "must_change_password": bool(user.must_change_password),
    }
