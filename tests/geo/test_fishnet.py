"""The fishnet generator and the demo city's unit grids."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import shapely
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.coords import to_projected, utm_epsg_for
from gridcity.geo.fishnet import FishnetFrame, fishnet
from gridcity.geo.models import Community, Street, UnitGrid, WorkGrid
from tests.conftest import MINI_DISTRICT


def test_fishnet_cells_tile_the_boundary_without_overlap():
    cells = fishnet(MINI_DISTRICT, 100)
    union = shapely.union_all([c.geom for c in cells])
    # Millimetre slivers only: clipping happens in UTM, where straight edges
    # are not exactly straight in degrees.
    assert union.symmetric_difference(MINI_DISTRICT).area < 1e-4 * MINI_DISTRICT.area
    assert sum(c.geom.area for c in cells) == pytest.approx(union.area, rel=1e-9)
    total = sum(c.area_m2 for c in cells)
    epsg = utm_epsg_for(114.24, 22.57)
    assert abs(total - to_projected(MINI_DISTRICT, epsg).area) < 1.0
    whole = [c for c in cells if abs(c.area_m2 - 10_000) < 1e-3]
    clipped = [c for c in cells if c.area_m2 < 9_999]
    assert whole and clipped
    assert all(c.area_m2 <= 10_000 + 1e-3 for c in cells)


def test_fishnet_cell_size_is_in_metres():
    cells = fishnet(MINI_DISTRICT, 50)
    assert max(c.area_m2 for c in cells) == pytest.approx(2_500, abs=1e-3)
    assert len(cells) > 3 * len(fishnet(MINI_DISTRICT, 100))


def test_demo_city_grids_are_well_coded_and_nest_exactly_once(app):
    """Yantian at 100 m: 8,000–9,500 unit grids, unique 15-digit codes; each lies
    in exactly one street, community and work grid."""
    from gridcity.demo.city import build_demo_city

    build_demo_city(seed=5)
    grids = db.session.scalars(select(UnitGrid)).all()
    assert 8_000 <= len(grids) <= 9_500
    codes = [g.code for g in grids]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"440308\d{9}", c) for c in codes)
    communities = {c.id: c for c in db.session.scalars(select(Community))}
    streets = {s.id: s for s in db.session.scalars(select(Street))}
    work_grids = {w.id: w for w in db.session.scalars(select(WorkGrid))}
    for kind, regions, owner_of in (
        ("community", communities, lambda g: g.community_id),
        ("street", streets, lambda g: communities[g.community_id].street_id),
        ("work grid", work_grids, lambda g: g.work_grid_id),
    ):
        ids = list(regions)
        tree = shapely.STRtree([regions[i].geom for i in ids])
        for grid in grids:
            inner = grid.geom.buffer(-1e-7)  # ~1 cm inside, off the shared edges
            holders = [ids[p] for p in tree.query(inner, predicate="intersects")]
            assert holders == [owner_of(grid)], f"{grid.code} lies in {kind}s {holders}"
            assert code_belongs(grid, communities)


def code_belongs(grid, communities) -> bool:
    return grid.code[:12] == communities[grid.community_id].full_code


def test_codes_run_north_to_south_then_west_to_east_in_each_community(app):
    from gridcity.demo.city import build_demo_city
    from gridcity.geo.models import District

    build_demo_city(seed=5)
    frame = FishnetFrame.around(db.session.scalar(select(District)).geom, 100)
    by_community = defaultdict(list)
    for grid in db.session.scalars(select(UnitGrid).order_by(UnitGrid.code)):
        by_community[grid.community_id].append(grid)
    for grids in by_community.values():
        assert [int(g.code[-3:]) for g in grids] == list(range(1, len(grids) + 1))
        cells = []
        for g in grids:
            # The lattice row and column the grid was cut from.
            x, y = to_projected(g.geom.representative_point(), frame.epsg).coords[0]
            cells.append((int((frame.y0 - y) // 100), int((x - frame.x0) // 100)))
        assert cells == sorted(cells)
