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

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, or_, select

from gridcity.analysis.names import codes_of, counted, names_of
from gridcity.analysis.scope import Scope
from gridcity.analysis.times import as_utc, naive_utc, utc_seconds
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
            naive_utc(Case.reported_at),
            naive_utc(Case.closed_at),
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


# A time and a place key packed in one int64 (place key above, milliseconds
# since the window's start below): one sorted array answers "the latest close
# of this key before this moment" with a binary search for every case at once.
TIME_BITS = 37  # 2**37 ms: over four years


def latest_close_before(
    keys: np.ndarray,
    closed_ms: np.ndarray,
    closes: np.ndarray,
    ids: np.ndarray,
    wanted: np.ndarray,
    at_ms: np.ndarray,
) -> np.ndarray:
    """For each of the ``wanted`` rows: the row index of the latest close
    (the ``closes`` rows; ties: the highest id) of the same key strictly
    before its ``at_ms``, or -1."""
    out = np.full(len(wanted), -1, dtype=np.int64)
    if not closes.any() or not len(wanted):
        return out
    close_rows = np.flatnonzero(closes)
    distinct = np.unique(keys[close_rows])
    dense = np.searchsorted(distinct, keys[close_rows])
    packed = (dense.astype(np.int64) << TIME_BITS) | closed_ms[close_rows]
    order = np.lexsort((ids[close_rows], packed))
    packed, close_rows = packed[order], close_rows[order]
    where = np.searchsorted(distinct, keys[wanted])
    known = (where < len(distinct)) & (distinct[np.minimum(where, len(distinct) - 1)] == keys[wanted])
    query = (where.astype(np.int64) << TIME_BITS) | at_ms
    position = np.searchsorted(packed, query, side="left") - 1
    same_key = known & (position >= 0) & ((packed[np.maximum(position, 0)] >> TIME_BITS) == where)
    out[same_key] = close_rows[position[same_key]]
    return out


def match(rows: list, scope: Scope) -> list[Recurrence]:
    """Each case reported in the period whose category came back within the
    window after a close at the same place, with that close."""
    if not rows:
        return []
    n = len(rows)

    def column(index: int) -> np.ndarray:  # by position: the fastest way through rows
        return np.fromiter((r[index] or 0 for r in rows), np.int64, n)

    # Columns as read_rows reads them: id, number, category, unit grid, component, reported, closed.
    ids, category, grid, component = column(0), column(2), column(3), column(4)
    reported = utc_seconds(r[5] for r in rows)
    closed = utc_seconds(r[6] for r in rows)
    origin = (scope.start - dt.timedelta(days=scope.window_days)).timestamp()
    window_ms = scope.window_days * 86_400_000
    has_close = ~np.isnan(closed)
    closed_ms = np.zeros(n, dtype=np.int64)
    closed_ms[has_close] = np.maximum(0, np.round((closed[has_close] - origin) * 1000)).astype(np.int64)
    reported_ms = np.maximum(0, np.round((reported - origin) * 1000)).astype(np.int64)
    wanted = np.flatnonzero((reported >= scope.start.timestamp()) & (reported < scope.end.timestamp()))
    at_ms = reported_ms[wanted]
    by_grid = latest_close_before(
        category * (grid.max() + 1) + grid, closed_ms, has_close, ids, wanted, at_ms
    )
    by_component = latest_close_before(
        category * (component.max() + 1) + component,
        closed_ms,
        has_close & (component > 0),
        ids,
        wanted,
        at_ms,
    )
    found = []
    for k in np.flatnonzero((by_grid >= 0) | (by_component >= 0)):
        # The latest close wins; at the same moment, the component (the closer tie).
        candidates = [
            (i, by) for i, by in ((by_component[k], "component"), (by_grid[k], "unit_grid")) if i >= 0
        ]
        i, by = max(candidates, key=lambda c: closed_ms[c[0]])
        row, previous = rows[wanted[k]], rows[i]
        if at_ms[k] - closed_ms[i] > window_ms:
            continue
        if scope.unit_id is not None and previous.unit_id != scope.unit_id:
            continue
        found.append(
            Recurrence(
                case_id=row.id,
                case_number=row.number or "",
                reported_at=as_utc(row.reported_at),
                previous_id=previous.id,
                previous_number=previous.number or "",
                previous_closed_at=as_utc(previous.closed_at),
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


def case_positions(case_ids: list[int]) -> dict[int, tuple[float, float]]:
    """``{case id: (lon, lat)}`` (for the GeoJSON export)."""
    positions = {}
    for start in range(0, len(case_ids), 1000):  # bounded IN lists
        chunk = case_ids[start : start + 1000]
        rows = db.session.execute(select(Case.id, Case.lon, Case.lat).where(Case.id.in_(chunk)))
        positions.update({case_id: (lon, lat) for case_id, lon, lat in rows})
    return positions


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
