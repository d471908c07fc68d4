"""Editing the working calendar (工作日历维护): office hours, public holidays
(法定节假日) and make-up workdays (调休上班日), one day at a time.

The admin console, the API and the ``gridcity calendar`` commands call these;
each change adds an audit entry (who, before → after) that the caller commits
with it. The next deadline computed reads the change (see services.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from gridcity.audit import services as audit
from gridcity.core.errors import GridCityError, NotFound
from gridcity.extensions import db
from gridcity.workcalendar.models import DAY_KINDS, CalendarDay, OfficePeriod
from gridcity.workcalendar.services import (
    check_office_periods,
    office_periods,
    parse_day,
    parse_time,
    period_text,
    rest_weekdays,
)

CALENDAR_KIND = "calendar"  # the audit log's object kind
MAX_NAME = CalendarDay.__table__.c.name.type.length  # 50


def office_hours_text(periods: list[tuple[dt.time, dt.time]]) -> str:
    return ", ".join(period_text(a, b) for a, b in periods)


def set_office_periods(periods: list[tuple], actor=None) -> list[tuple[dt.time, dt.time]]:
    """Replace the office periods of every working day, e.g. 08:30–12:00 and 14:00–18:00."""
    ordered = check_office_periods([(parse_time(a), parse_time(b)) for a, b in periods])
    before = office_periods()
    if before == ordered:
        return ordered
    db.session.execute(delete(OfficePeriod))
    db.session.add_all(OfficePeriod(starts=a, ends=b) for a, b in ordered)
    audit.record(
        "calendar.office_hours",
        actor,
        object_kind=CALENDAR_KIND,
        before={"office_hours": office_hours_text(before)},
        after={"office_hours": office_hours_text(ordered)},
    )
    db.session.flush()
    return ordered


def check_day(day: dt.date, kind: str, name: str, rest: set[int]) -> str:
    """The day's name, cleaned, or a refusal: a known kind, a name of at most
    50 characters, and a make-up workday only on a weekly rest day (a weekday
    is worked anyway)."""
    if kind not in DAY_KINDS:
        raise GridCityError("calendar_bad_kind", text=str(kind))
    name = (name or "").strip()
    if not name:
        raise GridCityError("calendar_name_needed")
    if len(name) > MAX_NAME:
        raise GridCityError("calendar_name_too_long", limit=MAX_NAME)
    if kind == "workday" and day.weekday() not in rest:
        raise GridCityError("calendar_workday_not_rest", day=day.isoformat())
    return name


def day_snapshot(row: CalendarDay | None) -> dict:
    return (
        {"day_kind": row.kind, "day_name": row.name}
        if row is not None
        else {"day_kind": None, "day_name": None}
    )


def mark_day(day, kind: str, name: str, actor=None) -> CalendarDay:
    """Make ``day`` a holiday or a make-up workday named ``name`` (e.g. 春节),
    replacing what it was."""
    day = parse_day(day)
    name = check_day(day, kind, name, rest_weekdays())
    row = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    before = day_snapshot(row)
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.kind, row.name = kind, name
    after = day_snapshot(row)
    if after != before:
        _record_day("calendar.mark_day", actor, day, name, before, after)
    db.session.flush()
    return row


def clear_day(day, actor=None) -> None:
    """Take the holiday or make-up workday mark off ``day``: it follows the week again."""
    day = parse_day(day)
    row = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    if row is None:
        raise NotFound("calendar_day_not_marked", day=day.isoformat())
    _record_day("calendar.clear_day", actor, day, row.name, day_snapshot(row), day_snapshot(None))
    db.session.delete(row)
    db.session.flush()


def _record_day(action: str, actor, day: dt.date, name: str, before: dict, after: dict) -> None:
    audit.record(
        action,
        actor,
        object_kind=CALENDAR_KIND,
        object_label=f"{day.isoformat()} {name}",
        before=before,
        after=after,
    )


def year_days(year: int) -> list[CalendarDay]:
    """The holidays and make-up workdays of ``year``, in date order."""
    year = check_year(year)
    query = (
        select(CalendarDay)
        .where(CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31))
        .order_by(CalendarDay.day)
    )
    return list(db.session.scalars(query))


FIRST_YEAR, LAST_YEAR = 2000, 2100  # a year outside is a typing mistake


def check_year(year) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise GridCityError("calendar_bad_year", first=FIRST_YEAR, last=LAST_YEAR) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise GridCityError("calendar_bad_year", first=FIRST_YEAR, last=LAST_YEAR)
    return year
