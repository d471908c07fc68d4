"""Our states as the update feed's ``status`` values, the way clients read
them.

FixMyStreet's client reads the feed's ``status`` by lower-casing it and
turning ``_`` into spaces: ``FIXED`` → fixed, ``DUPLICATE`` → duplicate,
``NOT_COUNCILS_RESPONSIBILITY`` → not responsible, ``NO_FURTHER_ACTION`` →
unable to fix, ``IN_PROGRESS``, ``ACTION_SCHEDULED``, ``INVESTIGATING`` as
they read, ``OPEN`` → open; but a bare ``CLOSED`` becomes "fixed" unless the
council is set up for extended statuses. So the feed never says CLOSED: a
voided (作废) or merged case would read as fixed. GET requests keeps the
spec's two values (open/closed) with the state in words in status_notes.
"""

from __future__ import annotations

from gridcity.cases import states

OPEN = "OPEN"
INVESTIGATING = "INVESTIGATING"
ACTION_SCHEDULED = "ACTION_SCHEDULED"
IN_PROGRESS = "IN_PROGRESS"
FIXED = "FIXED"
DUPLICATE = "DUPLICATE"
NOT_OURS = "NOT_COUNCILS_RESPONSIBILITY"
NO_FURTHER_ACTION = "NO_FURTHER_ACTION"

BY_STATE = {
    states.REPORTED: OPEN,
    states.VERIFYING: INVESTIGATING,  # 核实: an inspector goes to look
    states.ACCEPTED: INVESTIGATING,
    states.FILED: INVESTIGATING,
    states.DISPATCHED: ACTION_SCHEDULED,  # sent to the unit, with a deadline
    states.SUSPENDED: ACTION_SCHEDULED,  # 挂账: to be done later, not dropped
    states.IN_PROGRESS: IN_PROGRESS,
    states.HANDLED: IN_PROGRESS,  # the unit says done; not fixed until checked
    states.CHECKED: IN_PROGRESS,
    states.CLOSED: FIXED,  # 结案 only after the on-site check passed
    states.MERGED: DUPLICATE,
}
# A void's reason is free text; these words in it say which void it was.
# Any other reason (not real, below the filing standard…) is no further action.
DUPLICATE_WORDS = ("重复", "duplicate")
NOT_OURS_WORDS = ("非本", "不属于", "不归", "管辖", "职责", "not our", "remit", "responsib", "jurisdiction")


def void_status(reason: str | None) -> str:
    text = (reason or "").lower()
    if any(word in text for word in DUPLICATE_WORDS):
        return DUPLICATE
    if any(word in text for word in NOT_OURS_WORDS):
        return NOT_OURS
    return NO_FURTHER_ACTION


def feed_status(state: str, void_reason: str | None = None) -> str:
    """The feed's ``status`` for a case in ``state`` (voided: by its reason)."""
    if state == states.VOIDED:
        return void_status(void_reason)
    return BY_STATE.get(state, OPEN)


# What a client may say a posted update means (FixMyStreet's extended set).
CLIENT_STATUSES = (
    "OPEN",
    "CLOSED",
    "FIXED",
    "IN_PROGRESS",
    "ACTION_SCHEDULED",
    "INVESTIGATING",
    "DUPLICATE",
    "NOT_COUNCILS_RESPONSIBILITY",
    "NO_FURTHER_ACTION",
    "INTERNAL_REFERRAL",
    "FOR_TRIAGE",
    "CANCELLED",
    "REOPEN",
)
# A citizen's update that says the problem is still there: on a case we
# have closed, the client marks its report open again ("not fixed").
REOPENING = ("OPEN", "REOPEN", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING")
