"""Following a report by its private link (``/p/r/<follow_token>``).

What the holder of the link sees, in public words only: the status, the
expected date (from the case's deadline), the unit, the steps so far (no
staff names, no staff notes), why a report was found invalid (无效上报: the
void's reason, read as duplicate / not our remit / not as reported), and
once the case is checked the after-photos (the unit's handling and the
passed check). Those photos are served only through the link, never on a
public page. Also the step notices (a message on each public step) for
reports whose citizen asked for them.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from gridcity.cases import states
from gridcity.cases.models import Case, CaseEvent, Photo
from gridcity.core.errors import NotFound
from gridcity.core.i18n import translate
from gridcity.extensions import db
from gridcity.open311.statuses import DUPLICATE, NOT_OURS, void_status
from gridcity.public.app_models import CitizenNotice
from gridcity.public.choices import label_of
from gridcity.public.models import CitizenReport

# Our states in the citizens' words (ui text p_status_<word>).
STATUS_WORDS = {
    states.REPORTED: "received",
    states.VERIFYING: "verifying",
    states.ACCEPTED: "accepted",
    states.FILED: "accepted",
    states.DISPATCHED: "dispatched",
    states.SUSPENDED: "suspended",
    states.IN_PROGRESS: "in_progress",
    states.HANDLED: "handled",
    states.CHECKED: "checked",
    states.CLOSED: "closed",
    states.VOIDED: "invalid",
    states.MERGED: "merged",
}
# The history actions a citizen is told about, as ui text p_step_<action>.
PUBLIC_STEPS = (
    "report",
    "me_too",
    "add_call",
    "accept",
    "verify",
    "file",
    "dispatch",
    "unit_accept",
    "handle",
    "check",
    "close",
    "rework",
    "void",
    "merge",
)
FABRICATED_WORDS = ("虚假", "不实", "捏造", "编造", "fabricat", "false", "fake")
AFTER_STAGES = ("handle", "check")


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(current_app.config["SETTINGS"].timezone)


def local_date(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(_tz()).date().isoformat()


def public_status(case: Case, language: str) -> str:
    return translate(f"p_status_{STATUS_WORDS.get(case.state, 'received')}", language)


def invalid_reason(case: Case, language: str) -> str | None:
    """无效上报 — why a voided report was not taken up, from the void's own
    reason: duplicate, not our remit, or not as reported (fabricated)."""
    if case.state == states.MERGED:
        return translate("p_invalid_duplicate", language)
    if case.state != states.VOIDED:
        return None
    text = (case.void_reason or "").lower()
    kind = void_status(text)
    if kind == DUPLICATE:
        return translate("p_invalid_duplicate", language)
    if kind == NOT_OURS:
        return translate("p_invalid_not_ours", language)
    if any(word in text for word in FABRICATED_WORDS):
        return translate("p_invalid_fabricated", language)
    return translate("p_invalid_other", language)


def report_by_token(token: str) -> CitizenReport:
    row = None
    if token and len(token) <= 64:
        row = db.session.scalar(select(CitizenReport).where(CitizenReport.follow_token == token))
    if row is None:
        raise NotFound("p_no_such_link")
    return row


def _step_words(event: CaseEvent, language: str) -> str | None:
    if event.action not in PUBLIC_STEPS:
        return None
    key = f"p_step_{event.action}"
    if event.action in ("verify", "check"):
        passed = event.to_state not in (states.VOIDED, states.IN_PROGRESS)
        key += "_pass" if passed else "_fail"
    return translate(key, language)


def steps(case: Case, language: str) -> list[dict]:
    out = []
    tz = _tz()
    for event in sorted(case.events, key=lambda e: (e.at, e.id)):
        words = _step_words(event, language)
        if words is not None:
            out.append({"at": event.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), "text": words})
    return out


def after_photos(case: Case) -> list[Photo]:
    """The unit's handling photos and the passed check's, once the case is
    checked (or closed); none before."""
    if case.state not in (states.CHECKED, states.CLOSED):
        return []
    passed_checks = {e.id for e in case.events if e.action == "check" and e.to_state == states.CHECKED}
    handles = [e for e in case.events if e.action == "handle"]
    last_handle = max(handles, key=lambda e: (e.at, e.id)).id if handles else None
    photos = db.session.scalars(
        select(Photo).where(Photo.case_id == case.id, Photo.stage.in_(AFTER_STAGES)).order_by(Photo.id)
    ).all()
    return [
        p
        for p in photos
        if p.event_id in passed_checks or (p.stage == "handle" and p.event_id == last_handle)
    ]


def follow_view(token: str, language: str) -> dict:
    """Everything the follow page shows, by the private link."""
    row = report_by_token(token)
    case = row.case
    finished = case.state in (states.CLOSED, states.VOIDED, states.MERGED)
    return {
        "number": case.number,
        "kind": label_of(case, language),
        "me_too": row.kind == "me_too",
        "status": public_status(case, language),
        "closed": case.state == states.CLOSED,
        "expected": None if finished or case.deadline_at is None else local_date(case.deadline_at),
        "unit": None if case.unit is None else case.unit.name,
        "reported_on": local_date(row.created_at),
        "invalid_reason": invalid_reason(case, language),
        "steps": steps(case, language),
        "photos": [f"/p/r/{token}/photos/{p.id}" for p in after_photos(case)],
        "links": (
            {"not_fixed": f"/p/r/{token}/not-fixed", "rate": f"/p/r/{token}/rate"}
            if case.state == states.CLOSED
            else None
        ),
    }


def after_photo(token: str, photo_id: int) -> Photo:
    row = report_by_token(token)
    for photo in after_photos(row.case):
        if photo.id == photo_id:
            return photo
    raise NotFound("p_no_such_photo")


# ---------------------------------------------------------------- step notices


def send_step_notices(language: str = "zh") -> int:
    """For each report whose citizen asked for it, one message per public
    step since the last one told (scheduler job and CLI). Returns messages sent."""
    from gridcity.public.codes import deliver

    sent = 0
    base = current_app.config["SETTINGS"].public_base_url.rstrip("/")
    for notice in db.session.scalars(select(CitizenNotice)).all():
        report = db.session.get(CitizenReport, notice.report_id)
        if report is None or report.citizen is None:
            continue
        case = report.case
        new = [e for e in case.events if e.id > (notice.last_event_id or 0)]
        for event in sorted(new, key=lambda e: e.id):
            words = _step_words(event, language)
            if words is not None and event.action not in ("report", "me_too", "add_call"):
                deliver(
                    report.citizen.phone,
                    translate(
                        "p_notice_message",
                        language,
                        number=case.number,
                        step=words,
                        link=f"{base}/p/r/{report.follow_token}",
                    ),
                )
                sent += 1
            notice.last_event_id = event.id
    return sent


def notices_job() -> dict:
    """The scheduler's job: the step notices due, committed."""
    sent = 0
    if current_app.config["SETTINGS"].public_step_notices:
        sent = send_step_notices()
    db.session.commit()
    return {"sent": sent}
