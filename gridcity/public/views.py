"""The citizens' app: pages under ``/p/`` and the API under
``/api/v1/public/``. No staff sign-in: a citizen is known by a signed cookie
of its own (``gc_citizen``) set once their phone is confirmed by a code.

The app page is one gzip-compressed document with its CSS and script
inlined (as the inspectors' /m/), so WeChat's in-app browser on a slow link
has the form after one round trip; the small map loads after it.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, jsonify, render_template, request, send_file
from itsdangerous import BadSignature, URLSafeTimedSerializer

from gridcity.cases.admission import shed_when_busy
from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.core.basemap import basemap_page_data
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language, translate
from gridcity.extensions import db
from gridcity.ops.citizen_data import masked
from gridcity.org.models import Role
from gridcity.public import codes, follow, limits, reports, schemas
from gridcity.public.choices import citizen_categories
from gridcity.public.models import Citizen
from gridcity.web import inlined
from gridcity.web import views as web_views
from gridcity.web.ui_text import ui_keys, ui_text, ui_texts

bp = Blueprint("public", __name__, url_prefix="/p")
api_bp = Blueprint("public_api", __name__, url_prefix="/api/v1/public")

COOKIE = "gc_citizen"
SCRIPTS = ("app.js",)
STYLES = ("app.css",)
LATER = (
    "/static/vendor/leaflet-1.9.4/leaflet.js",
    "/static/vendor/leaflet-1.9.4/leaflet.css",
    "/static/js/datum.js",
)
MAX_PHOTOS = reports.MAX_PHOTOS
# Who may block and unblock phones; who sees the valid-report counts (有奖举报).
BLOCKERS = (Role.ADMIN, Role.OPERATOR)
COUNT_READERS = (Role.MANAGER, Role.ADMIN)


# ---------------------------------------------------------------- the citizen's cookie


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="gridcity-citizen")


def current_citizen() -> Citizen | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    days = current_app.config["SETTINGS"].public_session_days
    try:
        citizen_id = _serializer().loads(raw, max_age=days * 86400)
    except BadSignature:
        return None
    citizen = db.session.get(Citizen, citizen_id) if isinstance(citizen_id, int) else None
    return citizen if citizen is not None and citizen.blocked_at is None else None


def _set_cookie(response: Response, citizen: Citizen | None) -> None:
    settings = current_app.config["SETTINGS"]
    if citizen is None:
        response.delete_cookie(COOKIE, path="/")
        return
    secure = settings.secure_cookies == "on" or (settings.secure_cookies == "auto" and request.is_secure)
    response.set_cookie(
        COOKIE,
        _serializer().dumps(citizen.id),
        max_age=settings.public_session_days * 86400,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def _address() -> str | None:
    return request.remote_addr


def _photos(limit: int) -> list[bytes]:
    if request.mimetype != "multipart/form-data":
        return []
    files = request.files.getlist("photos")
    if len(files) > limit:
        raise GridCityError("p_too_many_photos", max=limit)
    return [f.read() for f in files]


# ---------------------------------------------------------------- pages


bp.context_processor(web_views._page_helpers)


@bp.errorhandler(GridCityError)
def _error_page(error: GridCityError):
    message = translate(error.key, **error.params)
    return render_template("error.html", status=error.status, message=message), error.status


def _city_center() -> list[float] | None:
    """Where the map opens before a position is known: the first district's middle."""
    from gridcity.geo.models import District

    district = db.session.scalar(db.select(District).order_by(District.id).limit(1))
    if district is None:
        return None
    point = district.geom.representative_point()
    return [round(point.x, 5), round(point.y, 5)]


@bp.get("/")
def app_page():
    """随手拍 — the citizens' app: report, "is it one of these?", my reports."""
    language = current_language()
    settings = current_app.config["SETTINGS"]
    citizen = current_citizen()
    page_data = {
        "lang": language,
        "categories": [{"code": c.code, "label": c.label(language)} for c in citizen_categories()],
        "signed_in": citizen is not None,
        "phone": None if citizen is None else masked(citizen.phone),
        "anonymous_allowed": settings.public_anonymous_reports,
        "notices": settings.public_step_notices,
        "code_minutes": settings.public_code_minutes,
        "center": _city_center(),
        **basemap_page_data(settings, language),
        "later": list(LATER),
        "texts": ui_texts(language, ui_keys("pj_")),
    }
    html = render_template(
        "p/app.html",
        page_data=page_data,
        inline_css=inlined.inline("p", STYLES),
        inline_js=inlined.inline("p", SCRIPTS),
    )
    return inlined.compressed(html, cache_control="no-cache, private")


@bp.get("/r/<token>")
def follow_page(token: str):
    """The private follow page of one report (its receipt's link)."""
    view = follow.follow_view(token, current_language())
    html = render_template("p/follow.html", view=view, inline_css=inlined.inline("p", STYLES))
    response = inlined.compressed(html, cache_control="no-cache, private")
    response.headers["Referrer-Policy"] = "no-referrer"  # the link is the key: never pass it on
    return response


@bp.get("/r/<token>/photos/<int:photo_id>")
def follow_photo(token: str, photo_id: int):
    """An after-photo of the case, to the holder of the link only."""
    from gridcity.media.storage import photo_file, served_photo

    photo = follow.after_photo(token, photo_id)
    media_dir = current_app.config["SETTINGS"].resolved_media_dir
    if not photo_file(media_dir, photo.relative_path).is_file():
        raise GridCityError("p_no_such_photo", 404)
    response = send_file(
        served_photo(media_dir, photo.relative_path, original=False), mimetype=photo.content_type
    )
    response.cache_control.public = False
    response.cache_control.private = True
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# ---------------------------------------------------------------- API: citizens


@api_bp.get("/categories")
@operation(responses={200: list[schemas.PublicChoice]})
def categories():
    """The citizens' list of kinds of problem, in plain words."""
    language = current_language()
    return jsonify([{"code": c.code, "label": c.label(language)} for c in citizen_categories()])


@api_bp.post("/codes")
@operation(body=schemas.CodeRequest, responses={200: schemas.PublicCodeSent})
def send_code(body: schemas.CodeRequest):
    """Send a one-time code to a phone."""
    codes.send_code(body.phone, current_language(), _address())
    db.session.commit()
    return jsonify({"sent": True, "minutes": current_app.config["SETTINGS"].public_code_minutes})


@api_bp.post("/session")
@operation(body=schemas.CodeConfirm, responses={200: schemas.PublicSignedIn})
def confirm(body: schemas.CodeConfirm):
    """Confirm the phone with its code: the citizen is signed in (cookie)."""
    phone = codes.confirm_code(body.phone, body.code)
    limits.refuse_blocked(phone)
    citizen = reports.citizen_for_phone(phone)
    db.session.commit()
    response = jsonify({"signed_in": True, "phone": masked(citizen.phone)})
    _set_cookie(response, citizen)
    return response


@api_bp.delete("/session")
@operation(responses={200: schemas.PublicSignedIn})
def sign_out():
    """Forget the citizen's cookie."""
    response = jsonify({"signed_in": False, "phone": None})
    _set_cookie(response, None)
    return response


@api_bp.get("/me")
@operation(responses={200: schemas.PublicMe})
def me():
    """我的上报 — the signed-in citizen's reports with their private links."""
    citizen = current_citizen()
    language = current_language()
    return jsonify(
        {
            "signed_in": citizen is not None,
            "phone": None if citizen is None else masked(citizen.phone),
            "anonymous_allowed": current_app.config["SETTINGS"].public_anonymous_reports,
            "reports": [] if citizen is None else reports.my_reports(citizen, language),
        }
    )


@api_bp.get("/nearby")
@operation(query=schemas.NearbyQuery, responses={200: list[schemas.PublicNearbyCase]})
def nearby(query: schemas.NearbyQuery):
    """是不是这些问题之一？ — open cases of this kind nearby, public words only."""
    return jsonify(reports.nearby(query.category, query.lon, query.lat, current_language()))


def _receipt(receipt: reports.Receipt) -> dict:
    return {
        "number": receipt.case.number,
        "follow_url": f"/p/r/{receipt.report.follow_token}",
        "me_too": receipt.report.kind == "me_too",
        "created": receipt.created,
    }


@api_bp.post("/reports")
@shed_when_busy
@operation(
    body=schemas.PublicReportIn,
    photos=True,
    responses={201: schemas.PublicReceipt, 200: schemas.PublicReceipt},
)
def report(body: schemas.PublicReportIn):
    """上报 — a new case from a citizen (the ordinary intake, source public)."""
    receipt = reports.report_problem(
        reports.CitizenSubmission(
            category=body.category,
            lon=body.lon,
            lat=body.lat,
            description=body.description or "",
            position_by_hand=body.position_by_hand,
            accuracy_m=body.accuracy_m,
            client_uuid=request.headers.get("Idempotency-Key") or body.client_uuid,
            notify=body.notify,
            photos=_photos(MAX_PHOTOS),
        ),
        current_citizen(),
        _address(),
    )
    answer = _receipt(receipt)
    db.session.commit()
    return jsonify(answer), 201 if receipt.created else 200


@api_bp.post("/me-too")
@shed_when_busy
@operation(
    body=schemas.MeTooIn, photos=True, responses={201: schemas.PublicReceipt, 200: schemas.PublicReceipt}
)
def me_too(body: schemas.MeTooIn):
    """我也遇到 — join an open case nearby instead of making a new one."""
    receipt = reports.me_too(body.number, current_citizen(), _address(), _photos(1), body.notify)
    answer = _receipt(receipt)
    db.session.commit()
    return jsonify(answer), 201 if receipt.created else 200


@api_bp.get("/follow/<token>")
@operation(responses={200: schemas.PublicFollow})
def follow_report(token: str):
    """The follow page's content, by the private link's token."""
    response = jsonify(follow.follow_view(token, current_language()))
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- API: staff


def _count_row(c: limits.CitizenCount) -> dict:
    return {
        "citizen_id": c.citizen_id,
        "phone": c.phone,
        "reports": c.reports,
        "valid": c.valid,
        "me_too": c.me_too,
        "blocked": c.blocked,
        "blocked_reason": c.blocked_reason,
        "first_at": None if c.first_at is None else c.first_at.isoformat(),
    }


@api_bp.get("/citizens")
@roles_required(*COUNT_READERS)
@operation(responses={200: list[schemas.PublicCitizenCount]})
def citizen_counts():
    """Reports and valid reports per citizen (有奖举报), phones masked."""
    return jsonify([_count_row(c) for c in limits.citizen_counts()])


@api_bp.get("/citizens/export")
@roles_required(*COUNT_READERS)
@operation(responses={200: None})
def citizen_counts_csv():
    """The same counts as CSV (for a spreadsheet), phones masked."""
    language = current_language()
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ("phone", "reports", "valid", "me_too", "blocked")
    writer.writerow([ui_text(f"p_col_{name}", language) for name in columns])
    for c in limits.citizen_counts():
        writer.writerow(
            [c.phone, c.reports, c.valid, c.me_too, ui_text("yes" if c.blocked else "no", language)]
        )
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=citizen-reports.csv"
    return response


def _blocked_row(citizen: Citizen) -> dict:
    return {
        "citizen_id": citizen.id,
        "phone": masked(citizen.phone),
        "blocked": citizen.blocked_at is not None,
        "blocked_reason": citizen.blocked_reason,
    }


@api_bp.get("/blocklist")
@roles_required(*BLOCKERS)
@operation(responses={200: list[schemas.PublicBlocked]})
def blocklist():
    """The blocked phones (masked) and why."""
    return jsonify([_blocked_row(c) for c in limits.blocked_citizens()])


@api_bp.post("/blocklist")
@roles_required(*BLOCKERS)
@operation(body=schemas.BlockIn, responses={200: schemas.PublicBlocked})
def block(body: schemas.BlockIn):
    """Block a phone (audited): its codes and reports are refused."""
    citizen = limits.block_phone(body.phone, current_user(), body.reason)
    answer = _blocked_row(citizen)
    db.session.commit()
    return jsonify(answer)


@api_bp.post("/blocklist/remove")
@roles_required(*BLOCKERS)
@operation(body=schemas.UnblockIn, responses={200: schemas.PublicBlocked})
def unblock(body: schemas.UnblockIn):
    """Take a phone off the blocklist (audited)."""
    citizen = limits.unblock_phone(body.phone, current_user(), body.note or "")
    answer = _blocked_row(citizen)
    db.session.commit()
    return jsonify(answer)
