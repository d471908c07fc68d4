"""Categories, responsibility rules and the routing preview."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from gridcity.core.api import operation
from gridcity.core.auth import login_required, roles_required
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.services import locate
from gridcity.org.models import Role, Unit
from gridcity.taxonomy import schemas, services
from gridcity.taxonomy.models import Category, CategoryMajor, ResponsibilityRule
from gridcity.taxonomy.schemas import CategoryChange, CategoryFilter, RouteQuery, RuleChange, RuleFilter

bp = Blueprint("taxonomy", __name__, url_prefix="/api/v1")

RULE_READERS = (Role.ADMIN, Role.DISPATCHER, Role.SHIFT_LEADER, Role.OPERATOR, Role.MANAGER)


@bp.get("/categories")
@login_required
@operation(query=CategoryFilter, responses={200: list[schemas.Category]})
def list_categories(query: CategoryFilter):
    rows = (
        select(Category)
        .join(CategoryMajor)
        .where(Category.active)
        .order_by(CategoryMajor.kind, Category.code)
    )
    if query.kind:
        rows = rows.where(CategoryMajor.kind == query.kind)
    return jsonify([services.category_json(c) for c in db.session.scalars(rows)])


@bp.patch("/categories/<code>")
@roles_required(Role.ADMIN)
@operation(body=CategoryChange, responses={200: schemas.Category})
def edit_category(code: str, body: CategoryChange):
    """Edit a category's standards, urgency, deadline or required photos."""
    category = services.get_category(code)
    if body.deadline is not None:
        category.deadline_clock, category.deadline_amount = body.deadline.clock, body.deadline.amount
    for field in ("urgency", "name_zh", "name_en", "filing_standard", "closing_standard"):
        value = getattr(body, field)
        if value is not None:
            setattr(category, field, value)
    if body.inspector_min_photos is not None:
        services.set_inspector_min_photos(category, body.inspector_min_photos)
    db.session.commit()
    return jsonify(services.category_json(category))


@bp.get("/responsibility-rules")
@roles_required(*RULE_READERS)
@operation(query=RuleFilter, responses={200: list[schemas.ResponsibilityRule]})
def list_rules(query: RuleFilter):
    rows = (
        select(ResponsibilityRule, Category.code, Unit.code)
        .join(Category)
        .join(Unit)
        .order_by(Category.code, ResponsibilityRule.place_kind, ResponsibilityRule.place_id)
    )
    if query.category:
        rows = rows.where(Category.code == query.category)
    return jsonify(
        [
            {"id": r.id, "category": c, "place_kind": r.place_kind, "place_id": r.place_id, "unit": u}
            for r, c, u in db.session.execute(rows)
        ]
    )


@bp.put("/responsibility-rules")
@roles_required(Role.ADMIN)
@operation(body=RuleChange, responses={200: schemas.RuleStored})
def put_rule(body: RuleChange):
    unit = db.session.scalar(select(Unit).where(Unit.code == body.unit))
    if unit is None:
        raise GridCityError("unknown_unit", status=422, code=body.unit)
    rule = services.set_rule(body.category, body.place_kind, body.place_id, unit.id)
    db.session.commit()
    return jsonify({"id": rule.id})


@bp.get("/route")
@roles_required(*RULE_READERS)
@operation(query=RouteQuery, responses={200: schemas.RoutePreview})
def route_preview(query: RouteQuery):
    """Where a report of ``category`` at ``lon``,``lat`` would go."""
    category = services.get_category(query.category)
    location = locate(query.lon, query.lat)
    unit = db.session.get(Unit, services.responsible_unit_id(category, location))
    return jsonify(
        {
            "location": location.to_dict(),
            "category": category.code,
            "unit": {"id": unit.id, "code": unit.code, "name": unit.name},
        }
    )
