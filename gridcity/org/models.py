"""Responsible units and the people who use the system."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gridcity.cases.models import UTCDateTime
from gridcity.extensions import db
from gridcity.geo.models import inspector_work_grid


class Role(enum.StrEnum):
    INSPECTOR = "inspector"  # 监督员 / 信息采集员
    OPERATOR = "operator"  # 受理员
    SHIFT_LEADER = "shift_leader"  # 值班长
    DISPATCHER = "dispatcher"  # 派遣员
    UNIT_HANDLER = "unit_handler"  # 责任单位处置人员
    UNIT_SUPERVISOR = "unit_supervisor"  # 单位主管: the unit's head, to whom 督办 goes
    MANAGER = "manager"  # 管理者 / 考核
    ADMIN = "admin"  # 系统管理员


# The members of a responsible unit: attached to one unit, they see and work
# its cases only. The supervisor is a member like a handler, and is also
# the one overdue cases are escalated to (督办).
UNIT_ROLES = (Role.UNIT_HANDLER, Role.UNIT_SUPERVISOR)
UNIT_ROLE_VALUES = frozenset(r.value for r in UNIT_ROLES)


def is_unit_member(user) -> bool:
    """Whether ``user`` belongs to a unit (and sees only that unit's cases)."""
    return user.role in UNIT_ROLE_VALUES


ROLE_NAMES = {
    Role.INSPECTOR: ("监督员", "Inspector"),
    Role.OPERATOR: ("受理员", "Operator"),
    Role.SHIFT_LEADER: ("值班长", "Shift leader"),
    Role.DISPATCHER: ("派遣员", "Dispatcher"),
    Role.UNIT_HANDLER: ("责任单位", "Unit handler"),
    Role.UNIT_SUPERVISOR: ("单位主管", "Unit supervisor"),
    Role.MANAGER: ("管理者", "Manager"),
    Role.ADMIN: ("系统管理员", "Administrator"),
}

UNIT_KINDS = (
    "sanitation",  # 环卫
    "parks",  # 园林绿化
    "municipal",  # 市政 / 道路
    "water",  # 水务
    "traffic",  # 交通
    "enforcement",  # 城管执法
    "street_office",  # 街道办
    "other",
)


class Unit(db.Model):
    """责任单位 — a department or company that handles cases."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    # A street office is tied to its street.
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(db.Model):
    """A person who signs in. Scope comes with the role: an inspector's work
    grids, a group leader's work group, an area head's area, a handler's unit."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    # Wrong passwords since the last sign-in (or lock); at the limit the
    # account is locked until ``locked_until`` or an admin unlocks it.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when an admin resets the password: until the user chooses their own,
    # pages lead to the change-password page and the API answers 403.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    unit: Mapped[Unit | None] = relationship()
    work_grids = relationship(
        "WorkGrid", secondary=inspector_work_grid, back_populates="inspectors", order_by="WorkGrid.code"
    )

    __table_args__ = (
        db.CheckConstraint("role IN (" + ", ".join(f"'{r.value}'" for r in Role) + ")", name="role_known"),
    )


class UserSession(db.Model):
    """登录会话 — one sign-in. The session cookie carries its token (we keep only
    the token's SHA-256); signing out, deactivation or a password change deletes
    the row, so a copied or replayed cookie is worthless on every process."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LiveSocket(db.Model):
    """A live (Socket.IO) connection opened by a session: ending the session
    disconnects it by its sid, on whichever web process holds it."""

    __tablename__ = "live_socket"
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_session_id: Mapped[int] = mapped_column(
        ForeignKey("user_session.id", ondelete="CASCADE"), index=True
    )
    connected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LoginFailure(db.Model):
    """One refused sign-in: counted per address (and per unknown user name)
    over a sliding window, in the database so every web process shares it."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    username: Mapped[str] = mapped_column(String(50), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
