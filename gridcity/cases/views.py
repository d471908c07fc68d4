"""Case API: intake, transitions, queries, tasks, photos, the event feed."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, send_file
from sqlalchemy import select

from gridcity.cases import queries, schemas, search, services
from gridcity.cases.admission import shed_when_busy
from gridcity.cases.models import Case, CaseTask
from gridcity.cases.schemas import CaseActionIn, CaseFilter, EventsQuery, PhotoQuery, ReportIn, TaskQuery
from gridcity.cases.search_schemas import CaseSearch, SearchPage
from gridcity.core.api import operation
from gridcity.core.auth import current_user, login_required, roles_required
from gridcity.core.errors import GridCityError, NotFound
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.taxonomy.services import MAX_REPORT_PHOTOS
from gridcity.web.formats import city_zone

bp = Blueprint("cases", __name__, url_prefix="/api/v1")

MAX_PHOTOS = MAX_REPORT_PHOTOS  # one number: a category cannot require more


def _photos() -> list[bytes]:
    """The ``photos`` files of a multipart body."""
    if request.mimetype != "multipart/form-data":
        return []
    files = request.files.getlist("photos")
    if len(files) > MAX_PHOTOS:
        raise GridCityError("bad_request", detail=f"photos: at most {MAX_PHOTOS} photos")
    return [f.read() for f in files]


@bp.post("/reports")
@shed_when_busy
@roles_required(Role.INSPECTOR, Role.OPERATOR)
@operation(body=ReportIn, photos=True, responses={201: schemas.ReportResult, 200: schemas.ReportResult})
def submit_report(body: ReportIn):
    """上报. Replays of the same client UUID answer 200 with the first case;
    the same UUID with another report is refused (422)."""
    photos = _photos()
    user = current_user()
    client_uuid = request.headers.get("Idempotency-Key") or body.client_uuid
    if client_uuid is not None and not (8 <= len(client_uuid) <= 64 and "\x00" not in client_uuid):
        raise GridCityError("bad_request", detail="client_uuid / Idempotency-Key must be 8 to 64 characters")
    default_source = "patrol" if body.patrol_id is not None else "inspector"
    report = services.Report(
        category=body.category,
        lon=body.lon,
        lat=body.lat,
        source=body.source or (default_source if user.role == Role.INSPECTOR.value else "hotline"),
        client_uuid=client_uuid,
        description=(body.description or "")[:4000],
        address=body.address or None,
        accuracy_m=body.accuracy_m,
        fix_time=body.fix_time,
        raw_lon=body.raw_lon,
        raw_lat=body.raw_lat,
        position_by_hand=body.position_by_hand,
        urgency=body.urgency,
        reporter_contact=body.reporter_contact or None,
        photos=photos,
        patrol_id=body.patrol_id,
        component_id=body.component_id,
    )
    result = services.submit_report(report, user)
    # Serialised before the commit, which would expire and reload everything.
    answer = queries.case_detail(result.case, user, result.known)
    # Only the duplicates the reporter may see: another grid's cases stay unnamed.
    answer["duplicates"] = [queries.case_summary(c) for c in queries.visible_only(user, result.duplicates)]
    db.session.commit()
    return jsonify(answer), 201 if result.created else 200


@bp.get("/cases")
@login_required
@operation(query=CaseFilter, responses={200: schemas.CasePage})
def list_cases(query: CaseFilter):
    select_, limit, offset = queries.filtered(current_user(), request.args)
    total = db.session.scalar(select_.with_only_columns(db.func.count(Case.id)).order_by(None))
    rows = db.session.scalars(select_.limit(limit).offset(offset)).all()
    return jsonify(
        {"total": total, "limit": limit, "offset": offset, "items": [queries.case_summary(c) for c in rows]}
    )


@bp.get("/cases/search")
@roles_required(*search.SEARCH_ROLES)
@operation(query=CaseSearch, responses={200: SearchPage})
def search_cases(query: CaseSearch):
    """Find any case (案卷查询), closed and voided ones included: by number or
    its last digits, the reporter's phone, words, place, unit, category,
    state and report time. Newest report first; phones masked."""
    zone = city_zone()
    wanted = search.SearchQuery(
        q=query.q,
        state=[s for s in (query.state or "").split(",") if s],
        street=query.street,
        community=query.community,
        work_grid=query.work_grid,
        unit_grid=query.unit_grid,
        unit=query.unit,
        category=[c.strip() for c in (query.category or "").split(",") if c.strip()],
        reported_from=search.parse_moment(query.from_, zone),
        reported_to=search.parse_moment(query.to, zone, end=True),
        limit=query.limit if query.limit is not None else search.PAGE_DEFAULT,
        offset=query.offset or 0,
    )
    found = search.search(current_user(), wanted)
    return jsonify(
        {
            "total": found.total,
            "more": found.more,
            "limit": max(1, min(wanted.limit, search.PAGE_MAX)),
            "offset": max(0, wanted.offset),
            "kinds": found.kinds,
            "items": search.result_items(found.cases, current_language()),
        }
    )


@bp.get("/cases/<int:case_id>")
@login_required
@operation(responses={200: schemas.CaseDetail})
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
    "urge",
)


@bp.post("/cases/<int:case_id>/<action>")
@login_required
@operation(body=CaseActionIn, photos=True, responses={200: schemas.CaseDetail})
def act(case_id: int, action: str, body: CaseActionIn):
    """Take one step of the closed loop. The body carries the ``version`` the
    client saw; a case changed since answers 409."""
    if action not in ACTIONS:
        raise NotFound("not_found", what=f"action {action}")
    photos = _photos()
    user = current_user()
    case = services.get_case(case_id)
    queries.require_visible(user, case)
    services.check_version(case, body.version)
    note = body.note or ""
    lon, lat = body.lon, body.lat
    passed = body.result == "pass"
    if action in ("verify", "check") and body.result is None:
        raise GridCityError("bad_request", detail="result must be pass or fail")
    match action:
        case "accept":
            services.accept(case, user, note)
        case "verify":
            services.verify(case, user, passed, note, lon, lat, photos)
        case "file":
            services.file_case(case, user, note)
        case "void":
            services.void(case, user, body.reason or note)
        case "merge":
            if body.into_number:
                into = services.case_by_number(body.into_number)
            elif body.into is not None:
                into = services.get_case(body.into)
            else:
                raise GridCityError("merge_number_required", status=400)
            services.merge(case, user, into, note)
        case "dispatch":
            services.dispatch(case, user, body.unit_id, body.reason or "")
        case "unit_accept":
            services.unit_accept(case, user, note)
        case "handle":
            services.handle(case, user, note, photos, lon, lat)
        case "check":
            services.check(case, user, passed, note, photos, lon, lat)
        case "close":
            services.close(case, user, note)
        case "rework":
            services.rework(case, user, body.reason or note)
        case "request":
            services.request_change(
                case, user, body.kind or "", body.reason or "", body.extra_amount, body.review_on
            )
        case "decide":
            if body.approve is None:
                raise GridCityError("bad_request", detail="approve must be true or false")
            services.decide(case, user, body.approve, note)
        case "resume":
            services.resume(case, user, note)
        case "urge":
            services.urge(case, user, body.reason or note)
    db.session.flush()
    answer = queries.case_detail(case, user)  # before the commit expires it all
    db.session.commit()  # a concurrent writer's change surfaces as 409 (core.errors)
    return jsonify(answer)


@bp.get("/tasks")
@roles_required(Role.INSPECTOR)
@operation(query=TaskQuery, responses={200: list[schemas.Task]})
def my_tasks(query: TaskQuery):
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
    lon, lat = query.lon, query.lat
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
@operation(query=PhotoQuery, responses={200: None})
def photo(photo_id: int, query: PhotoQuery):
    from gridcity.media.storage import photo_file, served_photo

    row = queries.readable_photo(current_user(), photo_id)
    thumbnail = query.thumbnail in ("1", "true")
    media_dir = current_app.config["SETTINGS"].resolved_media_dir
    if not photo_file(media_dir, row.thumbnail_path if thumbnail else row.relative_path).is_file():
        raise NotFound("photo_file_missing", id=photo_id)
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
@operation(query=EventsQuery, responses={200: list[schemas.HistoryEvent]})
def events(query: EventsQuery):
    """History events after ``after`` (a ``seq``) on the cases I may see."""
    return jsonify(queries.events_after(current_user(), query.after))
