"""The admin's API for Open311 clients' keys (/api/v1/open311-keys): the same
service as the console page and ``gridcity open311``, audited there."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.extensions import db
from gridcity.open311 import key_schemas as schemas
from gridcity.open311 import keys
from gridcity.org.models import Role

bp = Blueprint("open311_keys", __name__, url_prefix="/api/v1/open311-keys")


def _iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def _key(row, filed: int | None = None) -> dict:
    if filed is None:
        filed = keys.requests_filed([row.id]).get(row.id, 0)
    return {
        "id": row.id,
        "client": row.client,
        "key_prefix": row.key_prefix,
        "rate_per_minute": row.rate_per_minute,
        "created_at": _iso(row.created_at),
        "last_used_at": _iso(row.last_used_at),
        "revoked_at": _iso(row.revoked_at),
        "requests": filed,
    }


@bp.get("")
@roles_required(Role.ADMIN)
@operation(responses={200: list[schemas.Key]})
def list_keys():
    rows = keys.list_keys()
    filed = keys.requests_filed([k.id for k in rows])
    return jsonify([_key(k, filed.get(k.id, 0)) for k in rows])


@bp.post("")
@roles_required(Role.ADMIN)
@operation(body=schemas.KeyIn, responses={201: schemas.IssuedKey})
def issue_key(body: schemas.KeyIn):
    row, key = keys.issue_key(body.client, body.rate_per_minute, actor=current_user())
    db.session.commit()
    return jsonify({**_key(row, 0), "key": key}), 201, {"Cache-Control": "no-store"}


@bp.patch("/<int:key_id>")
@roles_required(Role.ADMIN)
@operation(body=schemas.KeyChange, responses={200: schemas.Key})
def update_key(key_id: int, body: schemas.KeyChange):
    row = keys.update_key(key_id, current_user(), **body.model_dump(exclude_unset=True, exclude_none=True))
    db.session.commit()
    return jsonify(_key(row))


@bp.post("/<int:key_id>/revoke")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.Key})
def revoke_key(key_id: int):
    row = keys.revoke_key(key_id, current_user())
    db.session.commit()
    return jsonify(_key(row))
