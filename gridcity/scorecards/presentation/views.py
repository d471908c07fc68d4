"""Scorecard JSON API under /api/v1/scorecards: monthly tables per tier, the
cases behind any figure, frozen versions, indicator definitions, and the
sanitation contest (ranking, rules, inspection records, cards)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, jsonify, request, send_file
from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.cases.schemas import PhotoQuery
from gridcity.core.api import operation
from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import Forbidden, GridCityError, NotFound
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.scorecards.counting import engine
from gridcity.scorecards.presentation import schemas
from gridcity.scorecards.presentation.schemas import (
    AppealDecisionIn,
    AppealFilter,
    AppealIn,
    CardsQuery,
    CasesQuery,
    FreezeIn,
    InspectionFilter,
    InspectionIn,
    MonthsQuery,
    SettingsIn,
    SettingsPreviewIn,
    TableQuery,
    TrendQuery,
    VersionQuery,
)
from gridcity.scorecards.scoring import contest
from gridcity.scorecards.snapshots import appeals, services
from gridcity.scorecards.snapshots import settings as assessment
from gridcity.scorecards.snapshots.freeze import freeze_reason_text

bp = Blueprint("scorecards", __name__, url_prefix="/api/v1/scorecards")

READERS = (Role.MANAGER, Role.ADMIN, Role.SHIFT_LEADER, Role.DISPATCHER, Role.OPERATOR)
FREEZERS = (Role.MANAGER, Role.ADMIN)
EDITORS = (Role.ADMIN,)
SETTINGS_READERS = (Role.MANAGER, Role.ADMIN)
INSPECTORS = (Role.MANAGER, Role.ADMIN)
MAX_PHOTOS = 9


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
@operation(query=MonthsQuery, responses={200: schemas.Months})
def months(query: MonthsQuery):
    return jsonify({"months": services.months_available(query.limit), "tiers": list(services.TIERS)})


@bp.get("/months/<month>")
@roles_required(*READERS)
@operation(query=TableQuery, responses={200: schemas.MonthTable})
def month_table(month: str, query: TableQuery):
    _month(month)
    version, tier = query.version, query.tier
    if tier:
        return jsonify(_with_reason_text(services.month_scorecard(month, tier, version).to_dict()))
    tables = services.month_scorecards(month, version)
    return jsonify({tier: _with_reason_text(table.to_dict()) for tier, table in tables.items()})


@bp.get("/months/<month>/cases")
@roles_required(*READERS, *appeals.APPELLANTS)
@operation(query=CasesQuery, responses={200: schemas.FigureCases})
def month_cases(month: str, query: CasesQuery):
    _month(month)
    tier, count, subject_id = query.tier, query.count, query.subject_id
    user = current_user()
    if user.role not in READERS and not appeals.may_contest(user, tier, subject_id):
        raise Forbidden("appeal_not_yours")  # people and units see their own figures' cases
    ids = appeals.counted_cases(month, tier, subject_id, count, query.version)
    found = (
        {
            r.id: r
            for r in db.session.execute(select(Case.id, Case.number, Case.state).where(Case.id.in_(ids)))
        }
        if ids
        else {}
    )
    rows = [found[i] for i in ids if i in found]  # a row per counted row, as the figure
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
@operation(responses={200: list[schemas.FrozenVersion]})
def month_versions(month: str):
    return jsonify([_with_reason_text(v.to_dict()) for v in services.versions(_month(month))])


@bp.post("/months/<month>/freeze")
@roles_required(*FREEZERS)
@operation(body=FreezeIn, responses={201: schemas.FrozenVersion})
def freeze(month: str, body: FreezeIn):
    """Freeze the month (version 1), or recompute it as the next version
    (a reason is then required)."""
    _month(month)
    reason = body.reason
    if services.versions(month):
        info = services.recompute(month, reason or "", current_user())
    else:
        info = services.freeze_month(month, reason, current_user())
    db.session.commit()
    return jsonify(_with_reason_text(info.to_dict())), 201


@bp.get("/months/<month>/contest")
@roles_required(*READERS)
@operation(query=VersionQuery, responses={200: schemas.ContestTable})
def month_contest(month: str, query: VersionQuery):
    table = services.contest_ranking(_month(month), query.version).to_dict()
    language = current_language()
    for row in table["rows"]:
        row["card_reason_text"] = contest.card_reason_text(row["card_reason"], language)
    return jsonify(table)


@bp.get("/trend")
@roles_required(*READERS)
@operation(query=TrendQuery, responses={200: list[dict[str, Any]]})
def trend(query: TrendQuery):
    tier, subject_id, count = query.tier, query.subject_id, query.months
    last = query.to or engine.month_of(dt.datetime.now(dt.UTC))
    _month(last)
    months = [engine.shift_month(last, -k) for k in reversed(range(count))]
    return jsonify(services.subject_trend(tier, subject_id, months))


@bp.get("/definitions")
@roles_required(*READERS)
@operation(query=VersionQuery, responses={200: schemas.Definitions})
def get_definitions(query: VersionQuery):
    document = services.definitions(query.version)
    db.session.commit()  # the first read stores the defaults as version 1
    return jsonify(document)


@bp.put("/definitions")
@roles_required(*EDITORS)
@operation(responses={201: schemas.Definitions})
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
@operation(responses={200: schemas.ContestRules})
def get_contest_rules():
    document = contest.rules_document()
    db.session.commit()
    return jsonify(document)


@bp.put("/contest/rules")
@roles_required(*EDITORS)
@operation(responses={200: schemas.ContestRules})
def put_contest_rules():
    document = services.update_contest_rules(_body(), current_user())
    db.session.commit()
    return jsonify(document)


# ---------------------------------------------------------------- settings versions (考核设置)


@bp.get("/settings")
@roles_required(*SETTINGS_READERS)
@operation(responses={200: list[schemas.SettingsVersionRow]})
def settings_versions():
    rows = assessment.versions(engine.month_of(dt.datetime.now(dt.UTC)))
    db.session.commit()  # the first read stores the defaults as version 1
    return jsonify(rows)


@bp.get("/settings/<int:settings_version>")
@roles_required(*SETTINGS_READERS)
@operation(responses={200: schemas.SettingsVersion})
def settings_version(settings_version: int):
    row = assessment.get_version(settings_version)
    return jsonify({**assessment.settings_of(row), "changes": assessment.changes_of(row, current_language())})


@bp.post("/settings/preview")
@roles_required(*EDITORS)
@operation(body=SettingsPreviewIn, responses={200: schemas.SettingsPreview})
def settings_preview(body: SettingsPreviewIn):
    base, changes = assessment.preview(body.model_dump(exclude_none=True), current_language())
    db.session.rollback()  # nothing is stored (a first read would store version 1)
    return jsonify({"changes": changes, "base_version": base})


@bp.post("/settings")
@roles_required(*EDITORS)
@operation(body=SettingsIn, responses={201: schemas.SettingsVersion})
def save_settings(body: SettingsIn):
    draft = body.model_dump(exclude={"note", "effective_from"}, exclude_none=True)
    row = assessment.save_version(draft, current_user(), body.note, body.effective_from)
    db.session.commit()
    return jsonify(
        {**assessment.settings_of(row), "changes": assessment.changes_of(row, current_language())}
    ), 201


@bp.get("/contest/inspections")
@roles_required(*READERS)
@operation(query=InspectionFilter, responses={200: list[schemas.InspectionRecord]})
def list_inspections(query: InspectionFilter):
    if query.month:
        _month(query.month)
    return jsonify([contest.inspection_dict(r) for r in contest.inspections(query.month, query.street_id)])


@bp.post("/contest/inspections")
@roles_required(*INSPECTORS)
@operation(body=InspectionIn, photos=True, responses={201: schemas.InspectionRecord})
def add_inspection(body: InspectionIn):
    photos = []
    if request.mimetype == "multipart/form-data":
        files = request.files.getlist("photos")
        if len(files) > MAX_PHOTOS:
            raise GridCityError("bad_request", detail=f"photos: at most {MAX_PHOTOS} photos")
        photos = [f.read() for f in files]
    record = contest.add_inspection(
        body.month, body.street_id, body.item_code, body.deduction, body.note, current_user(), photos
    )
    db.session.commit()
    return jsonify(contest.inspection_dict(record)), 201


@bp.get("/contest/photos/<int:photo_id>")
@roles_required(*READERS)
@operation(query=PhotoQuery, responses={200: None})
def contest_photo(photo_id: int, query: PhotoQuery):
    from gridcity.media.storage import photo_file
    from gridcity.scorecards.models import ContestPhoto

    row = db.session.get(ContestPhoto, photo_id)
    if row is None:
        raise NotFound("not_found", what=f"photo {photo_id}")
    thumbnail = query.thumbnail in ("1", "true")
    path = photo_file(
        current_app.config["SETTINGS"].resolved_media_dir,
        row.thumbnail_path if thumbnail else row.relative_path,
    )
    if not path.is_file():
        raise NotFound("photo_file_missing", id=photo_id)
    return send_file(path, mimetype="image/jpeg" if thumbnail else row.content_type, max_age=86400)


@bp.get("/contest/cards")
@roles_required(*READERS)
@operation(query=CardsQuery, responses={200: list[dict[str, Any]]})
def contest_cards(query: CardsQuery):
    if query.month:
        _month(query.month)
    return jsonify(services.cards(query.month, current_language()))


# ---------------------------------------------------------------- appeals (考核申诉)


@bp.post("/appeals")
@roles_required(*appeals.APPELLANTS)
@operation(body=AppealIn, photos=True, responses={201: schemas.AppealRecord})
def file_appeal(body: AppealIn):
    """Contest one counted case of one's own (or one's unit's) figure."""
    photos = []
    if request.mimetype == "multipart/form-data":
        photos = [f.read() for f in request.files.getlist("photos")]
    appeal = appeals.file_appeal(
        current_user(),
        body.month,
        body.tier,
        body.subject_id,
        body.count,
        body.case_id,
        body.reason,
        photos,
    )
    db.session.commit()
    return jsonify(appeals.appeal_dict(appeal, current_language())), 201


@bp.get("/appeals")
@roles_required(*appeals.APPELLANTS, *appeals.DECIDERS)
@operation(query=AppealFilter, responses={200: list[schemas.AppealRecord]})
def list_appeals(query: AppealFilter):
    language = current_language()
    return jsonify(
        [appeals.appeal_dict(a, language) for a in appeals.appeals_for(current_user(), query.state, query.month)]
    )


@bp.get("/appeals/<int:appeal_id>")
@roles_required(*appeals.APPELLANTS, *appeals.DECIDERS)
@operation(responses={200: schemas.AppealRecord})
def get_appeal(appeal_id: int):
    return jsonify(appeals.appeal_dict(appeals.get_appeal(current_user(), appeal_id), current_language()))


@bp.post("/appeals/<int:appeal_id>/decide")
@roles_required(*appeals.DECIDERS)
@operation(body=AppealDecisionIn, responses={200: schemas.AppealDecision})
def decide_appeal(appeal_id: int, body: AppealDecisionIn):
    """Accept (the month gets a new version) or reject (with a note)."""
    appeal, version = appeals.decide(current_user(), appeal_id, body.accept, body.note)
    db.session.commit()
    return jsonify(
        {
            "appeal": appeals.appeal_dict(appeal, current_language()),
            "version": None if version is None else _with_reason_text(version.to_dict()),
        }
    )


@bp.get("/appeals/photos/<int:photo_id>")
@roles_required(*appeals.APPELLANTS, *appeals.DECIDERS)
@operation(query=PhotoQuery, responses={200: None})
def appeal_photo(photo_id: int, query: PhotoQuery):
    from gridcity.media.storage import photo_file
    from gridcity.scorecards.models import AppealPhoto

    row = db.session.get(AppealPhoto, photo_id)
    if row is None:
        raise NotFound("not_found", what=f"photo {photo_id}")
    appeals.get_appeal(current_user(), row.appeal_id)  # only who may see the appeal
    thumbnail = query.thumbnail in ("1", "true")
    path = photo_file(
        current_app.config["SETTINGS"].resolved_media_dir,
        row.thumbnail_path if thumbnail else row.relative_path,
    )
    if not path.is_file():
        raise NotFound("photo_file_missing", id=photo_id)
    return send_file(path, mimetype="image/jpeg" if thumbnail else row.content_type, max_age=86400)
