"""Pages: sign-in, each role's home with the city map, and the admin tables.

The pages are shells around our own JSON API: they render who the user is and
what the page's script needs (settings, texts) as one inline JSON block; the
map and the admin tables load their data from ``/api/v1/...``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request
from sqlalchemy import func, select

from gridcity.core.auth import current_user, login_required, roles_required
from gridcity.core.basemap import basemap_page_data
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import LANGUAGES, current_language, translate
from gridcity.extensions import db
from gridcity.geo.models import District, Street, UnitGrid, WorkGrid
from gridcity.org.models import ROLE_NAMES, Role, is_unit_member
from gridcity.org.services import describe_user
from gridcity.web.formats import city_datetime, month_label
from gridcity.web.ui_text import ui_keys, ui_text, ui_texts

bp = Blueprint("web", __name__)
# One date format on every page (templates of every blueprint): ``{{ moment|datetime }}``.
bp.add_app_template_filter(city_datetime, "datetime")
# A month in the page's language: ``{{ "2026-11"|month_label }}``.
bp.add_app_template_filter(month_label, "month_label")

# Texts each page's script needs (the rest are rendered into the HTML).
MAP_TEXTS = (
    "layer_basemap",
    "layer_streets",
    "layer_work_grids",
    "layer_unit_grids",
    "hint_zoom_in",
    "hint_too_many",
    "map_load_error",
    "my_grid",
    "loading",
)
ADMIN_TEXTS = ("loading", "load_error", "yes", "no") + ui_keys("kind_", "unit_kind_", "urgency_", "clock_")
# Unit grids are fetched by bounding box only from this zoom on (the API caps a view at 5,000).
UNIT_GRID_MIN_ZOOM = 15


@bp.context_processor
def _page_helpers() -> dict:
    language = current_language()
    return {
        "lang": language,
        "other_lang": next(code for code in LANGUAGES if code != language),
        "t": lambda key: ui_text(key, language),
    }


@bp.errorhandler(GridCityError)
def _error_page(error: GridCityError):
    """A refused page (e.g. a role without access) as a page, not as JSON."""
    params = dict(error.params)
    if params.get("role") in {r.value for r in Role}:
        # The catalogue message names the role; show its name rather than its code.
        params["role"] = ROLE_NAMES[Role(params["role"])][0 if current_language() == "zh" else 1]
    message = translate(error.key, **params)
    return render_template("error.html", status=error.status, message=message), error.status


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another host.

    Browsers drop tabs and newlines from a URL and read a backslash as a
    slash, so ``/%09/evil.example`` or ``/\\evil.example`` would leave the
    site: only a plain local path (one leading slash, no backslash, no
    control character or space) is kept; anything else goes home."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target)
    ):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


@bp.get("/login")
def login_page():
    if current_user() is not None:
        # Signed in already (the back button, a bookmark): no sign-in form, go
        # where the form would have sent them, or to their landing page.
        if request.args.get("next"):
            return redirect(safe_next(request.args.get("next")))
        return redirect("/m/" if current_user().role == Role.INSPECTOR.value else "/")
    page_data = {
        "next": safe_next(request.args.get("next")),
        "texts": ui_texts(current_language(), ("network_error", "sign_in")),
    }
    return render_template("login.html", page_data=page_data)


@bp.get("/")
@login_required
def home():
    user = current_user()
    me = describe_user(user)
    settings = current_app.config["SETTINGS"]
    language = current_language()
    page_data = {
        "role": user.role,
        "my_work_grid_ids": [w["id"] for w in me["scope"]["work_grids"]],
        "bounds": _city_bounds(),
        **basemap_page_data(settings, language),
        "unit_grid_min_zoom": UNIT_GRID_MIN_ZOOM,
        "texts": ui_texts(language, MAP_TEXTS),
    }
    show_counts = user.role != Role.INSPECTOR.value and not is_unit_member(user)
    from gridcity.analysis.scope import ANALYSIS_ROLES
    from gridcity.dispatch.landing import desk_numbers

    return render_template(
        "home.html",
        me=me,
        role_name=me["role_name"][language],
        unit=user.unit,
        unit_member=is_unit_member(user),
        numbers=desk_numbers(user, language),
        counts=_city_counts() if show_counts else None,
        is_admin=user.role == Role.ADMIN.value,
        analysis_roles=[r.value for r in ANALYSIS_ROLES],
        page_data=page_data,
    )


@bp.get("/admin/")
@roles_required(Role.ADMIN)
def admin_page():
    me = describe_user(current_user())
    language = current_language()
    return render_template(
        "admin.html",
        me=me,
        role_name=me["role_name"][language],
        page_data={"texts": ui_texts(language, ADMIN_TEXTS)},
    )


def _city_counts() -> dict[str, int]:
    return {
        "streets": db.session.scalar(select(func.count(Street.id))),
        "work_grids": db.session.scalar(select(func.count(WorkGrid.id))),
        "unit_grids": db.session.scalar(select(func.count(UnitGrid.id))),
    }


def _city_bounds() -> list[float] | None:
    """[west, south, east, north] of all districts (WGS-84), so the map opens on the city."""
    bounds = [d.bounds for d in db.session.scalars(select(District.geom)) if d is not None]
    if not bounds:
        return None
    return [
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    ]
