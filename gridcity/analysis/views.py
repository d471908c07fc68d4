"""Decision support: the page ``/analysis/`` (决策建议: hotspots on a map and
ranked, recurring problems per unit and street) and its read-only API under
``/api/v1/analysis`` (JSON, GeoJSON, XLSX)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from sqlalchemy import select

from gridcity.analysis import exports, hotspots, recurrences, schemas
from gridcity.analysis.scope import ANALYSIS_ROLES, Scope, build_scope, current_month, local_date
from gridcity.core.api import operation, query_args, validate
from gridcity.core.auth import current_user, roles_required
from gridcity.core.basemap import basemap_page_data
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.geo.models import Street
from gridcity.org.models import Role
from gridcity.org.services import describe_user
from gridcity.scorecards.presentation.exports import XLSX_TYPE
from gridcity.taxonomy.models import KIND_PREFIX, CategoryMajor
from gridcity.web import views as web_views
from gridcity.web.ui_text import ui_texts

bp = Blueprint("analysis", __name__)
api_bp = Blueprint("analysis_api", __name__, url_prefix="/api/v1/analysis")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

# Case numbers link to the case page where the reader has one (the managers'
# scorecard case page), else to the search that finds the case.
CASE_PAGE_ROLES = (Role.MANAGER.value, Role.ADMIN.value)
PAGE_TEXTS = ("an_cases", "an_category", "an_rank", "loading", "load_error")


def scope_from(query: schemas.AnalysisQuery) -> Scope:
    fields = query.model_dump(exclude={"month", "first_day", "last_day"})
    return build_scope(month=query.month, first_day=query.first_day, last_day=query.last_day, **fields)


def _download(data: bytes | str, filename: str, mimetype: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _geojson(kind: str, scope: Scope, collection: dict) -> Response:
    body = current_app.json.dumps(collection)
    return _download(body, f"{kind}-{scope.label.replace(' – ', '_')}.geojson", exports.GEOJSON_TYPE)


def _xlsx(kind: str, scope: Scope, data: bytes) -> Response:
    return _download(data, f"{kind}-{scope.label.replace(' – ', '_')}.xlsx", XLSX_TYPE)


def _hotspots(query: schemas.AnalysisQuery) -> tuple[Scope, str, list, int]:
    """The scope asked for, the reader's language, its hotspots and how many cases were read."""
    scope, language = scope_from(query), current_language()
    rows = hotspots.read_cases(scope)
    return scope, language, hotspots.find_hotspots(scope, language, rows=rows), len(rows)


def _recurrences(query: schemas.AnalysisQuery) -> tuple[Scope, str, recurrences.RecurrenceReport]:
    scope, language = scope_from(query), current_language()
    return scope, language, recurrences.find_recurrences(scope, language)


# ---------------------------------------------------------------- the API


@api_bp.get("/hotspots")
@roles_required(*ANALYSIS_ROLES)
@operation(query=schemas.AnalysisQuery, responses={200: schemas.Hotspots})
def hotspots_json(query: schemas.AnalysisQuery):
    """The period's hotspots, ranked."""
    scope, language, found, read = _hotspots(query)
    return jsonify(exports.hotspots_answer(scope, found, read, language))


@api_bp.get("/hotspots.geojson")
@roles_required(*ANALYSIS_ROLES)
@operation(query=schemas.AnalysisQuery, responses={200: None})
def hotspots_geojson(query: schemas.AnalysisQuery):
    scope, language, found, _ = _hotspots(query)
    return _geojson("hotspots", scope, exports.hotspots_geojson(found, language))


@api_bp.get("/hotspots.xlsx")
@roles_required(*ANALYSIS_ROLES)
@operation(query=schemas.AnalysisQuery, responses={200: None})
def hotspots_xlsx(query: schemas.AnalysisQuery):
    scope, language, found, _ = _hotspots(query)
    return _xlsx("hotspots", scope, exports.hotspots_xlsx(scope, found, language))


@api_bp.get("/recurrences")
@roles_required(*ANALYSIS_ROLES)
@operation(query=schemas.AnalysisQuery, responses={200: schemas.Recurrences})
def recurrences_json(query: schemas.AnalysisQuery):
    """The period's recurring problems, with their counts per unit and per street."""
    scope, language, report = _recurrences(query)
    return jsonify(exports.recurrences_answer(scope, report, language))


@api_bp.get("/recurrences.geojson")
@roles_required(*ANALYSIS_ROLES)
@operation(query=schemas.AnalysisQuery, responses={200: None})
def recurrences_geojson(query: schemas.AnalysisQuery):
    scope, language, report = _recurrences(query)
    positions = recurrences.case_positions([r.case_id for r in report.rows])
    return _geojson("recurrences", scope, exports.recurrences_geojson(report, positions, language))


@api_bp.get("/recurrences.xlsx")
@roles_required(*ANALYSIS_ROLES)
@operation(query=schemas.AnalysisQuery, responses={200: None})
def recurrences_xlsx(query: schemas.AnalysisQuery):
    scope, language, report = _recurrences(query)
    return _xlsx("recurrences", scope, exports.recurrences_xlsx(scope, report, language))


# ---------------------------------------------------------------- the page


@bp.get("/analysis/")
@roles_required(*ANALYSIS_ROLES)
def analysis_page():
    """Hotspots (map and ranked list) or recurring problems (per unit, per street, each case)."""
    # The filter form sends its "all" choices as empty values: not given.
    given = {k: v for k, v in query_args(schemas.AnalysisQuery).items() if v != ""}
    query = validate(schemas.AnalysisQuery, given)
    tab = "recurrences" if request.args.get("tab") == "recurrences" else "hotspots"
    user = current_user()
    me = describe_user(user)
    page_data: dict = {"hotspots": []}
    if tab == "hotspots":
        scope, language, found, read = _hotspots(query)
        context: dict = {}
        context["hotspots"] = [exports.hotspot_dict(h, language) for h in found]
        context["cases_read"] = read
        page_data["hotspots"] = [
            {"id": h.id, "rank": h.rank, "lon": h.lon, "lat": h.lat, "radius_m": h.radius_m, "size": h.size,
             "label": f"{h.rank}. {h.category_name} · {h.size}", "positions": h.positions}
            for h in found
        ]  # fmt: skip
        page_data["bounds"] = web_views._city_bounds()
        page_data.update(basemap_page_data(current_app.config["SETTINGS"], language))
    else:
        scope, language, report = _recurrences(query)
        context = {"report": report, "recurrences": exports.recurrence_dicts(report, language)}
    page_data.update(lang=language, texts=ui_texts(language, PAGE_TEXTS))
    args = scope.query_args()
    return render_template(
        "analysis.html",
        me=me,
        role_name=me["role_name"][language],
        page_data=page_data,
        months=recent_months(),
        streets=db.session.execute(select(Street.id, Street.name).order_by(Street.code, Street.id)).all(),
        classes=_classes(language),
        args=args,
        tab_url=lambda name: url_for(".analysis_page", tab=name, **args),
        export_url=lambda what, ext: url_for(f"analysis_api.{what}_{ext}", **args),
        case_url=_case_url(user.role),
        local_date=lambda iso: local_date(dt.datetime.fromisoformat(iso)),
        tab=tab,
        scope=scope,
        **context,
    )


def recent_months(n: int = 24) -> list[str]:
    from gridcity.scorecards.counting.engine import shift_month

    this = current_month()
    return [shift_month(this, -k) for k in range(n)]


def _classes(language: str) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(CategoryMajor.kind, CategoryMajor.code, CategoryMajor.name_zh, CategoryMajor.name_en).order_by(
            CategoryMajor.kind, CategoryMajor.code
        )
    ).all()
    return [
        (f"{KIND_PREFIX[kind]}{code}", name_en if language == "en" and name_en else name_zh)
        for kind, code, name_zh, name_en in rows
    ]


def _case_url(role: str):
    if role in CASE_PAGE_ROLES:
        return lambda case_id, number: url_for("scorecards_pages.case_page", case_id=case_id)
    return lambda case_id, number: url_for("dispatch.search_page", q=number)
