"""Loading the working calendar and asking it whether a day is worked.

No process keeps a copy of the calendar: ``working_calendar()`` reads these
rows each time a deadline is computed (``cases.deadlines.calendar()``), so a
change committed here (``editing.py``, the console, the CLI) is used by the
next deadline in this process, in every other web process and in the
scheduler, without a restart. Deadlines already computed stay as they are:
they are columns on the case.
"""

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
        periods = [(parse_time(a), parse_time(b)) for a, b in data["office_periods"]]
        rest = sorted({int(d) for d in data.get("weekly_rest_days", [5, 6])})
        days = [(dt.date.fromisoformat(d["day"]), d["kind"], d.get("name", "")) for d in data.get("days", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise GridCityError("bad_request", detail=f"calendar: {exc}") from None
    ordered = check_office_periods(periods)
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


def parse_time(text) -> dt.time:
    """A wall-clock time written 08:30 (or a time already)."""
    return _parsed(text, dt.time, "calendar_bad_time")


def parse_day(text) -> dt.date:
    """A date written 2027-02-11 (or a date already)."""
    return _parsed(text, dt.date, "calendar_bad_date")


def _parsed(text, kind: type, refusal: str):
    if isinstance(text, kind):
        return text
    try:
        return kind.fromisoformat(str(text).strip())
    except ValueError:
        raise GridCityError(refusal, text=str(text)) from None


def check_office_periods(periods: list[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    """The periods in order, or a refusal naming the one that is wrong: at
    least one, each ending after it starts, none overlapping another."""
    if not periods:
        raise GridCityError("calendar_no_periods")
    for a, b in periods:
        if b <= a:
            raise GridCityError("calendar_period_order", period=period_text(a, b))
    ordered = sorted(periods)
    for (a1, b1), (a2, b2) in zip(ordered, ordered[1:], strict=False):
        if b1 > a2:
            raise GridCityError(
                "calendar_period_overlap", first=period_text(a1, b1), second=period_text(a2, b2)
            )
    return ordered


def period_text(starts: dt.time, ends: dt.time) -> str:
    return f"{starts:%H:%M}–{ends:%H:%M}"


def is_working_day(day: dt.date) -> bool:
    exception = db.session.scalar(select(CalendarDay.kind).where(CalendarDay.day == day))
    if exception is not None:
        return exception == "workday"
    return day.weekday() not in rest_weekdays()


def rest_weekdays() -> set[int]:
    return set(db.session.scalars(select(WeeklyRestDay.weekday)))


def office_periods() -> list[tuple[dt.time, dt.time]]:
    return [
        (p.starts, p.ends) for p in db.session.scalars(select(OfficePeriod).order_by(OfficePeriod.starts))
    ]


def working_calendar(timezone: str) -> WorkingCalendar:
    """The calendar as stored, frozen for the deadline clocks (clock.py)."""
    days = db.session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    return WorkingCalendar(
        office_periods=tuple(office_periods()),
        rest_weekdays=frozenset(rest_weekdays()),
        holidays=frozenset(day for day, kind in days if kind == "holiday"),
        workdays=frozenset(day for day, kind in days if kind == "workday"),
        timezone=timezone,
    )
