"""Categories, responsibility rules and the routing preview."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from gridcity.core.auth import login_required, roles_required
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.services import locate
from gridcity.org.models import Role, Unit
from gridcity.taxonomy import services
from gridcity.taxonomy.models import CLOCKS, URGENCIES, Category, CategoryMajor, ResponsibilityRule

bp = Blueprint("taxonomy", __name__, url_prefix="/api/v1")

RULE_READERS = (Role.ADMIN, Role.DISPATCHER, Role.SHIFT_LEADER, Role.OPERATOR, Role.MANAGER)


@bp.get("/categories")
@login_required
def list_categories():
    query = (
        select(Category)
        .join(CategoryMajor)
        .where(Category.active)
        .order_by(CategoryMajor.kind, Category.code)
    )
    kind = request.args.get("kind")
    if kind:
        query = query.where(CategoryMajor.kind == kind)
    return jsonify([services.category_json(c) for c in db.session.scalars(query)])


@bp.patch("/categories/<code>")
@roles_required(Role.ADMIN)
def edit_category(code: str):
    """Edit a category's standards, urgency or deadline."""
    category = services.get_category(code)
    data = request.get_json(silent=True) or {}
    deadline = data.get("deadline")
    if deadline is not None:
        amount = deadline.get("amount") if isinstance(deadline, dict) else None
        if (
            not isinstance(deadline, dict)
            or deadline.get("clock") not in CLOCKS
            or isinstance(amount, bool)
            or not isinstance(amount, (int, float))
            or amount <= 0
        ):
            raise GridCityError(
                "bad_request", detail=f"deadline needs clock in {CLOCKS} and a positive amount"
            )
        category.deadline_clock, category.deadline_amount = deadline["clock"], float(deadline["amount"])
    if "urgency" in data:
        if data["urgency"] not in URGENCIES:
            raise GridCityError("bad_request", detail=f"urgency must be one of {', '.join(URGENCIES)}")
        category.urgency = data["urgency"]
    for field in ("name_zh", "name_en", "filing_standard", "closing_standard"):
        if field in data:
            if not isinstance(data[field], str) or (field.startswith("name") and not data[field].strip()):
                raise GridCityError("bad_request", detail=f"{field} must be text")
            setattr(category, field, data[field])
    db.session.commit()
    return jsonify(services.category_json(category))


@bp.get("/responsibility-rules")
@roles_required(*RULE_READERS)
def list_rules():
    query = (
        select(ResponsibilityRule, Category.code, Unit.code)
        .join(Category)
        .join(Unit)
        .order_by(Category.code, ResponsibilityRule.place_kind, ResponsibilityRule.place_id)
    )
    category = request.args.get("category")
    if category:
        query = query.where(Category.code == category)
    return jsonify(
        [
            {"id": r.id, "category": c, "place_kind": r.place_kind, "place_id": r.place_id, "unit": u}
            for r, c, u in db.session.execute(query)
        ]
    )


@bp.put("/responsibility-rules")
@roles_required(Role.ADMIN)
def put_rule():
    data = request.get_json(silent=True) or {}
    unit = db.session.scalar(select(Unit).where(Unit.code == data.get("unit", "")))
    if unit is None:
        raise GridCityError("unknown_unit", status=422, code=str(data.get("unit")))
    if not isinstance(data.get("place_id"), int):
        raise GridCityError("bad_request", detail="place_id must be an integer id")
    rule = services.set_rule(
        str(data.get("category", "")), str(data.get("place_kind", "")), data["place_id"], unit.id
    )
    db.session.commit()
    return jsonify({"id": rule.id})


@bp.get("/route")
@roles_required(*RULE_READERS)
def route_preview():
    """Where a report of ``category`` at ``lon``,``lat`` would go."""
    category = services.get_category(request.args.get("category", ""))
    try:
        lon, lat = float(request.args["lon"]), float(request.args["lat"])
    except (KeyError, ValueError):
        raise GridCityError("bad_request", detail="lon and lat are required numbers") from None
    location = locate(lon, lat)
    unit = db.session.get(Unit, services.responsible_unit_id(category, location))
    return jsonify(
        {
            "location": location.to_dict(),
            "category": category.code,
            "unit": {"id": unit.id, "code": unit.code, "name": unit.name},
        }
    )
