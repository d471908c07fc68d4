"""Sign-in, sign-out, who am I, and the organisation's lists."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from gridcity.core.api import base64_file, operation
from gridcity.core.auth import (
    allows_password_change,
    current_user,
    login_required,
    roles_required,
    sign_in,
    sign_out,
)
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org import people, people_import, schemas, services, units
from gridcity.org.models import Role, Unit, is_unit_member
from gridcity.org.schemas import LoginIn, UnitIn, UserIn

bp = Blueprint("org", __name__, url_prefix="/api/v1")


@bp.post("/login")
@operation(body=LoginIn, form=True, responses={200: schemas.SignedIn})
def login(body: LoginIn):
    user = services.authenticate(body.username, body.password, request.remote_addr or "")
    csrf_token = sign_in(user, remember=body.remember is not False)
    db.session.commit()
    return jsonify(
        {
            **services.describe_user(user),
            "must_change_password": user.must_change_password,
            "csrf_token": csrf_token,
        }
    )


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


@bp.get("/units")
@login_required
@operation(responses={200: list[schemas.Unit]})
def list_units():
    """Every unit for staff; a unit's members see only their own unit."""
    user = current_user()
    query = select(Unit).order_by(Unit.code)
    if is_unit_member(user):
        query = query.where(Unit.id == user.unit_id)
    return jsonify([units.unit_json(u) for u in db.session.scalars(query)])


@bp.post("/units")
@roles_required(Role.ADMIN)
@operation(body=UnitIn, responses={201: schemas.Unit})
def create_unit(body: UnitIn):
    unit = services.create_unit(
        body.code, body.name, body.kind, body.contact_name, body.contact_phone, actor=current_user()
    )
    db.session.commit()
    return jsonify(units.unit_json(unit)), 201


@bp.get("/users")
@roles_required(Role.ADMIN)
@operation(query=schemas.PeopleQuery, responses={200: list[schemas.Person]})
def list_users(query: schemas.PeopleQuery):
    """People, found by part of a name or user name, role, unit and whether active."""
    found = people.find_people(query.q, query.role, query.unit, query.active)
    return jsonify([people.describe_person(u) for u in found])


@bp.post("/users")
@roles_required(Role.ADMIN)
@operation(body=UserIn, responses={201: schemas.Person})
def create_user(body: UserIn):
    user = services.create_user(
        body.username,
        body.password,
        body.role,
        display_name=body.display_name,
        unit_code=body.unit_code,
        work_grid_codes=body.work_grid_codes,
        phone=body.phone,
        actor=current_user(),
        must_change_password=body.must_change_password,
    )
    db.session.commit()
    return jsonify(people.describe_person(user)), 201


@bp.get("/users/<int:user_id>")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.Person})
def get_user(user_id: int):
    return jsonify(people.describe_person(people.user_by_id(user_id)))


@bp.patch("/users/<int:user_id>")
@roles_required(Role.ADMIN)
@operation(body=schemas.UserUpdate, responses={200: schemas.Person})
def update_user(user_id: int, body: schemas.UserUpdate):
    """Change a person's name, role, unit, work grids or on-duty status."""
    user = people.user_by_id(user_id)
    changes = body.model_dump(exclude_unset=True)
    people.update_user(user.username, current_user(), **changes)
    db.session.commit()
    return jsonify(people.describe_person(user))


@bp.post("/users/<int:user_id>/deactivate")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.Person})
def deactivate_user(user_id: int):
    """停用: the person can no longer sign in and their sessions end (never deleted)."""
    user = people.deactivate(people.user_by_id(user_id).username, current_user())
    db.session.commit()
    return jsonify(people.describe_person(user))


@bp.post("/users/<int:user_id>/reactivate")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.Person})
def reactivate_user(user_id: int):
    user = people.reactivate_user(people.user_by_id(user_id).username, current_user())
    db.session.commit()
    return jsonify(people.describe_person(user))


@bp.post("/users/<int:user_id>/reset-password")
@roles_required(Role.ADMIN)
@operation(body=schemas.PasswordReset, responses={200: schemas.Person})
def reset_password(user_id: int, body: schemas.PasswordReset):
    """A new initial password; the person must change it at the next sign-in."""
    user = people.reset_password(people.user_by_id(user_id).username, body.password, current_user())
    db.session.commit()
    return jsonify(people.describe_person(user))


@bp.post("/users/<int:user_id>/unlock")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.Person})
def unlock_user(user_id: int):
    """End a user's sign-in lock before its time is up."""
    user = people.user_by_id(user_id)
    services.unlock_user(user.username, current_user())
    db.session.commit()
    return jsonify(people.describe_person(user))


@bp.post("/users/import/preview")
@roles_required(Role.ADMIN)
@operation(body=schemas.PeopleImport, responses={200: schemas.PeopleImportPreview})
def preview_import(body: schemas.PeopleImport):
    """Each row of a CSV / XLSX file of people with its problems; saves nothing."""
    rows = people_import.check_rows(people_import.read_sheet(body.filename, base64_file(body.content)))
    db.session.rollback()
    language = current_language()
    return jsonify({"rows": [r.to_dict(language) for r in rows], "ok": not any(r.errors for r in rows)})


@bp.post("/users/import")
@roles_required(Role.ADMIN)
@operation(body=schemas.PeopleImport, responses={201: schemas.PeopleImported})
def import_users(body: schemas.PeopleImport):
    """Everyone in the file, or no one (422 naming the lines with problems)."""
    rows = people_import.read_sheet(body.filename, base64_file(body.content))
    created = people_import.import_people(rows, current_user())
    db.session.commit()
    return jsonify({"created": [people.describe_person(u) for u in created]}), 201


@bp.post("/me/password")
@login_required
@allows_password_change
@operation(body=schemas.OwnPasswordChange, responses={200: schemas.PasswordChanged})
def change_own_password(body: schemas.OwnPasswordChange):
    """修改密码: the old password is required; every other session of the user ends."""
    user = people.change_own_password(current_user(), body.old_password, body.new_password)
    csrf_token = sign_in(user)
    db.session.commit()
    return jsonify({"csrf_token": csrf_token})
