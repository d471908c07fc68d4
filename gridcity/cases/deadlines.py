"""Deadlines of cases and tasks, on the working calendar's clocks.

The handling deadline runs on the category's clock from dispatch. A
suspension stops it (the used part is kept), resuming starts it again; an
extension adds to the budget. The warning point is the policy's fraction of the
budget (default 75 %).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from gridcity.cases.models import DeadlinePolicy
from gridcity.extensions import db
from gridcity.workcalendar.clock import WorkingCalendar, add_clock_time, budget_seconds, clock_seconds_between
from gridcity.workcalendar.services import working_calendar

DEFAULT_POLICIES = {
    # step: (clock, amount, warning fraction)
    "verify": ("working_hours", 2.0, 0.75),
    "check": ("working_hours", 4.0, 0.75),
    "handle": (None, None, 0.75),
    # 督办: an overdue case still not handled this many hours after its
    # deadline goes to the unit's leadership (continuous hours; the sweeper
    # compares it with the deadline in SQL, so no other clock is offered).
    "escalate": ("emergency_hours", 24.0, 1.0),
}


@dataclass(frozen=True)
class Deadline:
    clock: str
    budget_s: float
    used_s: float
    started_at: dt.datetime
    deadline_at: dt.datetime
    warn_at: dt.datetime


def calendar() -> WorkingCalendar:
    return working_calendar(current_app.config["SETTINGS"].timezone)


def policy(step: str) -> tuple[str | None, float | None, float]:
    row = db.session.get(DeadlinePolicy, step)
    if row is None:
        return DEFAULT_POLICIES[step]
    return row.clock, row.amount, row.warning_fraction


def ensure_policies() -> None:
    """Write the default step deadlines where none are configured."""
    existing = set(db.session.scalars(select(DeadlinePolicy.step)))
    for step, (clock, amount, fraction) in DEFAULT_POLICIES.items():
        if step not in existing:
            db.session.add(DeadlinePolicy(step=step, clock=clock, amount=amount, warning_fraction=fraction))


def running_deadline(
    cal: WorkingCalendar, clock: str, budget_s: float, used_s: float, started_at: dt.datetime, fraction: float
) -> Deadline:
    """Deadline and warning point of a clock that has ``used_s`` of its budget
    behind it and runs again from ``started_at``."""
    remaining = max(budget_s - used_s, 0.0)
    to_warning = max(budget_s * fraction - used_s, 0.0)
    return Deadline(
        clock=clock,
        budget_s=budget_s,
        used_s=used_s,
        started_at=started_at,
        deadline_at=add_clock_time(cal, started_at, clock, remaining),
        warn_at=add_clock_time(cal, started_at, clock, to_warning),
    )


def handling_deadline(category, start: dt.datetime) -> Deadline:
    cal = calendar()
    budget = budget_seconds(cal, category.deadline_clock, category.deadline_amount)
    return running_deadline(cal, category.deadline_clock, budget, 0.0, start, policy("handle")[2])


def task_deadline(step: str, start: dt.datetime) -> Deadline:
    cal = calendar()
    clock, amount, fraction = policy(step)
    return running_deadline(cal, clock, budget_seconds(cal, clock, amount), 0.0, start, fraction)


def used_until(case, at: dt.datetime) -> float:
    """Handling clock time used up by ``at`` (for suspension)."""
    cal = calendar()
    return case.handle_used_s + clock_seconds_between(cal, case.handle_started_at, at, case.handle_clock)


def deadline_fields(d: Deadline) -> dict:
    return {
        "handle_clock": d.clock,
        "handle_budget_s": d.budget_s,
        "handle_used_s": d.used_s,
        "handle_started_at": d.started_at,
        "deadline_at": d.deadline_at,
        "warn_at": d.warn_at,
    }


def escalation_delay() -> dt.timedelta:
    """How long after its deadline an overdue case is escalated (督办)."""
    amount = policy("escalate")[1]
    return dt.timedelta(hours=amount if amount is not None else DEFAULT_POLICIES["escalate"][1])
