"""The closed loop in one table: which action moves a case from which states
to which state, and who may take it.

report → (verify 核实 for non-inspector sources) → accepted → filed (立案) |
voided (作废) → dispatched (派遣) → in progress (unit accepted) → handled
(处置, check task 核查 to the grid's inspector) → checked → closed (结案), or
rework (返工) back to the unit. Side paths need approval: extension (延期),
suspension (挂账), return (回退).
"""

from __future__ import annotations

from dataclasses import dataclass

from gridcity.org.models import UNIT_ROLES, Role

REPORTED = "reported"  # 上报, waiting for the operator
VERIFYING = "verifying"  # 核实 task with an inspector
ACCEPTED = "accepted"  # 受理
FILED = "filed"  # 立案, waiting for dispatch
VOIDED = "voided"  # 作废
MERGED = "merged"  # same problem as another case
DISPATCHED = "dispatched"  # 派遣, waiting for the unit
IN_PROGRESS = "in_progress"  # the unit is on it
HANDLED = "handled"  # 处置完成, check task with an inspector
CHECKED = "checked"  # 核查 passed, waiting to be closed
CLOSED = "closed"  # 结案
SUSPENDED = "suspended"  # 挂账 / 缓办, clock stopped

STATES = (
    REPORTED,
    VERIFYING,
    ACCEPTED,
    FILED,
    VOIDED,
    MERGED,
    DISPATCHED,
    IN_PROGRESS,
    HANDLED,
    CHECKED,
    CLOSED,
    SUSPENDED,
)
OPEN_STATES = tuple(s for s in STATES if s not in (VOIDED, MERGED, CLOSED))
# States in which the handling clock runs.
CLOCK_RUNNING = (DISPATCHED, IN_PROGRESS)
# ``proactive`` (主动治理): a task the center raised itself from a hotspot or
# a recurrence (gridcity/proactive/), filed and dispatched from the start.
SOURCES = ("inspector", "hotline", "public", "patrol", "open311", "proactive")

R = Role


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: tuple[str, ...]
    roles: tuple[Role, ...]
    to_state: str | None  # None: decided by the service (e.g. pass / fail)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("accept", (REPORTED,), (R.OPERATOR,), None),  # → accepted | verifying
        Transition("verify", (VERIFYING,), (R.INSPECTOR,), None),  # → accepted | voided
        Transition("merge", (REPORTED, VERIFYING, ACCEPTED), (R.OPERATOR,), MERGED),
        Transition("file", (ACCEPTED,), (R.SHIFT_LEADER,), FILED),
        Transition("void", (REPORTED, VERIFYING, ACCEPTED), (R.SHIFT_LEADER, R.OPERATOR), VOIDED),
        Transition("dispatch", (FILED,), (R.DISPATCHER,), DISPATCHED),
        # A unit's work: any member of it, the supervisor (单位主管) included.
        Transition("unit_accept", (DISPATCHED,), UNIT_ROLES, IN_PROGRESS),
        Transition("handle", (IN_PROGRESS,), UNIT_ROLES, HANDLED),
        Transition("check", (HANDLED,), (R.INSPECTOR,), None),  # → checked | in_progress (rework)
        Transition("close", (CHECKED,), (R.SHIFT_LEADER,), CLOSED),
        # 不予结案: the shift leader finds the check's evidence short of the
        # closing standard and sends the case back to the unit (返工).
        Transition("rework", (CHECKED,), (R.SHIFT_LEADER,), IN_PROGRESS),
        Transition("request", (DISPATCHED, IN_PROGRESS), UNIT_ROLES, None),  # state unchanged
        Transition("decide", (DISPATCHED, IN_PROGRESS), (R.SHIFT_LEADER, R.DISPATCHER), None),
        Transition("resume", (SUSPENDED,), (R.SHIFT_LEADER, R.DISPATCHER), None),  # → state before
        # 催办: the center presses the unit holding the case; the state stays.
        Transition("urge", CLOCK_RUNNING, (R.SHIFT_LEADER, R.DISPATCHER), None),
    )
}


def allowed_actions(state: str, role: str) -> list[str]:
    """What a user of ``role`` may do to a case in ``state``."""
    return [t.action for t in TRANSITIONS.values() if state in t.from_states and role in t.roles]


def is_escalated(escalated_at, deadline_at, overdue) -> bool:
    """督办 in force: escalated in this overdue episode (at or after the
    running deadline) and still overdue."""
    return bool(overdue and escalated_at and deadline_at and escalated_at >= deadline_at)
