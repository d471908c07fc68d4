"""The appeal pages (考核申诉) at ``/scorecards/appeals/``: 我的申诉 (one's
own appeals, and the months one may still appeal with one's own figures,
each opening the cases behind it), the appeal form reached from a
drill-down, one appeal with its evidence and history, and the assessment
office's queue with its accept / reject form. Plain HTML forms carrying the
session's CSRF token; every rule is the service's (``appeals.py``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, request, url_for

from gridcity.cases.models import Case
from gridcity.core.auth import current_user, roles_required
from gridcity.core.errors import GridCityError, NotFound
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.scorecards.presentation import pages
from gridcity.scorecards.snapshots import appeals
from gridcity.scorecards.snapshots.appeal_exclusions import contestable_counts

bp = Blueprint("appeal_pages", __name__, url_prefix="/scorecards/appeals")
bp.context_processor(pages._page_helpers)
bp.errorhandler(GridCityError)(pages._error_page)

EVERYONE = (*appeals.APPELLANTS, *appeals.DECIDERS)


def _when(moment) -> str:
    zone = ZoneInfo(current_app.config["SETTINGS"].timezone)
    return "" if moment is None else f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def _int(name: str) -> int:
    raw = request.values.get(name, "")
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise GridCityError("bad_request", detail=f"{name} must be a positive whole number")
    return int(raw)


@bp.get("/")
@roles_required(*EVERYONE)
def list_page():
    user = current_user()
    mine = appeals.appeals_for(user)
    return pages._render(
        "scorecards_appeals.html",
        nav=None,
        decider=appeals.is_decider(user),
        pending=[a for a in mine if a.state == "pending"],
        decided=[a for a in mine if a.state != "pending"],
        open_months=appeals.open_months(user),
        when=_when,
    )


def _form_facts() -> dict:
    month = pages.parse_month(request.values.get("month", ""))
    tier = request.values.get("tier", "")
    count = request.values.get("count", "")
    subject_id, case_id = _int("subject_id"), _int("case_id")
    if count not in contestable_counts(tier):
        raise NotFound("not_found", what=pages.count_name(count) if count else "")
    return {"month": month, "tier": tier, "count": count, "subject_id": subject_id, "case_id": case_id}


@bp.get("/new")
@roles_required(*appeals.APPELLANTS)
def new_page():
    facts = _form_facts()
    user = current_user()
    if not appeals.may_contest(user, facts["tier"], facts["subject_id"]):
        raise GridCityError("appeal_not_yours", status=403)
    case = db.session.get(Case, facts["case_id"])
    if case is None:
        raise NotFound("appeal_case_not_found")
    return pages._render(
        "scorecards_appeal_new.html",
        nav=None,
        facts=facts,
        case=case,
        subject_name=appeals._subject_name(facts["tier"], facts["subject_id"]),
        closes_at=_when(appeals.window_closes(facts["month"])),
    )


@bp.post("/new")
@roles_required(*appeals.APPELLANTS)
def file_appeal():
    facts = _form_facts()
    photos = [f.read() for f in request.files.getlist("photos") if f.filename]
    appeal = appeals.file_appeal(
        current_user(),
        facts["month"],
        facts["tier"],
        facts["subject_id"],
        facts["count"],
        facts["case_id"],
        request.form.get("reason", ""),
        photos,
    )
    db.session.commit()
    return redirect(url_for(".appeal_page", appeal_id=appeal.id))


@bp.get("/<int:appeal_id>")
@roles_required(*EVERYONE)
def appeal_page(appeal_id: int):
    user = current_user()
    appeal = appeals.get_appeal(user, appeal_id)
    return pages._render(
        "scorecards_appeal.html",
        nav=None,
        appeal=appeal,
        record=appeals.appeal_dict(appeal, current_language()),
        decider=appeals.is_decider(user),
        when=_when,
    )


@bp.post("/<int:appeal_id>/decide")
@roles_required(*appeals.DECIDERS)
def decide(appeal_id: int):
    decision = request.form.get("decision")
    if decision not in ("accept", "reject"):
        raise GridCityError("bad_request", detail="choose accept or reject")
    appeals.decide(current_user(), appeal_id, decision == "accept", request.form.get("note", ""))
    db.session.commit()
    return redirect(url_for(".appeal_page", appeal_id=appeal_id))
