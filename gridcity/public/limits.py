"""Abuse and load (issue 18 item 5): hourly and daily limits per phone and
per address, answered 429 in words; the blocklist of phones (audited); and
each citizen's count of valid reports (有奖举报), for managers only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, case, func, select

from gridcity.audit.services import record as audit
from gridcity.cases import states
from gridcity.cases.models import Case
from gridcity.core.clock import utcnow
from gridcity.core.errors import Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.ops.citizen_data import checked_phone, masked  # noqa: F401 - masked: the staff page
from gridcity.public.app_models import CitizenCode
from gridcity.public.models import Citizen, CitizenReport

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _settings():
    return current_app.config["SETTINGS"]


def _too_many(key: str, limit: int, retry_after: int) -> GridCityError:
    error = GridCityError(key, 429, limit=limit)
    error.headers = {"Retry-After": str(retry_after)}
    return error


def refuse_blocked(phone_key: str) -> None:
    """A blocked phone may neither ask for codes nor report (403 in words)."""
    blocked = db.session.scalar(
        select(Citizen.id).where(Citizen.phone == phone_key, Citizen.blocked_at.is_not(None))
    )
    if blocked is not None:
        raise Forbidden("p_blocked")


def check_code_limit(phone_key: str, address: str | None = None) -> None:
    """Codes cost a text message each: so many per phone and per address an hour."""
    settings = _settings()
    recent = select(func.count()).select_from(CitizenCode).where(CitizenCode.created_at >= utcnow() - HOUR)
    limit = settings.public_codes_per_phone_hour
    if db.session.scalar(recent.where(CitizenCode.phone == phone_key)) >= limit:
        raise _too_many("p_limit_codes", limit, 3600)
    limit = settings.public_codes_per_address_hour
    if address and db.session.scalar(recent.where(CitizenCode.from_address == address)) >= limit:
        raise _too_many("p_limit_codes_address", limit, 3600)


def check_report_limits(citizen: Citizen | None, address: str | None) -> None:
    """Before a report or "me too": the citizen's hourly and daily caps and the
    address's hourly cap."""
    settings = _settings()
    now = utcnow()
    if citizen is not None:
        if citizen.blocked_at is not None:
            raise Forbidden("p_blocked")
        mine = select(func.count()).select_from(CitizenReport).where(CitizenReport.citizen_id == citizen.id)
        if (
            db.session.scalar(mine.where(CitizenReport.created_at >= now - HOUR))
            >= settings.public_reports_per_phone_hour
        ):
            raise _too_many("p_limit_phone_hour", settings.public_reports_per_phone_hour, 3600)
        if (
            db.session.scalar(mine.where(CitizenReport.created_at >= now - DAY))
            >= settings.public_reports_per_phone_day
        ):
            raise _too_many("p_limit_phone_day", settings.public_reports_per_phone_day, 86400)
    if address:
        from_here = (
            select(func.count())
            .select_from(CitizenReport)
            .where(CitizenReport.from_address == address, CitizenReport.created_at >= now - HOUR)
        )
        if db.session.scalar(from_here) >= settings.public_reports_per_address_hour:
            raise _too_many("p_limit_address", settings.public_reports_per_address_hour, 3600)


# ---------------------------------------------------------------- blocklist


def citizen_by_phone(phone: str) -> Citizen | None:
    return db.session.scalar(select(Citizen).where(Citizen.phone == checked_phone(phone)))


def block_phone(phone: str, actor, reason: str) -> Citizen:
    """拉黑 — refuse this phone's codes and reports from now on (audited)."""
    key = checked_phone(phone)
    reason = (reason or "").strip()
    if not reason:
        raise GridCityError("p_block_reason")
    citizen = db.session.scalar(select(Citizen).where(Citizen.phone == key))
    if citizen is None:
        citizen = Citizen(phone=key, created_at=utcnow())
        db.session.add(citizen)
        db.session.flush()
    before = {"blocked": citizen.blocked_at is not None, "reason": citizen.blocked_reason}
    citizen.blocked_at = citizen.blocked_at or utcnow()
    citizen.blocked_reason = reason[:500]
    audit(
        "citizen.block",
        actor,
        object_kind="citizen",
        object_id=citizen.id,
        object_label=masked(key),
        before=before,
        after={"blocked": True, "reason": citizen.blocked_reason},
    )
    return citizen


def unblock_phone(phone: str, actor, note: str = "") -> Citizen:
    """Take a phone off the blocklist (audited)."""
    key = checked_phone(phone)
    citizen = db.session.scalar(select(Citizen).where(Citizen.phone == key))
    if citizen is None or citizen.blocked_at is None:
        raise NotFound("p_not_blocked", phone=masked(key))
    before = {"blocked": True, "reason": citizen.blocked_reason}
    citizen.blocked_at = None
    citizen.blocked_reason = None
    audit(
        "citizen.unblock",
        actor,
        object_kind="citizen",
        object_id=citizen.id,
        object_label=masked(key),
        before=before,
        after={"blocked": False},
        note=(note or "")[:500],
    )
    return citizen


# ---------------------------------------------------------------- counts


@dataclass
class CitizenCount:
    citizen_id: int
    phone: str  # masked
    reports: int
    valid: int
    me_too: int
    blocked: bool
    blocked_reason: str | None
    first_at: dt.datetime | None


def citizen_counts(since: dt.datetime | None = None, until: dt.datetime | None = None) -> list[CitizenCount]:
    """Per citizen: reports, valid reports (not voided: a report merged into
    another case still counts, DOMAIN §7.1 rule 6) and "me too"s, most valid
    first. Phones masked."""
    conditions = []
    if since is not None:
        conditions.append(CitizenReport.created_at >= since)
    if until is not None:
        conditions.append(CitizenReport.created_at < until)
    is_report = CitizenReport.kind == "report"
    valid = and_(is_report, Case.state != states.VOIDED)
    rows = db.session.execute(
        select(
            Citizen.id,
            Citizen.phone,
            Citizen.blocked_at,
            Citizen.blocked_reason,
            func.sum(case((is_report, 1), else_=0)),
            func.sum(case((valid, 1), else_=0)),
            func.sum(case((CitizenReport.kind == "me_too", 1), else_=0)),
            func.min(CitizenReport.created_at),
        )
        .join(CitizenReport, CitizenReport.citizen_id == Citizen.id)
        .join(Case, Case.id == CitizenReport.case_id)
        .where(*conditions)
        .group_by(Citizen.id, Citizen.phone, Citizen.blocked_at, Citizen.blocked_reason)
    ).all()
    counts = [
        CitizenCount(
            cid, masked(phone), int(n or 0), int(v or 0), int(m or 0), blocked is not None, reason, first
        )
        for cid, phone, blocked, reason, n, v, m, first in rows
    ]
    counts.sort(key=lambda c: (-c.valid, -c.reports, c.citizen_id))
    return counts


def blocked_citizens() -> list[Citizen]:
    return list(
        db.session.scalars(
            select(Citizen).where(Citizen.blocked_at.is_not(None)).order_by(Citizen.blocked_at)
        )
    )
