"""Sign-in, sign-out, who am I, and the organisation's lists."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from gridcity.core.auth import current_user, login_required, roles_required, sign_in, sign_out
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.org import services
from gridcity.org.models import Role, Unit, User

bp = Blueprint("org", __name__, url_prefix="/api/v1")


@bp.post("/login")
def login():
    data = request.get_json(silent=True) or request.form
    username, password = data.get("username"), data.get("password")
    if not username or not password:
        raise GridCityError("bad_request", detail="username and password are required")
    user = services.authenticate(username, password, request.remote_addr or "")
    remember = data.get("remember", True)
    csrf_token = sign_in(user, remember=remember not in (False, "false", "0", "off", ""))
    db.session.commit()
    return jsonify({**services.describe_user(user), "csrf_token": csrf_token})


@bp.post("/logout")
def logout():
    sign_out()
    db.session.commit()
    return jsonify({"ok": True})


@bp.get("/me")
@login_required
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
def list_units():
    """Every unit for staff; a unit handler sees only their own unit."""
    user = current_user()
    query = select(Unit).order_by(Unit.code)
    if user.role == Role.UNIT_HANDLER.value:
        query = query.where(Unit.id == user.unit_id)
    return jsonify([_unit_json(u) for u in db.session.scalars(query)])


@bp.post("/units")
@roles_required(Role.ADMIN)
def create_unit():
    data = request.get_json(silent=True) or {}
    missing = [f for f in ("code", "name", "kind") if not data.get(f)]
    if missing:
        raise GridCityError("bad_request", detail=f"missing {', '.join(missing)}")
    unit = services.create_unit(
        data["code"], data["name"], data["kind"], data.get("contact_name"), data.get("contact_phone")
    )
    db.session.commit()
    return jsonify(_unit_json(unit)), 201


@bp.get("/users")
@roles_required(Role.ADMIN)
def list_users():
    users = db.session.scalars(select(User).order_by(User.role, User.username))
    return jsonify([services.describe_user(u) for u in users])


@bp.post("/users")
@roles_required(Role.ADMIN)
def create_user():
    data = request.get_json(silent=True) or {}
    user = services.create_user(
        data.get("username", ""),
        data.get("password", ""),
        data.get("role", ""),
        display_name=data.get("display_name"),
        unit_code=data.get("unit_code"),
        work_grid_codes=data.get("work_grid_codes"),
        phone=data.get("phone"),
    )
    db.session.commit()
    return jsonify(services.describe_user(user)), 201


@bp.post("/users/<int:user_id>/unlock")
@roles_required(Role.ADMIN)
def unlock_user(user_id: int):
    """End a user's sign-in lock before its time is up."""
    user = db.session.get(User, user_id)
    if user is None:
        raise GridCityError("not_found", status=404, what=f"user {user_id}")
    services.unlock_user(user.username)
    db.session.commit()
    return jsonify(services.describe_user(user))
