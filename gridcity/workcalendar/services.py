"""Loading the working calendar and asking it whether a day is worked."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import delete, select

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.workcalendar.clock import WorkingCalendar
from gridcity.workcalendar.models import DAY_KINDS, CalendarDay, OfficePeriod, WeeklyRestDay

DEFAULT_CALENDAR = Path(__file__).with_name("default_calendar.json")


def load_calendar(data: dict | None = None) -> int:
    """Set office hours and weekly rest days, and add or replace the listed
    holidays / make-up workdays. Validates everything first."""
    if data is None:
        data = json.loads(DEFAULT_CALENDAR.read_text(encoding="utf-8"))
    try:
        periods = [(dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in data["office_periods"]]
        rest = sorted({int(d) for d in data.get("weekly_rest_days", [5, 6])})
        days = [(dt.date.fromisoformat(d["day"]), d["kind"], d.get("name", "")) for d in data.get("days", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise GridCityError("bad_request", detail=f"calendar: {exc}") from None
    if any(b <= a for a, b in periods) or not periods:
        raise GridCityError("bad_request", detail="calendar: each office period must end after it starts")
    ordered = sorted(periods)
    if any(ordered[i][1] > ordered[i + 1][0] for i in range(len(ordered) - 1)):
        raise GridCityError("bad_request", detail="calendar: office periods overlap")
    if any(not 0 <= d <= 6 for d in rest):
        raise GridCityError(
            "bad_request", detail="calendar: rest days are weekday numbers 0 (Mon) to 6 (Sun)"
        )
    if any(kind not in DAY_KINDS for _, kind, _ in days):
        raise GridCityError("bad_request", detail=f"calendar: day kind must be one of {', '.join(DAY_KINDS)}")
    db.session.execute(delete(OfficePeriod))
    db.session.execute(delete(WeeklyRestDay))
    db.session.add_all(OfficePeriod(starts=a, ends=b) for a, b in ordered)
    db.session.add_all(WeeklyRestDay(weekday=d) for d in rest)
    existing = {
        c.day: c
        for c in db.session.scalars(select(CalendarDay).where(CalendarDay.day.in_([d for d, _, _ in days])))
    }
    for day, kind, name in days:
        row = existing.get(day) or CalendarDay(day=day)
        row.kind, row.name = kind, name
        db.session.add(row)
    db.session.flush()
    return len(days)


def is_working_day(day: dt.date) -> bool:
    exception = db.session.scalar(select(CalendarDay.kind).where(CalendarDay.day == day))
    if exception is not None:
        return exception == "workday"
    rest = set(db.session.scalars(select(WeeklyRestDay.weekday)))
    return day.weekday() not in rest


def office_periods() -> list[tuple[dt.time, dt.time]]:
    return [
        (p.starts, p.ends) for p in db.session.scalars(select(OfficePeriod).order_by(OfficePeriod.starts))
    ]


def working_calendar(timezone: str) -> WorkingCalendar:
    """The calendar as stored, frozen for the deadline clocks (clock.py)."""
    days = db.session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    return WorkingCalendar(
        office_periods=tuple(office_periods()),
        rest_weekdays=frozenset(db.session.scalars(select(WeeklyRestDay.weekday))),
        holidays=frozenset(day for day, kind in days if kind == "holiday"),
        workdays=frozenset(day for day, kind in days if kind == "workday"),
        timezone=timezone,
    )
