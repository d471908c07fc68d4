"""The dispatch center's live map (/dispatch/), the unit portal (/unit/), and
their API: the compact map state, the work queues, the case drawer."""

from __future__ import annotations

import gzip
import json

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from gridcity.cases import queries, search, states
from gridcity.cases import services as case_services
from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.core.basemap import basemap_page_data
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.dispatch import schemas, services
from gridcity.dispatch.schemas import MapFilter
from gridcity.org.models import ROLE_NAMES, UNIT_ROLES
from gridcity.org.services import describe_user
from gridcity.risk.explain import level_thresholds
from gridcity.web import views as web_views
from gridcity.web.ui_text import ui_keys, ui_texts

bp = Blueprint("dispatch", __name__)
api_bp = Blueprint("dispatch_api", __name__, url_prefix="/api/v1/dispatch")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)


@bp.app_template_global("can_search")
def _can_search(role: str) -> bool:
    """Whether the header shows the search box (案卷查询) to this role."""
    return role in {r.value for r in search.SEARCH_ROLES}


MAP_READERS = (*services.STAFF_ROLES, *UNIT_ROLES)
# The pages' words: every d_ key of gridcity.web.ui_text (states, actions, queues…).
TEXTS = ui_keys("d_", "hl_") + ("loading", "load_error", "network_error", "urgency_normal", "urgency_urgent")
# Bigger answers than this are sent gzip-compressed when the client accepts it.
COMPRESS_FROM = 32 * 1024


def _live_page_data(user, texts: tuple[str, ...]) -> dict:
    language = current_language()
    return {
        "role": user.role,
        "unit_id": user.unit_id,
        "lang": language,
        "states": list(states.OPEN_STATES),
        "sources": list(states.SOURCES),
        "queues": [q.to_dict() for q in services.queues_for(user)],
        "role_names": {r.value: names[0 if language == "zh" else 1] for r, names in ROLE_NAMES.items()},
        # 高 / 中 / 低: the overdue risk levels' lower bounds in percent.
        "risk_levels": level_thresholds(),
        **services.page_lookups(user, language),
        "texts": ui_texts(language, texts),
    }


@bp.get("/dispatch/")
@roles_required(*services.STAFF_ROLES)
def dispatch_page():
    """The centers' live map with the work queues and the case drawer."""
    user = current_user()
    settings = current_app.config["SETTINGS"]
    me = describe_user(user)
    page_data = {
        **_live_page_data(user, TEXTS + web_views.MAP_TEXTS),
        # What the shared home map (js/map.js) reads.
        "my_work_grid_ids": [],
        "bounds": web_views._city_bounds(),
        **basemap_page_data(settings, current_language()),
        "unit_grid_min_zoom": web_views.UNIT_GRID_MIN_ZOOM,
    }
    return render_template(
        "dispatch/dispatch.html", me=me, role_name=me["role_name"][current_language()], page_data=page_data
    )


@bp.get("/unit/")
@roles_required(*UNIT_ROLES)
def unit_page():
    """The unit portal (责任单位): our cases, deadlines, accept, handled, requests."""
    user = current_user()
    settings = current_app.config["SETTINGS"]
    me = describe_user(user)
    page_data = {
        **_live_page_data(user, TEXTS),
        **basemap_page_data(settings, current_language()),
    }
    return render_template(
        "dispatch/unit.html",
        me=me,
        role_name=me["role_name"][current_language()],
        unit=user.unit,
        page_data=page_data,
    )


# The search page's words: its own (search_), and the drawer's and states' (d_).
SEARCH_TEXTS = TEXTS + ui_keys("search_") + web_views.MAP_TEXTS


@bp.get("/search/")
@roles_required(*search.SEARCH_ROLES)
def search_page():
    """Find any case (案卷查询): the search box and filters, the results as a
    list and on the map, a case opened in the drawer. Reads
    ``GET /api/v1/cases/search``."""
    user = current_user()
    settings = current_app.config["SETTINGS"]
    me = describe_user(user)
    page_data = {
        **_live_page_data(user, SEARCH_TEXTS),
        **services.search_lookups(),
        "all_states": list(states.STATES),
        "my_work_grid_ids": [],
        "bounds": web_views._city_bounds(),
        **basemap_page_data(settings, current_language()),
        "unit_grid_min_zoom": web_views.UNIT_GRID_MIN_ZOOM,
    }
    return render_template(
        "dispatch/search.html",
        me=me,
        role_name=me["role_name"][current_language()],
        page_data=page_data,
        q=request.args.get("q", "")[:100],
    )


def _json(body: dict) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    response = Response(data, mimetype="application/json")
    if len(data) >= COMPRESS_FROM and "gzip" in request.accept_encodings:
        response.set_data(gzip.compress(data, compresslevel=1))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
    return response


@api_bp.get("/map")
@roles_required(*MAP_READERS)
@operation(query=MapFilter, responses={200: schemas.MapState})
def map_state(query: MapFilter):
    """Every open case I may see as compact arrays, and the live feed's seq."""
    return _json(services.map_state(current_user(), request.args))


@api_bp.get("/queues")
@roles_required(*MAP_READERS)
@operation(responses={200: schemas.Queues})
def queues():
    """My role's work queues and how many open cases each holds."""
    return jsonify({"seq": services.latest_seq(), "queues": services.queue_counts(current_user())})


@api_bp.get("/cases/<int:case_id>")
@roles_required(*MAP_READERS)
@operation(responses={200: schemas.Drawer})
def drawer(case_id: int):
    """A case as the drawer shows it: the case detail plus places, the rules'
    unit and the pending request."""
    user = current_user()
    case = case_services.get_case(case_id)
    queries.require_visible(user, case)
    return jsonify({**queries.case_detail(case, user), **services.drawer_extras(case, user)})
