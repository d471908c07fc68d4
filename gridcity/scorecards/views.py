"""Scorecard JSON API under /api/v1/scorecards: monthly tables per tier, the
cases behind any figure, frozen versions, indicator definitions, and the
sanitation contest (ranking, rules, inspection records, cards)."""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, current_app, jsonify, request, send_file
from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import GridCityError, NotFound
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.scorecards import contest, engine, services
from gridcity.scorecards.freeze import freeze_reason_text

bp = Blueprint("scorecards", __name__, url_prefix="/api/v1/scorecards")

READERS = (Role.MANAGER, Role.ADMIN, Role.SHIFT_LEADER, Role.DISPATCHER, Role.OPERATOR)
FREEZERS = (Role.MANAGER, Role.ADMIN)
EDITORS = (Role.ADMIN,)
INSPECTORS = (Role.MANAGER, Role.ADMIN)
MAX_PHOTOS = 9


def _int_arg(name: str, required: bool = False) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        if required:
            raise GridCityError("bad_request", detail=f"{name} is required")
        return None
    try:
        return int(raw)
    except ValueError:
        raise GridCityError("bad_request", detail=f"{name} must be an integer") from None


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        if request.get_data():
            raise GridCityError("bad_request", detail="the body must be JSON")
        data = {}
    if not isinstance(data, dict):
        raise GridCityError("bad_request", detail="expected a JSON object")
    return data


def _with_reason_text(item: dict) -> dict:
    """A version or table as JSON, its reason also in the reader's words."""
    return {**item, "reason_text": freeze_reason_text(item.get("reason"), current_language())}


def _month(month: str) -> str:
    engine.parse_month(month)
    return month


@bp.get("/months")
@roles_required(*READERS)
def months():
    limit = _int_arg("limit") or 12
    if not 1 <= limit <= 120:
        raise GridCityError("bad_request", detail="limit must be 1..120")
    return jsonify({"months": services.months_available(limit), "tiers": list(services.TIERS)})


@bp.get("/months/<month>")
@roles_required(*READERS)
def month_table(month: str):
    _month(month)
    version = _int_arg("version")
    tier = request.args.get("tier")
    if tier:
        return jsonify(_with_reason_text(services.month_scorecard(month, tier, version).to_dict()))
    tables = services.month_scorecards(month, version)
    return jsonify({tier: _with_reason_text(table.to_dict()) for tier, table in tables.items()})


@bp.get("/months/<month>/cases")
@roles_required(*READERS)
def month_cases(month: str):
    _month(month)
    tier = request.args.get("tier") or ""
    count = request.args.get("count") or ""
    subject_id = _int_arg("subject_id", required=True)
    ids = services.cases_behind(month, tier, subject_id, count)
    rows = (
        db.session.execute(
            select(Case.id, Case.number, Case.state).where(Case.id.in_(ids)).order_by(Case.id)
        ).all()
        if ids
        else []
    )
    return jsonify(
        {
            "month": month,
            "tier": tier,
            "subject_id": subject_id,
            "count": count,
            "case_ids": ids,
            "cases": [{"id": r.id, "number": r.number, "state": r.state} for r in rows],
        }
    )


@bp.get("/months/<month>/versions")
@roles_required(*READERS)
def month_versions(month: str):
    return jsonify([_with_reason_text(v.to_dict()) for v in services.versions(_month(month))])


@bp.post("/months/<month>/freeze")
@roles_required(*FREEZERS)
def freeze(month: str):
    """Freeze the month (version 1), or recompute it as the next version
    (a reason is then required)."""
    _month(month)
    data = _body()
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise GridCityError("bad_request", detail="reason must be text")
    if services.versions(month):
        info = services.recompute(month, reason or "", current_user())
    else:
        info = services.freeze_month(month, reason, current_user())
    db.session.commit()
    return jsonify(_with_reason_text(info.to_dict())), 201


@bp.get("/months/<month>/contest")
@roles_required(*READERS)
def month_contest(month: str):
    table = services.contest_ranking(_month(month), _int_arg("version")).to_dict()
    language = current_language()
    for row in table["rows"]:
        row["card_reason_text"] = contest.card_reason_text(row["card_reason"], language)
    return jsonify(table)


@bp.get("/trend")
@roles_required(*READERS)
def trend():
    tier = request.args.get("tier") or ""
    if tier not in services.TIERS:
        raise GridCityError("bad_request", detail=f"tier must be one of {', '.join(services.TIERS)}")
    subject_id = _int_arg("subject_id", required=True)
    count = _int_arg("months") or 12
    if not 1 <= count <= 36:
        raise GridCityError("bad_request", detail="months must be 1..36")
    last = request.args.get("to") or engine.month_of(dt.datetime.now(dt.UTC))
    _month(last)
    months = [engine.shift_month(last, -k) for k in reversed(range(count))]
    return jsonify(services.subject_trend(tier, subject_id, months))


@bp.get("/definitions")
@roles_required(*READERS)
def get_definitions():
    document = services.definitions(_int_arg("version"))
    db.session.commit()  # the first read stores the defaults as version 1
    return jsonify(document)


@bp.put("/definitions")
@roles_required(*EDITORS)
def put_definitions():
    data = _body()
    note = data.get("note", "")
    if not isinstance(note, str):
        raise GridCityError("bad_request", detail="note must be text")
    version = services.update_definitions(data, current_user(), note)
    db.session.commit()
    return jsonify(services.definitions(version)), 201


@bp.get("/contest/rules")
@roles_required(*READERS)
def get_contest_rules():
    document = contest.rules_document()
    db.session.commit()
    return jsonify(document)


@bp.put("/contest/rules")
@roles_required(*EDITORS)
def put_contest_rules():
    document = contest.save_rules(_body())
    db.session.commit()
    return jsonify(document)


@bp.get("/contest/inspections")
@roles_required(*READERS)
def list_inspections():
    month = request.args.get("month")
    if month:
        _month(month)
    return jsonify([contest.inspection_dict(r) for r in contest.inspections(month, _int_arg("street_id"))])


@bp.post("/contest/inspections")
@roles_required(*INSPECTORS)
def add_inspection():
    if request.mimetype == "multipart/form-data":
        try:
            data = json.loads(request.form.get("data") or "{}")
        except ValueError:
            raise GridCityError("bad_request", detail="the data field must be JSON") from None
        files = request.files.getlist("photos")
        if len(files) > MAX_PHOTOS:
            raise GridCityError("bad_request", detail=f"at most {MAX_PHOTOS} photos")
        photos = [f.read() for f in files]
    else:
        data, photos = _body(), []
    if not isinstance(data, dict):
        raise GridCityError("bad_request", detail="expected a JSON object")
    street_id = data.get("street_id")
    if isinstance(street_id, bool) or not isinstance(street_id, int):
        raise GridCityError("bad_request", detail="street_id must be an integer")
    month = data.get("month")
    if not isinstance(month, str):
        raise GridCityError("bad_request", detail="month (YYYY-MM) is required")
    note = data.get("note", "")
    if not isinstance(note, str):
        raise GridCityError("bad_request", detail="note must be text")
    record = contest.add_inspection(
        month,
        street_id,
        str(data.get("item_code") or ""),
        data.get("deduction"),
        note,
        current_user(),
        photos,
    )
    db.session.commit()
    return jsonify(contest.inspection_dict(record)), 201


@bp.get("/contest/photos/<int:photo_id>")
@roles_required(*READERS)
def contest_photo(photo_id: int):
    from gridcity.media.storage import photo_file
    from gridcity.scorecards.models import ContestPhoto

    row = db.session.get(ContestPhoto, photo_id)
    if row is None:
        raise NotFound("not_found", what=f"photo {photo_id}")
    thumbnail = request.args.get("thumbnail") in ("1", "true")
    path = photo_file(
        current_app.config["SETTINGS"].resolved_media_dir,
        row.thumbnail_path if thumbnail else row.relative_path,
    )
    return send_file(path, mimetype="image/jpeg" if thumbnail else row.content_type, max_age=86400)


@bp.get("/contest/cards")
@roles_required(*READERS)
def contest_cards():
    month = request.args.get("month")
    if month:
        _month(month)
    return jsonify(services.cards(month, current_language()))
