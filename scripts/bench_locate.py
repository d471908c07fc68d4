"""City-scale benchmark of the locator: all of Shenzhen in 100 m unit grids.

Run by hand (not in CI) against a scratch PostGIS database::

    .venv/bin/python scripts/bench_locate.py \
        [--postgres-url postgresql://postgres@127.0.0.1/gc_bench] \
        [--points 1000000] [--single 100000] [--postgis 2000]

The database named in the URL is DROPPED and recreated. Only the district
outlines are real; streets (one per district) and communities (at most 999
cells each) are synthetic groupings of the fishnet, as in the demo city.

Measured:
1. fishnet generation + import into PostGIS (districts, streets, communities,
   COPY of the unit grids, commit);
2. (a) ``GridIndex(load_grid_rows())`` vs a bare ``shapely.STRtree`` build,
   (b) single-point ``Locator.locate`` vs a bare predicate query per point,
   (c) ``Locator.locate_many`` vs a bare bulk predicate query,
   (d) PostGIS ``locate_in_database`` per point, checked against the locator.

Human-readable lines first; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gridcity import create_app
from gridcity.core.migrate import upgrade
from gridcity.core.settings import REPO_ROOT, normalize_database_url
from gridcity.extensions import db
from gridcity.geo import services as geo
from gridcity.geo.fishnet import FishnetFrame, fishnet
from gridcity.geo.locator import NO_GRID, GridIndex
from gridcity.geo.models import Community, Street
from gridcity.geo.synthetic import bisect

BOUNDARIES = REPO_ROOT / "gis_data" / "shenzhen_districts.geojson"
CELL_M = 100.0
MAX_COMMUNITY_CELLS = 999  # 3-digit sequence in the 6-3-3-3 code layout
SEED = 20260101


def say(line: str) -> None:
    print(line, flush=True)


# ---------------------------------------------------------------- database


def recreate_database(url: str) -> None:
    """Drop and create the URL's database, with PostGIS."""
    target = make_url(normalize_database_url(url))
    name = target.database
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()


# ---------------------------------------------------------------- 1. import


def community_groups(cells: list) -> list[list]:
    """Compact groups of at most ``MAX_COMMUNITY_CELLS`` cells (bisection rounds,
    so a group can come out a cell or two over n/parts)."""
    parts = max(1, math.ceil(len(cells) / MAX_COMMUNITY_CELLS))
    while True:
        groups = bisect(cells, parts)
        if max(len(g) for g in groups) <= MAX_COMMUNITY_CELLS:
            return groups
        parts += 1


def import_city(boundaries: str) -> dict:
    """Districts, one street each, communities and coded unit grids; commits."""
    timings = {"fishnet": 0.0, "communities": 0.0, "copy": 0.0}
    start = time.perf_counter()
    districts = geo.import_districts(boundaries, "gcj02")
    timings["districts"] = time.perf_counter() - start
    # One lattice for the whole city, so cells on district borders line up.
    city_box = shapely.box(*shapely.total_bounds([d.geom for d in districts]))
    frame = FishnetFrame.around(city_box, CELL_M)
    grids = communities = 0
    for district in districts:
        t = time.perf_counter()
        cells = fishnet(district.geom, CELL_M, frame)
        timings["fishnet"] += time.perf_counter() - t

        t = time.perf_counter()
        street = Street(district=district, code="001", name=f"{district.name}第1街道", geom=district.geom)
        db.session.add(street)
        groups = community_groups(cells)
        members = []
        for n, group in enumerate(groups, start=1):
            community = Community(
                street=street,
                code=f"{n:03d}",
                name=f"{district.name[:-1]}第{n}社区",
                geom=geo.as_multipolygon(shapely.union_all([c.geom for c in group])),
            )
            db.session.add(community)
            members.append((community, group))
        db.session.flush()
        timings["communities"] += time.perf_counter() - t
        communities += len(groups)

        t = time.perf_counter()
        rows = [
            dict(
                code=code, community_id=community.id, work_grid_id=None, geom=cell.geom, area_m2=cell.area_m2
            )
            for community, group in members
            for code, cell in geo.code_cells(community.full_code, group)
        ]
        geo.insert_unit_grids(rows)
        timings["copy"] += time.perf_counter() - t
        grids += len(rows)
    t = time.perf_counter()
    db.session.commit()
    timings["commit"] = time.perf_counter() - t
    return {"grids": grids, "districts": len(districts), "communities": communities, "timings": timings}


# ---------------------------------------------------------------- points


def random_points(geoms: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points, each inside a grid picked at random (uniform in the grid's
    bounding box, rejected until inside)."""
    bounds = shapely.bounds(geoms)
    lons, lats = np.empty(0), np.empty(0)
    while len(lons) < n:
        want = int((n - len(lons)) * 1.15) + 16
        pick = rng.integers(0, len(geoms), want)
        b = bounds[pick]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(geoms[pick], x, y)
        lons = np.concatenate([lons, x[inside]])
        lats = np.concatenate([lats, y[inside]])
    return lons[:n], lats[:n]


def lowest_hits(pairs: np.ndarray, n: int) -> np.ndarray:
    """Lowest tree position per input point from a bulk query's (2, k) answer."""
    result = np.full(n, NO_GRID, dtype=np.int64)
    order = np.lexsort((pairs[1], pairs[0]))
    first = np.unique(pairs[0][order], return_index=True)[1]
    result[pairs[0][order][first]] = pairs[1][order][first]
    return result


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


# ---------------------------------------------------------------- 2. locate


def bench_index(out: dict) -> tuple[GridIndex, np.ndarray, shapely.STRtree]:
    """(a) the index as the app builds it, and a bare tree over unprepared copies
    of the same polygons in the same (code) order, so tree positions match."""
    t = time.perf_counter()
    rows = geo.load_grid_rows()
    load_seconds = time.perf_counter() - t
    t = time.perf_counter()
    index = GridIndex(rows)
    build_seconds = time.perf_counter() - t
    out["index_load_seconds"] = load_seconds
    out["index_build_seconds"] = load_seconds + build_seconds
    bare_geoms = shapely.from_wkb(shapely.to_wkb(index.geoms))
    t = time.perf_counter()
    tree = shapely.STRtree(bare_geoms)
    out["bare_index_build_seconds"] = time.perf_counter() - t
    say(
        f"index: GridIndex(load_grid_rows()) {out['index_build_seconds']:.2f} s "
        f"(load {load_seconds:.2f} s + build {build_seconds:.2f} s); "
        f"bare STRtree {out['bare_index_build_seconds']:.2f} s"
    )
    return index, bare_geoms, tree


def bench_single(out: dict, locator, tree, lons: np.ndarray, lats: np.ndarray) -> None:
    """(b) one call per point, after a warm-up that builds the locator's index."""
    lon_list, lat_list = lons.tolist(), lats.tolist()
    for lon, lat in zip(lon_list[:1000], lat_list[:1000], strict=True):
        locator.locate(lon, lat)
    locate = locator.locate
    t = time.perf_counter()
    found = [locate(lon, lat).unit_grid_id for lon, lat in zip(lon_list, lat_list, strict=True)]
    seconds = time.perf_counter() - t
    query, point = tree.query, shapely.Point
    t = time.perf_counter()
    hits = [
        query(point(lon, lat), predicate="intersects") for lon, lat in zip(lon_list, lat_list, strict=True)
    ]
    bare_seconds = time.perf_counter() - t
    ids = locator.index().ids
    same = sum(h.size > 0 and int(ids[h.min()]) == g for h, g in zip(hits, found, strict=True))
    n = len(lon_list)
    out["single_locate_per_s"] = rate(n, seconds)
    out["single_bare_per_s"] = rate(n, bare_seconds)
    out["single_ratio"] = out["single_locate_per_s"] / out["single_bare_per_s"]
    say(
        f"single: locate {out['single_locate_per_s']:,.0f}/s ({1e6 * seconds / n:.1f} µs), "
        f"bare {out['single_bare_per_s']:,.0f}/s ({1e6 * bare_seconds / n:.1f} µs), "
        f"ratio {out['single_ratio']:.2f} (target >= 0.5); same grid {same:,}/{n:,}"
    )


def bench_bulk(out: dict, locator, tree, lons: np.ndarray, lats: np.ndarray) -> None:
    """(c) all points in one call."""
    locator.locate_many(lons[:1000], lats[:1000])
    t = time.perf_counter()
    index, positions = locator.locate_many(lons, lats)
    seconds = time.perf_counter() - t
    t = time.perf_counter()
    pairs = tree.query(shapely.points(lons, lats), predicate="intersects")
    bare_seconds = time.perf_counter() - t
    bare_positions = lowest_hits(pairs, len(lons))
    same = int(np.count_nonzero(bare_positions == positions))
    n = len(lons)
    out["bulk_locate_per_s"] = rate(n, seconds)
    out["bulk_bare_per_s"] = rate(n, bare_seconds)
    out["bulk_ratio"] = out["bulk_locate_per_s"] / out["bulk_bare_per_s"]
    say(
        f"bulk: locate_many {out['bulk_locate_per_s']:,.0f}/s ({seconds:.2f} s for {n:,}), "
        f"bare {out['bulk_bare_per_s']:,.0f}/s ({bare_seconds:.2f} s), "
        f"ratio {out['bulk_ratio']:.2f} (target >= 0.5); same grid {same:,}/{n:,}"
    )


def bench_postgis(out: dict, locator, lons: np.ndarray, lats: np.ndarray, check: int, rng) -> None:
    """(d) one ST_Covers query per point; a sample checked against the locator."""
    lon_list, lat_list = lons.tolist(), lats.tolist()
    for lon, lat in zip(lon_list[:50], lat_list[:50], strict=True):
        geo.locate_in_database(lon, lat)
    t = time.perf_counter()
    in_db = [geo.locate_in_database(lon, lat) for lon, lat in zip(lon_list, lat_list, strict=True)]
    seconds = time.perf_counter() - t
    db.session.rollback()
    sample = rng.choice(len(lon_list), size=min(check, len(lon_list)), replace=False)
    agree = sum(in_db[i] == locator.locate(lon_list[i], lat_list[i]).unit_grid_id for i in sample)
    n = len(lon_list)
    out["postgis_single_per_s"] = rate(n, seconds)
    out["postgis_agreement"] = f"{agree}/{len(sample)}"
    say(
        f"postgis: locate_in_database {out['postgis_single_per_s']:,.0f}/s "
        f"({1e3 * seconds / n:.2f} ms each over {n:,}); agrees with the locator on {agree}/{len(sample)}"
    )


# ---------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict:
    url = args.postgres_url
    out: dict = {}
    rng = np.random.default_rng(SEED)

    t = time.perf_counter()
    recreate_database(url)
    upgrade(url)
    say(f"schema: fresh database {make_url(url).database} migrated in {time.perf_counter() - t:.1f} s")

    with tempfile.TemporaryDirectory(prefix="gc_bench_") as instance_dir:
        app = create_app({"database_url": url, "instance_dir": Path(instance_dir)})
        with app.app_context():
            boundaries = BOUNDARIES.read_text(encoding="utf-8")
            t = time.perf_counter()
            city = import_city(boundaries)
            out["import_seconds"] = time.perf_counter() - t
            out["grids"] = city["grids"]
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in city["timings"].items())
            say(
                f"import: {city['grids']:,} unit grids in {city['districts']} districts, "
                f"{city['communities']} communities: {out['import_seconds']:.1f} s (target < 60 s) [{parts}]"
            )

            index, bare_geoms, tree = bench_index(out)
            locator = geo.get_locator()
            bench_single(out, locator, tree, *random_points(bare_geoms, args.single, rng))
            bench_bulk(out, locator, tree, *random_points(bare_geoms, args.points, rng))
            bench_postgis(out, locator, *random_points(bare_geoms, args.postgis, rng), args.check, rng)
            db.session.remove()
            db.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres-url",
        default="postgresql://postgres@127.0.0.1/gc_bench",
        help="scratch database; it is dropped and recreated",
    )
    parser.add_argument("--points", type=int, default=1_000_000, help="points for the bulk test")
    parser.add_argument("--single", type=int, default=100_000, help="points for the single-call test")
    parser.add_argument("--postgis", type=int, default=2000, help="points for the PostGIS test")
    parser.add_argument("--check", type=int, default=500, help="PostGIS answers checked against the locator")
    args = parser.parse_args(argv)
    if "bench" not in (make_url(args.postgres_url).database or ""):
        parser.error("refusing to drop a database whose name lacks 'bench'")

    out = run(args)
    keys = [
        "grids",
        "import_seconds",
        "index_build_seconds",
        "index_load_seconds",
        "bare_index_build_seconds",
        "single_locate_per_s",
        "single_bare_per_s",
        "single_ratio",
        "bulk_locate_per_s",
        "bulk_bare_per_s",
        "bulk_ratio",
        "postgis_single_per_s",
        "postgis_agreement",
    ]
    print(json.dumps({k: round(out[k], 3) if isinstance(out[k], float) else out[k] for k in keys}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
