"""Patrol API: start, breadcrumbs, stop, and reading patrols."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, request

from gridcity.core.auth import current_user, login_required, roles_required
from gridcity.core.errors import Forbidden, GridCityError
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.patrols import services

bp = Blueprint("patrols", __name__, url_prefix="/api/v1/patrols")


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        if request.get_data():
            raise GridCityError("bad_request", detail="the body must be JSON")
        data = {}
    if not isinstance(data, dict):
        raise GridCityError("bad_request", detail="expected a JSON object")
    return data


def _points(data: dict) -> list[services.Breadcrumb]:
    raw = data.get("points", [])
    if not isinstance(raw, list):
        raise GridCityError("bad_request", detail="points must be a list")
    points = []
    for n, p in enumerate(raw, start=1):
        try:
            at = dt.datetime.fromisoformat(str(p["at"]).replace("Z", "+00:00"))
            lon, lat = p["lon"], p["lat"]
            accuracy = p.get("accuracy_m")
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (lon, lat)):
                raise ValueError
            if accuracy is not None and (
                isinstance(accuracy, bool) or not isinstance(accuracy, (int, float))
            ):
                raise ValueError
        except (KeyError, TypeError, ValueError):
            raise GridCityError(
                "bad_request", detail=f"point {n}: needs at (ISO-8601), lon, lat and an optional accuracy_m"
            ) from None
        points.append(
            services.Breadcrumb(
                at if at.tzinfo else at.replace(tzinfo=dt.UTC),
                float(lon),
                float(lat),
                None if accuracy is None else float(accuracy),
            )
        )
    return points


@bp.post("")
@roles_required(Role.INSPECTOR)
def start():
    """开始巡查."""
    data = _body()
    interval = data.get("interval_s", services.DEFAULT_INTERVAL_S)
    if isinstance(interval, bool) or not isinstance(interval, int):
        raise GridCityError("bad_request", detail="interval_s must be an integer")
    patrol = services.start_patrol(current_user(), str(data.get("kind") or ""), interval)
    db.session.commit()
    return jsonify(services.patrol_json(patrol, detail=True)), 201


@bp.get("")
@login_required
def list_patrols():
    limit = request.args.get("limit", default=50, type=int)
    rows = services.list_patrols(current_user(), request.args.get("state"), max(1, min(limit, 500)))
    return jsonify([services.patrol_json(p) for p in rows])


@bp.get("/<int:patrol_id>")
@login_required
def get_patrol(patrol_id: int):
    patrol = services.get_patrol(patrol_id)
    if not services.can_read(current_user(), patrol):
        raise Forbidden("not_your_patrol", id=patrol_id)
    return jsonify(services.patrol_json(patrol, detail=True))


@bp.post("/<int:patrol_id>/points")
@roles_required(Role.INSPECTOR)
def add_points(patrol_id: int):
    """GPS breadcrumbs; a resent point (same ``at``) is stored once."""
    patrol = services.get_patrol(patrol_id)
    added = services.add_points(patrol, current_user(), _points(_body()))
    db.session.commit()
    return jsonify({"added": added, "point_count": patrol.point_count})


@bp.post("/<int:patrol_id>/stop")
@roles_required(Role.INSPECTOR)
def stop(patrol_id: int):
    """结束巡查, with the breadcrumbs not sent yet."""
    patrol = services.get_patrol(patrol_id)
    services.stop_patrol(patrol, current_user(), _points(_body()))
    db.session.commit()
    return jsonify(services.patrol_json(patrol, detail=True))
