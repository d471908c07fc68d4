"""Writing and reading the audit log. ``record`` only adds the row: the caller
commits it together with the act it describes, so an act and its entry stand
or fall together."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import has_request_context, request
from sqlalchemy import or_, select

from gridcity.audit.models import AuditEntry
from gridcity.core.clock import utcnow
from gridcity.extensions import db
from gridcity.org.models import User


def record(
    action: str,
    actor: Any = None,
    *,
    object_kind: str | None = None,
    object_id: int | None = None,
    object_label: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
    address: str | None = None,
) -> AuditEntry:
    """Add an audit entry for ``action`` by ``actor`` (a user, or None for the
    system). Over HTTP the client's address is taken from the request."""
    if address is None and has_request_context():
        address = request.remote_addr
    entry = AuditEntry(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_address=address,
        action=action,
        object_kind=object_kind,
        object_id=object_id,
        object_label=(object_label or None) and object_label[:200],
        before=before,
        after=after,
        note=note,
    )
    db.session.add(entry)
    return entry


def entries(
    *,
    action: str | None = None,
    actor_id: int | None = None,
    object_kind: str | None = None,
    object_id: int | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest entries first, filtered by whatever is given."""
    return search(
        action=action,
        actor_id=actor_id,
        object_kind=object_kind,
        object_id=object_id,
        since=since,
        limit=limit,
    )


def search(
    *,
    person: str | None = None,
    target: str | None = None,
    action: str | None = None,
    actor_id: int | None = None,
    object_kind: str | None = None,
    object_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """查询审计日志 — newest first: ``person`` is part of who acted (name or
    user name), ``target`` part of the object's label, ``action`` an action or
    its family (``user`` finds every ``user.*``), ``since`` ≤ at < ``until``."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if person:
        pattern = f"%{person.strip()}%"
        actors = select(User.id).where(or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
        query = query.where(AuditEntry.actor_id.in_(actors))
    if target:
        query = query.where(AuditEntry.object_label.ilike(f"%{target.strip()}%"))
    if action:
        query = query.where(or_(AuditEntry.action == action, AuditEntry.action.like(f"{action}.%")))
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if object_kind is not None:
        query = query.where(AuditEntry.object_kind == object_kind)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return list(db.session.scalars(query))
