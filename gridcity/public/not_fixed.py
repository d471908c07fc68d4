"""Closed is not fixed (未修复): a citizen's claim after closing, the grid
inspector's re-verification (复核), and the reopening as rework (返工).

One door for every channel: a follow-link holder (:func:`claim_not_fixed`)
and an Open311 client's "not fixed" update (:func:`open_recheck`, called by
``gridcity.open311.updates``) both open a re-verification task for the
grid's inspector. The inspector's finding (:func:`recheck`):

- not fixed: the case is reopened as rework against the unit that held it —
  a ``rework`` event, as a shift leader's 不予结案, so the scorecards count a
  failed fix for that unit (DOMAIN §7.1 rule 3) and the unit's handling
  clock runs again from now;
- fixed after all: the case stays closed; the citizen sees that in words,
  with the inspector's photo once an operator has approved it.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select

from gridcity.cases import services as case_services
from gridcity.cases import states
from gridcity.cases.history import record
from gridcity.cases.models import Case, CaseEvent, CaseTask
from gridcity.core.clock import utcnow
from gridcity.core.errors import Conflict, Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.org.models import Role, User
from gridcity.public.feedback_models import NotFixedClaim, PublicPolicy
from gridcity.public.models import CitizenReport

TASK_KIND = "recheck"  # 复核, a CaseTask kind beside verify / check
CLAIM_ACTION = "not_fixed"  # the citizen's claim in the case history
RECHECK_ACTION = "recheck"  # the inspector found it fixed: the case stays closed
NOTE_MAX = 1000
# The city's numbers (rows of public_policy), with the value used while none is set.
DEFAULT_POLICY = {"not_fixed_days": 7.0}
# A citizen acts without an account: the history names the channel, not a person.
CITIZEN = SimpleNamespace(id=None, role="citizen")


def policy_value(name: str) -> float:
    row = db.session.get(PublicPolicy, name)
    return row.value if row is not None else DEFAULT_POLICY[name]


def holder(token: str) -> CitizenReport:
    """The report (or "me too") whose private follow link this is; an
    unknown link answers like a page that does not exist."""
    token = (token or "").strip()
    row = (
        db.session.scalar(select(CitizenReport).where(CitizenReport.follow_token == token)) if token else None
    )
    if row is None:
        raise NotFound("public_link_unknown")
    return row


def followed_case(report: CitizenReport) -> Case:
    """The case a follow link follows now: a case merged into another is
    followed where the problem is handled."""
    case = report.case
    if case.state == states.MERGED and case.merged_into_id:
        case = db.session.get(Case, case.merged_into_id)
    return case


def open_claim(case: Case) -> NotFixedClaim | None:
    return db.session.scalar(
        select(NotFixedClaim).where(NotFixedClaim.case_id == case.id, NotFixedClaim.outcome.is_(None))
    )


def window_ends(case: Case) -> dt.datetime | None:
    """Until when a closed case may be said not fixed (None: not closed)."""
    if case.state != states.CLOSED or case.closed_at is None:
        return None
    return case.closed_at + dt.timedelta(days=policy_value("not_fixed_days"))


def claim_not_fixed(token: str, photos: list[bytes], note: str = "") -> NotFixedClaim:
    """A follow-link holder says the closed case is not fixed, with a photo
    (required) and a note; opens the re-verification task."""
    report = holder(token)
    case = followed_case(report)
    now = utcnow()
    ends = window_ends(case)
    if ends is None:
        raise Conflict("not_fixed_not_closed")
    if now > ends:
        raise Conflict("not_fixed_window_passed", days=f"{policy_value('not_fixed_days'):g}")
    if open_claim(case) is not None:
        raise Conflict("not_fixed_already_open")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise GridCityError("public_note_too_long", limit=NOTE_MAX)
    photos = [p for p in photos if p]
    if not photos:
        raise GridCityError("not_fixed_photo_required")
    stored = case_services._store_photos(photos)
    event = record(
        case,
        CLAIM_ACTION,
        case.state,
        CITIZEN,
        note=note or "市民反映问题仍未解决",
        at=now,
        extra={"channel": "public", "citizen_report_id": report.id},
    )
    claim = open_recheck(case, event, now, citizen_report_id=report.id, note=note)
    case_services._attach_photos(case, event, stored, "not_fixed", None)
    return claim


def open_recheck(
    case: Case, event: CaseEvent, now: dt.datetime, *, citizen_report_id: int | None = None, note: str = ""
) -> NotFixedClaim:
    """Open the re-verification task (复核) of a "not fixed" claim that
    ``event`` recorded, unless one is open already (then that claim)."""
    existing = open_claim(case)
    if existing is not None:
        return existing
    task = case_services._open_task(
        case, TASK_KIND, now, timed_as="check"
    )  # a re-verification is timed as a check
    event.data = {**(event.data or {}), "task_id": task.id, "inspector_id": task.inspector_id}
    claim = NotFixedClaim(
        case_id=case.id,
        citizen_report_id=citizen_report_id,
        task_id=task.id,
        event_id=event.id,
        note=note,
        created_at=now,
    )
    db.session.add(claim)
    db.session.flush()
    case_services.announce(case, event, extra_users=[task.inspector_id])
    return claim


def recheck(case: Case, actor: User, not_fixed: bool, note: str = "", photos=(), lon=None, lat=None) -> Case:
    """复核 — the grid's inspector re-photographs on site: still not fixed
    (the case is reopened as rework against its unit) or fixed (it stays
    closed). A finding of "not fixed" needs the reason the unit acts on."""
    if actor.role != Role.INSPECTOR.value:
        raise Forbidden("forbidden_role", role=actor.role)
    claim = open_claim(case)
    if claim is None or case.state != states.CLOSED:
        raise Conflict("recheck_nothing_open")
    task = db.session.get(CaseTask, claim.task_id)
    in_grid = case.work_grid_id in {w.id for w in actor.work_grids}
    if task is None or (task.inspector_id != actor.id and not in_grid):
        raise Forbidden("not_your_case", number=case.number)
    note = (note or "").strip()
    if not_fixed and not note:
        raise GridCityError("check_reason_required")
    stored = case_services._store_photos(list(photos))
    if not stored:
        raise GridCityError("bad_request", detail="a re-verification needs a new on-site photo")
    now = utcnow()
    task.completed_at, task.result = now, "fail" if not_fixed else "pass"
    extra = {"task_id": task.id, "result": task.result, "claim_id": claim.id}
    if not_fixed:
        # Reopened: the closing no longer stands (the case is open at the
        # month's end); back to the unit, whose handling clock runs again
        # from now, as after a failed check.
        changes = case_services._restart_clock(case, now)
        changes["closed_at"] = None
        event = record(
            case,
            "rework",
            states.IN_PROGRESS,
            actor,
            note=note,
            lon=lon,
            lat=lat,
            at=now,
            set=changes,
            inc=("rework_count",),
            extra={**extra, "reopened": True},
        )
    else:
        event = record(
            case, RECHECK_ACTION, states.CLOSED, actor, note=note, lon=lon, lat=lat, at=now, extra=extra
        )
    claim.outcome = "confirmed" if not_fixed else "fixed"
    claim.decided_at = now
    db.session.flush()
    claim.decision_event_id = event.id
    case_services._attach_photos(case, event, stored, TASK_KIND, actor)
    case_services.announce(case, event)
    return case


def claims_of(case: Case) -> list[NotFixedClaim]:
    return list(
        db.session.scalars(
            select(NotFixedClaim).where(NotFixedClaim.case_id == case.id).order_by(NotFixedClaim.id)
        )
    )
