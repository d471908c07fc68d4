"""Categories, responsibility rules and the routing preview."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import select

from gridcity.core.api import operation
from gridcity.core.auth import current_user, login_required, roles_required
from gridcity.extensions import db
from gridcity.geo.schemas import FeatureCollection
from gridcity.org.models import Role
from gridcity.taxonomy import editing, rules, schemas, services
from gridcity.taxonomy.models import Category, CategoryMajor
from gridcity.taxonomy.schemas import (
    CategoryChange,
    CategoryFilter,
    RouteQuery,
    RuleChange,
    RuleFilter,
    RuleMapQuery,
    RuleMove,
)

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
    """Edit a category's standards, urgency, deadline, duplicate radius or required photos."""
    changes = body.model_dump(exclude_none=True, exclude={"deadline"})
    if body.deadline is not None:
        changes |= {"deadline_clock": body.deadline.clock, "deadline_amount": body.deadline.amount}
    category = editing.edit_category(code, current_user(), **changes)
    db.session.commit()
    return jsonify(services.category_json(category))


@bp.get("/responsibility-rules")
@roles_required(*RULE_READERS)
@operation(query=RuleFilter, responses={200: list[schemas.ResponsibilityRule]})
def list_rules(query: RuleFilter):
    return jsonify(rules.rules_of(query.category))


@bp.put("/responsibility-rules")
@roles_required(Role.ADMIN)
@operation(body=RuleChange, responses={200: schemas.RuleStored})
def put_rule(body: RuleChange):
    rule = rules.put_rule(body.category, body.place_kind, body.place_id, body.unit, current_user())
    db.session.commit()
    return jsonify({"id": rule.id})


@bp.patch("/responsibility-rules/<int:rule_id>")
@roles_required(Role.ADMIN)
@operation(body=RuleMove, responses={200: schemas.RuleStored})
def move_rule(rule_id: int, body: RuleMove):
    """Give a rule's category and place to another unit."""
    rule = rules.move_rule(rule_id, body.unit, current_user())
    db.session.commit()
    return jsonify({"id": rule.id})


@bp.delete("/responsibility-rules/<int:rule_id>")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.RuleStored})
def remove_rule(rule_id: int):
    rules.remove_rule(rule_id, current_user())
    db.session.commit()
    return jsonify({"id": rule_id})


@bp.get("/responsibility-map")
@roles_required(Role.ADMIN)
@operation(query=RuleMapQuery, responses={200: FeatureCollection})
def responsibility_map(query: RuleMapQuery):
    """GeoJSON: each rule's place of a category with its unit, most general first."""
    return jsonify(rules.responsibility_map(query.category))


@bp.get("/route")
@roles_required(*RULE_READERS)
@operation(query=RouteQuery, responses={200: schemas.RoutePreview})
def route_preview(query: RouteQuery):
    """Where a report of ``category`` at ``lon``,``lat`` would go, and the rule that says so."""
    return jsonify(rules.route_preview(query.category, query.lon, query.lat))
