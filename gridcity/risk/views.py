"""The risk API: train the model now, and the newest run."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gridcity.core.api import operation
from gridcity.core.auth import roles_required
from gridcity.dispatch.services import STAFF_ROLES
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.risk import schemas, services

api_bp = Blueprint("risk_api", __name__, url_prefix="/api/v1/risk")

# Who may retrain outside the nightly run: the people who run the system.
TRAINERS = (Role.ADMIN, Role.MANAGER)


@api_bp.post("/train")
@roles_required(*TRAINERS)
@operation(responses={200: schemas.RiskRun})
def train():
    """Train the overdue-risk model now on the city's history (as the nightly job does)."""
    run = services.retrain()
    db.session.commit()
    return jsonify(services.run_summary(run))


@api_bp.get("/model")
@roles_required(*STAFF_ROLES)
@operation(responses={200: schemas.RiskStatus})
def model_status():
    """The newest training run: when, on how many dispatches, how well it held out."""
    run = services.latest_run()
    return jsonify({"latest": None if run is None else services.run_summary(run)})
