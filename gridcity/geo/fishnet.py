"""The fishnet generator: cut a boundary into square unit grids.

Cells are squares of ``size_m`` metres in the boundary's UTM zone, aligned on a
common origin so that cells cut from neighbouring communities line up, clipped
to the boundary and returned in WGS-84. A cell that the boundary splits into
several pieces yields one piece per polygon part; pieces under
``MIN_PIECE_M2`` are slivers of clipping noise and are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from gridcity.geo.coords import from_projected, to_projected, utm_epsg_for

MIN_PIECE_M2 = 1.0


@dataclass(frozen=True)
class FishnetFrame:
    """The projected lattice: row 0 is the northernmost, column 0 the westernmost."""

    epsg: int
    size_m: float
    x0: float  # west edge of column 0
    y0: float  # north edge of row 0

    @classmethod
    def around(cls, boundary_wgs84, size_m: float = 100.0) -> FishnetFrame:
        c = boundary_wgs84.centroid
        epsg = utm_epsg_for(c.x, c.y)
        minx, miny, maxx, maxy = to_projected(boundary_wgs84, epsg).bounds
        return cls(epsg, size_m, math.floor(minx / size_m) * size_m, math.ceil(maxy / size_m) * size_m)


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    part: int
    geom: object  # WGS-84 Polygon
    area_m2: float

    @property
    def order_key(self) -> tuple[int, int, int]:
        """North → south, then west → east."""
        return (self.row, self.col, self.part)


def fishnet(boundary_wgs84, size_m: float = 100.0, frame: FishnetFrame | None = None) -> list[Cell]:
    """Cells of the lattice that cover ``boundary_wgs84``, clipped to it."""
    if size_m <= 0:
        raise ValueError("cell size must be positive")
    frame = frame or FishnetFrame.around(boundary_wgs84, size_m)
    size = frame.size_m
    boundary = shapely.make_valid(to_projected(boundary_wgs84, frame.epsg))
    minx, miny, maxx, maxy = boundary.bounds
    col_lo = math.floor((minx - frame.x0) / size)
    col_hi = math.ceil((maxx - frame.x0) / size)
    row_lo = math.floor((frame.y0 - maxy) / size)
    row_hi = math.ceil((frame.y0 - miny) / size)
    rows, cols = np.meshgrid(np.arange(row_lo, row_hi), np.arange(col_lo, col_hi), indexing="ij")
    rows, cols = rows.ravel(), cols.ravel()
    west = frame.x0 + cols * size
    north = frame.y0 - rows * size
    boxes = shapely.box(west, north - size, west + size, north)

    shapely.prepare(boundary)
    touching = shapely.intersects(boundary, boxes)
    rows, cols, boxes = rows[touching], cols[touching], boxes[touching]
    whole = shapely.contains_properly(boundary, boxes)
    clipped = boxes.copy()
    clipped[~whole] = shapely.intersection(boxes[~whole], boundary)

    cells: list[Cell] = []
    wgs = from_projected(clipped, frame.epsg)
    for row, col, projected, geom in zip(rows, cols, clipped, wgs):
        parts = _polygon_parts(projected)
        if len(parts) == 1 and parts[0] is projected:
            if projected.area >= MIN_PIECE_M2:
                cells.append(Cell(int(row), int(col), 0, geom, float(projected.area)))
            continue
        for part_no, part in enumerate(p for p in parts if p.area >= MIN_PIECE_M2):
            cells.append(
                Cell(int(row), int(col), part_no, from_projected(part, frame.epsg), float(part.area))
            )
    cells.sort(key=lambda c: c.order_key)
    return cells


def _polygon_parts(geom) -> list:
    if geom.geom_type == "Polygon":
        return [geom]
    parts = []
    for g in getattr(geom, "geoms", []):
        parts.extend(_polygon_parts(g))
    return parts
