"""考核申诉 — appeals against counted cases (DOMAIN.md §7.1 rule 11).

Who may appeal what:

- a unit's member (handler or supervisor), for the cases counted in their
  unit's figures (tier ``unit``);
- an inspector, operator, shift leader or dispatcher, for the cases counted
  in their own figures in that role (e.g. an inspector's missed report, a
  dispatcher's late dispatch — contested in "dispatched", whose on-time part
  goes with it).

When: once the month is frozen (it has a version), until the end of the
``appeals.window_working_days``-th working day (work calendar) after the
month closes; the number is part of the indicator definitions
(``PUT /api/v1/scorecards/definitions``), so it is data, versioned like the
rest. 0 working days closes appeals at the month's end.

What: one case of one figure, with a reason and photos as evidence; one
appeal per case per figure. The assessment office (manager; admin) accepts
or rejects it with a note; a rejection needs one. Accepting makes the
month's next version at once: it applies every accepted appeal of the month
(see :mod:`gridcity.scorecards.appeal_exclusions` for how a figure changes)
and its reason names the appeals it adds; version 1 stays as it was.

Every step is written to the appeal's history (who, in which role, when,
with which note). Everyone sees their own appeals (a unit's member: their
unit's; a person: those about their own figures); managers and admins see
all. The callers commit.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from gridcity.cases.models import Case
from gridcity.core.clock import utcnow
from gridcity.core.errors import Conflict, Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.org.models import UNIT_ROLES, Role, User, is_unit_member
from gridcity.scorecards.counting import engine
from gridcity.scorecards.models import Appeal, AppealEvent, AppealPhoto
from gridcity.scorecards.scoring.indicators import current_set
from gridcity.scorecards.snapshots import appeal_exclusions as exclusions
from gridcity.scorecards.snapshots import freeze
from gridcity.web.ui_text import ui_text

APPELLANTS = (*UNIT_ROLES, Role.INSPECTOR, Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER)
DECIDERS = (Role.MANAGER, Role.ADMIN)
STATES = ("pending", "accepted", "rejected")
MAX_PHOTOS = 9
DEFAULT_WINDOW_DAYS = 5
# How far back the "what may I still contest" list looks for frozen months.
RECENT_MONTHS = 3


# ---------------------------------------------------------------- who and when


def own_subject(user: User) -> tuple[str, int] | None:
    """The scorecard row ``user`` may contest: ``("unit", unit id)`` for a
    unit's member (handler or supervisor), ``(role, user id)`` for a person;
    None for anyone else."""
    if is_unit_member(user):
        return ("unit", user.unit_id) if user.unit_id else None
    if user.role in exclusions.APPEAL_TIERS:
        return (user.role, user.id)
    return None


def may_contest(user: User, tier: str, subject_id: int) -> bool:
    return own_subject(user) == (tier, subject_id)


def is_decider(user: User) -> bool:
    return user.role in {r.value for r in DECIDERS}


def window_days() -> int:
    """The appeal window in working days, from the current definitions."""
    document = current_set().document
    return int(document.get("appeals", {}).get("window_working_days", DEFAULT_WINDOW_DAYS))


def window_closes(month: str, days: int | None = None) -> dt.datetime:
    """The moment appeals on ``month`` close (UTC): midnight (city time) after
    the ``days``-th working day after the month's last day."""
    from gridcity.workcalendar.services import working_calendar

    days = window_days() if days is None else days
    timezone = current_app.config["SETTINGS"].timezone
    _, end = engine.month_bounds(month)
    calendar = working_calendar(timezone)
    day = end.astimezone(ZoneInfo(timezone)).date()  # the first day after the month
    counted = 0
    while counted < days:
        if calendar.is_working_day(day):
            counted += 1
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


def is_frozen(month: str) -> bool:
    return bool(freeze.versions(month))


def counted_cases(month: str, tier: str, subject_id: int, count: str, version: int | None = None) -> list[int]:
    """The cases behind one figure of the given (default: latest) frozen
    version: the drill-down without what that version's appeals took out."""
    from gridcity.scorecards.snapshots.services import cases_behind

    versions = freeze.versions(month)
    if not versions:
        return list(cases_behind(month, tier, subject_id, count))
    number = version or versions[-1].version
    # The version's frozen list, without the cases its accepted appeals took out.
    return exclusions.drop(
        list(cases_behind(month, tier, subject_id, count, number)),
        tier,
        subject_id,
        count,
        exclusions.accepted(month, number),
    )


# ---------------------------------------------------------------- filing


def file_appeal(
    user: User,
    month: str,
    tier: str,
    subject_id: int,
    count: str,
    case_id: int,
    reason: str,
    photos: list[bytes] = (),
) -> Appeal:
    """Contest case ``case_id`` in figure ``count`` of row (``tier``,
    ``subject_id``) of the frozen ``month``. Refusals: 403 not your figure;
    409 month not frozen, window closed, already contested; 422 the case is
    not in that figure; 400 no reason, too many photos."""
    from gridcity.media.storage import store_photo

    engine.parse_month(month)
    if not may_contest(user, tier, subject_id):
        raise Forbidden("appeal_not_yours")
    if count not in exclusions.contestable_counts(tier):
        raise GridCityError("appeal_bad_figure", figure=_figure(count))
    if not is_frozen(month):
        raise Conflict("appeal_month_not_frozen", month=month)
    closes = window_closes(month)
    if utcnow() >= closes:
        raise Conflict("appeal_window_closed", month=month, closed=_local(closes), days=window_days())
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("appeal_case_not_found")
    subject_name = _subject_name(tier, subject_id)
    if case_id not in counted_cases(month, tier, subject_id, count):
        raise GridCityError(
            "appeal_not_counted", status=422, number=case.number or "", subject=subject_name, figure=_figure(count)
        )
    earlier = db.session.scalar(
        select(Appeal).where(
            Appeal.month == month,
            Appeal.tier == tier,
            Appeal.subject_id == subject_id,
            Appeal.count == count,
            Appeal.case_id == case_id,
        )
    )
    if earlier is not None:
        raise Conflict("appeal_duplicate", number=case.number or "", figure=_figure(count), state=_state(earlier.state))
    reason = (reason or "").strip()
    if not reason:
        raise GridCityError("appeal_reason_required")
    if len(photos) > MAX_PHOTOS:
        raise GridCityError("bad_request", detail=f"photos: at most {MAX_PHOTOS} photos")
    settings = current_app.config["SETTINGS"]
    stored = [store_photo(p, settings.resolved_media_dir, settings.max_upload_mb * 1024 * 1024) for p in photos]
    now = utcnow()
    appeal = Appeal(
        month=month,
        tier=tier,
        subject_id=subject_id,
        subject_name=subject_name,
        count=count,
        case_id=case_id,
        reason=reason,
        state="pending",
        filed_by_id=user.id,
        filed_at=now,
        decision_note="",
    )
    for p in stored:
        appeal.photos.append(
            AppealPhoto(
                sha256=p.sha256,
                content_type=p.content_type,
                width=p.width,
                height=p.height,
                size_bytes=p.size_bytes,
                relative_path=p.relative_path,
                thumbnail_path=p.thumbnail_path,
            )
        )
    appeal.events.append(AppealEvent(action="filed", actor_id=user.id, actor_role=user.role, at=now, note=reason))
    try:
        with db.session.begin_nested():  # the same appeal sent twice at once: one wins
            db.session.add(appeal)
    except IntegrityError:
        raise Conflict(
            "appeal_duplicate", number=case.number or "", figure=_figure(count), state=_state("pending")
        ) from None
    return appeal


# ---------------------------------------------------------------- deciding


def decide(user: User, appeal_id: int, accept: bool, note: str = ""):
    """Accept or reject a pending appeal (the assessment office). Accepting
    makes the month's next version; returns ``(appeal, version info or
    None)``. Refusals: 403 not a decider; 404; 409 already decided; 400 a
    rejection without a note."""
    if not is_decider(user):
        raise Forbidden("appeal_not_decider")
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("appeal_not_found")
    if appeal.state != "pending":
        raise Conflict("appeal_decided", state=_state(appeal.state))
    note = (note or "").strip()
    if not accept and not note:
        raise GridCityError("appeal_note_required")
    now = utcnow()
    state = "accepted" if accept else "rejected"
    # Only a pending appeal is decided: of two managers deciding at once, the
    # second finds it decided (and no second version is made).
    decided = db.session.execute(
        update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.state == "pending")
        .values(state=state, decided_by_id=user.id, decided_at=now, decision_note=note)
        .execution_options(synchronize_session=False)
    )
    if decided.rowcount != 1:
        db.session.refresh(appeal)
        raise Conflict("appeal_decided", state=_state(appeal.state))
    db.session.refresh(appeal)
    appeal.events.append(
        AppealEvent(action=appeal.state, actor_id=user.id, actor_role=user.role, at=now, note=note)
    )
    db.session.flush()
    if not accept:
        return appeal, None
    return appeal, apply_accepted(appeal.month, user)


def apply_accepted(month: str, user: User | None = None):
    """The month's next version, applying its accepted appeals; its reason
    names those not applied before. None when there are none to apply."""
    new = list(
        db.session.scalars(
            select(Appeal)
            .where(Appeal.month == month, Appeal.state == "accepted", Appeal.applied_version.is_(None))
            .order_by(Appeal.id)
        )
    )
    if not new:
        return None
    info = freeze.recompute(month, exclusions.reason_for(new), user)
    now = utcnow()
    for appeal in new:
        appeal.applied_version = info.version
        appeal.events.append(
            AppealEvent(
                action="applied",
                actor_id=getattr(user, "id", None),
                actor_role=getattr(user, "role", None),
                at=now,
                version=info.version,
            )
        )
    db.session.flush()
    return info


# ---------------------------------------------------------------- reading


def visible_to(user: User):
    """The appeals ``user`` may see, as a WHERE clause (None: all)."""
    if is_decider(user):
        return None
    mine = Appeal.filed_by_id == user.id
    subject = own_subject(user)
    if subject is None:
        return mine
    return or_(mine, (Appeal.tier == subject[0]) & (Appeal.subject_id == subject[1]))


def appeals_for(user: User, state: str | None = None, month: str | None = None) -> list[Appeal]:
    """Appeals ``user`` may see, pending first, then newest first."""
    query = select(Appeal)
    where = visible_to(user)
    if where is not None:
        query = query.where(where)
    if state is not None:
        if state not in STATES:
            raise GridCityError("bad_request", detail=f"state must be one of {', '.join(STATES)}")
        query = query.where(Appeal.state == state)
    if month is not None:
        engine.parse_month(month)
        query = query.where(Appeal.month == month)
    rows = list(db.session.scalars(query.order_by(Appeal.filed_at.desc(), Appeal.id.desc())))
    return sorted(rows, key=lambda a: a.state != "pending")


def get_appeal(user: User, appeal_id: int) -> Appeal:
    """One appeal, if ``user`` may see it (else 404: not theirs to know of)."""
    query = select(Appeal).where(Appeal.id == appeal_id)
    where = visible_to(user)
    if where is not None:
        query = query.where(where)
    appeal = db.session.scalar(query)
    if appeal is None:
        raise NotFound("appeal_not_found")
    return appeal


def appeal_of_case(month: str, tier: str, subject_id: int, count: str) -> dict[int, Appeal]:
    """The appeals on one figure, by case id (for its drill-down page)."""
    return {
        a.case_id: a
        for a in db.session.scalars(
            select(Appeal).where(
                Appeal.month == month, Appeal.tier == tier, Appeal.subject_id == subject_id, Appeal.count == count
            )
        )
    }


def open_months(user: User) -> list[dict]:
    """The frozen months whose window is open, with ``user``'s own row in
    their latest version: ``[{"month", "closes_at", "tier", "row",
    "counts"}]`` (counts: the contestable ones, in the tier's order)."""
    from gridcity.scorecards.snapshots.services import month_scorecard

    subject = own_subject(user)
    if subject is None:
        return []
    tier, subject_id = subject
    now, out = utcnow(), []
    current = engine.month_of(now)
    days = window_days()
    for k in range(1, RECENT_MONTHS + 1):
        month = engine.shift_month(current, -k)
        if not is_frozen(month):
            continue
        closes = window_closes(month, days)
        if now >= closes:
            continue
        table = month_scorecard(month, tier)
        row = next((r for r in table.rows if r.subject_id == subject_id), None)
        counts = [c for c in exclusions.contestable_counts(tier) if row is not None and row.counts.get(c)]
        out.append({"month": month, "closes_at": closes, "tier": tier, "row": row, "counts": counts})
    return out


# ---------------------------------------------------------------- words


def _subject_name(tier: str, subject_id: int) -> str:
    from gridcity.org.models import Unit

    if tier == "unit":
        unit = db.session.get(Unit, subject_id)
        return unit.name if unit else ""
    person = db.session.get(User, subject_id)
    return (person.display_name or person.username) if person else ""


def _figure(count: str, language: str | None = None) -> str:
    from gridcity.core.i18n import current_language

    return ui_text(f"sc_count_{count}", language or current_language())


def _state(state: str, language: str | None = None) -> str:
    from gridcity.core.i18n import current_language

    return ui_text(f"ap_state_{state}", language or current_language())


def _local(moment: dt.datetime) -> str:
    zone = ZoneInfo(current_app.config["SETTINGS"].timezone)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def appeal_dict(appeal: Appeal, language: str) -> dict:
    """An appeal as JSON, with words for its figure, state and history."""
    from gridcity.org.models import ROLE_NAMES

    def person(user: User | None) -> str | None:
        return None if user is None else (user.display_name or user.username)

    def role_words(role: str | None) -> str | None:
        if role not in {r.value for r in Role}:
            return None
        return ROLE_NAMES[Role(role)][0 if language == "zh" else 1]

    return {
        "id": appeal.id,
        "month": appeal.month,
        "tier": appeal.tier,
        "subject_id": appeal.subject_id,
        "subject_name": appeal.subject_name,
        "count": appeal.count,
        "figure": _figure(appeal.count, language),
        "case_id": appeal.case_id,
        "case_number": appeal.case.number if appeal.case else None,
        "reason": appeal.reason,
        "state": appeal.state,
        "state_text": _state(appeal.state, language),
        "filed_by": person(appeal.filed_by),
        "filed_at": appeal.filed_at.isoformat(),
        "decided_by": person(appeal.decided_by),
        "decided_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
        "decision_note": appeal.decision_note or "",
        "applied_version": appeal.applied_version,
        "photo_ids": [p.id for p in appeal.photos],
        "history": [
            {
                "action": e.action,
                "action_text": ui_text(f"ap_action_{e.action}", language),
                "actor": person(e.actor),
                "actor_role": role_words(e.actor_role),
                "at": e.at.isoformat(),
                "note": e.note or "",
                "version": e.version,
            }
            for e in appeal.events
        ],
    }
