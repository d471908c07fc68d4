"""The hotline and public intake (热线 / 来访 / 来信 受理): an operator takes a
call and files it through the same intake as every report
(``cases.services.submit_report``, then ``accept``, which sends the verify
task 核实 as the lifecycle says), or adds it to a likely duplicate that is
still open ("add to that case": no new case, the call joins the case's
history). The reply to the caller (回复) and the follow-up call (回访, with
the caller's satisfaction) are events on the case.

Rules of this desk, as a Chinese center runs it:

- a call is taken by an operator (受理员); the shift leader (值班长) reads the
  calls and may reply and follow up too;
- the caller's phone is needed when they want a callback;
- a follow-up call comes after the case is finished (closed 结案, or voided
  作废 with its reason), and only to a caller who wanted a callback;
- a reply may be given at any time (what was done so far, or the outcome).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from gridcity.cases import services as case_services
from gridcity.cases import states
from gridcity.cases.history import record
from gridcity.cases.models import Case, CaseEvent
from gridcity.cases.routing import duplicates_near
from gridcity.core.auth import role_name
from gridcity.core.clock import utcnow
from gridcity.core.errors import Conflict, Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.hotline.models import DEFAULT_CHANNELS, HotlineCall, IntakeChannel
from gridcity.ops.citizen_data import checked_phone, masked
from gridcity.ops.retention import phone_key
from gridcity.org.models import Role, User
from gridcity.taxonomy.services import get_category

SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")  # 满意 / 基本满意 / 不满意
TAKERS = (Role.OPERATOR,)  # who takes a call (the intake's reporter role)
ANSWERERS = (Role.OPERATOR, Role.SHIFT_LEADER)  # who replies and follows up
PAGE_ROLES = (Role.OPERATOR, Role.SHIFT_LEADER)  # the intake page, its geocoder and duplicates
READERS = (Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN)
FOLLOW_UP_STATES = (states.CLOSED, states.VOIDED)
ACTIONS = ("add_call", "reply", "follow_up")  # the history events of this desk

# ---------------------------------------------------------------- channels


def load_default_channels() -> int:
    """Add the default channels that are missing (by code); returns how many."""
    have = set(db.session.scalars(select(IntakeChannel.code)))
    added = 0
    for code, zh, en, source, has_ticket, order in DEFAULT_CHANNELS:
        if code not in have:
            db.session.add(
                IntakeChannel(
                    code=code,
                    name_zh=zh,
                    name_en=en,
                    source=source,
                    has_ticket=has_ticket,
                    sort_order=order,
                    active=True,
                )
            )
            added += 1
    db.session.flush()
    return added


def channels() -> list[IntakeChannel]:
    return list(
        db.session.scalars(
            select(IntakeChannel)
            .where(IntakeChannel.active)
            .order_by(IntakeChannel.sort_order, IntakeChannel.id)
        )
    )


def channel_by_code(code: str) -> IntakeChannel:
    row = db.session.scalar(select(IntakeChannel).where(IntakeChannel.code == code, IntakeChannel.active))
    if row is None:
        known = "、".join(c.code for c in channels()) or "-"
        raise GridCityError("hotline_unknown_channel", code=code[:20], known=known)
    return row


def channel_json(c: IntakeChannel) -> dict:
    return {"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "has_ticket": c.has_ticket}


# ---------------------------------------------------------------- taking a call


@dataclass
class Call:
    """What the operator types in while on the phone."""

    channel: str
    category: str
    lon: float
    lat: float
    description: str = ""
    caller_name: str | None = None
    caller_phone: str | None = None
    callback_wanted: bool = False
    ticket_number: str | None = None
    address: str | None = None
    urgency: str | None = None
    photos: list[bytes] = field(default_factory=list)
    client_uuid: str | None = None
    # "Add to that case": the open case this call is about.
    join_case_id: int | None = None


@dataclass
class CallResult:
    case: Case
    call: HotlineCall
    created: bool  # True: a new case; False: joined an open case, or a replay
    duplicates: list[tuple[float, Case]]


def _require(actor: User, roles) -> None:
    if actor.role not in {r.value for r in roles}:
        raise Forbidden("forbidden_role", role=role_name(actor.role))


def _clean(text: str | None, limit: int) -> str | None:
    text = (text or "").strip()
    return text[:limit] or None


def take_call(call: Call, operator: User) -> CallResult:
    """受理来电 — a new case (reported and accepted at once: the verify task
    goes to the grid's inspector), or the call added to an open case.
    The caller commits."""
    _require(operator, TAKERS)
    channel = channel_by_code(call.channel)
    phone = _clean(call.caller_phone, 30)
    if phone is not None:
        checked_phone(phone)
    if call.callback_wanted and phone is None:
        raise GridCityError("hotline_phone_required")
    name, ticket = _clean(call.caller_name, 50), _clean(call.ticket_number, 40)
    if call.client_uuid:
        done = db.session.scalar(select(HotlineCall).where(HotlineCall.client_uuid == call.client_uuid))
        if done is not None:
            if done.operator_id != operator.id:
                raise Conflict("idempotency_key_taken")
            return CallResult(case_services.get_case(done.case_id), done, False, [])
    details = {
        "channel": channel,
        "name": name,
        "phone": phone,
        "ticket": ticket,
        "callback": bool(call.callback_wanted),
    }
    if call.join_case_id is not None:
        return _join(call, operator, details)
    description = (call.description or "").strip()
    if not description:
        raise GridCityError("hotline_description_required")
    report = case_services.Report(
        category=call.category,
        lon=call.lon,
        lat=call.lat,
        source=channel.source,
        client_uuid=call.client_uuid,
        description=description[:4000],
        address=_clean(call.address, 200),
        urgency=call.urgency,
        reporter_contact=" ".join(p for p in (name, phone) if p) or None,
        photos=call.photos,
    )
    result = case_services.submit_report(report, operator)
    if not result.created:  # the key already made a report that was no call
        raise Conflict("idempotency_key_taken")
    case = result.case
    report_event = case.events[0]
    case_services.accept(case, operator, note=_channel_note(channel, ticket))
    row = _call_row(case, report_event, operator, details, call.client_uuid, joined=False)
    return CallResult(case, row, True, duplicates_near(case.category, case.lon, case.lat, case.id))


def _channel_note(channel: IntakeChannel, ticket: str | None) -> str:
    return channel.name_zh + (f" 工单号 {ticket}" if ticket else "")


def _join(call: Call, operator: User, details: dict) -> CallResult:
    """The call is about a case already open: it joins that case's history
    (来电并案), with its photos; no case is made."""
    case = db.session.get(Case, call.join_case_id)
    if case is None:
        raise NotFound("not_found", what=f"case {call.join_case_id}")
    if case.state not in states.OPEN_STATES:
        raise Conflict("hotline_join_finished", number=case.number)
    stored = case_services._store_photos(call.photos) if call.photos else []
    description = (call.description or "").strip()
    note = _channel_note(details["channel"], details["ticket"]) + (f"：{description}" if description else "")
    now = utcnow()
    event = record(
        case,
        "add_call",
        case.state,
        operator,
        note=note[:4000],
        at=now,
        extra={"channel": details["channel"].code},
    )
    case_services._attach_photos(case, event, stored, "report", operator)
    db.session.flush()
    row = _call_row(case, event, operator, details, call.client_uuid, joined=True)
    case_services._announce(case, event)
    return CallResult(case, row, False, [])


def _call_row(case: Case, event: CaseEvent, operator: User, details: dict, client_uuid, joined: bool):
    db.session.flush()
    row = HotlineCall(
        case_id=case.id,
        channel_id=details["channel"].id,
        event_id=event.id,
        client_uuid=client_uuid,
        ticket_number=details["ticket"],
        caller_name=details["name"],
        caller_phone=details["phone"],
        callback_wanted=details["callback"],
        joined=joined,
        operator_id=operator.id,
        received_at=event.at,
    )
    db.session.add(row)
    db.session.flush()
    return row


def nearby_duplicates(category_code: str, lon: float, lat: float) -> list[tuple[float, Case]]:
    """Before saving: the open cases a call about this category here likely
    duplicates (the category's duplicate radius, nearest first)."""
    from gridcity.geo.services import locate

    locate(lon, lat)  # a position outside the city is refused as at intake
    return duplicates_near(get_category(category_code), lon, lat)


# ---------------------------------------------------------------- reply and follow-up


def calls_of(case: Case) -> list[HotlineCall]:
    return list(
        db.session.scalars(select(HotlineCall).where(HotlineCall.case_id == case.id).order_by(HotlineCall.id))
    )


def _require_calls(case: Case) -> list[HotlineCall]:
    calls = calls_of(case)
    if not calls:
        raise Conflict("hotline_no_call", number=case.number)
    return calls


def reply(case: Case, actor: User, text: str) -> CaseEvent:
    """回复 — what the operator told the caller. The caller commits."""
    _require(actor, ANSWERERS)
    _require_calls(case)
    text = (text or "").strip()
    if not text:
        raise GridCityError("hotline_reply_required")
    event = record(case, "reply", case.state, actor, note=text[:2000])
    case_services._announce(case, event)
    return event


def follow_up(case: Case, actor: User, satisfaction: str, note: str = "") -> CaseEvent:
    """回访 — the follow-up call once the case is finished, with the caller's
    satisfaction. The caller commits."""
    _require(actor, ANSWERERS)
    calls = _require_calls(case)
    if satisfaction not in SATISFACTION:
        raise GridCityError("hotline_bad_satisfaction")
    if case.state not in FOLLOW_UP_STATES:
        raise Conflict("hotline_follow_up_too_early", number=case.number)
    if not any(c.callback_wanted for c in calls):
        raise Conflict("hotline_no_callback", number=case.number)
    event = record(
        case,
        "follow_up",
        case.state,
        actor,
        note=(note or "").strip()[:2000],
        extra={"satisfaction": satisfaction},
    )
    case_services._announce(case, event)
    return event


def can_follow_up(case: Case, calls: list[HotlineCall]) -> bool:
    return case.state in FOLLOW_UP_STATES and any(c.callback_wanted for c in calls)


# ---------------------------------------------------------------- what each role sees


def sees_whole_phone(user: User) -> bool:
    return user.role in current_app.config["SETTINGS"].caller_phone_role_set


def masked_phone(phone: str | None) -> str | None:
    return masked(phone_key(phone)) if phone else None


def masked_name(name: str | None) -> str | None:
    return name[0] + "*" * max(len(name) - 1, 1) if name else None


def call_json(call: HotlineCall, whole: bool, number: str | None = None) -> dict:
    """A call as ``whole`` (the roles that call back, on the case) or masked
    (every list, every other role)."""
    return {
        "id": call.id,
        "case_id": call.case_id,
        "case_number": number,
        "channel": channel_json(call.channel),
        "ticket_number": call.ticket_number,
        "caller_name": call.caller_name if whole else masked_name(call.caller_name),
        "caller_phone": call.caller_phone if whole else masked_phone(call.caller_phone),
        "callback_wanted": call.callback_wanted,
        "joined": call.joined,
        "received_at": call.received_at.isoformat(),
    }


def recent_calls(user: User, limit: int = 30, since: dt.datetime | None = None) -> list[dict]:
    """The latest calls, newest first, masked (a list)."""
    _require(user, READERS)
    query = select(HotlineCall, Case.number).join(Case, Case.id == HotlineCall.case_id)
    if since is not None:
        query = query.where(HotlineCall.received_at >= since)
    rows = db.session.execute(query.order_by(HotlineCall.id.desc()).limit(limit)).all()
    return [call_json(call, False, number) for call, number in rows]


def case_calls(case: Case, user: User) -> dict:
    """The calls on a case, whole for the roles that call back, and what the
    user may do now."""
    _require(user, READERS)
    calls = calls_of(case)
    whole = sees_whole_phone(user)
    answerer = user.role in {r.value for r in ANSWERERS}
    return {
        "case_id": case.id,
        "number": case.number,
        "calls": [call_json(c, whole, case.number) for c in calls],
        "can_reply": answerer and bool(calls),
        "can_follow_up": answerer and can_follow_up(case, calls),
        "satisfaction_levels": list(SATISFACTION),
    }
