"""The admins' door to a citizen's data request, under /api/v1/admin/citizen-data."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.ops import citizen_data
from gridcity.org.models import Role

bp = Blueprint("privacy", __name__, url_prefix="/api/v1/admin/citizen-data")


@bp.get("")
@roles_required(Role.ADMIN)
def export():
    """Every case this phone reported, with the contact as stored."""
    document = citizen_data.export_citizen_data(request.args.get("phone", ""), current_user())
    db.session.commit()  # the audit entry
    return jsonify(document)


@bp.post("/erase")
@roles_required(Role.ADMIN)
def erase():
    """Anonymise this phone's reporter on every case now; the cases stay."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise GridCityError("bad_request", detail="expected a JSON object with phone and reason")
    phone, reason = data.get("phone"), data.get("reason")
    if not isinstance(phone, str) or not isinstance(reason, str):
        raise GridCityError("bad_request", detail="phone and reason must be text")
    result = citizen_data.erase_citizen_data(phone, current_user(), reason)
    db.session.commit()
    return jsonify(result)
