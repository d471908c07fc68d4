"""派遣建议 — the dispatch suggestion: the unit the routing rules pick and,
for a case returned before (回退), the unit that finally handled similar
cases: the most recently closed case of the same category in the same unit
grid, else in the same street."""

from __future__ import annotations

from sqlalchemy import select

from gridcity.cases import states
from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.org.models import Unit


def history_unit(case: Case) -> tuple[Unit, Case] | None:
    """The unit that closed the most recent similar case, and that case."""
    for place in (Case.unit_grid_id == case.unit_grid_id, Case.street_id == case.street_id):
        similar = db.session.scalar(
            select(Case)
            .where(
                Case.category_id == case.category_id,
                Case.state == states.CLOSED,
                Case.unit_id.is_not(None),
                Case.id != case.id,
                place,
            )
            .order_by(Case.closed_at.desc(), Case.id.desc())
            .limit(1)
        )
        if similar is not None:
            return db.session.get(Unit, similar.unit_id), similar
    return None


def suggestion(case: Case, routed_unit: Unit | None) -> dict:
    """The rules' unit and, when the case was returned before, the history's."""
    out: dict = {
        "rules_unit": None if routed_unit is None else {"id": routed_unit.id, "name": routed_unit.name},
        "returned_before": bool(case.return_count),
        "history_unit": None,
        "history_case_number": None,
    }
    if case.return_count:
        found = history_unit(case)
        if found is not None:
            unit, similar = found
            out["history_unit"] = {"id": unit.id, "name": unit.name}
            out["history_case_number"] = similar.number
    return out
