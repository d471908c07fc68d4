"""导出地理图层 — each layer as a GeoJSON FeatureCollection in a chosen datum,
with the properties its import reads, so an exported file imports again as
it is (the admin console's download, ``GET /api/v1/geo/layers/{layer}/export``
and ``gridcity geo export``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from gridcity.core.errors import GridCityError
from gridcity.core.geojson import feature
from gridcity.extensions import db
from gridcity.geo.coords import GEOMETRY_DATUMS, geometry_from_wgs84
from gridcity.geo.layer_import import LAYERS
from gridcity.geo.models import Community, District, Street, UnitGrid, WorkGrid


def _rows(layer: str) -> list[tuple[object, dict]]:
    """(WGS-84 geometry, properties) of every row of the layer, by code."""
    if layer == "districts":
        rows = db.session.scalars(select(District).order_by(District.code))
        return [(d.geom, {"code": d.code, "name": d.name}) for d in rows]
    if layer == "streets":
        rows = db.session.scalars(select(Street).options(selectinload(Street.district)))
        out = [(s.geom, {"code": s.full_code, "name": s.name, "district": s.district.code}) for s in rows]
    elif layer == "communities":
        rows = db.session.scalars(
            select(Community).options(selectinload(Community.street).selectinload(Street.district))
        )
        out = [(c.geom, {"code": c.full_code, "name": c.name}) for c in rows]
    elif layer == "unit_grids":
        query = select(UnitGrid.geom, UnitGrid.code, WorkGrid.code).outerjoin(
            WorkGrid, UnitGrid.work_grid_id == WorkGrid.id
        )
        out = [
            (geom, {"code": code, **({"work_grid": work_grid} if work_grid else {})})
            for geom, code, work_grid in db.session.execute(query.order_by(UnitGrid.code))
        ]
    else:
        # A work grid without unit grids has no shape yet: nothing to draw or export.
        rows = db.session.scalars(
            select(WorkGrid)
            .where(WorkGrid.geom.is_not(None))
            .options(selectinload(WorkGrid.area), selectinload(WorkGrid.work_group))
        )
        out = [
            (
                w.geom,
                {
                    "code": w.code,
                    "name": w.name,
                    "area": w.area.code,
                    **({"work_group": w.work_group.code} if w.work_group else {}),
                },
            )
            for w in rows
        ]
    return sorted(out, key=lambda row: row[1]["code"])


def export_layer(layer: str, datum: str = "wgs84") -> dict:
    """The layer as GeoJSON in ``datum`` (wgs84, gcj02 or bd09)."""
    if layer not in LAYERS:
        raise GridCityError("geo_unknown_layer", status=404, layer=str(layer)[:30])
    if datum not in GEOMETRY_DATUMS:
        raise GridCityError("bad_datum", datum=str(datum)[:20])
    return {
        "type": "FeatureCollection",
        "name": layer,
        "datum": datum,
        "features": [feature(geometry_from_wgs84(geom, datum), props) for geom, props in _rows(layer)],
    }
