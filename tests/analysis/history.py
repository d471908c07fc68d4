"""A generated year of cases with planted hotspots and recurrences, written
in bulk (one insert, no history events: the analysis reads case rows).

Background noise: cases at random places, categories and times over the
year, each closed a day or three after its report. Planted on top, at known
places, categories and periods (:data:`PLANTED_HOTSPOTS`,
:data:`PLANTED_RECURRENCES`): tight bursts of one category, and cases whose
category comes back to the same unit grid some days after a close — and
near misses that must not count (another category, another grid, too late).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select

from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.org.models import Unit
from gridcity.taxonomy.models import Category
from tests.conftest import case_row, unit_grid_places

YEAR = 2025
# 2025-01-01 00:00 in Shenzhen (UTC+8), as UTC.
YEAR_START = dt.datetime(YEAR - 1, 12, 31, 16, tzinfo=dt.UTC)
NOISE = 3000


@dataclass(frozen=True)
class PlantedHotspot:
    name: str
    category: str  # code
    grid: int  # index into the city's unit grids, in id order
    day: int  # day of the year of its first case (0 = 1 January)
    cases: int
    days: float  # over how many days
    radius_m: float


@dataclass(frozen=True)
class PlantedRecurrence:
    name: str
    category: str
    grid: int
    closed_day: int  # the first case is closed on this day…
    back_after_days: float  # …and the category comes back this long after
    other_category: str | None = None  # a near miss: the second case is of another category
    other_grid: int | None = None  # a near miss: the second case is in another unit grid

    @property
    def counts(self) -> bool:
        return self.other_category is None and self.other_grid is None and self.back_after_days <= 30


PLANTED_HOTSPOTS = (
    PlantedHotspot("小广告 一月 西片", "E0201", 3, 10, 9, 5, 35),
    PlantedHotspot("暴露垃圾 三月 东片", "E0102", 40, 70, 12, 6, 45),
    PlantedHotspot("占道经营 五月", "E0401", 20, 130, 8, 4, 30),
    PlantedHotspot("井盖缺失 七月", "C0101", 55, 190, 7, 3, 25),
    PlantedHotspot("暴露垃圾 九月 同处再现", "E0102", 40, 250, 10, 6, 40),
    PlantedHotspot("小广告 十一月", "E0201", 70, 310, 11, 5, 40),
)

PLANTED_RECURRENCES = (
    PlantedRecurrence("井盖 二月 复发", "C0101", 10, 40, 6.0),
    PlantedRecurrence("垃圾 四月 复发", "E0102", 25, 100, 12.5),
    PlantedRecurrence("小广告 六月 复发", "E0201", 33, 160, 28.0),
    PlantedRecurrence("占道 八月 复发", "E0401", 47, 220, 1.5),
    PlantedRecurrence("井盖 十月 复发", "C0101", 62, 280, 20.0),
    PlantedRecurrence("垃圾 十二月 复发", "E0102", 15, 335, 9.0),
    PlantedRecurrence("近似：换了类别", "C0101", 18, 120, 5.0, other_category="E0102"),
    PlantedRecurrence("近似：换了网格", "E0201", 28, 200, 5.0, other_grid=60),
    PlantedRecurrence("近似：隔太久", "E0401", 52, 260, 45.0),
)


def city_places() -> tuple[list, dict[str, int], list[int]]:
    """The unit grids (in id order) with their place keys, the
    categories by code, and the units."""
    grids = unit_grid_places()
    categories = dict(db.session.execute(select(Category.code, Category.id)).all())
    units = db.session.scalars(select(Unit.id).order_by(Unit.id)).all()
    return grids, categories, list(units)


class Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.grids, self.categories, self.units = city_places()
        self.rows: list[dict] = []

    def grid(self, index: int):
        return self.grids[index % len(self.grids)]

    def centre(self, index: int) -> tuple[float, float]:
        point = self.grid(index).geom.representative_point()
        return point.x, point.y

    def case(
        self, grid, lon: float, lat: float, category: str, reported: dt.datetime, closed_after_days: float
    ):
        n = len(self.rows)
        closed = reported + dt.timedelta(days=closed_after_days)
        self.rows.append(
            case_row(
                grid,
                lon,
                lat,
                number=f"A{YEAR}{n:06d}",
                client_uuid=str(uuid.UUID(int=self.rng.getrandbits(128))),
                source="inspector",
                category_id=self.categories[category],
                state="closed",
                unit_id=self.units[n % len(self.units)] if self.units else None,
                reported_at=reported,
                closed_at=closed,
            )
        )
        return n

    def noise(self, count: int) -> None:
        codes = sorted(self.categories)
        for _ in range(count):
            grid = self.rng.choice(self.grids)
            minx, miny, maxx, maxy = grid.geom.bounds
            point = grid.geom.representative_point()
            lon = point.x + self.rng.uniform(-0.3, 0.3) * (maxx - minx)
            lat = point.y + self.rng.uniform(-0.3, 0.3) * (maxy - miny)
            reported = YEAR_START + dt.timedelta(days=self.rng.uniform(0, 365))
            self.case(grid, lon, lat, self.rng.choice(codes), reported, self.rng.uniform(1, 3))

    def hotspot(self, planted: PlantedHotspot) -> list[int]:
        lon0, lat0 = self.centre(planted.grid)
        grid = self.grid(planted.grid)
        out = []
        for k in range(planted.cases):
            angle, r = self.rng.uniform(0, 2 * math.pi), planted.radius_m * math.sqrt(self.rng.random())
            lon = lon0 + r * math.cos(angle) / (111_320 * math.cos(math.radians(lat0)))
            lat = lat0 + r * math.sin(angle) / 110_574
            reported = YEAR_START + dt.timedelta(
                days=planted.day + planted.days * k / max(1, planted.cases - 1)
            )
            out.append(self.case(grid, lon, lat, planted.category, reported, 0.5))
        return out

    def recurrence(self, planted: PlantedRecurrence) -> tuple[int, int]:
        lon, lat = self.centre(planted.grid)
        closed = YEAR_START + dt.timedelta(days=planted.closed_day, hours=10)
        first = self.case(
            self.grid(planted.grid), lon, lat, planted.category, closed - dt.timedelta(days=1), 1
        )
        grid_index = planted.grid if planted.other_grid is None else planted.other_grid
        lon2, lat2 = self.centre(grid_index)
        again = closed + dt.timedelta(days=planted.back_after_days)
        category = planted.other_category or planted.category
        # Still open: the case that shows the fix did not hold.
        second = self.case(self.grid(grid_index), lon2, lat2, category, again, 400)
        self.rows[second]["closed_at"] = None
        self.rows[second]["state"] = "dispatched"
        return first, second


def write_year(seed: int = 20) -> dict:
    """Noise plus the planted cases; returns their case ids by planted name."""
    writer = Writer(seed)
    writer.noise(NOISE)
    hotspots = {p.name: writer.hotspot(p) for p in PLANTED_HOTSPOTS}
    recurrences = {p.name: writer.recurrence(p) for p in PLANTED_RECURRENCES}
    db.session.execute(insert(Case.__table__), writer.rows)
    db.session.commit()
    numbers = [r["number"] for r in writer.rows]
    ids = dict(db.session.execute(select(Case.number, Case.id).where(Case.number.like(f"A{YEAR}%"))).all())
    by_index = [ids[n] for n in numbers]
    return {
        "hotspots": {name: [by_index[i] for i in idx] for name, idx in hotspots.items()},
        "recurrences": {name: (by_index[a], by_index[b]) for name, (a, b) in recurrences.items()},
        "grid_ids": [g.id for g in writer.grids],
    }
