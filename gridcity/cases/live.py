"""Live events: queued while a transaction runs, emitted after it commits.

Each event names the case and what changed (small, JSON-safe) and carries the
history event's id as ``seq``; a client that missed some asks
``GET /api/v1/events?after=<seq>``; after commit they go to the background
publisher (``publisher``), never out from inside the request. Rooms: ``staff`` (the centers), ``unit:<id>``
(the responsible unit), ``work_grid:<id>`` (its inspectors), ``user:<id>``
(one person: the unit's supervisors hear 督办 there, see ``escalation_rooms``).
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from gridcity.cases import states
from gridcity.cases.publisher import publisher
from gridcity.ops import metrics

log = logging.getLogger(__name__)
QUEUE_KEY = "gridcity.live"


def case_payload(case, action: str, seq: int) -> dict:
    return {
        "seq": seq,
        "action": action,
        "case": {
            "id": case.id,
            "number": case.number,
            "state": case.state,
            "version": case.version,
            "lon": case.lon,
            "lat": case.lat,
            "category": case.category.code if case.category else None,
            "urgency": case.urgency,
            "unit_id": case.unit_id,
            "street_id": case.street_id,
            "work_grid_id": case.work_grid_id,
            "source": case.source,
            "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None,
            "warned": case.warned,
            "overdue": case.overdue,
            "rework": case.rework_count or 0,
            "urge": case.urge_count or 0,
            "escalated": states.is_escalated(case.escalated_at, case.deadline_at, case.overdue),
        },
    }


def rooms_for(case, extra_user_ids=()) -> list[str]:
    rooms = ["staff", f"street:{case.street_id}"]
    if case.unit_id:
        rooms.append(f"unit:{case.unit_id}")
    if case.work_grid_id:
        rooms.append(f"work_grid:{case.work_grid_id}")
    rooms += [f"user:{uid}" for uid in extra_user_ids if uid]
    return rooms


def escalation_rooms(case, supervisor_ids=()) -> list[str]:
    """督办 goes to the unit's supervisors (their own rooms) instead of the
    whole unit; a unit without an active supervisor hears it as before. The
    centers and the case's place hear it either way."""
    rooms = rooms_for(case)
    if not supervisor_ids:
        return rooms
    return [room for room in rooms if room != f"unit:{case.unit_id}"] + [
        f"user:{uid}" for uid in supervisor_ids
    ]


def queue(session: Session, rooms: list[str], payload: dict) -> None:
    session.info.setdefault(QUEUE_KEY, []).append((rooms, payload))


def _emit_after_commit(session: Session) -> None:
    # Handed to the background publisher: a slow or absent message queue
    # must neither hold this request nor undo a committed case.
    for rooms, payload in session.info.pop(QUEUE_KEY, []):
        metrics.LIVE_PUBLISHED.inc()
        publisher.put(rooms, payload)


def _drop_after_rollback(session: Session, *args) -> None:
    session.info.pop(QUEUE_KEY, None)


def register(settings) -> None:
    publisher.configure(max_size=settings.live_queue_size)
    if not event.contains(Session, "after_commit", _emit_after_commit):
        event.listen(Session, "after_commit", _emit_after_commit)
        event.listen(Session, "after_soft_rollback", _drop_after_rollback)
