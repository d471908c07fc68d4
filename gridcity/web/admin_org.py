"""The admin console's organisation (组织机构): responsible units, areas, work
groups and work grids. Server-rendered forms, thin: each posts to a view that
calls the same service as the API and the ``gridcity org`` / ``gridcity geo``
commands (gridcity/org/units.py, gridcity/geo/organisation.py), commits once,
and shows a refusal beside the form. The work grid page's map picks unit
grids through the API (frontend/static/js/admin_work_grids.js)."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from sqlalchemy import select

from gridcity.audit import services as audit
from gridcity.audit import words
from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.geo import organisation
from gridcity.geo.models import Area, Street, WorkGrid, WorkGroup
from gridcity.org import units
from gridcity.org.models import UNIT_KINDS, Role, User
from gridcity.web import views as web_views
from gridcity.web.admin_people import _page
from gridcity.web.ui_text import ui_text, ui_texts

bp = Blueprint("admin_org", __name__, url_prefix="/admin")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

DONE = ("saved", "created", "deactivated", "reactivated", "grids_saved")
MAP_TEXTS = (
    "org_map_loading",
    "org_map_zoom_in",
    "org_map_selected",
    "org_preview_added",
    "org_preview_removed",
    "org_preview_moved",
    "org_preview_nothing",
    "org_saved_grids",
    "load_error",
)


def _done() -> str | None:
    return request.args.get("done") if request.args.get("done") in DONE else None


def _history(kind: str, object_id: int) -> list[dict]:
    return words.describe(audit.search(object_kind=kind, object_id=object_id, limit=100), current_language())


def _error(error: GridCityError | None) -> dict:
    return {
        "status": error.status if error is not None else 200,
        "error": error.message() if error is not None else None,
        "error_field": getattr(error, "field", None),
    }


def _streets() -> list[Street]:
    return list(db.session.scalars(select(Street).order_by(Street.district_id, Street.code)))


def _kinds() -> list[tuple[str, str]]:
    language = current_language()
    return [(k, ui_text(f"unit_kind_{k}", language)) for k in UNIT_KINDS]


def _leaders() -> list[User]:
    """People who may head an area or lead a group (active managers and inspectors)."""
    query = select(User).where(User.active, User.role.in_(organisation.LEADER_ROLES)).order_by(User.username)
    return list(db.session.scalars(query))


# ---------------------------------------------------------------- units


@bp.get("/units")
@roles_required(Role.ADMIN)
def units_page():
    args = request.args
    active = {"yes": True, "no": False}.get(args.get("active", ""))
    street = args.get("street", "")
    found = units.find_units(
        args.get("kind") or None, active, int(street) if street.isdigit() and len(street) < 10 else None
    )
    streets = {s.id: s.name for s in _streets()}
    kinds = dict(_kinds())
    rows = [{"unit": u, "kind": kinds.get(u.kind, ""), "street": streets.get(u.street_id, "")} for u in found]
    return _page(
        "admin_units.html", rows=rows, filters=args, kinds=_kinds(), streets=_streets(), done=_done()
    )


def _unit_form(unit, form, error: GridCityError | None = None):
    fields = ("code", "name", "kind", "contact_name", "contact_phone", "street_id")
    values = {f: form.get(f, getattr(unit, f, "") if unit else "") for f in fields}
    return _page(
        "admin_unit.html",
        **_error(error),
        unit=unit,
        values={k: "" if v is None else v for k, v in values.items()},
        kinds=_kinds(),
        streets=_streets(),
        done=_done(),
        routing=units.rules_routing_to(unit) if unit else [],
        history=_history(units.UNIT_KIND, unit.id) if unit else [],
    )


def _unit_changes(form) -> dict:
    return {f: form.get(f, "") for f in ("name", "kind", "contact_name", "contact_phone", "street_id")}


@bp.route("/units/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_unit_page():
    if request.method == "GET":
        return _unit_form(None, {})
    form = request.form
    try:
        unit = units.create_unit(form.get("code", ""), **_unit_changes(form), actor=current_user())
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _unit_form(None, form, error)
    return redirect(url_for(".unit_page", unit_id=unit.id, done="created"))


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def unit_page(unit_id: int):
    unit = units.unit_by_id(unit_id)
    if request.method == "GET":
        return _unit_form(unit, {})
    form = request.form
    try:
        units.edit_unit(unit_id, current_user(), **_unit_changes(form))
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _unit_form(units.unit_by_id(unit_id), form, error)
    return redirect(url_for(".unit_page", unit_id=unit_id, done="saved"))


def _unit_state(unit_id: int, act, done: str):
    try:
        act(unit_id, current_user())
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _unit_form(units.unit_by_id(unit_id), {}, error)
    return redirect(url_for(".unit_page", unit_id=unit_id, done=done))


@bp.post("/units/<int:unit_id>/deactivate")
@roles_required(Role.ADMIN)
def deactivate_unit(unit_id: int):
    return _unit_state(unit_id, units.deactivate_unit, "deactivated")


@bp.post("/units/<int:unit_id>/reactivate")
@roles_required(Role.ADMIN)
def reactivate_unit(unit_id: int):
    return _unit_state(unit_id, units.reactivate_unit, "reactivated")


# ---------------------------------------------------------------- areas and work groups


def _areas_page(form, error: GridCityError | None = None, which: str | None = None):
    areas = list(db.session.scalars(select(Area).order_by(Area.code)))
    groups = list(db.session.scalars(select(WorkGroup).order_by(WorkGroup.code)))
    people = {u.id: u.display_name for u in _leaders()}
    return _page(
        "admin_areas.html",
        **_error(error),
        which=which,
        form=form,
        areas=areas,
        groups=groups,
        area_names={a.id: a.name for a in areas},
        streets=_streets(),
        street_names={s.id: s.name for s in _streets()},
        people=people,
        leaders=_leaders(),
        done=_done(),
    )


@bp.get("/areas")
@roles_required(Role.ADMIN)
def areas_page():
    return _areas_page({})


@bp.post("/areas/new")
@roles_required(Role.ADMIN)
def new_area():
    form = request.form
    try:
        area = organisation.add_area(
            form.get("code", ""),
            form.get("name", ""),
            form.get("street_id"),
            form.get("head"),
            current_user(),
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _areas_page(form, error, "area")
    return redirect(url_for(".area_page", area_id=area.id, done="created"))


@bp.post("/work-groups/new")
@roles_required(Role.ADMIN)
def new_work_group():
    form = request.form
    try:
        group = organisation.add_work_group(
            form.get("code", ""),
            form.get("name", ""),
            form.get("area_id"),
            form.get("leader"),
            current_user(),
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _areas_page(form, error, "work_group")
    return redirect(url_for(".work_group_page", group_id=group.id, done="created"))


def _item_form(kind: str, obj, form, error: GridCityError | None = None):
    return _page(
        "admin_org_item.html",
        **_error(error),
        kind=kind,
        item=obj,
        form=form,
        streets=_streets(),
        areas=list(db.session.scalars(select(Area).order_by(Area.code))),
        leaders=_leaders(),
        person=db.session.get(User, (obj.head_user_id if kind == "area" else obj.leader_user_id) or 0),
        work_grids=sorted(obj.work_grids, key=lambda w: w.code),
        done=_done(),
        history=_history(kind, obj.id),
    )


@bp.route("/areas/<int:area_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def area_page(area_id: int):
    area = organisation.area_by_id(area_id)
    if request.method == "GET":
        return _item_form("area", area, {})
    form = request.form
    try:
        organisation.edit_area(
            area_id,
            current_user(),
            name=form.get("name", ""),
            street_id=form.get("street_id"),
            head=form.get("head"),
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _item_form("area", db.session.get(Area, area_id), form, error)
    return redirect(url_for(".area_page", area_id=area_id, done="saved"))


@bp.route("/work-groups/<int:group_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def work_group_page(group_id: int):
    group = organisation.work_group_by_id(group_id)
    if request.method == "GET":
        return _item_form("work_group", group, {})
    form = request.form
    try:
        organisation.edit_work_group(
            group_id,
            current_user(),
            name=form.get("name", ""),
            area_id=form.get("area_id"),
            leader=form.get("leader"),
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _item_form("work_group", db.session.get(WorkGroup, group_id), form, error)
    return redirect(url_for(".work_group_page", group_id=group_id, done="saved"))


# ---------------------------------------------------------------- work grids


def _work_grids_page(form, error: GridCityError | None = None):
    return _page(
        "admin_work_grids.html",
        **_error(error),
        form=form,
        rows=organisation.work_grid_rows(),
        areas=list(db.session.scalars(select(Area).order_by(Area.code))),
        groups=list(db.session.scalars(select(WorkGroup).order_by(WorkGroup.code))),
        done=_done(),
    )


@bp.get("/work-grids")
@roles_required(Role.ADMIN)
def work_grids_page():
    return _work_grids_page({})


@bp.post("/work-grids/new")
@roles_required(Role.ADMIN)
def new_work_grid():
    form = request.form
    try:
        work_grid = organisation.add_work_grid(
            form.get("code", ""),
            form.get("name", ""),
            form.get("area_id"),
            form.get("work_group_id") or None,
            current_user(),
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _work_grids_page(form, error)
    return redirect(url_for(".work_grid_page", work_grid_id=work_grid.id, done="created"))


def _work_grid_form(work_grid: WorkGrid, form, error: GridCityError | None = None):
    row = next(r for r in organisation.work_grid_rows() if r["id"] == work_grid.id)
    return _page(
        "admin_work_grid.html",
        **_error(error),
        work_grid=work_grid,
        row=row,
        form=form,
        areas=list(db.session.scalars(select(Area).order_by(Area.code))),
        groups=list(db.session.scalars(select(WorkGroup).order_by(WorkGroup.code))),
        done=_done(),
        history=_history(organisation.WORK_GRID_KIND, work_grid.id),
        page_data={
            "work_grid": {"id": work_grid.id, "code": work_grid.code, "area_id": work_grid.area_id},
            "unit_grid_ids": organisation.unit_grid_ids_of(work_grid.id),
            "texts": ui_texts(current_language(), MAP_TEXTS),
        },
    )


@bp.route("/work-grids/<int:work_grid_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def work_grid_page(work_grid_id: int):
    work_grid = organisation.work_grid_by_id(work_grid_id)
    if request.method == "GET":
        return _work_grid_form(work_grid, {})
    form = request.form
    try:
        organisation.edit_work_grid(
            work_grid_id,
            current_user(),
            name=form.get("name", ""),
            area_id=form.get("area_id"),
            work_group_id=form.get("work_group_id") or None,
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _work_grid_form(organisation.work_grid_by_id(work_grid_id), form, error)
    return redirect(url_for(".work_grid_page", work_grid_id=work_grid_id, done="saved"))
