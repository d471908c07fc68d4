"""The case history (责任倒查): every change to a case is an event, and the case
row is nothing but the events applied in order.

``record`` writes an event and applies it to the case; ``replay`` applies a
case's events to a blank record, which must give the same fields — a test
checks that nothing changes a case without leaving an event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gridcity.cases.models import Case, CaseEvent
from gridcity.core.clock import utcnow
from gridcity.extensions import db

# Fields that events set, with how a JSON value becomes a Python one.
DATETIME_FIELDS = {
    "fix_time",
    "review_on",
    "reported_at",
    "accepted_at",
    "verified_at",
    "filed_at",
    "dispatched_at",
    "unit_accepted_at",
    "handled_at",
    "checked_at",
    "closed_at",
    "voided_at",
    "handle_started_at",
    "deadline_at",
    "warn_at",
    "last_urged_at",
    "escalated_at",
}
COUNTERS = (
    "rework_count",
    "extension_count",
    "suspension_count",
    "return_count",
    "event_count",
    "urge_count",
    "escalation_count",
)
DERIVED_FIELDS = (
    "state",
    "number",
    "source",
    "reporter_id",
    "reporter_contact",
    "category_id",
    "urgency",
    "description",
    "address",
    "lon",
    "lat",
    "raw_lon",
    "raw_lat",
    "position_by_hand",
    "accuracy_m",
    "unit_grid_id",
    "community_id",
    "street_id",
    "district_id",
    "work_grid_id",
    "area_id",
    "patrol_id",
    "component_id",
    "unit_id",
    "merged_into_id",
    "void_reason",
    "suspended_from",
    "handle_clock",
    "handle_budget_s",
    "handle_used_s",
    "warned",
    "overdue",
    "first_overdue_event_id",
    *sorted(DATETIME_FIELDS),
    *COUNTERS,
)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def _python_value(field: str, value: Any) -> Any:
    if field in DATETIME_FIELDS and value is not None:
        return dt.datetime.fromisoformat(value)
    return value


def apply_event(target: Any, to_state: str, data: dict) -> None:
    """Apply one event's changes to a case (or any object with its fields)."""
    target.state = to_state
    target.event_count = (getattr(target, "event_count", None) or 0) + 1
    for field, value in data.get("set", {}).items():
        setattr(target, field, _python_value(field, value))
    for field in data.get("inc", ()):
        setattr(target, field, (getattr(target, field) or 0) + 1)


def record(
    case: Case,
    action: str,
    to_state: str,
    actor=None,
    *,
    note: str = "",
    lon: float | None = None,
    lat: float | None = None,
    set: dict | None = None,  # noqa: A002 - reads as the event's vocabulary
    inc: tuple[str, ...] = (),
    extra: dict | None = None,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """Append an event to the case's history and apply it to the case."""
    data: dict = dict(extra or {})
    if set:
        data["set"] = {k: _json_value(v) for k, v in set.items()}
    if inc:
        data["inc"] = list(inc)
    event = CaseEvent(
        case=case,
        action=action,
        from_state=case.state,
        to_state=to_state,
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(actor, "role", "system"),
        at=at or utcnow(),
        note=note,
        lon=lon,
        lat=lat,
        data=data,
    )
    db.session.add(event)
    apply_event(case, to_state, data)
    return event


class Replayed:
    """A blank case the events are applied to."""

    def __init__(self) -> None:
        for field in DERIVED_FIELDS:
            setattr(self, field, 0 if field in COUNTERS else None)
        self.handle_used_s = 0.0
        self.warned = False
        self.overdue = False
        self.position_by_hand = False  # reports from before the field existed: by GPS


def replay(events: list[CaseEvent]) -> Replayed:
    result = Replayed()
    for event in events:
        apply_event(result, event.to_state, event.data)
        # The mark's own id is known only once it is written (see sweeper.py).
        if event.action == "overdue" and result.first_overdue_event_id is None:
            result.first_overdue_event_id = event.id
    return result


def differences(case: Case) -> dict[str, tuple]:
    """Fields where the case differs from the replay of its history."""
    replayed = replay(case.events)
    return {
        f: (getattr(case, f), getattr(replayed, f))
        for f in DERIVED_FIELDS
        if getattr(case, f) != getattr(replayed, f)
    }
