"""GeoJSON layers for the map and the locator over HTTP."""

from __future__ import annotations

import numpy as np
import shapely
from flask import Blueprint, jsonify
from sqlalchemy import select

from gridcity.core.api import operation
from gridcity.core.auth import login_required, roles_required
from gridcity.core.errors import GridCityError
from gridcity.core.geojson import feature, feature_collection
from gridcity.extensions import db
from gridcity.geo import schemas, services
from gridcity.geo.models import Area, Community, District, Street, UnitGrid, WorkGrid
from gridcity.geo.schemas import BBoxQuery, LayerExportQuery, LocateQuery, WorkGridQuery
from gridcity.org.models import Role

bp = Blueprint("geo", __name__, url_prefix="/api/v1/geo")

MAX_UNIT_GRIDS = 5000


@bp.get("/districts")
@login_required
@operation(responses={200: schemas.FeatureCollection})
def districts():
    rows = db.session.scalars(select(District).order_by(District.code))
    return jsonify(
        feature_collection(feature(d.geom, {"id": d.id, "code": d.code, "name": d.name}) for d in rows)
    )


@bp.get("/streets")
@login_required
@operation(responses={200: schemas.FeatureCollection})
def streets():
    rows = db.session.scalars(select(Street).order_by(Street.district_id, Street.code))
    return jsonify(
        feature_collection(feature(s.geom, {"id": s.id, "code": s.full_code, "name": s.name}) for s in rows)
    )


@bp.get("/communities")
@login_required
@operation(responses={200: schemas.FeatureCollection})
def communities():
    rows = db.session.scalars(select(Community).order_by(Community.street_id, Community.code))
    return jsonify(
        feature_collection(
            feature(c.geom, {"id": c.id, "code": c.full_code, "name": c.name, "street_id": c.street_id})
            for c in rows
        )
    )


@bp.get("/work-grids")
@login_required
@operation(query=WorkGridQuery, responses={200: schemas.FeatureCollection})
def work_grids(query: WorkGridQuery):
    select_ = select(WorkGrid, Area.name).join(Area, WorkGrid.area_id == Area.id).order_by(WorkGrid.code)
    if query.id is not None:
        select_ = select_.where(WorkGrid.id == query.id)
    rows = db.session.execute(select_)
    return jsonify(
        feature_collection(
            feature(w.geom, {"id": w.id, "code": w.code, "name": w.name, "area_id": w.area_id, "area": area})
            for w, area in rows
            if w.geom is not None
        )
    )


@bp.get("/unit-grids")
@login_required
@operation(query=BBoxQuery, responses={200: schemas.FeatureCollection})
def unit_grids(query: BBoxQuery):
    """Unit grids inside ``bbox=west,south,east,north`` (at most 5,000: zoom in)."""
    try:
        west, south, east, north = (float(v) for v in query.bbox.split(","))
    except ValueError:
        raise GridCityError("bad_request", detail="bbox=west,south,east,north is required") from None
    if not all(np.isfinite((west, south, east, north))):
        raise GridCityError("bad_request", detail="bbox: four finite numbers")
    index = services.get_locator().index()
    positions = np.sort(index.tree.query(shapely.box(west, south, east, north), predicate="intersects"))
    if len(positions) > MAX_UNIT_GRIDS:
        raise GridCityError(
            "bad_request",
            status=413,
            detail=f"{len(positions)} unit grids in this view; zoom in to see at most {MAX_UNIT_GRIDS}",
        )
    return jsonify(
        feature_collection(
            feature(
                index.geoms[p],
                {
                    "id": int(index.ids[p]),
                    "code": index.codes[p],
                    "work_grid_id": int(index.work_grid_ids[p]),
                },
            )
            for p in positions
        )
    )


@bp.get("/locate")
@login_required
@operation(query=LocateQuery, responses={200: schemas.LocateResult})
def locate(query: LocateQuery):
    location = services.locate(query.lon, query.lat)
    grid = db.session.get(UnitGrid, location.unit_grid_id)
    community = grid.community
    street = community.street
    work_grid = grid.work_grid
    return jsonify(
        {
            **location.to_dict(),
            "community": {"code": community.full_code, "name": community.name},
            "street": {"code": street.full_code, "name": street.name},
            "district": {"code": street.district.code, "name": street.district.name},
            "work_grid": None if work_grid is None else {"code": work_grid.code, "name": work_grid.name},
            "area": None if work_grid is None else {"code": work_grid.area.code, "name": work_grid.area.name},
        }
    )


@bp.get("/layers/<layer>/export")
@roles_required(Role.ADMIN)
@operation(query=LayerExportQuery, responses={200: schemas.LayerExport})
def export_layer(layer: str, query: LayerExportQuery):
    """导出图层 — a layer as GeoJSON in the chosen datum; it imports again as it is."""
    from gridcity.geo.layer_export import export_layer

    response = jsonify(export_layer(layer, query.datum))
    if query.download:
        response.headers["Content-Disposition"] = f"attachment; filename={layer}-{query.datum}.geojson"
    return response
