"""各环节时限 — the deadlines of the steps that are not the category's own:
verify and check tasks (clock and amount), the warning point of every step,
and how long after its deadline an overdue case is escalated (督办). Edited
from the admin console and the CLI, each change audited. Like a category's,
a new value applies to the next task or dispatch: running ones keep theirs."""

from __future__ import annotations

from gridcity.audit import services as audit
from gridcity.cases.deadlines import DEFAULT_POLICIES
from gridcity.cases.models import DeadlinePolicy
from gridcity.core.errors import FieldError, GridCityError
from gridcity.extensions import db
from gridcity.org.trail import changed
from gridcity.taxonomy.editing import MAX_DEADLINE_AMOUNT, checked_number
from gridcity.taxonomy.models import CLOCKS
from gridcity.web.ui_text import ui_text

POLICY_KIND = "deadline_policy"
# What each step lets an admin set: the handling step's clock and amount are
# the category's; escalation counts continuous hours (the sweeper compares it
# with the deadline in SQL).
EDITABLE = {
    "verify": ("step_clock", "step_amount", "warning_fraction"),
    "check": ("step_clock", "step_amount", "warning_fraction"),
    "handle": ("warning_fraction",),
    "escalate": ("step_amount",),
}
COLUMNS = {"step_clock": "clock", "step_amount": "amount", "warning_fraction": "warning_fraction"}


def policy_row(step: str) -> DeadlinePolicy:
    """The step's row, written from the defaults when none is configured yet."""
    if step not in EDITABLE:
        raise GridCityError("bad_request", detail=f"step must be one of {', '.join(EDITABLE)}")
    row = db.session.get(DeadlinePolicy, step)
    if row is None:
        clock, amount, fraction = DEFAULT_POLICIES[step]
        row = DeadlinePolicy(step=step, clock=clock, amount=amount, warning_fraction=fraction)
        db.session.add(row)
    return row


def policy_snapshot(row: DeadlinePolicy) -> dict:
    return {field: getattr(row, COLUMNS[field]) for field in EDITABLE[row.step]}


def _checked(step: str, field: str, value):
    if field not in EDITABLE[step]:
        raise GridCityError("bad_request", detail=f"{step}: only {', '.join(EDITABLE[step])} may be set")
    name = f"{step}-{field}"  # the form's field
    if field == "step_clock":
        if value not in CLOCKS:
            raise FieldError(name, "bad_deadline_clock")
        return value
    if field == "step_amount":
        return checked_number(name, value, 0, MAX_DEADLINE_AMOUNT, "bad_deadline_amount")
    return checked_number(name, value, 0, 1, "bad_warning_fraction")


def edit_policies(changes: dict[str, dict], actor=None) -> None:
    """Set ``{step: {field: value}}`` (fields of ``EDITABLE``); everything is
    checked before anything is written; each step that changed is audited
    (``deadline_policy.update``)."""
    values = {step: {f: _checked(step, f, v) for f, v in fields.items()} for step, fields in changes.items()}
    for step, fields in values.items():
        row = policy_row(step)
        before = policy_snapshot(row)
        for field, value in fields.items():
            setattr(row, COLUMNS[field], value)
        old, new = changed(before, policy_snapshot(row))
        if new:
            # Labelled as the log's readers name the step (the label is kept as text).
            about = {"object_kind": POLICY_KIND, "object_label": ui_text(f"step_name_{step}", "zh")}
            audit.record("deadline_policy.update", actor, **about, before=old, after=new)
    db.session.flush()
