"""How an accepted appeal (考核申诉) changes a frozen month's figures.

An accepted appeal **excludes its case from the contested count of its
subject** (one unit, or one person in one role) in every version of the month
made after the acceptance; version 1 and every earlier version stay as they
were. The exclusion is a thin step on top of the counts, not a change to the
counting: the engine counts the month as always, then, before scoring,

- the contested count of that one subject loses the case: the figure goes
  down by the number of times the case appears in that count's drill-down
  list (once for a count of cases; as often as it was counted for a count of
  events), and the case is dropped from that list (:func:`drop`);
- so that no rate can pass 100 %, the counts *inside* the contested count
  ("of those" counts, :data:`INSIDE`: handled on time inside handled, missed
  inside the grid's valid reports…) lose the case too, where it is in them;
- ``should_close`` (closed + overdue_open) follows its two parts.

Every other figure of every other subject keeps the case; scores, grades,
ranks and the leader tiers are then computed from the adjusted counts as
usual. A version made by an appeal records the appeals in its reason
(:func:`reason_for`), shown in the reader's language by case number, subject
name and figure (:func:`reason_text`) — no database ids.

This module reads appeals (models) and the counts (engine); the appeal
service (``appeals.py``) and the freezing (``freeze.py``) build on it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.scorecards.counting import engine
from gridcity.scorecards.counting.counts import TIER_COUNTS
from gridcity.scorecards.models import Appeal
from gridcity.scorecards.scoring import indicators
from gridcity.web.ui_text import ui_text

# Counts that hold only cases of another count ("of those"): excluding a case
# from the outer count excludes it from these as well.
INSIDE: dict[str, tuple[str, ...]] = {
    "reported": ("valid", "inspector_reported", "patrol_findings"),
    "valid": ("patrol_findings",),
    "handled": ("handled_on_time",),
    "closed": ("closed_on_time", "closed_promptly"),
    "overdue": ("overdue_open",),
    "dispatched": ("dispatched_on_time",),
    "verified": ("verified_on_time",),
    "checked": ("checked_on_time",),
    "filed": ("filed_on_time",),
    "accepted": ("accepted_verify", "accepted_verify_on_time", "accepted_direct", "accepted_direct_on_time"),
    "accepted_verify": ("accepted_verify_on_time",),
    "accepted_direct": ("accepted_direct_on_time",),
    "grid_valid": ("missed",),
}
# Counts that are sums of others: they follow their parts, and are not
# contested themselves.
DERIVED: dict[str, tuple[str, ...]] = {"should_close": ("closed", "overdue_open")}
# The tiers whose figures may be contested: a unit's, and a person's own.
APPEAL_TIERS = ("unit", "inspector", "operator", "shift_leader", "dispatcher")

REASON_PREFIX = "appeals:"


@dataclass(frozen=True)
class Exclusion:
    """One accepted appeal as the counts see it."""

    tier: str
    subject_id: int
    count: str
    case_id: int


def contestable_counts(tier: str) -> tuple[str, ...]:
    """The counts of ``tier`` an appeal may contest (not the derived sums)."""
    if tier not in APPEAL_TIERS:
        return ()
    return tuple(c for c in TIER_COUNTS[tier] if c not in DERIVED)


def accepted(month: str, up_to_version: int | None = None) -> list[Exclusion]:
    """The month's accepted appeals: those applied by ``up_to_version`` (a
    version's own exclusions), or every accepted one (for the next version)."""
    query = select(Appeal.tier, Appeal.subject_id, Appeal.count, Appeal.case_id).where(
        Appeal.month == month, Appeal.state == "accepted"
    )
    if up_to_version is not None:
        query = query.where(Appeal.applied_version.is_not(None), Appeal.applied_version <= up_to_version)
    return [Exclusion(*row) for row in db.session.execute(query.order_by(Appeal.id))]


def affected_counts(tier: str, count: str) -> tuple[str, ...]:
    """The contested count and the counts inside it that ``tier`` has."""
    names = [count]
    for name in names:  # grows while walked: inside of inside
        names.extend(c for c in INSIDE.get(name, ()) if c not in names)
    return tuple(c for c in names if c in TIER_COUNTS[tier])


def amounts(month: str, exclusions: list[Exclusion]) -> dict[tuple[str, int], dict[str, int]]:
    """How much each affected figure goes down: ``{(tier, subject_id):
    {count: n}}``, ``n`` the times the case is in that count's drill-down."""
    limits = indicators.set_for_month(month).document["limits_minutes"]
    out: dict[tuple[str, int], dict[str, int]] = {}
    seen: set[tuple] = set()
    for x in exclusions:
        for count in affected_counts(x.tier, x.count):
            key = (x.tier, x.subject_id, count, x.case_id)
            if key in seen:  # two appeals reaching one list (outer and inner count)
                continue
            seen.add(key)
            n = list(engine.cases_behind(month, x.tier, x.subject_id, count, limits)).count(x.case_id)
            if n:
                by_count = out.setdefault((x.tier, x.subject_id), {})
                by_count[count] = by_count.get(count, 0) + n
    for by_count in out.values():
        for total, parts in DERIVED.items():
            less = sum(by_count.get(p, 0) for p in parts)
            if less:
                by_count[total] = by_count.get(total, 0) + less
    return out


def apply_to_counts(counts: engine.Counts, less: dict[tuple[str, int], dict[str, int]]) -> None:
    """Subtract ``less`` (see :func:`amounts`) from the month's counts, in place."""
    for (tier, subject_id), by_count in less.items():
        if tier not in counts.arrays:
            continue
        table = counts.arrays[tier]
        at = np.searchsorted(table.ids, subject_id)
        if at >= len(table.ids) or table.ids[at] != subject_id:
            continue
        for count, n in by_count.items():
            if count in table.names:
                j = table.names.index(count)
                table.matrix[at, j] = max(0, int(table.matrix[at, j]) - n)


def step(month: str) -> Callable[[engine.Counts], None] | None:
    """The exclusion step for the month's next version (None without any
    accepted appeal): given to ``engine.compute_all`` to run before scoring."""
    exclusions = accepted(month)
    if not exclusions:
        return None
    less = amounts(month, exclusions)
    return lambda counts: apply_to_counts(counts, less)


def drop(
    case_ids: list[int], tier: str, subject_id: int, count: str, exclusions: list[Exclusion]
) -> list[int]:
    """A drill-down list without the cases the given exclusions take out of
    it (a sum loses a case with its part: closed and overdue_open hold
    different cases)."""
    names = {count, *DERIVED.get(count, ())}
    gone = {
        x.case_id
        for x in exclusions
        if x.tier == tier and x.subject_id == subject_id and names & set(affected_counts(tier, x.count))
    }
    return [c for c in case_ids if c not in gone] if gone else list(case_ids)


# ---------------------------------------------------------------- the reason of a version


def reason_for(appeals: list[Appeal]) -> str:
    """A version's reason naming the appeals it applies (no ids: the case
    number, the subject's name and the figure)."""
    items = [
        {"case": a.case.number or "", "subject": a.subject_name, "tier": a.tier, "count": a.count}
        for a in appeals
    ]
    return REASON_PREFIX + json.dumps(items, ensure_ascii=False)


def reason_text(reason: str | None, language: str) -> str | None:
    """The words of an appeal version's reason in ``language`` (None when
    ``reason`` is not one)."""
    if not reason or not reason.startswith(REASON_PREFIX):
        return None
    try:
        items = json.loads(reason[len(REASON_PREFIX) :])
    except ValueError:
        return None
    parts = [
        ui_text("ap_reason_item", language).format(
            case=i.get("case", ""),
            subject=i.get("subject", ""),
            figure=ui_text(f"sc_count_{i.get('count', '')}", language),
        )
        for i in items
        if isinstance(i, dict)
    ]
    return ui_text("ap_reason", language).format(items=ui_text("ap_reason_join", language).join(parts))
