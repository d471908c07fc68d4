"""Pages and API of the public feedback: a follow-link holder's "not fixed"
(/p/r/<token>/not-fixed) and rating (/p/r/<token>/rate), the public map
(/p/map, /api/v1/public/map), approved photos (/p/photos/<id>), the
inspector's re-verification (/api/v1/cases/<id>/recheck, used by /m/) and
the staff's photo review (/public/photos, /api/v1/public/photos).

Thin: parse, call the service (not_fixed, satisfaction, public_map,
photo_review), commit once, answer. Citizens' forms post with the session's
CSRF token like every form of ours.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, send_file, url_for
from sqlalchemy import select

from gridcity.cases import services as case_services
from gridcity.cases import states
from gridcity.cases.models import Photo
from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError, NotFound
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.public import feedback_schemas as schemas
from gridcity.public import not_fixed, photo_review, public_map, satisfaction
from gridcity.public.feedback_models import RATINGS, PhotoPublication
from gridcity.taxonomy.models import Category
from gridcity.web import views as web_views
from gridcity.web.ui_text import ui_texts

bp = Blueprint("public_feedback", __name__)
bp.context_processor(web_views._page_helpers)
api = Blueprint("public_feedback_api", __name__, url_prefix="/api/v1")

MAX_PHOTO_FILES = 3
MAP_TEXTS = ("pub_map_loading", "pub_map_empty", "pub_map_error", "pub_reported_on", "pub_closed_on",
             "pub_expected_on", "pub_photo")  # fmt: skip


def _page_error(error: GridCityError):
    """A refusal on a citizen's page, as a page in words with its status."""
    return render_template("error.html", status=error.status, message=error.message()), error.status


bp.register_error_handler(GridCityError, _page_error)


def _files(name: str) -> list[bytes]:
    files = [f for f in request.files.getlist(name) if f.filename]
    if len(files) > MAX_PHOTO_FILES:
        raise GridCityError("bad_request", detail=f"at most {MAX_PHOTO_FILES} photos")
    return [f.read() for f in files]


def _approved(photo_ids: list[int]) -> list[int]:
    if not photo_ids:
        return []
    return list(
        db.session.scalars(
            select(PhotoPublication.photo_id).where(
                PhotoPublication.photo_id.in_(photo_ids), PhotoPublication.state == "approved"
            )
        )
    )


def _claim_lines(case) -> list[dict]:
    """The case's "not fixed" claims in words, with the inspector's approved photos."""
    lines = []
    for claim in not_fixed.claims_of(case):
        photos = []
        if claim.decision_event_id:
            ids = list(db.session.scalars(select(Photo.id).where(Photo.event_id == claim.decision_event_id)))
            photos = [f"/p/photos/{pid}" for pid in _approved(ids)]
        lines.append({"at": claim.created_at, "outcome": claim.outcome or "pending", "decided_at": claim.decided_at,
                      "photos": photos})  # fmt: skip
    return lines


def _case_words(case) -> dict:
    return {
        "number": case.number,
        "category": case.category.name_zh if current_language() == "zh" else case.category.name_en,
        "status": public_map.public_status(case, not_fixed.open_claim(case) is not None)
        if case.state in public_map.PUBLIC_STATUS
        else "void",
    }


# ---------------------------------------------------------------- citizens


@bp.get("/p/r/<token>/not-fixed")
def not_fixed_page(token: str):
    report = not_fixed.holder(token)
    case = not_fixed.followed_case(report)
    ends = not_fixed.window_ends(case)
    can_claim = ends is not None and utcnow() <= ends and not_fixed.open_claim(case) is None
    return render_template(
        "p/not_fixed.html",
        token=token,
        case=_case_words(case),
        closed=case.state == states.CLOSED,
        window_ends=ends,
        days=f"{not_fixed.policy_value('not_fixed_days'):g}",
        can_claim=can_claim,
        claims=_claim_lines(case),
        done=request.args.get("done") == "1",
    )


@bp.post("/p/r/<token>/not-fixed")
def not_fixed_post(token: str):
    not_fixed.claim_not_fixed(token, _files("photo"), request.form.get("note", ""))
    db.session.commit()
    return redirect(url_for("public_feedback.not_fixed_page", token=token, done=1), 303)


@bp.get("/p/r/<token>/rate")
def rate_page(token: str):
    report = not_fixed.holder(token)
    case = not_fixed.followed_case(report)
    given = satisfaction.rating_of(report.id)
    return render_template(
        "p/rate.html",
        token=token,
        case=_case_words(case),
        closed=case.state == states.CLOSED,
        given=given.rating if given else None,
        ratings=RATINGS,
        done=request.args.get("done") == "1",
    )


@bp.post("/p/r/<token>/rate")
def rate_post(token: str):
    satisfaction.rate(token, request.form.get("rating", ""), request.form.get("comment", ""))
    db.session.commit()
    return redirect(url_for("public_feedback.rate_page", token=token, done=1), 303)


@bp.get("/p/map")
def map_page():
    from gridcity.core.basemap import basemap_page_data

    language = current_language()
    categories = db.session.scalars(select(Category).order_by(Category.code)).all()
    page_data = {
        **basemap_page_data(current_app.config["SETTINGS"], language),
        "texts": ui_texts(language, (*MAP_TEXTS, *(f"pub_status_{s}" for s in public_map.STATUSES))),
    }
    return render_template(
        "p/map.html", categories=categories, statuses=public_map.STATUSES, page_data=page_data
    )


@bp.get("/p/photos/<int:photo_id>")
def public_photo(photo_id: int):
    """An approved photo, without its metadata (never the original bytes)."""
    from gridcity.media.storage import photo_file, served_photo

    row = public_map.public_photo(photo_id)
    media_dir = current_app.config["SETTINGS"].resolved_media_dir
    if not photo_file(media_dir, row.relative_path).is_file():
        raise NotFound("photo_file_missing", id=photo_id)
    path = served_photo(media_dir, row.relative_path, original=False)
    return send_file(path, mimetype=row.content_type, max_age=3600)


# ---------------------------------------------------------------- staff: photo review


@bp.get("/public/photos")
@roles_required(*photo_review.REVIEW_ROLES)
def review_page():
    from gridcity.org.models import User

    decided = photo_review.recent_decisions()
    ids = {row.decided_by for row, _, _ in decided}
    deciders = (
        dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    return render_template(
        "p/feedback_review.html",
        pending=photo_review.pending_photos(),
        decided=decided,
        deciders=deciders,
        done=request.args.get("done"),
    )


@bp.post("/public/photos/<int:photo_id>")
@roles_required(*photo_review.REVIEW_ROLES)
def review_post(photo_id: int):
    row = photo_review.decide_photo(photo_id, request.form.get("decision", ""), current_user())
    db.session.commit()
    return redirect(url_for("public_feedback.review_page", done=row.state), 303)


# ---------------------------------------------------------------- API


@api.get("/public/map")
@operation(query=schemas.PublicMapQuery, responses={200: schemas.PublicMap})
def map_geojson(query: schemas.PublicMapQuery):
    """The public map's cases as GeoJSON (positions at unit-grid centroids)."""
    cases = public_map.public_cases(query.category, query.status, query.since, query.until)
    return jsonify(public_map.as_geojson(cases))


@api.get("/public/photos")
@roles_required(*photo_review.REVIEW_ROLES)
@operation(responses={200: list[schemas.PendingPhoto]})
def pending_photos():
    """Photos waiting for a decision on their publication, oldest first."""
    return jsonify(
        [
            {
                "id": photo.id,
                "case_number": case.number,
                "stage": photo.stage,
                "url": f"/api/v1/photos/{photo.id}",
                "thumbnail_url": f"/api/v1/photos/{photo.id}?thumbnail=1",
            }
            for photo, case in photo_review.pending_photos()
        ]
    )


@api.post("/public/photos/<int:photo_id>")
@roles_required(*photo_review.REVIEW_ROLES)
@operation(body=schemas.PhotoDecisionIn, responses={200: schemas.PhotoDecision})
def decide_photo(photo_id: int, body: schemas.PhotoDecisionIn):
    """Approve or reject one photo for the public (audited)."""
    row = photo_review.decide_photo(photo_id, body.decision, current_user())
    db.session.commit()
    return jsonify({"photo_id": row.photo_id, "decision": row.state})


@api.post("/cases/<int:case_id>/recheck")
@roles_required(Role.INSPECTOR)
@operation(body=schemas.RecheckIn, photos=True, responses={200: schemas.RecheckResult})
def recheck(case_id: int, body: schemas.RecheckIn):
    """复核 — the inspector's finding on a citizen's "not fixed"."""
    from gridcity.cases.views import _photos

    case = case_services.get_case(case_id)
    case_services.check_version(case, body.version)
    not_fixed.recheck(
        case, current_user(), body.result == "fail", body.note or "", _photos(), body.lon, body.lat
    )
    db.session.flush()
    answer = {"id": case.id, "number": case.number, "state": case.state, "version": case.version}
    db.session.commit()
    return jsonify(answer)
