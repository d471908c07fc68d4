"""The hotline intake page (/hotline/) and its API (/api/v1/hotline/…)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import select

from gridcity.cases import queries
from gridcity.cases import services as case_services
from gridcity.cases.admission import shed_when_busy
from gridcity.cases.views import _photos
from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.core.basemap import basemap_page_data
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.hotline import geocoder, schemas, services
from gridcity.org.services import describe_user
from gridcity.taxonomy.models import Category, CategoryMajor
from gridcity.web import views as web_views
from gridcity.web.ui_text import ui_keys, ui_texts

bp = Blueprint("hotline", __name__)
api_bp = Blueprint("hotline_api", __name__, url_prefix="/api/v1/hotline")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

PAGE_ROLES = services.PAGE_ROLES
TEXTS = (
    ui_keys("hl_", "d_state_")
    + web_views.MAP_TEXTS
    + ("load_error", "network_error", "urgency_urgent", "urgency_normal")
)


def _categories(language: str) -> list[dict]:
    rows = db.session.execute(
        select(Category, CategoryMajor)
        .join(CategoryMajor, Category.major_id == CategoryMajor.id)
        .where(Category.active)
        .order_by(CategoryMajor.kind, Category.code)
    ).all()
    zh = language == "zh"
    return [
        {
            "code": c.code,
            "name": c.name_zh if zh else c.name_en,
            "major": m.name_zh if zh else m.name_en,
            "filing_standard": c.filing_standard,
            "radius_m": c.duplicate_radius_m or 50.0,
        }
        for c, m in rows
    ]


@bp.get("/hotline/")
@roles_required(*PAGE_ROLES)
def hotline_page():
    """热线受理: take a call, see the likely duplicates nearby, file or join."""
    user = current_user()
    language = current_language()
    settings = current_app.config["SETTINGS"]
    me = describe_user(user)
    page_data = {
        "lang": language,
        "can_take": user.role in {r.value for r in services.TAKERS},
        "channels": [
            {"code": c.code, "name": c.name_zh if language == "zh" else c.name_en, "has_ticket": c.has_ticket}
            for c in services.channels()
        ],
        "categories": _categories(language),
        "bounds": web_views._city_bounds(),
        **basemap_page_data(settings, language),
        "texts": ui_texts(language, TEXTS),
    }
    return render_template("hotline.html", me=me, role_name=me["role_name"][language], page_data=page_data)


# ---------------------------------------------------------------- API


@api_bp.get("/channels")
@roles_required(*services.READERS)
@operation(responses={200: list[schemas.HotlineChannel]})
def channels():
    """The intake channels (受理渠道): 12345, 12319, 来访, 来信…"""
    return jsonify([services.channel_json(c) for c in services.channels()])


@api_bp.get("/geocode")
@roles_required(*PAGE_ROLES)
@operation(query=schemas.GeocodeQuery, responses={200: list[schemas.PlaceCandidate]})
def geocode(query: schemas.GeocodeQuery):
    """Places for what the caller says: unit grid or component code, street,
    community or work grid name or code, earlier case addresses. Nothing
    found answers 404 with what may be typed."""
    return jsonify([c.to_dict() for c in geocoder.geocode(query.q)])


def _duplicates(user, pairs) -> list[dict]:
    visible = {c.id for c in queries.visible_only(user, [c for _, c in pairs])}
    return [{**queries.case_summary(c), "distance_m": round(d, 1)} for d, c in pairs if c.id in visible]


@api_bp.get("/duplicates")
@roles_required(*PAGE_ROLES)
@operation(query=schemas.NearbyQuery, responses={200: list[schemas.HotlineDuplicate]})
def duplicates(query: schemas.NearbyQuery):
    """Before saving: open cases of the category within its duplicate radius,
    nearest first."""
    pairs = services.nearby_duplicates(query.category, query.lon, query.lat)
    return jsonify(_duplicates(current_user(), pairs))


@api_bp.post("/calls")
@shed_when_busy
@roles_required(*services.TAKERS)
@operation(
    body=schemas.CallIn,
    photos=True,
    responses={201: schemas.HotlineCallResult, 200: schemas.HotlineCallResult},
)
def take_call(body: schemas.CallIn):
    """受理来电: a new case with its verify task (201), or, with ``join_case``,
    the call added to that open case (200, no new case)."""
    user = current_user()
    client_uuid = request.headers.get("Idempotency-Key") or body.client_uuid
    if client_uuid is not None and not (8 <= len(client_uuid) <= 64):
        raise GridCityError("bad_request", detail="client_uuid / Idempotency-Key must be 8 to 64 characters")
    call = services.Call(
        channel=body.channel,
        category=body.category,
        lon=body.lon,
        lat=body.lat,
        description=body.description or "",
        caller_name=body.caller_name,
        caller_phone=body.caller_phone,
        callback_wanted=body.callback_wanted,
        ticket_number=body.ticket_number,
        address=body.address,
        urgency=body.urgency,
        photos=_photos(),
        client_uuid=client_uuid,
        join_case_id=body.join_case,
    )
    result = services.take_call(call, user)
    db.session.flush()
    answer = {
        "created": result.created,
        "case": queries.case_detail(result.case, user),
        "call": services.call_json(result.call, services.sees_whole_phone(user), result.case.number),
        "duplicates": _duplicates(user, result.duplicates),
    }
    db.session.commit()
    return jsonify(answer), 201 if result.created else 200


@api_bp.get("/calls")
@roles_required(*services.READERS)
@operation(responses={200: list[schemas.HotlineCallRecord]})
def recent_calls():
    """The latest calls, newest first; name and phone masked."""
    return jsonify(services.recent_calls(current_user()))


@api_bp.get("/cases/<int:case_id>/calls")
@roles_required(*services.READERS)
@operation(responses={200: schemas.HotlineCaseCalls})
def case_calls(case_id: int):
    """The calls on a case: whole for the roles that call back
    (``GRIDCITY_CALLER_PHONE_ROLES``), masked for the others."""
    case = case_services.get_case(case_id)
    return jsonify(services.case_calls(case, current_user()))


@api_bp.post("/cases/<int:case_id>/reply")
@roles_required(*services.ANSWERERS)
@operation(body=schemas.ReplyIn, responses={200: schemas.HotlineCaseCalls})
def reply(case_id: int, body: schemas.ReplyIn):
    """回复 — record what the caller was told."""
    user = current_user()
    case = case_services.get_case(case_id)
    services.reply(case, user, body.text)
    db.session.flush()
    answer = services.case_calls(case, user)
    db.session.commit()
    return jsonify(answer)


@api_bp.post("/cases/<int:case_id>/follow-up")
@roles_required(*services.ANSWERERS)
@operation(body=schemas.FollowUpIn, responses={200: schemas.HotlineCaseCalls})
def follow_up(case_id: int, body: schemas.FollowUpIn):
    """回访 — record the follow-up call and the caller's satisfaction."""
    user = current_user()
    case = case_services.get_case(case_id)
    services.follow_up(case, user, body.satisfaction, body.note or "")
    db.session.flush()
    answer = services.case_calls(case, user)
    db.session.commit()
    return jsonify(answer)
