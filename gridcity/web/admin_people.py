"""The admin console's people and audit log pages (人员管理, 审计日志) and every
user's own change-password page. Server-rendered forms, thin: each posts to a
view that calls the same service as the API and the ``gridcity org``
commands, commits once, and shows the refusal's message beside the form."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from sqlalchemy import or_, select

from gridcity.audit import services as audit
from gridcity.audit import words
from gridcity.audit.views import day_start
from gridcity.core.auth import allows_password_change, current_user, login_required, roles_required, sign_in
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.geo.models import WorkGrid
from gridcity.org import people, people_import, services, trail
from gridcity.org.models import ROLE_NAMES, Role, Unit
from gridcity.web import views as web_views
from gridcity.web.ui_text import ui_text

bp = Blueprint("admin_people", __name__, url_prefix="/admin")
account_bp = Blueprint("account", __name__, url_prefix="/account")
for _bp in (bp, account_bp):
    _bp.register_error_handler(GridCityError, web_views._error_page)
    _bp.context_processor(web_views._page_helpers)

# What a redirect after a change says on the next page (``?done=``).
DONE = ("saved", "created", "deactivated", "reactivated", "password_reset", "unlocked")


def _page(template: str, status: int = 200, **context):
    me = services.describe_user(current_user())
    return (
        render_template(template, me=me, role_name=me["role_name"][current_language()], **context),
        status,
    )


def _roles(language: str) -> list[tuple[str, str]]:
    return [(r.value, ROLE_NAMES[r][0 if language == "zh" else 1]) for r in Role]


def _choices(person: dict | None = None) -> dict:
    """The roles, units and work grids a form offers: the active units, and
    the person's own unit even if it is no longer active (saving keeps it)."""
    own_unit = person["unit"]["id"] if person and person["unit"] else None
    units = select(Unit).where(or_(Unit.active, Unit.id == own_unit)).order_by(Unit.code)
    return {
        "roles": _roles(current_language()),
        "units": list(db.session.scalars(units)),
        "work_grids": list(db.session.scalars(select(WorkGrid).order_by(WorkGrid.code))),
    }


# ---------------------------------------------------------------- people


@bp.get("/people")
@roles_required(Role.ADMIN)
def people_page():
    args = request.args
    active = {"yes": True, "no": False}.get(args.get("active", ""))
    found = people.find_people(args.get("q"), args.get("role") or None, args.get("unit") or None, active)
    return _page(
        "admin_people.html",
        people=[people.describe_person(u) for u in found],
        filters=args,
        **_choices(),
    )


@bp.route("/people/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_person_page():
    form = request.form
    if request.method == "POST":
        try:
            user = services.create_user(
                form.get("username", "").strip(),
                form.get("password", ""),
                form.get("role", ""),
                display_name=form.get("display_name", "").strip() or None,
                unit_code=form.get("unit") or None,
                work_grid_codes=form.getlist("work_grids"),
                actor=current_user(),
                must_change_password=True,
            )
            db.session.commit()
            return redirect(url_for(".person_page", user_id=user.id, done="created"))
        except GridCityError as error:
            db.session.rollback()
            return _person_form(None, form, error)
    return _person_form(None, form)


def _person_form(person, form, error: GridCityError | None = None, history=None):
    return _page(
        "admin_person.html",
        status=error.status if error is not None else 200,
        person=person,
        form=form,
        error=error.message() if error is not None else None,
        done=request.args.get("done") if request.args.get("done") in DONE else None,
        history=history or [],
        minimum=current_app.config["SETTINGS"].password_min_length,
        **_choices(person),
    )


def _history(user_id: int) -> list[dict]:
    entries = audit.search(object_kind=trail.USER_KIND, object_id=user_id, limit=100)
    return words.describe(entries, current_language())


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def person_page(user_id: int):
    user = people.user_by_id(user_id)
    if request.method == "POST":
        form = request.form
        try:
            people.update_user(
                user.username,
                current_user(),
                display_name=form.get("display_name", ""),
                role=form.get("role", ""),
                unit_code=form.get("unit") or None,
                work_grid_codes=form.getlist("work_grids"),
                on_duty=form.get("on_duty") == "on",
            )
            db.session.commit()
            return redirect(url_for(".person_page", user_id=user_id, done="saved"))
        except GridCityError as error:
            db.session.rollback()
            user = people.user_by_id(user_id)
            return _person_form(people.describe_person(user), form, error, _history(user_id))
    return _person_form(people.describe_person(user), {}, None, _history(user_id))


def _account_action(user_id: int, act, done: str):
    user = people.user_by_id(user_id)
    try:
        act(user.username)
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        user = people.user_by_id(user_id)
        return _person_form(people.describe_person(user), {}, error, _history(user_id))
    return redirect(url_for(".person_page", user_id=user_id, done=done))


@bp.post("/people/<int:user_id>/deactivate")
@roles_required(Role.ADMIN)
def deactivate_person(user_id: int):
    return _account_action(user_id, lambda name: people.deactivate(name, current_user()), "deactivated")


@bp.post("/people/<int:user_id>/reactivate")
@roles_required(Role.ADMIN)
def reactivate_person(user_id: int):
    return _account_action(user_id, lambda name: people.reactivate_user(name, current_user()), "reactivated")


@bp.post("/people/<int:user_id>/unlock")
@roles_required(Role.ADMIN)
def unlock_person(user_id: int):
    return _account_action(user_id, lambda name: services.unlock_user(name, current_user()), "unlocked")


@bp.post("/people/<int:user_id>/reset-password")
@roles_required(Role.ADMIN)
def reset_person_password(user_id: int):
    password = request.form.get("password", "")
    return _account_action(
        user_id, lambda name: people.reset_password(name, password, current_user()), "password_reset"
    )


# ---------------------------------------------------------------- import


@bp.route("/people/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_page():
    """Upload → each row with its problems (nothing saved) → import."""
    if request.method == "GET":
        return _page("admin_people_import.html", rows=None, error=None)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise GridCityError("import_empty")
        sheet = people_import.read_sheet(upload.filename, upload.read())
        checked = people_import.check_rows(sheet)
    except GridCityError as error:
        db.session.rollback()
        return _page("admin_people_import.html", status=error.status, rows=None, error=error.message())
    db.session.rollback()
    language = current_language()
    bad = sum(1 for r in checked if r.errors)
    html, status = _page(
        "admin_people_import.html",
        rows=[r.to_dict(language) for r in checked],
        bad=bad,
        # The checked rows go back with "import" (and are checked again there).
        sheet=json.dumps(sheet, ensure_ascii=False) if not bad else None,
        error=None,
    )
    # The page holds the initial passwords: no copy of it is kept by the browser or a proxy.
    return html, status, {"Cache-Control": "no-store"}


@bp.post("/people/import/save")
@roles_required(Role.ADMIN)
def import_save():
    try:
        sheet = json.loads(request.form.get("sheet", "[]"))
        if not isinstance(sheet, list) or not all(isinstance(r, dict) for r in sheet):
            raise GridCityError("import_bad_file")
        rows = [{str(k): str(v) for k, v in r.items()} for r in sheet]
        created = people_import.import_people(rows, current_user())
        db.session.commit()
    except ValueError:
        return _page(
            "admin_people_import.html",
            status=400,
            rows=None,
            error=GridCityError("import_bad_file").message(),
        )
    except GridCityError as error:
        db.session.rollback()
        return _page("admin_people_import.html", status=error.status, rows=None, error=error.message())
    return _page("admin_people_import.html", rows=None, error=None, imported=len(created))


# ---------------------------------------------------------------- audit log


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise GridCityError("bad_request", detail=f"{text}: a date is written 2026-12-07") from None


def _searched() -> list:
    args = request.args
    return audit.search(
        person=args.get("person") or None,
        target=args.get("object") or None,
        action=args.get("action") or None,
        since=day_start(_day(args.get("since"))),
        until=day_start(_day(args.get("until")), days=1),
        limit=1000,
    )


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit_page():
    language = current_language()
    return _page(
        "admin_audit.html",
        entries=words.describe(_searched()[:200], language),
        filters=request.args,
        actions=[(a, words.action_name(a, language)) for a in words.ACTIONS],
    )


@bp.get("/audit/export.csv")
@roles_required(Role.ADMIN)
def audit_export():
    """The searched entries as a CSV for a spreadsheet (UTF-8 with its mark, so Excel reads Chinese)."""
    language = current_language()
    out = io.StringIO()
    writer = csv.writer(out)
    t = lambda key: ui_text(key, language)  # noqa: E731
    writer.writerow(
        [
            t(k)
            for k in (
                "adm_when",
                "adm_who",
                "adm_address",
                "adm_what",
                "adm_object",
                "adm_changes",
                "adm_note",
            )
        ]
    )
    for e in words.describe(_searched(), language):
        changes = "; ".join(f"{c['field']}: {c['before']} → {c['after']}" for c in e["changes"])
        row = [e["at"], e["actor"], e["address"], e["action_name"], e["object"], changes, e["note"]]
        # A cell starting like a formula stays text in a spreadsheet.
        writer.writerow(["'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v for v in map(str, row)])
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-log.csv"},
    )


# ---------------------------------------------------------------- one's own password


@account_bp.route("/password", methods=["GET", "POST"])
@login_required
@allows_password_change
def password_page():
    """修改密码, from the header's menu; the only page a user whose password
    an admin reset may open before choosing their own."""
    user = current_user()
    target = web_views.safe_next(request.values.get("next"))
    if request.method == "POST":
        form = request.form
        try:
            if form.get("new_password", "") != form.get("repeat_password", ""):
                raise GridCityError("passwords_differ")
            people.change_own_password(user, form.get("old_password", ""), form.get("new_password", ""))
            sign_in(user)  # this session goes on; every other one ended
            db.session.commit()
        except GridCityError as error:
            db.session.rollback()
            return _page("account_password.html", status=error.status, error=error.message(), next=target)
        if target == "/" and user.role == Role.INSPECTOR.value:
            target = "/m/"  # the inspectors' app
        return redirect(target)
    return _page("account_password.html", error=None, next=target, must_change=user.must_change_password)
