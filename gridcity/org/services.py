"""Units, users, passwords and scope."""

from __future__ import annotations

import datetime as dt
import functools
import math
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from gridcity.audit import services as audit
from gridcity.core import clock
from gridcity.core.errors import GridCityError, NotFound
from gridcity.core.settings import Settings
from gridcity.extensions import db
from gridcity.geo.models import Area, WorkGrid, WorkGroup
from gridcity.org import trail
from gridcity.org.models import ROLE_NAMES, UNIT_ROLE_VALUES, LoginFailure, Role, Unit, User
from gridcity.org.sessions import end_user_sessions
from gridcity.org.units import create_unit  # noqa: F401 - the CLI, the API and the tests call it here

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


def get_unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise GridCityError("unknown_unit", status=404, code=code)
    return unit


def supervisors_of(unit_ids) -> dict[int, list[int]]:
    """单位主管 — the active supervisors of each unit (user ids, in order);
    a unit without one is absent. Overdue cases are escalated (督办) to them."""
    ids = {u for u in unit_ids if u is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.unit_id, User.id)
        .where(User.role == Role.UNIT_SUPERVISOR.value, User.active.is_(True), User.unit_id.in_(ids))
        .order_by(User.unit_id, User.id)
    ).all()
    found: dict[int, list[int]] = {}
    for unit_id, user_id in rows:
        found.setdefault(unit_id, []).append(user_id)
    return found


def check_new_user(
    username: str,
    password: str,
    role: str,
    unit_code: str | None = None,
    work_grid_codes: list[str] | None = None,
) -> tuple[Unit | None, list[WorkGrid]]:
    """Every rule a new user must pass, without saving anything (the import's
    preview runs it on each row); returns the user's unit and work grids."""
    if not username:
        raise GridCityError("username_needed")
    check_role(role)
    check_password_rule(password, username)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise GridCityError("username_taken", status=409, username=username)
    return scope_for_role(role, unit_code, work_grid_codes)


def check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        raise GridCityError("unknown_role", role=role)


def scope_for_role(
    role: str, unit_code: str | None, work_grid_codes: list[str] | None
) -> tuple[Unit | None, list[WorkGrid]]:
    """A unit for a unit's member (and for no one else), work grids for an inspector only."""
    check_role(role)
    unit = None
    if role in UNIT_ROLE_VALUES:
        if not unit_code:
            zh, en = ROLE_NAMES[Role(role)]
            raise GridCityError("unit_needed", role_zh=zh, role_en=en.lower())
        unit = get_unit(unit_code)
    elif unit_code:
        raise GridCityError("unit_not_for_role")
    grids: list[WorkGrid] = []
    if work_grid_codes:
        if role != Role.INSPECTOR.value:
            raise GridCityError("work_grids_not_for_role")
        grids = list(db.session.scalars(select(WorkGrid).where(WorkGrid.code.in_(work_grid_codes))))
        missing = set(work_grid_codes) - {g.code for g in grids}
        if missing:
            raise GridCityError("unknown_work_grids", status=404, codes=", ".join(sorted(missing)))
    return unit, grids


def create_user(
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    unit_code: str | None = None,
    work_grid_codes: list[str] | None = None,
    phone: str | None = None,
    *,
    actor: User | None = None,
    must_change_password: bool = False,
) -> User:
    """Add a user with a role and its scope (a unit member's unit, an
    inspector's work grids); audited as by ``actor`` (None: the command line).
    ``must_change_password``: the password is an initial one the user replaces
    at their first sign-in."""
    unit, grids = check_new_user(username, password, role, unit_code, work_grid_codes)
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=generate_password_hash(password),
        unit=unit,
        phone=phone,
        active=True,
        on_duty=True,
        must_change_password=must_change_password,
    )
    user.work_grids = grids
    db.session.add(user)
    db.session.flush()
    trail.record_user("user.create", actor, user, after=trail.user_snapshot(user))
    return user


def set_password(username: str, password: str, actor: User | None = None) -> None:
    """A new password; every session of the user ends (their sockets after the commit)."""
    check_password_rule(password, username)
    user = get_user(username)
    user.password_hash = generate_password_hash(password)
    user.must_change_password = False
    end_user_sessions(user)
    trail.record_user("user.set_password", actor, user)


change_password = set_password


def deactivate_user(username: str, actor: User | None = None) -> User:
    """停用 — the user can no longer sign in; their sessions and live sockets end
    now. Never deleted: their cases keep their name."""
    user = get_user(username)
    if user.active:
        user.active = False
        trail.record_user("user.deactivate", actor, user, before={"active": True}, after={"active": False})
    end_user_sessions(user)
    return user


# ---------------------------------------------------------------- the password rule


def check_password_rule(password: str, username: str = "") -> None:
    """Refuse a password that is short, one of the common ones, or the user
    name (GridCityError 400 ``password_*``). Call it wherever a password is set."""
    minimum = _settings().password_min_length
    if len(password) < minimum:
        raise GridCityError("password_too_short", status=400, minimum=minimum)
    folded = password.strip().casefold()
    if username and folded == username.strip().casefold():
        raise GridCityError("password_is_username", status=400)
    if folded in common_passwords():
        raise GridCityError("password_too_common", status=400)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list (``common_passwords.txt``), lower case."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def _settings() -> Settings:
    return current_app.config["SETTINGS"] if has_app_context() else Settings()


def get_user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("not_found", what=f"user {username}")
    return user


# ---------------------------------------------------------------- signing in


class SignInLocked(GridCityError):
    """429 with ``Retry-After``: too many refused sign-ins for an account or an address."""

    status = 429

    def __init__(self, key: str, retry_after: int) -> None:
        timezone = ZoneInfo(_settings().timezone)
        until = (clock.utcnow() + dt.timedelta(seconds=retry_after)).astimezone(timezone)
        super().__init__(key, until=until.strftime("%H:%M"), minutes=math.ceil(retry_after / 60))
        self.headers = {"Retry-After": str(retry_after)}


def authenticate(username: str, password: str, address: str = "") -> User:
    """The user whose name and password these are, or a refusal.

    Refused sign-ins are counted in the database, so every web process shares
    the counts: ``login_max_failures`` wrong passwords in a row lock the
    account for ``login_lock_minutes`` (``unlock_user`` ends it sooner), and
    ``login_address_max_failures`` refusals from one address within the
    window refuse that address. An unknown user name is counted and locked the
    same way and its password checked against a dummy hash, so neither the
    answer nor its time tells whether the name exists. A refusal commits its
    count (and its audit entry) before it is raised; a sign-in's reset of its
    count and its audit entry are committed by the caller with the new session."""
    settings = _settings()
    now = clock.utcnow()
    address = (address or "unknown")[:64]
    username = username[:50]

    window_start = now - dt.timedelta(minutes=settings.login_address_window_minutes)
    from_address = select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(
        LoginFailure.address == address, LoginFailure.at > window_start
    )
    count, oldest = db.session.execute(from_address).one()
    if count >= settings.login_address_max_failures:
        retry = oldest + dt.timedelta(minutes=settings.login_address_window_minutes) - now
        raise SignInLocked("sign_in_address_locked", _seconds(retry))

    user = db.session.scalar(select(User).where(User.username == username))
    locked_until = user.locked_until if user is not None else _unknown_name_locked_until(username, now)
    if locked_until is not None and locked_until > now:
        _record_failure(address, username, now)  # still counts against the address
        _audit_failure(user, username, address, "locked")
        db.session.commit()
        raise SignInLocked("sign_in_locked", _seconds(locked_until - now))

    password_hash = user.password_hash if user is not None else _dummy_hash()
    if check_password_hash(password_hash, password) and user is not None and user.active:
        if user.failed_logins or user.locked_until is not None:
            user.failed_logins, user.locked_until = 0, None
        # Committed with the session the caller starts.
        trail.record_user("sign_in", user, user, address=address)
        return user

    _record_failure(address, username, now)
    reason = "inactive" if user is not None and not user.active else "wrong_password"
    _audit_failure(user, username, address, reason if user is not None else "unknown_name")
    if user is not None:
        failures = user.failed_logins + 1
        lock = failures >= settings.login_max_failures
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(
                failed_logins=0 if lock else User.failed_logins + 1,
                locked_until=now + dt.timedelta(minutes=settings.login_lock_minutes) if lock else None,
            )
        )
    db.session.commit()
    raise GridCityError("bad_credentials", status=401)


def unlock_user(username: str, actor: User | None = None) -> User:
    """An admin ends an account's sign-in lock (and forgets its wrong passwords)."""
    user = get_user(username)
    was_locked = user.locked_until is not None and user.locked_until > clock.utcnow()
    if was_locked or user.failed_logins:
        trail.record_user("user.unlock", actor, user, before={"locked": was_locked}, after={"locked": False})
    user.failed_logins, user.locked_until = 0, None
    db.session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    db.session.flush()
    return user


def _audit_failure(user: User | None, username: str, address: str, reason: str) -> None:
    """登录失败 in the audit log: the name tried, from where, and why (a reason
    key the log shows in words; the password tried is never kept)."""
    if user is not None:
        trail.record_user("sign_in_failed", None, user, note=reason, address=address)
    else:
        audit.record(
            "sign_in_failed",
            None,
            object_kind=trail.USER_KIND,
            object_label=username,
            note=reason,
            address=address,
        )


def _record_failure(address: str, username: str, now: dt.datetime) -> None:
    settings = _settings()
    keep = max(settings.login_address_window_minutes, settings.login_lock_minutes)
    # Rows older than any window are no longer read: drop them as we go.
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - dt.timedelta(minutes=keep)))
    db.session.add(LoginFailure(address=address, username=username, at=now))
    db.session.flush()


def _unknown_name_locked_until(username: str, now: dt.datetime) -> dt.datetime | None:
    """An unknown name locks like an account would (else the lock itself would
    tell that a name exists): locked from its limit-th recent failure on."""
    settings = _settings()
    lock = dt.timedelta(minutes=settings.login_lock_minutes)
    recent = db.session.scalars(
        select(LoginFailure.at)
        .where(LoginFailure.username == username, LoginFailure.at > now - lock)
        .order_by(LoginFailure.at)
        .limit(settings.login_max_failures)
    ).all()
    if len(recent) < settings.login_max_failures:
        return None
    return recent[-1] + lock


@functools.cache
def _dummy_hash() -> str:
    """A hash made like the users' ones, so checking against it takes as long."""
    return generate_password_hash("no user has this password")


def _seconds(delta: dt.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


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
