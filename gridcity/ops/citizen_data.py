"""A citizen's request about their personal data (个人信息查询 / 删除): an
admin exports every case a phone number reported, or erases that contact from
all of them now, whatever their age. The cases and their history stay. Each
request leaves an audit entry that names the phone only masked
(138****5678), never the number itself."""

from __future__ import annotations

import re

from sqlalchemy import or_, select

from gridcity.audit import services as audit
from gridcity.cases.models import Case
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.hotline.models import HotlineCall
from gridcity.open311.models import Open311Request
from gridcity.ops.retention import OPEN311_CONTACT_FIELDS, PHONE_PATTERN, phone_key, scrub_cases

_MIN_DIGITS, _MAX_DIGITS = 5, 20


def checked_phone(phone: str | None) -> str:
    """The phone's key, or 400 when it is not a phone number."""
    raw = (phone or "").strip()
    key = phone_key(raw)
    if not raw or re.search(r"[^\d\s+\-()]", raw) or not _MIN_DIGITS <= len(key) <= _MAX_DIGITS:
        raise GridCityError("citizen_phone_invalid", 400, value=raw[:40])
    return key


def masked(key: str) -> str:
    """How the audit log names a phone: 13812345678 → 138****5678."""
    if len(key) >= 8:
        return f"{key[:3]}****{key[-4:]}"
    return f"****{key[-2:]}"


def _phones_in(text: str | None) -> set[str]:
    return {phone_key(p) for p in PHONE_PATTERN.findall(text or "")}


def cases_of(key: str) -> list[Case]:
    """Every case whose stored contact has this phone number. The database
    narrows by the last four digits; the phone is then compared whole."""
    tail = f"%{key[-4:]}%"
    open311 = select(Open311Request.case_id).where(Open311Request.phone.like(tail))
    calls = select(HotlineCall.case_id).where(HotlineCall.caller_phone.like(tail))
    candidates = db.session.scalars(
        select(Case)
        .where(or_(Case.reporter_contact.like(tail), Case.id.in_(open311), Case.id.in_(calls)))
        .order_by(Case.id)
    ).all()
    requests = _open311_rows([c.id for c in candidates])
    callers = _callers_of([c.id for c in candidates])
    return [
        c
        for c in candidates
        if key in _phones_in(c.reporter_contact)
        or (c.id in requests and phone_key(requests[c.id].phone) == key)
        or key in callers.get(c.id, set())
    ]


def _callers_of(case_ids: list[int]) -> dict[int, set[str]]:
    """The phones (by key) of the hotline callers of each case."""
    found: dict[int, set[str]] = {}
    if case_ids:
        rows = db.session.execute(
            select(HotlineCall.case_id, HotlineCall.caller_phone).where(
                HotlineCall.case_id.in_(case_ids), HotlineCall.caller_phone.is_not(None)
            )
        )
        for case_id, phone in rows:
            found.setdefault(case_id, set()).add(phone_key(phone))
    return found


def _open311_rows(case_ids: list[int]) -> dict[int, Open311Request]:
    if not case_ids:
        return {}
    rows = db.session.scalars(select(Open311Request).where(Open311Request.case_id.in_(case_ids)))
    return {r.case_id: r for r in rows}


def export_citizen_data(phone: str, actor=None) -> dict:
    """Everything we hold on the reporter with this phone: each case they
    reported with its dates, description, state and their contact as stored.
    Writes an audit entry; the caller commits."""
    key = checked_phone(phone)
    cases = cases_of(key)
    requests = _open311_rows([c.id for c in cases])
    document = {
        "phone": key,
        "cases": [_case_document(c, requests.get(c.id)) for c in cases],
        "calls": _calls_document(key, [c.id for c in cases]),
    }
    audit.record(
        "privacy.export",
        actor,
        object_kind="citizen",
        object_label=masked(key),
        after={"cases": len(cases)},
    )
    return document


def _case_document(case: Case, request: Open311Request | None) -> dict:
    contact = {"reporter_contact": case.reporter_contact}
    if request is not None:
        contact.update({f: getattr(request, f) for f in OPEN311_CONTACT_FIELDS})
    return {
        "number": case.number,
        "source": case.source,
        "state": case.state,
        "category": case.category.code,
        "category_name": case.category.name_zh,
        "description": case.description,
        "address": case.address,
        "reported_at": _iso(case.reported_at),
        "closed_at": _iso(case.closed_at),
        "voided_at": _iso(case.voided_at),
        "contact": contact,
    }


def _calls_document(key: str, case_ids: list[int]) -> list[dict]:
    """The hotline calls (来电) this phone made, on the cases found."""
    if not case_ids:
        return []
    rows = db.session.scalars(
        select(HotlineCall).where(HotlineCall.case_id.in_(case_ids)).order_by(HotlineCall.id)
    )
    return [
        {
            "case_number": db.session.get(Case, r.case_id).number,
            "channel": r.channel.name_zh,
            "ticket_number": r.ticket_number,
            "caller_name": r.caller_name,
            "caller_phone": r.caller_phone,
            "callback_wanted": r.callback_wanted,
            "received_at": _iso(r.received_at),
        }
        for r in rows
        if phone_key(r.caller_phone) == key
    ]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def erase_citizen_data(phone: str, actor, reason: str) -> dict:
    """Anonymise this phone's reporter on every case they reported, now. The
    cases and their history stay. Writes an audit entry; the caller commits."""
    key = checked_phone(phone)
    reason = (reason or "").strip()
    if not reason:
        raise GridCityError("citizen_reason_required", 400)
    cases = cases_of(key)
    numbers = [c.number for c in cases]
    counts = scrub_cases([c.id for c in cases])
    audit.record(
        "privacy.erase",
        actor,
        object_kind="citizen",
        object_label=masked(key),
        before={"cases": numbers},
        after={
            "cases": counts.cases,
            "events": counts.events,
            "open311_requests": counts.open311_requests,
            "calls": counts.calls,
        },
        # The reason may quote the number: the log keeps it masked.
        note=PHONE_PATTERN.sub(lambda m: masked(phone_key(m.group())), reason),
    )
    return {"phone": masked(key), "cases": numbers}
