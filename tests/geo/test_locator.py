"""Locating points: in-process STRtree, agreement with PostGIS, tie-breaks,
points outside the city, and staying in step with the database."""

from __future__ import annotations

import random

import numpy as np
import pytest
import shapely
from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo import services as geo
from gridcity.geo.locator import NO_GRID, OutsideCity
from gridcity.geo.models import UnitGrid
from tests.conftest import requires_postgis


def _grids():
    return db.session.execute(select(UnitGrid.id, UnitGrid.code, UnitGrid.geom).order_by(UnitGrid.code)).all()


def test_locate_finds_grid_community_street_work_grid_and_area(create_mini_city):
    city = create_mini_city()
    grid = db.session.scalar(select(UnitGrid).order_by(UnitGrid.code).limit(1))
    point = grid.geom.representative_point()
    location = geo.locate(point.x, point.y)
    assert location.unit_grid_code == grid.code
    assert location.community_id == grid.community_id
    assert location.street_id == city["streets"][0].id
    assert location.district_id == city["district"].id
    assert location.work_grid_id == city["work_grids"][0].id
    assert location.area_id == city["work_grids"][0].area_id


def test_shared_edges_and_vertices_go_to_the_lowest_code(create_mini_city):
    create_mini_city()
    grids = _grids()
    touching = 0
    for _, _, geom in grids:
        for x, y in geom.exterior.coords:
            owners = sorted(c for _, c, g in grids if g.covers(shapely.Point(x, y)))
            assert geo.locate(x, y).unit_grid_code == owners[0]
            touching += len(owners) > 1
    assert touching > 50  # the vertices really were shared


def test_outside_point_names_the_nearest_grid_and_distance(create_mini_city, client, login):
    create_mini_city()
    # 0.01° east of the district's east edge at 22.578 is ~1,030 m away.
    with pytest.raises(OutsideCity) as caught:
        geo.locate(114.2620, 22.5780)
    error = caught.value
    assert error.params["nearest_code"].startswith("440308002001")
    assert 1000 < error.params["distance_m"] < 1060
    login("insp")
    response = client.get("/api/v1/geo/locate?lon=114.262&lat=22.578")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "outside_city"
    assert body["details"]["nearest_code"] == error.params["nearest_code"]
    assert "最近的单元网格" in body["message"]
    english = client.get("/api/v1/geo/locate?lon=114.262&lat=22.578", headers={"Accept-Language": "en"})
    assert "nearest unit grid" in english.get_json()["message"]


@pytest.mark.parametrize("lon,lat", [(200, 22.5), (114.2, -95), (float("nan"), 22.5)])
def test_impossible_positions_are_refused(create_mini_city, lon, lat):
    create_mini_city()
    with pytest.raises(Exception) as caught:
        geo.locate(lon, lat)
    assert caught.value.key == "bad_position"


def test_bulk_locate_equals_single_locate(create_mini_city):
    create_mini_city()
    rng = np.random.default_rng(7)
    # Each single look-up is a query on PostGIS: 1,000 points keep it to seconds.
    lons = rng.uniform(114.2390, 114.2530, 1000)
    lats = rng.uniform(22.5710, 22.5810, 1000)
    index, positions = geo.get_locator().locate_many(lons, lats)
    for lon, lat, position in zip(lons, lats, positions):
        if position == NO_GRID:
            with pytest.raises(OutsideCity):
                geo.locate(lon, lat)
        else:
            assert geo.locate(lon, lat).unit_grid_code == index.codes[position]
    assert (positions == NO_GRID).sum() > 30 and (positions != NO_GRID).sum() > 300


def _edge_and_vertex_points(grids, rng: random.Random, count: int) -> list[tuple[float, float]]:
    points = []
    while len(points) < count:
        _, _, geom = rng.choice(grids)
        coords = list(geom.exterior.coords)
        i = rng.randrange(len(coords) - 1)
        (x1, y1), (x2, y2) = coords[i], coords[i + 1]
        if rng.random() < 0.5:
            points.append((x1, y1))  # a vertex
        else:
            t = rng.random()
            points.append((x1 + t * (x2 - x1), y1 + t * (y2 - y1)))  # on an edge
    return points


@requires_postgis
def test_locator_agrees_with_postgis_on_random_edge_and_vertex_points(postgis_app):
    """≥ 5,000 points over the Yantian demo grid: random ones over the city and
    beyond it, plus points on grid edges and vertices. PostGIS (ST_Covers,
    lowest code) must give the same grid for every one."""
    from gridcity.demo.city import build_demo_city

    build_demo_city(seed=3)
    grids = _grids()
    rng = random.Random(11)
    minx, miny, maxx, maxy = shapely.union_all([g for _, _, g in grids[::50]]).bounds
    points = [
        (rng.uniform(minx - 0.01, maxx + 0.01), rng.uniform(miny - 0.01, maxy + 0.01)) for _ in range(3000)
    ]
    points += _edge_and_vertex_points(grids, rng, 2500)
    ids_by_code = {code: gid for gid, code, _ in grids}
    index, positions = geo.get_locator().locate_many([p[0] for p in points], [p[1] for p in points])
    agree = inside = 0
    for (lon, lat), position in zip(points, positions):
        expected = geo.locate_in_database(lon, lat)
        got = None if position == NO_GRID else ids_by_code[index.codes[position]]
        agree += expected == got
        inside += got is not None
    assert agree == len(points)
    assert inside > 3000 and len(points) - inside > 500  # both kinds well represented
