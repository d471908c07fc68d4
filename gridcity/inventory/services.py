"""Component inventory: bulk import from GeoJSON or CSV, located in unit grids."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import joinedload

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.coords import DATUMS, gcj02_to_wgs84
from gridcity.geo.locator import NO_GRID
from gridcity.geo.models import District
from gridcity.geo.services import get_locator
from gridcity.inventory.models import STATES, Component
from gridcity.org.models import Unit
from gridcity.taxonomy.models import Category, CategoryMajor

CSV_COLUMNS = ("category", "lon", "lat")  # required; code, owner, maintainer, state, installed_on optional


def _records_from_csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise GridCityError("bad_csv", line=1, detail=f"missing column(s) {', '.join(missing)}")
    records = []
    for line_no, row in enumerate(reader, start=2):
        try:
            lon, lat = float(row["lon"]), float(row["lat"])
        except (TypeError, ValueError):
            raise GridCityError("bad_csv", line=line_no, detail="lon/lat must be numbers") from None
        records.append({**row, "lon": lon, "lat": lat, "_where": f"CSV line {line_no}"})
    return records


def _records_from_geojson(text: str) -> list[dict]:
    try:
        data = json.loads(text)
        features = data["features"]
    except (ValueError, KeyError, TypeError):
        raise GridCityError("bad_geojson", detail="expected a FeatureCollection of points") from None
    records = []
    for n, f in enumerate(features, start=1):
        geometry = (f or {}).get("geometry") or {}
        coords = geometry.get("coordinates")
        if geometry.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
            raise GridCityError("bad_geojson", detail=f"feature {n}: expected a Point")
        records.append(
            {**(f.get("properties") or {}), "lon": coords[0], "lat": coords[1], "_where": f"feature {n}"}
        )
    return records


def import_components(text: str, fmt: str, datum: str = "wgs84", data_source: str = "import") -> int:
    """Import components (部件). Every record is checked — category, position
    inside the city, units, state, unique code — before anything is written."""
    records = _records_from_csv(text) if fmt == "csv" else _records_from_geojson(text)
    return add_components(records, datum, data_source)


def add_components(records: list[dict], datum: str = "wgs84", data_source: str = "import") -> int:
    """Add components from records with ``category``, ``lon``, ``lat`` and the
    optional ``code``, ``owner``, ``maintainer`` (unit codes), ``state``,
    ``installed_on``; all or nothing."""
    if datum not in DATUMS:
        raise GridCityError("bad_datum", datum=datum)
    if not records:
        raise GridCityError("bad_request", detail="no components in the file")
    categories = {c.code: c for c in db.session.scalars(select(Category).join(CategoryMajor))}
    units = {u.code: u.id for u in db.session.scalars(select(Unit))}
    lons = np.array([float(r["lon"]) for r in records])
    lats = np.array([float(r["lat"]) for r in records])
    if datum == "gcj02":
        lons, lats = gcj02_to_wgs84(lons, lats)
    index, positions = get_locator().locate_many(lons, lats)
    district_codes = dict(db.session.execute(select(District.id, District.code)).all())
    next_seq = _next_sequences()
    rows, codes = [], set()
    for r, lon, lat, pos in zip(records, lons, lats, positions):
        where = r.get("_where", "record")
        category = categories.get(str(r.get("category", "")))
        if category is None or category.major.kind != "component":
            raise GridCityError("unknown_category", code=f"{r.get('category')} ({where})")
        if pos == NO_GRID:
            raise GridCityError(
                "bad_request", detail=f"{where}: position {lon:.6f},{lat:.6f} is outside the city"
            )
        state = r.get("state") or "intact"
        if state not in STATES:
            raise GridCityError("bad_request", detail=f"{where}: state must be one of {', '.join(STATES)}")
        owner, maintainer = r.get("owner") or None, r.get("maintainer") or None
        for unit_code in (owner, maintainer):
            if unit_code and unit_code not in units:
                raise GridCityError("unknown_unit", code=f"{unit_code} ({where})")
        location = index.location_at(int(pos))
        code = r.get("code") or _new_code(district_codes[location.district_id], category, next_seq)
        if code in codes:
            raise GridCityError("duplicate_code", code=code)
        codes.add(code)
        installed = r.get("installed_on") or None
        rows.append(
            dict(
                code=code,
                category_id=category.id,
                unit_grid_id=location.unit_grid_id,
                owner_unit_id=units.get(owner),
                maintainer_unit_id=units.get(maintainer),
                state=state,
                installed_on=dt.date.fromisoformat(installed) if installed else None,
                data_source=data_source,
                geom=_point(lon, lat),
            )
        )
    taken = set(db.session.scalars(select(Component.code).where(Component.code.in_(codes))))
    if taken:
        raise GridCityError("duplicate_code", code=", ".join(sorted(taken)[:5]))
    db.session.execute(insert(Component), rows)
    return len(rows)


def _point(lon: float, lat: float):
    import shapely

    return shapely.Point(float(lon), float(lat))


def _next_sequences() -> dict[str, int]:
    """Highest sequence used so far per code prefix (admin + major + minor)."""
    result: dict[str, int] = {}
    for code in db.session.scalars(select(Component.code)):
        prefix, seq = code[:-6], code[-6:]
        if seq.isdigit():
            result[prefix] = max(result.get(prefix, 0), int(seq))
    return result


def _new_code(district_code: str, category: Category, next_seq: dict[str, int]) -> str:
    """6 admin + 2 major + 2 minor + 6 sequence."""
    prefix = f"{district_code}{category.major.code}{category.minor_code}"
    next_seq[prefix] = next_seq.get(prefix, 0) + 1
    return f"{prefix}{next_seq[prefix]:06d}"


def count_components() -> int:
    return db.session.scalar(select(func.count(Component.id))) or 0


# ---------------------------------------------------------------- near a position

NEAR_RADIUS_MAX_M = 500.0
NEAR_LIMIT_MAX = 50
METRES_PER_DEGREE = 111_320.0


def components_near(
    category: Category, lon: float, lat: float, radius_m: float = 100.0, limit: int = 20
) -> list[tuple[float, Component]]:
    """(metres, component) of a category's components within ``radius_m`` of
    a position, nearest first (ties: code) — what an inspector standing there
    may be reporting on. The in-process grid index finds the unit grids
    around the position, so both databases give the same answer."""
    import shapely

    from gridcity.media.storage import distance_m

    radius_m = min(max(float(radius_m), 1.0), NEAR_RADIUS_MAX_M)
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    index = get_locator().index()
    around = index.tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
    grid_ids = [int(i) for i in index.ids[around]]
    if not grid_ids:
        return []
    rows = db.session.scalars(
        select(Component)
        .options(joinedload(Component.owner_unit))
        .where(Component.category_id == category.id, Component.unit_grid_id.in_(grid_ids))
    ).all()
    scored = ((distance_m(lon, lat, c.geom.x, c.geom.y), c) for c in rows)
    near = sorted(((d, c) for d, c in scored if d <= radius_m), key=lambda dc: (dc[0], dc[1].code))
    return near[: max(1, min(int(limit), NEAR_LIMIT_MAX))]


def component_for_report(
    component_id: int, category: Category, lon: float, lat: float, max_m: float
) -> Component:
    """The component a report names: it must exist, be of the report's
    category and stand within ``max_m`` of where the reporter was."""
    from gridcity.media.storage import distance_m

    component = db.session.get(Component, component_id)
    if component is None:
        raise GridCityError("unknown_component", status=422)
    if component.category_id != category.id:
        raise GridCityError(
            "component_wrong_category",
            status=422,
            code=component.code,
            category_zh=category.name_zh,
            category_en=category.name_en,
        )
    distance = distance_m(lon, lat, component.geom.x, component.geom.y)
    if distance > max_m:
        raise GridCityError(
            "component_too_far", status=422, code=component.code, distance_m=distance, max_m=max_m
        )
    return component


def component_json(component: Component, distance: float | None = None) -> dict:
    """A component as the app and the case detail show it: code, state, owner."""
    owner = component.owner_unit
    answer = {
        "id": component.id,
        "code": component.code,
        "state": component.state,
        "lon": component.geom.x,
        "lat": component.geom.y,
        "owner": None if owner is None else {"id": owner.id, "code": owner.code, "name": owner.name},
    }
    if distance is not None:
        answer["distance_m"] = round(distance, 1)
    return answer
