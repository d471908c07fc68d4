"""The risk API: train the model now, and the newest run."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from gridcity.core.api import operation
from gridcity.core.auth import roles_required
from gridcity.core.i18n import current_language
from gridcity.dispatch.services import STAFF_ROLES
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.risk import explain, schemas, services

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


def _ranked(limit: int) -> tuple[list[dict], str]:
    language = current_language()
    return [explain.ranked_case_view(c, r, language) for c, r in services.ranked_cases(limit)], language


@api_bp.get("/cases")
@roles_required(*STAFF_ROLES)
@operation(query=schemas.RankedQuery, responses={200: schemas.RankedCases})
def ranked_cases(query: schemas.RankedQuery):
    """The open cases by overdue risk, riskiest first, each with its main factors in words."""
    rows, language = _ranked(query.limit)
    run = services.active_model()
    note = None if run is not None else explain.no_risk_note(services.latest_run(), language)
    return jsonify({"note": note, "cases": rows})


@api_bp.get("/cases.xlsx")
@roles_required(*STAFF_ROLES)
@operation(query=schemas.RankedQuery, responses={200: None})
def ranked_cases_xlsx(query: schemas.RankedQuery):
    """The same list as a workbook."""
    rows, language = _ranked(query.limit)
    return Response(
        explain.ranked_cases_xlsx(rows, language),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": 'attachment; filename="overdue-risk.xlsx"',
            "Cache-Control": "no-store",
        },
    )
