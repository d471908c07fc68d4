"""The organisation's admin API: edit, deactivate and reactivate a unit; the
work grids with their inspectors; preview and save the unit grids of a work
grid (what the console's map calls). Thin: the services are
gridcity/org/units.py and gridcity/geo/organisation.py."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.extensions import db
from gridcity.geo import organisation
from gridcity.org import admin_schemas, schemas, units
from gridcity.org.models import Role

bp = Blueprint("org_admin", __name__, url_prefix="/api/v1")


@bp.patch("/units/<int:unit_id>")
@roles_required(Role.ADMIN)
@operation(body=admin_schemas.UnitChange, responses={200: schemas.Unit})
def edit_unit(unit_id: int, body: admin_schemas.UnitChange):
    unit = units.edit_unit(unit_id, current_user(), **body.model_dump(exclude_unset=True))
    db.session.commit()
    return jsonify(units.unit_json(unit))


@bp.post("/units/<int:unit_id>/deactivate")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.Unit})
def deactivate_unit(unit_id: int):
    unit = units.deactivate_unit(unit_id, current_user())
    db.session.commit()
    return jsonify(units.unit_json(unit))


@bp.post("/units/<int:unit_id>/reactivate")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.Unit})
def reactivate_unit(unit_id: int):
    unit = units.reactivate_unit(unit_id, current_user())
    db.session.commit()
    return jsonify(units.unit_json(unit))


@bp.get("/work-grids")
@roles_required(Role.ADMIN)
@operation(responses={200: list[admin_schemas.WorkGridRow]})
def work_grids():
    return jsonify(organisation.work_grid_rows())


@bp.post("/work-grids/<int:work_grid_id>/unit-grids/preview")
@roles_required(Role.ADMIN)
@operation(body=admin_schemas.UnitGridPick, responses={200: admin_schemas.UnitGridPreview})
def preview_unit_grids(work_grid_id: int, body: admin_schemas.UnitGridPick):
    """What saving this pick would do; saves nothing."""
    preview = organisation.preview_unit_grids(work_grid_id, body.unit_grid_ids)
    db.session.rollback()
    return jsonify(preview)


@bp.put("/work-grids/<int:work_grid_id>/unit-grids")
@roles_required(Role.ADMIN)
@operation(body=admin_schemas.UnitGridPick, responses={200: admin_schemas.UnitGridPreview})
def save_unit_grids(work_grid_id: int, body: admin_schemas.UnitGridPick):
    done = organisation.assign_unit_grids(
        work_grid_id, body.unit_grid_ids, body.confirm_moves, current_user()
    )
    db.session.commit()
    return jsonify(done)
