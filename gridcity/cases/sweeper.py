"""The deadline sweeper: marks warnings (预警) and overdue (超期) cases and
tasks, and escalates (督办) cases overdue longer than the configured delay to
the unit's supervisors (单位主管; the whole unit when it has none). Each mark
is claimed by a conditional UPDATE … RETURNING, so however many copies run
at once, each case is marked once; the marks go into the history and out as
live events after commit."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import bindparam, func, insert, select, update

from gridcity.cases import deadlines, live, states
from gridcity.cases.models import Case, CaseEvent, CaseTask
from gridcity.core.clock import utcnow
from gridcity.extensions import db
from gridcity.org.services import supervisors_of
from gridcity.taxonomy.models import Category

CASE = Case.__table__
TASK = CaseTask.__table__
EVENT = CaseEvent.__table__  # Core inserts: no ORM bookkeeping for thousands of rows
# A mark is a history event like any other: it counts and bumps the version.
EVENT_BUMPS = {"event_count": CASE.c.event_count + 1, "version": CASE.c.version + 1}
RETURNED = (
    CASE.c.id,
    CASE.c.number,
    CASE.c.state,
    CASE.c.version,
    CASE.c.lon,
    CASE.c.lat,
    CASE.c.category_id,
    CASE.c.urgency,
    CASE.c.unit_id,
    CASE.c.street_id,
    CASE.c.work_grid_id,
    CASE.c.source,
    CASE.c.deadline_at,
    CASE.c.warned,
    CASE.c.overdue,
    CASE.c.urge_count,
    CASE.c.escalated_at,
)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Mark what fell due by ``now``; returns how many of each were marked.
    Commits its own transaction."""
    now = now or utcnow()
    running = CASE.c.state.in_(states.CLOCK_RUNNING)
    # Overdue first: a case already past its deadline is marked once (its
    # overdue mark implies the warning) instead of being updated twice.
    overdue = _claim_cases(
        update(CASE)
        .where(running, CASE.c.overdue.is_(False), CASE.c.deadline_at <= now)
        .values(overdue=True, warned=True, **EVENT_BUMPS),
        "overdue",
        {"overdue": True, "warned": True},
        now,
    )
    warned = _claim_cases(
        update(CASE)
        .where(running, CASE.c.warned.is_(False), CASE.c.warn_at <= now)
        .values(warned=True, **EVENT_BUMPS),
        "warn",
        {"warned": True},
        now,
    )
    escalated = _claim_cases(
        update(CASE)
        .where(
            running,
            CASE.c.overdue.is_(True),
            CASE.c.deadline_at <= now - deadlines.escalation_delay(),
            # Once per overdue episode: an escalation since the running
            # deadline passed covers it (see Case.escalated_at).
            (CASE.c.escalated_at.is_(None)) | (CASE.c.escalated_at < CASE.c.deadline_at),
        )
        .values(escalated_at=now, escalation_count=CASE.c.escalation_count + 1, **EVENT_BUMPS),
        "escalate",
        {"escalated_at": now.astimezone(dt.UTC).isoformat()},  # as history.record writes it
        now,
        inc=("escalation_count",),
    )
    tasks_overdue = _claim_tasks(now)
    db.session.commit()
    return {"warned": warned, "overdue": overdue, "escalated": escalated, "tasks_overdue": tasks_overdue}


def _claim_cases(statement, action: str, changes: dict, now: dt.datetime, inc: tuple[str, ...] = ()) -> int:
    rows = db.session.execute(statement.returning(*RETURNED)).all()
    if not rows:
        return 0
    codes = dict(
        db.session.execute(
            select(Category.id, Category.code).where(Category.id.in_({r.category_id for r in rows}))
        ).all()
    )
    # 督办 names whom it went to: the unit's supervisors at this moment.
    supervisors = supervisors_of({r.unit_id for r in rows}) if action == "escalate" else {}
    db.session.execute(
        insert(EVENT),
        [
            {
                "case_id": r.id,
                "action": action,
                "from_state": r.state,
                "to_state": r.state,
                "actor_id": None,
                "actor_role": "system",
                "at": now,
                "note": "",
                "data": {
                    "set": changes,
                    **({"inc": list(inc)} if inc else {}),
                    **({"escalated_to": supervisors[r.unit_id]} if r.unit_id in supervisors else {}),
                },
            }
            for r in rows
        ],
    )
    # The newest event of this action on each case is the one just written.
    seqs = dict(
        db.session.execute(
            select(CaseEvent.case_id, func.max(CaseEvent.id))
            .where(CaseEvent.action == action, CaseEvent.case_id.in_([r.id for r in rows]))
            .group_by(CaseEvent.case_id)
        ).all()
    )
    if action == "overdue":
        # A case's first mark stays its first (a return or an extension can
        # clear ``overdue`` and the case be marked again).
        db.session.execute(
            update(CASE)
            .where(CASE.c.id == bindparam("b_case_id"), CASE.c.first_overdue_event_id.is_(None))
            .values(first_overdue_event_id=bindparam("b_event_id")),
            [{"b_case_id": case_id, "b_event_id": event_id} for case_id, event_id in seqs.items()],
        )
    for r in rows:
        rooms = (
            live.escalation_rooms(r, supervisors.get(r.unit_id, ()))
            if action == "escalate"
            else live.rooms_for(r)
        )
        live.queue(db.session, rooms, _payload(r, action, seqs.get(r.id), codes, changes))
    return len(rows)


def _claim_tasks(now: dt.datetime) -> int:
    rows = db.session.execute(
        update(TASK)
        .where(TASK.c.completed_at.is_(None), TASK.c.overdue.is_(False), TASK.c.due_at <= now)
        .values(overdue=True, warned=True)
        .returning(TASK.c.id, TASK.c.case_id, TASK.c.kind, TASK.c.inspector_id)
    ).all()
    db.session.execute(
        update(TASK)
        .where(TASK.c.completed_at.is_(None), TASK.c.warned.is_(False), TASK.c.warn_at <= now)
        .values(warned=True)
    )
    if rows:
        per_case = Counter(r.case_id for r in rows)
        db.session.execute(
            update(CASE)
            .where(CASE.c.id == bindparam("b_case_id"))
            .values(event_count=CASE.c.event_count + bindparam("b_events"), version=CASE.c.version + 1),
            [{"b_case_id": case_id, "b_events": n} for case_id, n in per_case.items()],
        )
        states_by_case = dict(
            db.session.execute(select(Case.id, Case.state).where(Case.id.in_(per_case))).all()
        )
        db.session.execute(
            insert(EVENT),
            [
                {
                    "case_id": r.case_id,
                    "action": "task_overdue",
                    "from_state": states_by_case[r.case_id],
                    "to_state": states_by_case[r.case_id],
                    "actor_id": None,
                    "actor_role": "system",
                    "at": now,
                    "note": "",
                    "data": {"task_id": r.id, "kind": r.kind, "inspector_id": r.inspector_id},
                }
                for r in rows
            ],
        )
    return len(rows)


def _payload(row, action: str, seq: int | None, codes: dict, changes: dict) -> dict:
    return {
        "seq": seq,
        "action": action,
        "case": {
            "id": row.id,
            "number": row.number,
            "state": row.state,
            "version": row.version,
            "lon": row.lon,
            "lat": row.lat,
            "category": codes.get(row.category_id),
            "urgency": row.urgency,
            "unit_id": row.unit_id,
            "street_id": row.street_id,
            "work_grid_id": row.work_grid_id,
            "source": row.source,
            "deadline_at": row.deadline_at.isoformat() if row.deadline_at else None,
            "warned": changes.get("warned", row.warned),
            "overdue": changes.get("overdue", row.overdue),
            "urge": row.urge_count or 0,
            "escalated": states.is_escalated(row.escalated_at, row.deadline_at, row.overdue),
        },
    }
