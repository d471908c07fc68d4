"""The admins' door to a citizen's data request, under /api/v1/admin/citizen-data."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.extensions import db
from gridcity.ops import citizen_data
from gridcity.ops.privacy_schemas import CitizenData, CitizenQuery, Erased, EraseIn
from gridcity.org.models import Role

bp = Blueprint("privacy", __name__, url_prefix="/api/v1/admin/citizen-data")


@bp.get("")
@roles_required(Role.ADMIN)
@operation(query=CitizenQuery, responses={200: CitizenData})
def export(query: CitizenQuery):
    """Every case this phone reported, with the contact as stored."""
    document = citizen_data.export_citizen_data(query.phone, current_user())
    db.session.commit()  # the audit entry
    return jsonify(document)


@bp.post("/erase")
@roles_required(Role.ADMIN)
@operation(body=EraseIn, responses={200: Erased})
def erase(body: EraseIn):
    """Anonymise this phone's reporter on every case now; the cases stay."""
    result = citizen_data.erase_citizen_data(body.phone, current_user(), body.reason)
    db.session.commit()
    return jsonify(result)
