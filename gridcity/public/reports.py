"""A citizen's report (随手拍) and "me too" (我也遇到).

A report makes its case through the ordinary intake
(:func:`gridcity.cases.services.submit_report`, source ``public``), so routing,
deadlines, duplicates and live events work as for any public report. Before
saving, the app asks :func:`nearby` for open cases of the same kind within the
category's duplicate radius; joining one of them is :func:`me_too`: a
:class:`CitizenReport` of kind ``me_too`` and an event in the case's history,
no new case.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from gridcity.cases import services as case_services
from gridcity.cases import states
from gridcity.cases.history import record
from gridcity.cases.models import Case
from gridcity.cases.routing import duplicates_near
from gridcity.core.clock import utcnow
from gridcity.core.errors import Conflict, Forbidden, GridCityError, NotFound
from gridcity.core.i18n import translate
from gridcity.extensions import db
from gridcity.public.app_models import CitizenNotice
from gridcity.public.choices import choice_for, label_of
from gridcity.public.follow import local_date, public_status
from gridcity.public.limits import check_report_limits
from gridcity.public.models import Citizen, CitizenReport
from gridcity.taxonomy.models import Category

MAX_PHOTOS = 4
MAX_DESCRIPTION = 1000


# ---------------------------------------------------------------- nearby


def _position(lon, lat) -> tuple[float, float]:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise GridCityError("p_position_required") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise GridCityError("p_position_required")
    return lon, lat


def nearby(code: str, lon, lat, language: str) -> list[dict]:
    """是不是这些问题之一？ — open cases of this kind within the category's
    duplicate radius, nearest first, in public words only: number, kind,
    status, rough distance, date. No position, no photo, no person."""
    choice = choice_for(code)
    lon, lat = _position(lon, lat)
    category = db.session.scalar(select(Category).where(Category.code == choice.code))
    answer = []
    for distance, case in duplicates_near(category, lon, lat, None, 5):
        answer.append(
            {
                "number": case.number,
                "kind": choice.label(language),
                "status": public_status(case, language),
                "distance_m": int(round(distance / 10.0) * 10),
                "reported_on": local_date(case.reported_at),
                "reports": _citizens_on(case),
            }
        )
    return answer


def _citizens_on(case: Case) -> int:
    return len(db.session.scalars(select(CitizenReport.id).where(CitizenReport.case_id == case.id)).all())


# ---------------------------------------------------------------- report / me too


@dataclass
class CitizenSubmission:
    category: str
    lon: float
    lat: float
    description: str = ""
    position_by_hand: bool = False
    accuracy_m: float | None = None
    client_uuid: str | None = None
    notify: bool = False
    photos: list[bytes] = field(default_factory=list)


@dataclass
class Receipt:
    report: CitizenReport
    case: Case
    created: bool  # False: a replay of the same client UUID, or "me too" on a case already joined


def _reporter(citizen: Citizen | None) -> None:
    if citizen is None and not current_app.config["SETTINGS"].public_anonymous_reports:
        raise Forbidden("p_sign_in_first")


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def report_problem(sub: CitizenSubmission, citizen: Citizen | None, address: str | None) -> Receipt:
    """上报 — a new case from a citizen, through the ordinary intake."""
    _reporter(citizen)
    if sub.client_uuid:
        existing = db.session.scalar(
            select(CitizenReport)
            .join(Case, Case.id == CitizenReport.case_id)
            .where(Case.client_uuid == sub.client_uuid)
        )
        if existing is not None:
            if existing.citizen_id != getattr(citizen, "id", None):
                raise Conflict("idempotency_key_taken")
            return Receipt(existing, existing.case, False)
    choice = choice_for(sub.category)
    lon, lat = _position(sub.lon, sub.lat)
    if len(sub.photos) > MAX_PHOTOS:
        raise GridCityError("p_too_many_photos", max=MAX_PHOTOS)
    check_report_limits(citizen, address)
    result = case_services.submit_report(
        case_services.Report(
            category=choice.code,
            lon=lon,
            lat=lat,
            source="public",
            client_uuid=sub.client_uuid,
            description=(sub.description or "").strip()[:MAX_DESCRIPTION],
            accuracy_m=sub.accuracy_m,
            position_by_hand=bool(sub.position_by_hand),
            reporter_contact=None if citizen is None else citizen.phone,
            photos=list(sub.photos),
        ),
        None,
        system_source=True,
    )
    row = _link(result.case, citizen, "report", address, sub.notify)
    return Receipt(row, result.case, result.created)


def me_too(
    number: str, citizen: Citizen | None, address: str | None, photos=(), notify: bool = False
) -> Receipt:
    """我也遇到 — join an open case: a link to it and a line in its history
    (with the photo, for staff); no new case."""
    _reporter(citizen)
    case = db.session.scalar(select(Case).where(Case.number == (number or "").strip()))
    if case is None:
        raise NotFound("p_no_such_case")
    if case.state not in states.OPEN_STATES:
        raise Conflict("p_case_finished")
    if citizen is not None:
        mine = db.session.scalar(
            select(CitizenReport).where(
                CitizenReport.case_id == case.id, CitizenReport.citizen_id == citizen.id
            )
        )
        if mine is not None:
            return Receipt(mine, case, False)
    if len(photos) > 1:
        raise GridCityError("p_too_many_photos", max=1)
    check_report_limits(citizen, address)
    stored = case_services._store_photos(list(photos)) if photos else []
    event = record(case, "me_too", case.state, None, note=translate("p_me_too_note", "zh"), at=utcnow())
    case_services._attach_photos(case, event, stored, "report", None)
    row = _link(case, citizen, "me_too", address, notify)
    case_services.announce(case, event)
    return Receipt(row, case, True)


def _link(case: Case, citizen: Citizen | None, kind: str, address: str | None, notify: bool) -> CitizenReport:
    row = CitizenReport(
        case_id=case.id,
        citizen_id=getattr(citizen, "id", None),
        kind=kind,
        follow_token=_new_token(),
        created_at=utcnow(),
        from_address=(address or None) and address[:45],
    )
    db.session.add(row)
    db.session.flush()
    if notify and current_app.config["SETTINGS"].public_step_notices and citizen is not None:
        db.session.add(CitizenNotice(report_id=row.id, last_event_id=_last_event_id(case)))
        db.session.flush()
    return row


def _last_event_id(case: Case) -> int | None:
    ids = [e.id for e in case.events if e.id is not None]
    return max(ids) if ids else None


def my_reports(citizen: Citizen, language: str, limit: int = 50) -> list[dict]:
    """我的上报 — newest first: number, kind, status, date and the private link."""
    rows = db.session.scalars(
        select(CitizenReport)
        .where(CitizenReport.citizen_id == citizen.id)
        .order_by(CitizenReport.created_at.desc(), CitizenReport.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "number": r.case.number,
            "kind": label_of(r.case, language),
            "me_too": r.kind == "me_too",
            "status": public_status(r.case, language),
            "reported_on": local_date(r.created_at),
            "follow_url": f"/p/r/{r.follow_token}",
        }
        for r in rows
    ]


# ---------------------------------------------------------------- sessions


def citizen_for_phone(phone_key: str) -> Citizen:
    """The citizen of a confirmed phone (made on first confirmation)."""
    citizen = db.session.scalar(select(Citizen).where(Citizen.phone == phone_key))
    if citizen is None:
        citizen = Citizen(phone=phone_key, created_at=utcnow())
        db.session.add(citizen)
        db.session.flush()
    return citizen
