"""Patrol API: start, breadcrumbs, stop, and reading patrols."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gridcity.core.api import operation
from gridcity.core.auth import current_user, login_required, roles_required
from gridcity.core.errors import Forbidden
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.patrols import schemas, services
from gridcity.patrols.schemas import Breadcrumbs, PatrolFilter, PatrolStart

bp = Blueprint("patrols", __name__, url_prefix="/api/v1/patrols")


def _points(body: Breadcrumbs) -> list[services.Breadcrumb]:
    return [services.Breadcrumb(p.at, p.lon, p.lat, p.accuracy_m) for p in body.points]


@bp.post("")
@roles_required(Role.INSPECTOR)
@operation(body=PatrolStart, responses={201: schemas.PatrolDetail})
def start(body: PatrolStart):
    """开始巡查."""
    patrol = services.start_patrol(current_user(), body.kind, body.interval_s)
    db.session.commit()
    return jsonify(services.patrol_json(patrol, detail=True)), 201


@bp.get("")
@login_required
@operation(query=PatrolFilter, responses={200: list[schemas.Patrol]})
def list_patrols(query: PatrolFilter):
    rows = services.list_patrols(current_user(), query.state, max(1, min(query.limit, 500)))
    return jsonify([services.patrol_json(p) for p in rows])


@bp.get("/<int:patrol_id>")
@login_required
@operation(responses={200: schemas.PatrolDetail})
def get_patrol(patrol_id: int):
    patrol = services.get_patrol(patrol_id)
    if not services.can_read(current_user(), patrol):
        raise Forbidden("not_your_patrol", id=patrol_id)
    return jsonify(services.patrol_json(patrol, detail=True))


@bp.get("/<int:patrol_id>/progress")
@roles_required(Role.INSPECTOR)
@operation(responses={200: schemas.PatrolProgress})
def progress(patrol_id: int):
    """The track so far and the unit grids it covers (the phone's patrol map)."""
    return jsonify(services.progress(services.get_patrol(patrol_id), current_user()))


@bp.post("/<int:patrol_id>/points")
@roles_required(Role.INSPECTOR)
@operation(body=Breadcrumbs, responses={200: schemas.PointsAdded})
def add_points(patrol_id: int, body: Breadcrumbs):
    """GPS breadcrumbs; a resent point (same ``at``) is stored once."""
    patrol = services.get_patrol(patrol_id)
    added = services.add_points(patrol, current_user(), _points(body))
    db.session.commit()
    return jsonify({"added": added, "point_count": patrol.point_count})


@bp.post("/<int:patrol_id>/stop")
@roles_required(Role.INSPECTOR)
@operation(body=Breadcrumbs, responses={200: schemas.PatrolDetail})
def stop(patrol_id: int, body: Breadcrumbs):
    """结束巡查, with the breadcrumbs not sent yet."""
    patrol = services.get_patrol(patrol_id)
    services.stop_patrol(patrol, current_user(), _points(body))
    db.session.commit()
    return jsonify(services.patrol_json(patrol, detail=True))
