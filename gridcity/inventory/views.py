"""Component inventory over HTTP."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import or_, select

from gridcity.core.api import operation
from gridcity.core.auth import current_user, login_required, roles_required
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.models import UnitGrid
from gridcity.inventory import census, schemas, services
from gridcity.inventory.models import Component
from gridcity.inventory.schemas import ComponentFilter, MapQuery, NearQuery
from gridcity.org.models import Role, is_unit_member
from gridcity.taxonomy.services import get_category

bp = Blueprint("inventory", __name__, url_prefix="/api/v1/components")

PAGE_MAX = 500
# Who reports on components (inspectors) and who takes the reports (the centers).
NEAR_ROLES = (Role.INSPECTOR, Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN)


@bp.get("")
@login_required
@operation(query=ComponentFilter, responses={200: list[schemas.Component]})
def list_components(query: ComponentFilter):
    """Components, filtered by ``unit_grid`` code; a unit's members see only
    the components their unit owns or maintains."""
    user = current_user()
    rows = select(Component).order_by(Component.code)
    if is_unit_member(user):
        rows = rows.where(
            or_(Component.owner_unit_id == user.unit_id, Component.maintainer_unit_id == user.unit_id)
        )
    if query.unit_grid:
        rows = rows.join(UnitGrid).where(UnitGrid.code == query.unit_grid)
    limit = max(min(query.limit, PAGE_MAX), 1)
    rows = db.session.scalars(rows.limit(limit).offset(query.offset))
    return jsonify(
        [
            {
                "id": c.id,
                "code": c.code,
                "category": c.category.code,
                "state": c.state,
                "lon": c.geom.x,
                "lat": c.geom.y,
                "unit_grid": c.unit_grid.code,
                "owner": c.owner_unit.code if c.owner_unit else None,
                "maintainer": c.maintainer_unit.code if c.maintainer_unit else None,
            }
            for c in rows
        ]
    )


@bp.get("/near")
@roles_required(*NEAR_ROLES)
@operation(query=NearQuery, responses={200: list[schemas.NearComponent]})
def near(query: NearQuery):
    """A category's components near a position, nearest first: what a report
    there may be about (an event category has none)."""
    category = get_category(query.category)
    found = services.components_near(category, query.lon, query.lat, query.radius_m, query.limit)
    return jsonify([services.component_json(c, distance) for distance, c in found])


@bp.get("/map")
@roles_required(Role.ADMIN)
@operation(query=MapQuery, responses={200: schemas.ComponentMap})
def component_map(query: MapQuery):
    """The inventory in a map view, filtered by class and state (the admin console's map)."""
    return jsonify(census.components_in_view(query.bbox, query.category, query.major, query.state))


@bp.post("/import")
@roles_required(Role.ADMIN)
@operation(responses={201: schemas.Imported})
def import_components():
    """Body: the CSV or GeoJSON text; ``?format=csv|geojson&datum=wgs84|gcj02``."""
    fmt = request.args.get("format", "csv")
    if fmt not in ("csv", "geojson"):
        raise GridCityError("bad_request", detail="format must be csv or geojson")
    count = services.import_components(
        request.get_data(as_text=True), fmt, request.args.get("datum", "wgs84"), actor=current_user()
    )
    db.session.commit()
    return jsonify({"imported": count}), 201
