"""Sign-in, sign-out, who am I, and the organisation's lists."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from gridcity.core.api import operation
from gridcity.core.auth import current_user, login_required, roles_required, sign_in, sign_out
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.org import schemas, services
from gridcity.org.models import Role, Unit, User, is_unit_member
from gridcity.org.schemas import LoginIn, UnitIn, UserIn

bp = Blueprint("org", __name__, url_prefix="/api/v1")


@bp.post("/login")
@operation(body=LoginIn, form=True, responses={200: schemas.SignedIn})
def login(body: LoginIn):
    user = services.authenticate(body.username, body.password, request.remote_addr or "")
    csrf_token = sign_in(user, remember=body.remember is not False)
    db.session.commit()
    return jsonify({**services.describe_user(user), "csrf_token": csrf_token})


@bp.post("/logout")
@operation(responses={200: schemas.LoggedOut})
def logout():
    sign_out()
    db.session.commit()
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
    """Every unit for staff; a unit's members see only their own unit."""
    user = current_user()
    query = select(Unit).order_by(Unit.code)
    if is_unit_member(user):
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


@bp.post("/users/<int:user_id>/unlock")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.Me})
def unlock_user(user_id: int):
    """End a user's sign-in lock before its time is up."""
    user = db.session.get(User, user_id)
    if user is None:
        raise GridCityError("not_found", status=404, what=f"user {user_id}")
    services.unlock_user(user.username)
    db.session.commit()
    return jsonify(services.describe_user(user))
