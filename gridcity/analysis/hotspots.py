"""Hotspots (热点) — space-time clusters of cases of one category.

How they are found (one code path for SQLite and PostGIS):

- **Cases read**: one query reads the period's cases (reported in
  [start, end), not voided, not merged into another) of the scope's place
  and categories: position, report time, category, unit grid, unit, street.
- **Clustering**: per category, DBSCAN (scikit-learn, ball tree) over three
  coordinates in metres: east and north of the cases' mean position (a local
  equirectangular projection: a city is small enough) and the report time
  scaled so that ``eps_days`` days weigh ``eps_m`` metres. Two cases are
  neighbours when that distance is at most ``eps_m``; a hotspot is a DBSCAN
  cluster: at least ``min_cases`` cases joined through neighbours (settings
  ``analysis_*``, overridable per request). Cases are fed in id order, so
  the same inputs give the same clusters.
- **Identity**: a hotspot's id is its category's code and its earliest
  case's number (``E0102-202609010001``): stable for the same inputs, so a
  link (or a proactive task) can name one.
- **What each carries**: its cases (ids and numbers, oldest first), category,
  centre (mean position) and radius (the farthest case from it), first and
  last report, the streets and units involved with their counts, and its
  **trend**: cases per week of the period (weeks from the period's start)
  and the direction — ``rising`` when the period's second half holds more of
  its cases than the first, ``falling`` when fewer, else ``steady``.
- **Ranking**: most cases first; then the shorter time span (denser), then
  the id.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from gridcity.analysis.names import counted, names_of
from gridcity.analysis.scope import Scope
from gridcity.analysis.times import as_utc, naive_utc, utc_seconds
from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.geo.models import Street, UnitGrid
from gridcity.org.models import Unit
from gridcity.taxonomy.models import Category

METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320.0
WEEK_DAYS = 7


@dataclass
class Hotspot:
    id: str
    rank: int
    category_id: int
    category_code: str
    category_name: str
    case_ids: list[int]
    case_numbers: list[str]
    lon: float
    lat: float
    radius_m: float
    first_reported_at: dt.datetime
    last_reported_at: dt.datetime
    weekly: list[int]
    direction: str  # rising | falling | steady
    streets: list[dict] = field(default_factory=list)  # {id, name, cases}
    units: list[dict] = field(default_factory=list)  # {id, name, cases}
    unit_grids: list[str] = field(default_factory=list)  # codes
    positions: list[tuple[float, float]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.case_ids)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "rank": self.rank,
            "category": {"id": self.category_id, "code": self.category_code, "name": self.category_name},
            "cases": [{"id": i, "number": n} for i, n in zip(self.case_ids, self.case_numbers, strict=True)],
            "size": self.size,
            "lon": self.lon,
            "lat": self.lat,
            "radius_m": self.radius_m,
            "first_reported_at": self.first_reported_at.isoformat(),
            "last_reported_at": self.last_reported_at.isoformat(),
            "trend": {"weekly": self.weekly, "direction": self.direction},
            "streets": self.streets,
            "units": self.units,
            "unit_grids": self.unit_grids,
        }


def read_cases(scope: Scope) -> list:
    """The period's cases of the scope, in id order (one query)."""
    return db.session.execute(
        select(
            Case.id,
            Case.number,
            Case.lon,
            Case.lat,
            naive_utc(Case.reported_at),
            Case.category_id,
            Case.unit_grid_id,
            Case.unit_id,
            Case.street_id,
        )
        .where(Case.reported_at >= scope.start, Case.reported_at < scope.end, *scope.case_filters())
        .order_by(Case.id)
    ).all()


def space_time_points(lon: np.ndarray, lat: np.ndarray, days: np.ndarray, scope: Scope) -> np.ndarray:
    """Metres east, metres north and scaled time: one Euclidean space."""
    lat0 = float(lat.mean()) if len(lat) else 0.0
    x = (
        (lon - float(lon.mean() if len(lon) else 0.0))
        * METRES_PER_DEGREE_LON_AT_EQUATOR
        * math.cos(math.radians(lat0))
    )
    y = (lat - lat0) * METRES_PER_DEGREE_LAT
    t = days * (scope.eps_m / scope.eps_days)
    return np.column_stack([x, y, t])


def cluster_labels(points: np.ndarray, scope: Scope) -> np.ndarray:
    """DBSCAN labels (-1: not in a hotspot)."""
    from sklearn.cluster import DBSCAN

    if len(points) < scope.min_cases:
        return np.full(len(points), -1)
    return DBSCAN(eps=scope.eps_m, min_samples=scope.min_cases, algorithm="ball_tree").fit(points).labels_


def find_hotspots(scope: Scope, language: str = "zh", rows: list | None = None) -> list[Hotspot]:
    """The scope's hotspots, ranked (see the module docstring); ``rows``: the
    scope's cases when already read (:func:`read_cases`)."""
    rows = read_cases(scope) if rows is None else rows
    if not rows:
        return []
    by_category: dict[int, list[int]] = {}
    for i, row in enumerate(rows):
        by_category.setdefault(row.category_id, []).append(i)
    lon = np.fromiter((r.lon for r in rows), float, len(rows))
    lat = np.fromiter((r.lat for r in rows), float, len(rows))
    days = (utc_seconds(r.reported_at for r in rows) - scope.start.timestamp()) / 86_400.0
    groups: list[list[int]] = []
    for indexes in by_category.values():
        if len(indexes) < scope.min_cases:
            continue
        idx = np.asarray(indexes)
        labels = cluster_labels(space_time_points(lon[idx], lat[idx], days[idx], scope), scope)
        for label in sorted(set(labels.tolist()) - {-1}):
            groups.append(idx[labels == label].tolist())
    return describe(groups, rows, lon, lat, days, scope, language)


def describe(groups, rows, lon, lat, days, scope: Scope, language: str) -> list[Hotspot]:
    """Each cluster as a :class:`Hotspot`, with the names it shows, ranked."""
    if not groups:
        return []
    members = [i for g in groups for i in g]
    categories = names_of(Category, {rows[i].category_id for i in members}, language)
    streets = names_of(Street, {rows[i].street_id for i in members}, language)
    units = names_of(Unit, {rows[i].unit_id for i in members if rows[i].unit_id}, language)
    grid_codes = dict(
        db.session.execute(
            select(UnitGrid.id, UnitGrid.code).where(UnitGrid.id.in_({rows[i].unit_grid_id for i in members}))
        ).all()
    )
    period_days = (scope.end - scope.start).total_seconds() / 86400.0
    weeks = max(1, math.ceil(period_days / WEEK_DAYS))
    half = period_days / 2
    hotspots = []
    for group in groups:
        group = sorted(group, key=lambda i: (rows[i].reported_at, rows[i].id))
        first = rows[group[0]]
        category = categories[first.category_id]
        clon, clat = float(lon[group].mean()), float(lat[group].mean())
        weekly = [0] * weeks
        for i in group:
            weekly[min(weeks - 1, int(days[i] // WEEK_DAYS))] += 1
        early = sum(1 for i in group if days[i] < half)
        late = len(group) - early
        direction = "rising" if late > early else "falling" if late < early else "steady"
        hotspots.append(
            Hotspot(
                id=f"{category['code']}-{first.number or first.id}",
                rank=0,
                category_id=first.category_id,
                category_code=category["code"],
                category_name=category["name"],
                case_ids=[rows[i].id for i in group],
                case_numbers=[rows[i].number or "" for i in group],
                lon=round(clon, 6),
                lat=round(clat, 6),
                radius_m=round(max(_metres(clon, clat, lon[i], lat[i]) for i in group), 1),
                first_reported_at=as_utc(first.reported_at),
                last_reported_at=as_utc(rows[group[-1]].reported_at),
                weekly=weekly,
                direction=direction,
                streets=counted((rows[i].street_id for i in group), streets),
                units=counted((rows[i].unit_id for i in group if rows[i].unit_id), units),
                unit_grids=sorted({grid_codes.get(rows[i].unit_grid_id, "") for i in group}),
                positions=[(float(lon[i]), float(lat[i])) for i in group],
            )
        )
    hotspots.sort(key=lambda h: (-h.size, h.last_reported_at - h.first_reported_at, h.id))
    for rank, hotspot in enumerate(hotspots, start=1):
        hotspot.rank = rank
    return hotspots


def _metres(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    dx = (lon1 - lon0) * METRES_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat0))
    dy = (lat1 - lat0) * METRES_PER_DEGREE_LAT
    return math.hypot(dx, dy)
