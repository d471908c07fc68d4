"""Proactive tasks (主动治理): the pages ``/proactive/`` (the list) and
``/proactive/new`` (the form the analysis links to, ``?basis=hotspot|
recurrence&id=…&cases=1,2,3&title=…``), and the API
``/api/v1/proactive-tasks``. Plain HTML forms carrying the session's CSRF
token; every rule is the service's."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.services import describe_user
from gridcity.proactive import schemas, services
from gridcity.taxonomy.models import Category
from gridcity.web import views as web_views
from gridcity.web.formats import city_zone
from gridcity.web.ui_text import ui_text

bp = Blueprint("proactive", __name__, url_prefix="/proactive")
api_bp = Blueprint("proactive_api", __name__, url_prefix="/api/v1/proactive-tasks")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

# What the datetime-local field sends (the city's wall clock).
FORM_MOMENT = "%Y-%m-%dT%H:%M"


# ---------------------------------------------------------------- API


@api_bp.post("")
@roles_required(*services.CREATORS)
@operation(body=schemas.TaskIn, responses={201: schemas.ProactiveTask})
def create(body: schemas.TaskIn):
    """主动治理 — raise a task from a hotspot or recurrence: a case filed and
    dispatched at once to the unit, with the deadline."""
    if (body.lon is None) != (body.lat is None):
        raise GridCityError("bad_request", detail="give both lon and lat, or neither")
    task = services.create_proactive_task(
        current_user(),
        body.title,
        body.description or "",
        body.unit_id,
        body.deadline,
        None if body.lon is None else services.Place(body.lon, body.lat),
        services.Basis(body.basis.kind, body.basis.id, tuple(body.basis.case_ids)),
        category=body.category,
    )
    db.session.flush()
    answer = services.task_json(task)
    db.session.commit()
    return jsonify(answer), 201


@api_bp.get("")
@roles_required(*services.READERS)
@operation(query=schemas.TaskQuery, responses={200: schemas.TaskList})
def list_tasks(query: schemas.TaskQuery):
    """The tasks, newest first, with their state, unit, deadline and basis."""
    total, rows = services.tasks(query.limit, query.offset)
    return jsonify({"total": total, "tasks": [services.task_json(t) for t in rows]})


@api_bp.get("/export.xlsx")
@roles_required(*services.READERS)
@operation(query=schemas.TaskQuery, responses={200: None})
def export_tasks(query: schemas.TaskQuery):
    """The tasks as a workbook: the list page's columns, newest first."""
    _, rows = services.tasks(query.limit, query.offset)
    return Response(
        services.tasks_xlsx(rows, current_language()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": 'attachment; filename="proactive-tasks.xlsx"',
            "Cache-Control": "no-store",
        },
    )


# ---------------------------------------------------------------- pages


def _render(template: str, **context) -> str:
    me = describe_user(current_user())
    return render_template(template, me=me, role_name=me["role_name"][current_language()], **context)


@bp.get("/")
@roles_required(*services.READERS)
def list_page():
    _, rows = services.tasks(500)
    created = request.args.get("created", type=int)
    made = next((t for t in rows if t.id == created), None)
    made_text = (
        None
        if made is None
        else ui_text("pa_created", current_language()).format(
            number=made.case.number, unit=made.case.unit.name if made.case.unit else "—"
        )
    )
    return _render(
        "proactive/list.html",
        rows=rows,
        made_text=made_text,
        can_create=current_user().role in {r.value for r in services.CREATORS},
    )


def _basis(values) -> services.Basis:
    """The basis as the link (or the form) names it."""
    raw = [p.strip() for p in (values.get("cases") or "").split(",") if p.strip()]
    if not all(p.isdigit() and 0 < int(p) < 2**31 for p in raw):
        raise GridCityError("bad_request", detail="cases must be case ids separated by commas")
    return services.Basis(
        (values.get("basis") or "").strip(), (values.get("id") or "").strip(), tuple(int(p) for p in raw)
    )


def _form_page(basis: services.Basis, form: dict, error: str | None = None, status: int = 200):
    proposal = services.proposal(current_user(), basis)
    categories = db.session.scalars(select(Category).where(Category.active.is_(True)).order_by(Category.code))
    chosen_unit = form.get("unit_id") or proposal["routed_unit_id"]
    place_text = ui_text("pa_place_centre", current_language()).format(
        place=proposal["place"], grid=proposal["unit_grid_code"]
    )
    page = _render(
        "proactive/new.html",
        basis=basis,
        place_text=place_text,
        proposal=proposal,
        form=form,
        error=error,
        units=services.active_units(),
        chosen_unit=str(chosen_unit or ""),
        categories=list(categories),
        chosen_category=form.get("category") or (proposal["category"].code if proposal["category"] else ""),
        deadline_value=form.get("deadline") or proposal["deadline"].strftime(FORM_MOMENT),
    )
    return page, status


@bp.get("/new")
@roles_required(*services.CREATORS)
def new_page():
    """The form, prefilled from the analysis's link."""
    return _form_page(_basis(request.args), {"title": request.args.get("title", "")})


def _form_deadline(raw: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(raw.strip(), FORM_MOMENT).replace(tzinfo=city_zone())
    except ValueError:
        raise GridCityError(
            "bad_request", detail="the deadline is a date and time (YYYY-MM-DD HH:MM)"
        ) from None


def _form_place(basis: services.Basis, raw: str) -> services.Place | None:
    """The form's place: the basis cases' centre (empty), or one basis case's position."""
    if not raw:
        return None
    chosen = next((c for c in services.basis_cases(current_user(), basis) if str(c.id) == raw), None)
    if chosen is None:
        raise GridCityError("bad_request", detail="the place is the centre or one of the basis cases")
    return services.Place(chosen.lon, chosen.lat)


@bp.post("/new")
@roles_required(*services.CREATORS)
def create_from_form():
    basis = _basis(request.form)
    form = request.form.to_dict()
    unit = form.get("unit_id", "")
    try:
        task = services.create_proactive_task(
            current_user(),
            form.get("title", ""),
            form.get("description", ""),
            int(unit) if unit.isdigit() else unit,
            _form_deadline(form.get("deadline", "")),
            _form_place(basis, form.get("place", "")),
            basis,
            category=form.get("category") or None,
        )
    except GridCityError as error:
        db.session.rollback()
        return _form_page(basis, form, error.message(current_language()), error.status)
    db.session.commit()
    return redirect(url_for(".list_page", created=task.id))
