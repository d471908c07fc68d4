"""Recurring problems (反复发生) — a fix that did not hold.

A case **recurs** when, before it was reported, a case of the same category
in the same unit grid — or about the same component (部件) — was closed, at
most ``window_days`` days before (setting ``analysis_recurrence_days``,
overridable per request). Its **previous case** is the latest such close;
the recurrence is counted

- against the **unit** that held the previous case (whose fix did not hold),
- in the **street** where it happened,
- in the period its (new) case was reported in.

Voided cases and reports merged into another case are no problems of their
own and take part on neither side. One query reads the scope's cases that
were reported in the period or closed in the period and the window before
it; the matching is done in Python (both databases alike): per key
(category × unit grid, category × component) the closes sorted by time, a
binary search per reported case.

The scorecards' unit and street pages show the month's count (not a
scorecard figure: the counting engine is untouched) linking to this list.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from gridcity.analysis.names import codes_of, counted, names_of
from gridcity.analysis.scope import Scope
from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.geo.models import Street, UnitGrid
from gridcity.inventory.models import Component
from gridcity.org.models import Unit
from gridcity.taxonomy.models import Category


@dataclass
class Recurrence:
    case_id: int
    case_number: str
    reported_at: dt.datetime
    previous_id: int
    previous_number: str
    previous_closed_at: dt.datetime
    days_after_close: float
    by: str  # unit_grid | component: what the two cases share
    category_id: int
    unit_grid_id: int
    component_id: int | None
    street_id: int
    unit_id: int | None  # the unit that held the previous case
    # filled by describe()
    category_code: str = ""
    category_name: str = ""
    unit_grid_code: str = ""
    component_code: str = ""
    street_name: str = ""
    unit_name: str = ""

    def to_dict(self) -> dict:
        return {
            "case": {
                "id": self.case_id,
                "number": self.case_number,
                "reported_at": self.reported_at.isoformat(),
            },
            "previous": {
                "id": self.previous_id,
                "number": self.previous_number,
                "closed_at": self.previous_closed_at.isoformat(),
            },
            "days_after_close": round(self.days_after_close, 2),
            "same": self.by,
            "category": {"id": self.category_id, "code": self.category_code, "name": self.category_name},
            "unit_grid": {"id": self.unit_grid_id, "code": self.unit_grid_code},
            "component": {"id": self.component_id, "code": self.component_code}
            if self.component_id
            else None,
            "street": {"id": self.street_id, "name": self.street_name},
            "unit": {"id": self.unit_id, "name": self.unit_name} if self.unit_id else None,
        }


@dataclass
class RecurrenceReport:
    rows: list[Recurrence]
    per_unit: list[dict]  # {id, name, cases}, most first
    per_street: list[dict]

    def to_dict(self) -> dict:
        return {
            "count": len(self.rows),
            "per_unit": self.per_unit,
            "per_street": self.per_street,
            "recurrences": [r.to_dict() for r in self.rows],
        }


def read_rows(scope: Scope) -> list:
    """Cases of the scope reported in the period, or closed in it or in the
    window before it (one query)."""
    window_start = scope.start - dt.timedelta(days=scope.window_days)
    return db.session.execute(
        select(
            Case.id,
            Case.number,
            Case.category_id,
            Case.unit_grid_id,
            Case.component_id,
            Case.reported_at,
            Case.closed_at,
            Case.street_id,
            Case.unit_id,
        )
        .where(
            or_(
                and_(Case.reported_at >= scope.start, Case.reported_at < scope.end),
                and_(Case.closed_at >= window_start, Case.closed_at < scope.end),
            ),
            *scope.case_filters(),
        )
        .order_by(Case.id)
    ).all()


def match(rows: list, scope: Scope) -> list[Recurrence]:
    """Each case reported in the period whose category came back within the
    window after a close at the same place, with that close."""
    window = dt.timedelta(days=scope.window_days)
    closes: dict[tuple, list] = {}
    for row in rows:
        if row.closed_at is not None:
            closes.setdefault((row.category_id, "g", row.unit_grid_id), []).append(
                (row.closed_at, row.id, row)
            )
            if row.component_id is not None:
                closes.setdefault((row.category_id, "c", row.component_id), []).append(
                    (row.closed_at, row.id, row)
                )
    for items in closes.values():
        items.sort(key=lambda item: (item[0], item[1]))
    times = {key: [item[0] for item in items] for key, items in closes.items()}
    found = []
    for row in rows:
        if not (scope.start <= row.reported_at < scope.end):
            continue
        best = None
        keys = [((row.category_id, "g", row.unit_grid_id), "unit_grid")]
        if row.component_id is not None:
            keys.insert(0, ((row.category_id, "c", row.component_id), "component"))
        for key, by in keys:
            if key not in times:
                continue
            at = bisect.bisect_left(times[key], row.reported_at) - 1
            if at < 0:
                continue
            closed_at, _, previous = closes[key][at]
            if row.reported_at - closed_at > window:
                continue
            if best is None or closed_at > best[0].closed_at:
                best = (previous, by)
        if best is None:
            continue
        previous, by = best
        if scope.unit_id is not None and previous.unit_id != scope.unit_id:
            continue
        found.append(
            Recurrence(
                case_id=row.id,
                case_number=row.number or "",
                reported_at=row.reported_at,
                previous_id=previous.id,
                previous_number=previous.number or "",
                previous_closed_at=previous.closed_at,
                days_after_close=(row.reported_at - previous.closed_at).total_seconds() / 86400.0,
                by=by,
                category_id=row.category_id,
                unit_grid_id=row.unit_grid_id,
                component_id=row.component_id if by == "component" else None,
                street_id=row.street_id,
                unit_id=previous.unit_id,
            )
        )
    found.sort(key=lambda r: (r.reported_at, r.case_id))
    return found


def find_recurrences(scope: Scope, language: str = "zh") -> RecurrenceReport:
    """The scope's recurrences with their counts per unit and per street."""
    return describe(match(read_rows(scope), scope), language)


def count_recurrences(scope: Scope) -> int:
    """How many cases of the scope recur (the scorecards' drill-down count)."""
    return len(match(read_rows(scope), scope))


def describe(found: list[Recurrence], language: str) -> RecurrenceReport:
    categories = names_of(Category, {r.category_id for r in found}, language)
    streets = names_of(Street, {r.street_id for r in found}, language)
    units = names_of(Unit, {r.unit_id for r in found if r.unit_id}, language)
    grids = codes_of(UnitGrid, {r.unit_grid_id for r in found})
    components = codes_of(Component, {r.component_id for r in found if r.component_id})
    for r in found:
        r.category_code = categories.get(r.category_id, {}).get("code", "")
        r.category_name = categories.get(r.category_id, {}).get("name", "")
        r.street_name = streets.get(r.street_id, {}).get("name", "")
        r.unit_name = units.get(r.unit_id, {}).get("name", "") if r.unit_id else ""
        r.unit_grid_code = grids.get(r.unit_grid_id, "")
        r.component_code = components.get(r.component_id, "") if r.component_id else ""
    return RecurrenceReport(
        rows=found,
        per_unit=counted((r.unit_id for r in found if r.unit_id), units),
        per_street=counted((r.street_id for r in found), streets),
    )
