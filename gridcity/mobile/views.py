"""The inspectors' app at ``/m/`` and its few API additions.

The page is one document: its CSS, its scripts and what they need (the
inspector, the categories with their pinyin initials, the texts) are inlined
and the whole is gzip-compressed, so on a slow link the report form is usable
after a single round trip. The map library loads after that, and the service
worker keeps everything for the next start without signal.
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from gridcity.cases import services as case_services
from gridcity.cases import states as case_states
from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.core.basemap import basemap_page_data
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language, translate
from gridcity.extensions import db
from gridcity.mobile import schemas, services
from gridcity.mobile.schemas import MonthQuery, MyReportsQuery, SameAs
from gridcity.org.models import ROLE_NAMES, Role
from gridcity.org.services import describe_user
from gridcity.patrols.models import PATROL_KINDS
from gridcity.patrols.services import DEFAULT_INTERVAL_S, INTERVALS_S
from gridcity.web import inlined
from gridcity.web import views as web_views
from gridcity.web.ui_text import ui_text, ui_texts

bp = Blueprint("mobile", __name__, url_prefix="/m")
api_bp = Blueprint("mobile_api", __name__, url_prefix="/api/v1")

# Inlined into the page, in this order.
SCRIPTS = (
    "core.js",
    "outbox.js",
    "report.js",
    "components.js",
    "minimap.js",
    "tasks.js",
    "patrol.js",
    "month.js",
    "myreports.js",
)
STYLES = ("app.css",)
# Fetched after the form is ready, and kept by the service worker.
LATER = (
    "/static/vendor/leaflet-1.9.4/leaflet.js",
    "/static/vendor/leaflet-1.9.4/leaflet.css",
    "/static/js/datum.js",
    "/static/vendor/leaflet-1.9.4/images/marker-icon.png",
    "/static/vendor/leaflet-1.9.4/images/marker-icon-2x.png",
    "/static/vendor/leaflet-1.9.4/images/marker-shadow.png",
    "/static/m/icons/icon-192.png",
)


def _build_id() -> str:
    """Changes whenever an inlined file does, so the service worker renews its cache."""
    digest = hashlib.sha256()
    for name in (*SCRIPTS, *STYLES, "sw.js"):
        digest.update((inlined.static_dir("m") / name).read_bytes())
    return digest.hexdigest()[:12]


bp.context_processor(web_views._page_helpers)


@bp.errorhandler(GridCityError)
def _error_page(error: GridCityError):
    params = dict(error.params)
    if params.get("role") in {r.value for r in Role}:
        params["role"] = ROLE_NAMES[Role(params["role"])][0 if current_language() == "zh" else 1]
    message = translate(error.key, **params)
    return render_template("error.html", status=error.status, message=message), error.status


@bp.get("/")
@roles_required(Role.INSPECTOR)
def app_page():
    """The app shell (上报, 任务, 巡查, 本月, 我的上报 with the outbox)."""
    user = current_user()
    language = current_language()
    settings = current_app.config["SETTINGS"]
    page_data = {
        "me": describe_user(user),
        "lang": language,
        "categories": services.app_categories(),
        "patrol_kinds": list(PATROL_KINDS),
        "intervals": list(INTERVALS_S),
        "default_interval": DEFAULT_INTERVAL_S,
        **basemap_page_data(settings, language),
        "later": list(LATER),
        "build": _build_id(),
        "texts": ui_texts(language, m_text_keys()),
    }
    html = render_template(
        "m/app.html",
        page_data=page_data,
        inline_css=inlined.inline("m", STYLES),
        inline_js=inlined.inline("m", SCRIPTS),
        me=page_data["me"],
    )
    return inlined.compressed(html)


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from /m/ so that its scope is the app."""
    body = (inlined.static_dir("m") / "sw.js").read_text(encoding="utf-8")
    body = body.replace("__BUILD__", _build_id()).replace("__LATER__", json.dumps(list(LATER)))
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/m/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    language = current_language()
    return Response(
        json.dumps(
            {
                "name": ui_text("m_app_name", language),
                "short_name": ui_text("m_short_name", language),
                "lang": "zh-CN" if language == "zh" else "en",
                "start_url": "/m/",
                "scope": "/m/",
                "display": "standalone",
                "orientation": "portrait",
                "background_color": "#ffffff",
                "theme_color": "#0b5cad",
                "icons": [
                    {"src": "/static/m/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
                    {"src": "/static/m/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
                    {
                        "src": "/static/m/icons/icon-512.png",
                        "sizes": "512x512",
                        "type": "image/png",
                        "purpose": "maskable",
                    },
                ],
            },
            ensure_ascii=False,
        ),
        mimetype="application/manifest+json",
    )


# ---------------------------------------------------------------- API


@api_bp.get("/me/month")
@roles_required(Role.INSPECTOR)
@operation(query=MonthQuery, responses={200: schemas.InspectorMonth})
def my_month(query: MonthQuery):
    """本月 — my reports, valid reports, on-time verify / check tasks."""
    tz = current_app.config["SETTINGS"].timezone
    if query.month:
        year, month = (int(v) for v in query.month.split("-"))
    else:
        from zoneinfo import ZoneInfo

        from gridcity.core.clock import utcnow

        today = utcnow().astimezone(ZoneInfo(tz))
        year, month = today.year, today.month
    return jsonify(services.inspector_month(current_user().id, year, month, tz).to_dict())


@api_bp.get("/me/reports")
@roles_required(Role.INSPECTOR)
@operation(query=MyReportsQuery, responses={200: schemas.MyReportsPage})
def my_reports(query: MyReportsQuery):
    """我的上报 — my own reports, newest first. The phone polls this while the
    list is on screen: a weak ETag that changes when any of my reports moves
    answers 304 (no body, one aggregate query) while nothing did."""
    user = current_user()
    tag = f"mine-{user.id}-{query.limit}-{query.offset}-{services.my_reports_tag(user)}"
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        page = services.my_reports(user, query.limit, query.offset)
        response = jsonify(
            {
                "total": page.total,
                "limit": query.limit,
                "offset": query.offset,
                "items": [services.my_report_json(c) for c in page.items],
            }
        )
    response.set_etag(tag, weak=True)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


@api_bp.get("/reports/<int:case_id>/receipt")
@roles_required(Role.INSPECTOR, Role.OPERATOR)
@operation(responses={200: schemas.ReportReceipt})
def report_receipt(case_id: int):
    case = case_services.get_case(case_id)
    return jsonify(services.report_receipt(case, current_user()))


@api_bp.post("/reports/<int:case_id>/same-as")
@roles_required(Role.INSPECTOR, Role.OPERATOR)
@operation(body=SameAs, responses={200: schemas.ReportReceipt})
def same_as(case_id: int, body: SameAs):
    """Mark my report "the same" as the open case ``same_as``; the operator merges."""
    case = case_services.get_case(case_id)
    other = case_services.get_case(body.same_as)
    services.mark_same_as(case, other, current_user(), body.note or "")
    db.session.commit()
    return jsonify(services.report_receipt(case, current_user()))


def m_text_keys() -> tuple[str, ...]:
    """Texts the app's scripts use: every ``m_`` key and a few shared ones."""
    from gridcity.web.ui_text import UI_TEXT

    shared = ("kind_component", "kind_event", "urgency_normal", "urgency_urgent", "network_error")
    # A case's state in words (我的上报), the same words as the dispatch desk's.
    state_words = tuple(f"d_state_{state}" for state in case_states.STATES)
    return tuple(k for k in UI_TEXT if k.startswith("m_")) + shared + state_words
