"""What the audit log keeps of a person (审计): the fields an admin changes,
as values a reader can be shown (a unit's name, work grids' codes), never the
password or its hash."""

from __future__ import annotations

from gridcity.audit import services as audit
from gridcity.org.models import User

USER_KIND = "user"
# The audited fields, in the order the log shows them.
USER_FIELDS = ("display_name", "role", "unit", "work_grids", "on_duty", "active", "must_change_password")


def user_snapshot(user: User) -> dict:
    return {
        "display_name": user.display_name,
        "role": user.role,
        "unit": user.unit.name if user.unit is not None else None,
        "work_grids": [w.code for w in user.work_grids],
        "on_duty": bool(user.on_duty),
        "active": bool(user.active),
        "must_change_password": bool(user.must_change_password),
    }


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only what differs, on both sides."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record_user(
    action: str,
    actor,
    user: User,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    address: str | None = None,
):
    """One audit entry about ``user``; the caller commits it with the change."""
    return audit.record(
        action,
        actor,
        object_kind=USER_KIND,
        object_id=user.id,
        object_label=f"{user.display_name} ({user.username})",
        before=before,
        after=after,
        note=note,
        address=address,
    )
