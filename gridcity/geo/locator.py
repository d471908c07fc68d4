"""Point → unit grid, from an in-process STRtree over every unit grid.

A point on a shared edge or vertex touches several grids; the grid with the
lowest code wins, everywhere (the index is ordered by code, so the lowest tree
position is the lowest code). PostGIS gives the same answer with
``ST_Covers(geom, point) ORDER BY code LIMIT 1`` — ``ST_Contains`` alone would
drop points that lie exactly on a boundary.

Each process keeps its own index. It is rebuilt when the ``geo_revision``
counter in the database moves (checked at most every
``locator_refresh_seconds``) and at once after this process commits a change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod
from shapely.ops import nearest_points

from gridcity.core.errors import GridCityError

_GEOD = Geod(ellps="WGS84")
NO_GRID = -1


@dataclass(frozen=True)
class Location:
    unit_grid_id: int
    unit_grid_code: str
    community_id: int
    street_id: int
    district_id: int
    work_grid_id: int | None
    area_id: int | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class OutsideCity(GridCityError):
    status = 422

    def __init__(self, lon: float, lat: float, nearest_code: str, distance_m: float) -> None:
        super().__init__("outside_city", lon=lon, lat=lat, nearest_code=nearest_code, distance_m=distance_m)


@dataclass
class GridRows:
    """What the index is built from: parallel arrays, one entry per unit grid."""

    ids: np.ndarray
    codes: list[str]
    geoms: np.ndarray
    community_ids: np.ndarray
    street_ids: np.ndarray
    district_ids: np.ndarray
    work_grid_ids: np.ndarray  # -1 where none
    area_ids: np.ndarray  # -1 where none


class GridIndex:
    """An immutable snapshot of the unit grids, ordered by code."""

    def __init__(self, rows: GridRows, revision: int = 0) -> None:
        order = np.argsort(np.asarray(rows.codes, dtype=object), kind="stable")
        self.revision = revision
        self.ids = rows.ids[order]
        self.codes = [rows.codes[i] for i in order]
        self.geoms = rows.geoms[order]
        self.community_ids = rows.community_ids[order]
        self.street_ids = rows.street_ids[order]
        self.district_ids = rows.district_ids[order]
        self.work_grid_ids = rows.work_grid_ids[order]
        self.area_ids = rows.area_ids[order]
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)
        # Plain lists: reading them is several times cheaper than NumPy scalars
        # on the single-point path.
        self._rows = list(
            zip(
                self.ids.tolist(),
                self.codes,
                self.community_ids.tolist(),
                self.street_ids.tolist(),
                self.district_ids.tolist(),
                self.work_grid_ids.tolist(),
                self.area_ids.tolist(),
            )
        )

    def __len__(self) -> int:
        return len(self.ids)

    def position_of(self, lon: float, lat: float) -> int:
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if hits.size == 1:  # the usual case: not on a shared edge
            return int(hits[0])
        return int(hits.min()) if hits.size else NO_GRID

    def positions_of(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Tree positions for many points at once (``NO_GRID`` outside)."""
        lons = np.asarray(lons, dtype=float)
        lats = np.asarray(lats, dtype=float)
        # Visit the points in ~1 km blocks: neighbours in memory are neighbours
        # in the tree, which halves the time for large random batches.
        block = np.floor(lats / 0.01) * 100_000 + np.floor(lons / 0.01)
        order = np.argsort(np.nan_to_num(block), kind="stable")
        lons, lats = lons[order], lats[order]
        points = shapely.points(lons, lats)
        # A bounding-box query and an exact test on the prepared polygons is
        # several times faster than a predicate query with points as input.
        point_idx, tree_idx = self.tree.query(points)
        inside = shapely.intersects_xy(self.geoms[tree_idx], lons[point_idx], lats[point_idx])
        point_idx, tree_idx = point_idx[inside], tree_idx[inside]
        result = np.full(len(lons), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(result, point_idx, tree_idx)
        result[result == np.iinfo(np.int64).max] = NO_GRID
        in_input_order = np.empty_like(result)
        in_input_order[order] = result
        return in_input_order

    def location_at(self, position: int) -> Location:
        grid_id, code, community, street, district, wg, area = self._rows[position]
        return Location(
            grid_id, code, community, street, district, None if wg < 0 else wg, None if area < 0 else area
        )

    def nearest(self, lon: float, lat: float) -> tuple[int, float]:
        """The nearest grid's position and its distance in metres."""
        point = shapely.Point(lon, lat)
        candidates = self.tree.query_nearest(point)
        position = int(candidates.min())
        on_grid, _ = nearest_points(self.geoms[position], point)
        _, _, distance = _GEOD.inv(lon, lat, on_grid.x, on_grid.y)
        return position, float(distance)


class Locator:
    """The process's view of the grids: a :class:`GridIndex` kept in step with
    the database."""

    def __init__(
        self,
        load_rows: Callable[[], GridRows],
        read_revision: Callable[[], int],
        refresh_seconds: float = 2.0,
    ) -> None:
        self._load_rows = load_rows
        self._read_revision = read_revision
        self._refresh_seconds = refresh_seconds
        self._index: GridIndex | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        self._checked_at = 0.0
        self._index = None

    def index(self) -> GridIndex:
        index = self._index
        now = time.monotonic()
        if index is not None and now - self._checked_at < self._refresh_seconds:
            return index
        # While one thread refreshes, the others go on with the index they
        # have: nobody queues behind a database read on the hot path.
        if not self._lock.acquire(blocking=index is None):
            return index
        try:
            index = self._index
            revision = self._read_revision()
            if index is None or index.revision != revision:
                index = GridIndex(self._load_rows(), revision)
                self._index = index
            self._checked_at = time.monotonic()
            return index
        finally:
            self._lock.release()

    def locate(self, lon: float, lat: float) -> Location:
        """The unit grid (and its community, street, work grid, area) at a point."""
        check_position(lon, lat)
        index = self.index()
        position = index.position_of(lon, lat)
        if position == NO_GRID:
            if len(index) == 0:
                raise GridCityError("no_grids", status=422)
            nearest, distance = index.nearest(lon, lat)
            raise OutsideCity(lon, lat, index.codes[nearest], distance)
        return index.location_at(position)

    def locate_many(self, lons, lats) -> tuple[GridIndex, np.ndarray]:
        """Tree positions for many points (``NO_GRID`` outside) with the index
        they refer to."""
        index = self.index()
        return index, index.positions_of(lons, lats)


def check_position(lon: float, lat: float) -> None:
    if not (
        isinstance(lon, (int, float))
        and isinstance(lat, (int, float))
        and -180 <= lon <= 180
        and -90 <= lat <= 90
    ):
        raise GridCityError("bad_position", status=422, lon=str(lon), lat=str(lat))
