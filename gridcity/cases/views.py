"""Case API: intake, transitions, queries, tasks, photos, the event feed."""

from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, current_app, jsonify, request, send_file
from sqlalchemy import select

from gridcity.cases import queries, services
from gridcity.cases.admission import shed_when_busy
from gridcity.cases.models import Case, CaseTask
from gridcity.core.auth import current_user, login_required, roles_required
from gridcity.core.errors import GridCityError, NotFound
from gridcity.extensions import db
from gridcity.org.models import Role

bp = Blueprint("cases", __name__, url_prefix="/api/v1")

MAX_PHOTOS = 9


def _payload() -> tuple[dict, list[bytes]]:
    """JSON body, or multipart with a JSON ``data`` (or ``report``) field and
    ``photos`` files."""
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("data") or request.form.get("report") or "{}"
        try:
            data = json.loads(raw)
        except ValueError:
            raise GridCityError("bad_request", detail="the data field must be JSON") from None
        files = request.files.getlist("photos")
        if len(files) > MAX_PHOTOS:
            raise GridCityError("bad_request", detail=f"at most {MAX_PHOTOS} photos")
        photos = [f.read() for f in files]
    else:
        data = request.get_json(silent=True)
        if data is None and request.get_data():
            raise GridCityError("bad_request", detail="the body must be JSON")
        photos = []
    if not isinstance(data, dict):
        raise GridCityError("bad_request", detail="expected a JSON object")
    return data, photos


def _number(data: dict, name: str, required: bool = True) -> float | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GridCityError("bad_request", detail=f"{name} must be a number")
    return float(value)


def _text(data: dict, name: str, max_length: int) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise GridCityError("bad_request", detail=f"{name} must be text of at most {max_length} characters")
    return value


def _time(data: dict, name: str) -> dt.datetime | None:
    if data.get(name) in (None, ""):
        return None
    try:
        value = dt.datetime.fromisoformat(str(data[name]).replace("Z", "+00:00"))
    except ValueError:
        raise GridCityError("bad_request", detail=f"{name} must be an ISO-8601 date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@bp.post("/reports")
@shed_when_busy
@roles_required(Role.INSPECTOR, Role.OPERATOR)
def submit_report():
    """上报. Replays of the same client UUID answer 200 with the first case."""
    data, photos = _payload()
    user = current_user()
    client_uuid = request.headers.get("Idempotency-Key") or data.get("client_uuid")
    if client_uuid is not None and not (isinstance(client_uuid, str) and 8 <= len(client_uuid) <= 64):
        raise GridCityError("bad_request", detail="client_uuid / Idempotency-Key must be 8 to 64 characters")
    if not isinstance(data.get("category"), str):
        raise GridCityError("bad_request", detail="category (a category code such as C0101) is required")
    patrol_id = data.get("patrol_id")
    if patrol_id is not None and (isinstance(patrol_id, bool) or not isinstance(patrol_id, int)):
        raise GridCityError("bad_request", detail="patrol_id must be the id of your running patrol")
    default_source = "patrol" if patrol_id is not None else "inspector"
    report = services.Report(
        category=data["category"],
        lon=_number(data, "lon"),
        lat=_number(data, "lat"),
        source=data.get("source") or (default_source if user.role == Role.INSPECTOR.value else "hotline"),
        client_uuid=client_uuid,
        description=str(data.get("description") or "")[:4000],
        address=_text(data, "address", 200),
        accuracy_m=_number(data, "accuracy_m", required=False),
        fix_time=_time(data, "fix_time"),
        raw_lon=_number(data, "raw_lon", required=False),
        raw_lat=_number(data, "raw_lat", required=False),
        urgency=data.get("urgency"),
        reporter_contact=_text(data, "reporter_contact", 100),
        photos=photos,
        patrol_id=patrol_id,
    )
    result = services.submit_report(report, user)
    # Serialised before the commit, which would expire and reload everything.
    body = queries.case_detail(result.case, user, result.known)
    # Only the duplicates the reporter may see: another grid's cases stay unnamed.
    body["duplicates"] = [queries.case_summary(c) for c in queries.visible_only(user, result.duplicates)]
    db.session.commit()
    return jsonify(body), 201 if result.created else 200


@bp.get("/cases")
@login_required
def list_cases():
    query, limit, offset = queries.filtered(current_user(), request.args)
    total = db.session.scalar(query.with_only_columns(db.func.count(Case.id)).order_by(None))
    rows = db.session.scalars(query.limit(limit).offset(offset)).all()
    return jsonify(
        {"total": total, "limit": limit, "offset": offset, "items": [queries.case_summary(c) for c in rows]}
    )


@bp.get("/cases/<int:case_id>")
@login_required
def get_case(case_id: int):
    case = services.get_case(case_id)
    queries.require_visible(current_user(), case)
    return jsonify(queries.case_detail(case, current_user()))


ACTIONS = (
    "accept",
    "verify",
    "file",
    "void",
    "merge",
    "dispatch",
    "unit_accept",
    "handle",
    "check",
    "close",
    "rework",
    "request",
    "decide",
    "resume",
)


@bp.post("/cases/<int:case_id>/<action>")
@login_required
def act(case_id: int, action: str):
    """Take one step of the closed loop. The body carries the ``version`` the
    client saw; a case changed since answers 409."""
    if action not in ACTIONS:
        raise NotFound("not_found", what=f"action {action}")
    data, photos = _payload()
    user = current_user()
    if "version" not in data or not isinstance(data["version"], int):
        raise GridCityError("bad_request", detail="version (the case version you saw) is required")
    case = services.get_case(case_id)
    queries.require_visible(user, case)
    services.check_version(case, data["version"])
    note = str(data.get("note") or "")
    lon, lat = _number(data, "lon", required=False), _number(data, "lat", required=False)
    passed = data.get("result") == "pass"
    if action in ("verify", "check") and data.get("result") not in ("pass", "fail"):
        raise GridCityError("bad_request", detail="result must be pass or fail")
    match action:
        case "accept":
            services.accept(case, user, note)
        case "verify":
            services.verify(case, user, passed, note, lon, lat, photos)
        case "file":
            services.file_case(case, user, note)
        case "void":
            services.void(case, user, str(data.get("reason") or note))
        case "merge":
            into = services.get_case(int(_number(data, "into")))
            services.merge(case, user, into, note)
        case "dispatch":
            unit = data.get("unit_id")
            if unit is not None and (isinstance(unit, bool) or not isinstance(unit, int)):
                raise GridCityError("bad_request", detail="unit_id must be a unit's id")
            services.dispatch(case, user, unit, str(data.get("reason") or ""))
        case "unit_accept":
            services.unit_accept(case, user, note)
        case "handle":
            services.handle(case, user, note, photos, lon, lat)
        case "check":
            services.check(case, user, passed, note, photos, lon, lat)
        case "close":
            services.close(case, user, note)
        case "rework":
            services.rework(case, user, str(data.get("reason") or note))
        case "request":
            services.request_change(
                case,
                user,
                str(data.get("kind") or ""),
                str(data.get("reason") or ""),
                _number(data, "extra_amount", required=False),
                _time(data, "review_on"),
            )
        case "decide":
            if not isinstance(data.get("approve"), bool):
                raise GridCityError("bad_request", detail="approve must be true or false")
            services.decide(case, user, data["approve"], note)
        case "resume":
            services.resume(case, user, note)
    db.session.flush()
    body = queries.case_detail(case, user)  # before the commit expires it all
    db.session.commit()  # a concurrent writer's change surfaces as 409 (core.errors)
    return jsonify(body)


@bp.get("/tasks")
@roles_required(Role.INSPECTOR)
def my_tasks():
    """Open verify / check tasks: mine and unassigned ones of my work grids;
    nearest first when ``lon``/``lat`` are given, else soonest due."""
    user = current_user()
    grids = [w.id for w in user.work_grids]
    rows = db.session.execute(
        select(CaseTask, Case)
        .join(Case, CaseTask.case_id == Case.id)
        .where(
            CaseTask.completed_at.is_(None),
            (CaseTask.inspector_id == user.id)
            | (CaseTask.inspector_id.is_(None) & Case.work_grid_id.in_(grids)),
        )
    ).all()
    lon, lat = request.args.get("lon", type=float), request.args.get("lat", type=float)
    items = []
    for task, case in rows:
        item = {
            "id": task.id,
            "kind": task.kind,
            "due_at": task.due_at.isoformat(),
            "overdue": task.overdue,
            "case": queries.case_summary(case),
            "distance_m": None,
        }
        if lon is not None and lat is not None:
            from gridcity.media.storage import distance_m

            item["distance_m"] = round(distance_m(lon, lat, case.lon, case.lat), 1)
        items.append(item)
    items.sort(key=lambda i: (i["distance_m"] if i["distance_m"] is not None else 0, i["due_at"]))
    return jsonify(items)


@bp.get("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    from gridcity.media.storage import photo_file, served_photo

    row = queries.readable_photo(current_user(), photo_id)
    thumbnail = request.args.get("thumbnail") in ("1", "true")
    media_dir = current_app.config["SETTINGS"].resolved_media_dir
    if thumbnail:  # thumbnails are made without metadata
        path = photo_file(media_dir, row.thumbnail_path)
    else:
        path = served_photo(
            media_dir, row.relative_path, original=queries.sees_photo_originals(current_user())
        )
    response = send_file(path, mimetype="image/jpeg" if thumbnail else row.content_type, max_age=86400)
    # One URL, different bytes per viewer, and only this user's browser may keep
    # it: a shared proxy must not hand it to another.
    response.cache_control.public = False
    response.cache_control.private = True
    return response


@bp.get("/events")
@login_required
def events():
    """History events after ``after`` (a ``seq``) on the cases I may see."""
    after = request.args.get("after", default=0, type=int)
    return jsonify(queries.events_after(current_user(), after))
