"""What is counted, and for whom: the tiers of subjects and the counts the
engine (:mod:`gridcity.scorecards.counting.engine`) produces for each.

A month is ``"YYYY-MM"`` in the city's time zone. Tables ("tiers") are named
by :data:`TIERS`:

- areas: ``unit_grid`` → ``work_grid`` → ``area`` (片区) / ``street`` → ``district``;
- units: ``unit`` (责任单位);
- positions: ``inspector``, ``operator``, ``shift_leader``, ``dispatcher``;
- the chain of command (逐级考核): ``inspector`` (member) → ``group_leader``
  → ``area_head`` → ``center_head`` (scored from the others' scores, not counted).
"""

from __future__ import annotations

AREA_TIERS = ("unit_grid", "work_grid", "area", "street", "district")
PERSON_TIERS = ("inspector", "operator", "shift_leader", "dispatcher")
LEADER_TIERS = ("group_leader", "area_head", "center_head")
TIERS = (*AREA_TIERS, "unit", *PERSON_TIERS, *LEADER_TIERS)

# The counts, by family, with what each one counts in the month (see engine.py
# for the exact rule of each; docs/… the API returns these descriptions).
COUNT_DOCS: dict[str, str] = {
    # every area (unit grid … district) and, where marked, units and people
    "reported": "reports made in the month (上报数)",
    "inspector_reported": "of those, reported by inspectors (on foot or on patrol) (监督员上报数)",
    "valid": "reports of the month not voided (有效上报数); a merged report keeps its credit",
    "filed": "cases filed in the month (立案数)",
    "voided": "reports voided in the month (作废数), by the shift leader/operator or a failed verify",
    "dispatched": "dispatches in the month (派遣数)",
    "handled": "handlings reported by the unit in the month (处置数)",
    "handled_on_time": "handlings done by the deadline in force at that moment (按期处置数)",
    "closed": "cases closed in the month (结案数)",
    "closed_on_time": "closures of a handling done on time (按期结案数)",
    "overdue": "cases whose running deadline passed in the month (超期数); a unit's: while it held them",
    "overdue_open": "of the overdue cases, those not closed by the month's end",
    "should_close": "closed + overdue_open (应结案数)",
    "rework": "times a case was sent back to the unit: failed checks and shift leaders' 不予结案 (返工次数)",
    "extension": "approved extensions (延期数)",
    "suspension": "approved suspensions (挂账数)",
    "returned": "approved returns (回退数)",
    "patrol_findings": "valid reports found on night / holiday / month-end patrols",
    "rated": "citizens' ratings of a closed case's handling given in the month (评价数)",
    "rated_satisfied": "of those, 满意 or 基本满意 (满意数)",
    # inspectors
    "verified": "verify tasks (核实) completed",
    "verified_on_time": "verify tasks completed by their due time (按时核实数)",
    "checked": "check tasks (核查) completed",
    "checked_on_time": "check tasks completed by their due time (按时核查数)",
    "grid_valid": "valid cases (not merged into another) reported in the month in the inspector's work grids",
    "missed": "of those, first reported (merged reports included) by anyone not an inspector of that work grid (漏报数)",
    # operators
    "accepted": "reports accepted (受理数)",
    "accepted_verify": "accepts that sent a verify task (public reports)",
    "accepted_verify_on_time": "of those, within limits_minutes.accept of the report",
    "accepted_direct": "accepts of inspectors' reports (no verify needed)",
    "accepted_direct_on_time": "of those, within limits_minutes.accept of the report",
    # shift leaders
    "filed_on_time": "filings within limits_minutes.file of acceptance (or verification)",
    "closed_promptly": "closures within limits_minutes.close of the passed check",
    # dispatchers
    "dispatched_on_time": "dispatches within limits_minutes.dispatch of filing (a re-dispatch: of the approved return)",
    "dispatched_reworked": "this dispatcher's dispatches of the month reworked within the month (each once)",
    "dispatched_returned": "this dispatcher's dispatches of the month returned within the month (each once)",
}
COUNT_NAMES = tuple(COUNT_DOCS)

AREA_COUNTS = (
    "reported",
    "inspector_reported",
    "valid",
    "filed",
    "voided",
    "dispatched",
    "handled",
    "handled_on_time",
    "closed",
    "closed_on_time",
    "overdue",
    "overdue_open",
    "should_close",
    "rework",
    "extension",
    "suspension",
    "returned",
    "patrol_findings",
    "rated",
    "rated_satisfied",
)
UNIT_COUNTS = (
    "dispatched",
    "handled",
    "handled_on_time",
    "closed",
    "closed_on_time",
    "overdue",
    "overdue_open",
    "should_close",
    "rework",
    "extension",
    "suspension",
    "returned",
    "rated",
    "rated_satisfied",
)
ROLE_COUNTS = {
    "inspector": (
        "reported",
        "valid",
        "patrol_findings",
        "verified",
        "verified_on_time",
        "checked",
        "checked_on_time",
        "grid_valid",
        "missed",
    ),
    "operator": (
        "accepted",
        "accepted_verify",
        "accepted_verify_on_time",
        "accepted_direct",
        "accepted_direct_on_time",
        "voided",
    ),
    "shift_leader": ("filed", "filed_on_time", "voided", "closed", "closed_promptly"),
    "dispatcher": ("dispatched", "dispatched_on_time", "dispatched_reworked", "dispatched_returned"),
}
TIER_COUNTS = {
    **{t: AREA_COUNTS for t in ("unit_grid", "work_grid", "area", "street", "district")},
    "unit": UNIT_COUNTS,
    **ROLE_COUNTS,
}
SCORED_TIERS = tuple(TIER_COUNTS)
