"""Sign-in, sign-out, who am I, and the organisation's lists."""

from __future__ import annotations

from flask import Blueprint, jsonify, session
from sqlalchemy import select

from gridcity.core.api import operation
from gridcity.core.auth import current_user, login_required, roles_required
from gridcity.extensions import db
from gridcity.org import schemas, services
from gridcity.org.models import Role, Unit, User
from gridcity.org.schemas import LoginIn, UnitIn, UserIn

bp = Blueprint("org", __name__, url_prefix="/api/v1")


@bp.post("/login")
@operation(body=LoginIn, form=True, responses={200: schemas.Me})
def login(body: LoginIn):
    user = services.authenticate(body.username, body.password)
    session.clear()
    session["user_id"] = user.id
    session.permanent = body.remember is not False
    return jsonify(services.describe_user(user))


@bp.post("/logout")
@operation(responses={200: schemas.LoggedOut})
def logout():
    session.clear()
    return jsonify({"ok": True})


@bp.get("/me")
@login_required
@operation(responses={200: schemas.Me})
def me():
    return jsonify(services.describe_user(current_user()))


def _unit_json(unit: Unit) -> dict:
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "contact_name": unit.contact_name,
        "contact_phone": unit.contact_phone,
        "street_id": unit.street_id,
        "active": unit.active,
    }


@bp.get("/units")
@login_required
@operation(responses={200: list[schemas.Unit]})
def list_units():
    """Every unit for staff; a unit handler sees only their own unit."""
    user = current_user()
    query = select(Unit).order_by(Unit.code)
    if user.role == Role.UNIT_HANDLER.value:
        query = query.where(Unit.id == user.unit_id)
    return jsonify([_unit_json(u) for u in db.session.scalars(query)])


@bp.post("/units")
@roles_required(Role.ADMIN)
@operation(body=UnitIn, responses={201: schemas.Unit})
def create_unit(body: UnitIn):
    unit = services.create_unit(body.code, body.name, body.kind, body.contact_name, body.contact_phone)
    db.session.commit()
    return jsonify(_unit_json(unit)), 201


@bp.get("/users")
@roles_required(Role.ADMIN)
@operation(responses={200: list[schemas.Me]})
def list_users():
    users = db.session.scalars(select(User).order_by(User.role, User.username))
    return jsonify([services.describe_user(u) for u in users])


@bp.post("/users")
@roles_required(Role.ADMIN)
@operation(body=UserIn, responses={201: schemas.Me})
def create_user(body: UserIn):
    user = services.create_user(
        body.username,
        body.password,
        body.role,
        display_name=body.display_name,
        unit_code=body.unit_code,
        work_grid_codes=body.work_grid_codes,
        phone=body.phone,
    )
    db.session.commit()
    return jsonify(services.describe_user(user)), 201
