"""The admin console's categories and responsibility rules (分类与责任规则):
server-rendered forms that call the same services as the API and the
``gridcity taxonomy`` commands, commit once, and show a refusal beside the
field it is about. The rules page's map and "test a point" read the API."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from sqlalchemy import select

from gridcity.audit import services as audit
from gridcity.audit import words
from gridcity.cases import deadline_policies
from gridcity.cases.deadlines import policy
from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.geo.models import District, Street, UnitGrid, WorkGrid
from gridcity.org.models import Role, Unit
from gridcity.taxonomy import editing, rules
from gridcity.taxonomy.models import CLOCKS, URGENCIES, Category, CategoryMajor
from gridcity.taxonomy.services import get_category
from gridcity.web import views as web_views
from gridcity.web.admin_people import _page
from gridcity.web.ui_text import ui_keys, ui_text, ui_texts

bp = Blueprint("admin_taxonomy", __name__, url_prefix="/admin")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

# What a redirect after a change says on the next page (``?done=``).
DONE = ("saved", "rule_added", "rule_moved", "rule_removed")
RULES_PAGE_TEXTS = (
    "adm_rule_unit",
    "adm_rule_matched",
    "adm_rule_no_answer",
    "adm_map_empty",
    "load_error",
    *ui_keys("place_kind_"),
)


def amount_text(amount: float) -> str:
    return f"{amount:g}"


def deadline_text(category: Category, language: str) -> str:
    return ui_text(f"clock_{category.deadline_clock}", language).replace(
        "{n}", amount_text(category.deadline_amount)
    )


def _done() -> str | None:
    return request.args.get("done") if request.args.get("done") in DONE else None


# ---------------------------------------------------------------- categories


def _steps(form) -> list[dict]:
    """Each step's deadline as the form shows it (the submitted values after a refusal)."""
    language = current_language()
    out = []
    for step, fields in deadline_policies.EDITABLE.items():
        clock, amount, fraction = policy(step)
        shown = {
            "step_clock": clock,
            "step_amount": amount_text(amount) if amount is not None else "",
            "warning_fraction": amount_text(fraction * 100),
        }
        shown = {f: form.get(f"{step}-{f}", shown[f]) for f in fields}
        out.append({"step": step, "name": ui_text(f"step_name_{step}", language), "fields": fields, **shown})
    return out


def _categories_page(form, error: GridCityError | None = None):
    language = current_language()
    rows = db.session.scalars(
        select(Category)
        .join(CategoryMajor)
        .where(Category.active)
        .order_by(CategoryMajor.kind, Category.code)
    )
    categories = [
        {
            "code": c.code,
            "kind": ui_text(f"kind_{c.major.kind}", language),
            "major": c.major.name_zh if language == "zh" else c.major.name_en,
            "name": c.name_zh if language == "zh" else c.name_en,
            "deadline": deadline_text(c, language),
            "urgency": ui_text(f"urgency_{c.urgency}", language),
            "radius": amount_text(c.duplicate_radius_m),
            "photos": c.inspector_min_photos,
        }
        for c in rows
    ]
    return _page(
        "admin_categories.html",
        status=error.status if error is not None else 200,
        categories=categories,
        steps=_steps(form),
        clocks=[(c, ui_text(f"clock_name_{c}", language)) for c in CLOCKS],
        error=error.message() if error is not None else None,
        error_field=getattr(error, "field", None),
        done=_done(),
    )


@bp.get("/categories")
@roles_required(Role.ADMIN)
def categories_page():
    return _categories_page({})


def _fraction(percent: str):
    """A percentage typed in the form as a fraction (the text itself when it is no number)."""
    try:
        return float(percent) / 100
    except ValueError:
        return percent


@bp.post("/deadlines")
@roles_required(Role.ADMIN)
def deadlines_page():
    form = request.form
    changes = {
        step: {
            f: _fraction(form[f"{step}-{f}"]) if f == "warning_fraction" else form[f"{step}-{f}"]
            for f in fields
            if f"{step}-{f}" in form
        }
        for step, fields in deadline_policies.EDITABLE.items()
    }
    try:
        deadline_policies.edit_policies(changes, current_user())
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _categories_page(form, error)
    return redirect(url_for(".categories_page", done="saved") + "#steps")


def _category_form(category: Category, form, error: GridCityError | None = None):
    language = current_language()
    entries = audit.search(object_kind=editing.CATEGORY_KIND, object_id=category.id, limit=100)
    return _page(
        "admin_category.html",
        status=error.status if error is not None else 200,
        category=category,
        values={f: form.get(f, getattr(category, f)) for f in editing.CATEGORY_FIELDS},
        error=error.message() if error is not None else None,
        error_field=getattr(error, "field", None),
        done=_done(),
        clocks=[(c, ui_text(f"clock_name_{c}", language)) for c in CLOCKS],
        urgencies=[(u, ui_text(f"urgency_{u}", language)) for u in URGENCIES],
        history=words.describe(entries, language),
        amount_text=amount_text,
    )


@bp.route("/categories/<code>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def category_page(code: str):
    category = get_category(code)
    if request.method == "GET":
        return _category_form(category, {})
    form = request.form
    try:
        editing.edit_category(
            code, current_user(), **{f: form[f] for f in editing.CATEGORY_FIELDS if f in form}
        )
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _category_form(get_category(code), form, error)
    return redirect(url_for(".category_page", code=code, done="saved"))


# ---------------------------------------------------------------- responsibility rules


def _places() -> list[tuple[str, list[tuple[str, str]]]]:
    """The places a rule may name, by kind: (kind's name, [(kind:id, name)])."""
    language = current_language()
    kinds = (
        ("district", District, District.code),
        ("street", Street, Street.code),
        ("work_grid", WorkGrid, WorkGrid.code),
    )
    return [
        (
            ui_text(f"place_kind_{kind}", language),
            [(f"{kind}:{p.id}", p.name) for p in db.session.scalars(select(model).order_by(order))],
        )
        for kind, model, order in kinds
    ]


def _chosen_place(form) -> tuple[str, int]:
    """The place of the add form: a unit grid by its code, else the chosen one."""
    grid_code = form.get("unit_grid", "").strip()
    if grid_code:
        grid = db.session.scalar(select(UnitGrid).where(UnitGrid.code == grid_code))
        if grid is None:
            raise GridCityError("unknown_unit_grid_code", status=422, code=grid_code[:30])
        return "unit_grid", grid.id
    kind, _, place_id = form.get("place", "").partition(":")
    if not place_id.isdigit():
        raise GridCityError("bad_place_kind")
    return kind, int(place_id)


def _rules_page(category_code: str | None, error: GridCityError | None = None):
    categories = list(
        db.session.scalars(
            select(Category)
            .join(CategoryMajor)
            .where(Category.active)
            .order_by(CategoryMajor.kind, Category.code)
        )
    )
    category = get_category(category_code) if category_code else categories[0] if categories else None
    language = current_language()
    units = list(db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.code)))
    listed = rules.rules_of(category.code) if category else []
    for rule in listed:
        rule["place_kind_name"] = ui_text(f"place_kind_{rule['place_kind']}", language)
    return _page(
        "admin_rules.html",
        status=error.status if error is not None else 200,
        categories=categories,
        category=category,
        rules=listed,
        units=units,
        places=_places(),
        error=error.message() if error is not None else None,
        done=_done(),
        page_data={
            "category": category.code if category else None,
            "texts": ui_texts(language, RULES_PAGE_TEXTS),
        },
        history=_rule_history(category, language),
    )


def _rule_history(category: Category | None, language: str) -> list[dict]:
    """The changes to a category's rules (their labels start with its code)."""
    if category is None:
        return []
    entries = audit.search(object_kind=rules.RULE_KIND, target=category.code + " ", limit=100)
    return words.describe([e for e in entries if e.object_label.startswith(category.code + " ")], language)


@bp.get("/rules")
@roles_required(Role.ADMIN)
def rules_page():
    return _rules_page(request.args.get("category") or None)


def _rule_change(category_code: str, act, done: str):
    try:
        act()
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _rules_page(category_code, error)
    return redirect(url_for(".rules_page", category=category_code, done=done))


@bp.post("/rules/new")
@roles_required(Role.ADMIN)
def add_rule():
    form = request.form
    code = form.get("category", "")

    def act():
        kind, place_id = _chosen_place(form)
        rules.put_rule(code, kind, place_id, form.get("unit", ""), current_user())

    return _rule_change(get_category(code).code, act, "rule_added")


@bp.post("/rules/<int:rule_id>/move")
@roles_required(Role.ADMIN)
def move_rule(rule_id: int):
    rule = rules.get_rule(rule_id)
    unit = request.form.get("unit", "")
    return _rule_change(
        rule.category.code, lambda: rules.move_rule(rule_id, unit, current_user()), "rule_moved"
    )


@bp.post("/rules/<int:rule_id>/remove")
@roles_required(Role.ADMIN)
def remove_rule(rule_id: int):
    rule = rules.get_rule(rule_id)
    return _rule_change(
        rule.category.code, lambda: rules.remove_rule(rule_id, current_user()), "rule_removed"
    )
