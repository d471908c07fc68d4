"""The admin console's Open311 keys page (Open311 密钥): issue a key (shown
once), rename its client, change its rate limit, revoke it; each key's last
use, requests filed and audit history. Thin, like the people pages: each form
posts to a view that calls ``gridcity.open311.keys`` (the service the API and
``gridcity open311`` call), commits once, and shows a refusal beside the form."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from gridcity.audit import services as audit
from gridcity.audit import words
from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.open311 import keys
from gridcity.org.models import Role
from gridcity.web import views as web_views
from gridcity.web.admin_people import _page
from gridcity.web.formats import city_datetime

bp = Blueprint("admin_keys", __name__, url_prefix="/admin/open311-keys")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

DONE = ("saved", "key_revoked")


def _whole_number(text: str | None):
    """A form's number as an int; anything else goes to the service as it
    is, whose refusal says what a limit must be."""
    text = (text or "").strip()
    return int(text) if text.isdigit() else text


def describe_key(row, filed: int = 0) -> dict:
    """A key as the console shows it (never the key itself)."""
    return {
        "id": row.id,
        "client": row.client,
        "key_prefix": row.key_prefix,
        "rate_per_minute": row.rate_per_minute,
        "issued_at": city_datetime(row.created_at),
        "last_used_at": city_datetime(row.last_used_at) if row.last_used_at else None,
        "revoked_on": city_datetime(row.revoked_at)[:10] if row.revoked_at else None,
        "requests": filed,
    }


def _list_page(status: int = 200, error: str | None = None, issued: dict | None = None, form=None):
    rows = keys.list_keys()
    filed = keys.requests_filed([k.id for k in rows])
    html, code = _page(
        "admin_keys.html",
        status=status,
        keys=[describe_key(k, filed.get(k.id, 0)) for k in rows],
        error=error,
        issued=issued,
        form=form or {},
    )
    # A page showing a new key is kept by neither the browser nor a proxy.
    return html, code, {"Cache-Control": "no-store"}


@bp.get("")
@roles_required(Role.ADMIN)
def keys_page():
    return _list_page()


@bp.post("")
@roles_required(Role.ADMIN)
def issue_key():
    form = request.form
    try:
        row, key = keys.issue_key(
            form.get("client", ""), _whole_number(form.get("rate")), actor=current_user()
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _list_page(error.status, error.message(), form=form)
    return _list_page(201, issued={"client": row.client, "key": key})


def _key_page(key_id: int, status: int = 200, error: str | None = None, form=None):
    row = keys.key_by_id(key_id)
    history = words.describe(
        audit.search(object_kind=keys.KEY_KIND, object_id=key_id, limit=100), current_language()
    )
    done = request.args.get("done")
    return _page(
        "admin_key.html",
        status=status,
        key=describe_key(row, keys.requests_filed([key_id]).get(key_id, 0)),
        error=error,
        done=done if done in DONE else None,
        history=history,
        form=form or {},
    )


@bp.route("/<int:key_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def key_page(key_id: int):
    if request.method == "GET":
        return _key_page(key_id)
    form = request.form
    try:
        keys.update_key(
            key_id,
            current_user(),
            client=form.get("client", ""),
            rate_per_minute=_whole_number(form.get("rate")),
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _key_page(key_id, error.status, error.message(), form=form)
    return redirect(url_for(".key_page", key_id=key_id, done="saved"))


@bp.post("/<int:key_id>/revoke")
@roles_required(Role.ADMIN)
def revoke_key(key_id: int):
    keys.revoke_key(key_id, current_user())
    db.session.commit()
    return redirect(url_for(".key_page", key_id=key_id, done="key_revoked"))
