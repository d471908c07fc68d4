"""The audit log over HTTP: the admins' search, the same as the log page's."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify

from gridcity.audit import services, words
from gridcity.audit.schemas import AuditEntryOut, AuditQuery
from gridcity.core.api import operation
from gridcity.core.auth import roles_required
from gridcity.core.i18n import current_language
from gridcity.org.models import Role
from gridcity.web.formats import city_zone

bp = Blueprint("audit", __name__, url_prefix="/api/v1")


def day_start(day: dt.date | None, days: int = 0) -> dt.datetime | None:
    """A day of the city's calendar as the UTC moment it starts (plus ``days``)."""
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=days), dt.time(), city_zone()).astimezone(dt.UTC)


@bp.get("/audit")
@roles_required(Role.ADMIN)
@operation(query=AuditQuery, responses={200: list[AuditEntryOut]})
def search(query: AuditQuery):
    """审计日志: newest first, by who acted, the object, the action and the period."""
    entries = services.search(
        person=query.person,
        target=query.object,
        action=query.action,
        since=day_start(query.since),
        until=day_start(query.until, days=1),
        limit=query.limit,
    )
    described = words.describe(entries, current_language())
    return jsonify(
        [
            {
                "id": e.id,
                "at": e.at.astimezone(dt.UTC).isoformat() if e.at.tzinfo else e.at.isoformat() + "Z",
                "actor": d["actor"] if e.actor_id else None,
                "actor_address": e.actor_address,
                "action": e.action,
                "action_name": d["action_name"],
                "object_kind": e.object_kind,
                "object_id": e.object_id,
                "object_label": e.object_label,
                "before": e.before,
                "after": e.after,
                "changes": d["changes"],
                "note": d["note"],
            }
            for e, d in zip(entries, described, strict=True)
        ]
    )
