"""The deadline clocks (时限计时): pure arithmetic on a working calendar.

Three clocks (see DOMAIN.md §5):

- ``emergency_hours`` (紧急工作时): continuous time, day and night, holidays
  included — a missing manhole cover is dangerous on a holiday too.
- ``working_hours`` (工作时): only time inside the office periods of working days.
- ``working_days`` (工作日): the same clock as working hours; a budget of N working
  days is N × one day's office hours, so a case dispatched on Monday at 10:00 with
  1 working day is due on Tuesday at 10:00.

Nothing here touches the database: ``services.working_calendar()`` builds the
calendar from rows, the engine only counts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EMERGENCY_HOURS = "emergency_hours"
WORKING_HOURS = "working_hours"
WORKING_DAYS = "working_days"
CLOCKS = (EMERGENCY_HOURS, WORKING_HOURS, WORKING_DAYS)  # same values as taxonomy.models.CLOCKS

# A calendar with no office time for this long is misconfigured; refusing it keeps
# a sweeper from spinning through the centuries looking for a working day.
MAX_DAYS_WITHOUT_WORK = 3 * 366

_ZERO = dt.timedelta(0)


@dataclass(frozen=True)
class WorkingCalendar:
    """Office hours, weekly rest days, holidays (法定节假日) and make-up workdays
    (调休上班日) in one local timezone."""

    office_periods: tuple[tuple[dt.time, dt.time], ...]
    rest_weekdays: frozenset[int]
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    timezone: str

    def __post_init__(self) -> None:
        periods = tuple((a, b) for a, b in self.office_periods)
        for a, b in periods:
            if a.tzinfo is not None or b.tzinfo is not None:
                raise ValueError("office periods are local wall-clock times without tzinfo")
            if b <= a:
                raise ValueError(f"office period {a}–{b} must end after it starts")
        if any(periods[i][1] > periods[i + 1][0] for i in range(len(periods) - 1)):
            raise ValueError("office periods must be sorted and must not overlap")
        rest = frozenset(self.rest_weekdays)
        if any(not 0 <= d <= 6 for d in rest):
            raise ValueError("rest weekdays are 0 (Mon) to 6 (Sun)")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"unknown timezone {self.timezone!r}") from None
        # Accept lists and sets from callers but keep the dataclass hashable.
        object.__setattr__(self, "office_periods", periods)
        object.__setattr__(self, "rest_weekdays", rest)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # zoneinfo caches instances by key

    def is_working_day(self, day: dt.date) -> bool:
        """A listed holiday is never worked, a listed make-up workday always is,
        any other day is worked unless it falls on a rest weekday."""
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() not in self.rest_weekdays

    @property
    def seconds_per_working_day(self) -> float:
        """Nominal office time of one working day (wall clock, e.g. 7.5 h = 27000 s)."""
        anchor = dt.date(2000, 1, 1)
        return sum(
            (dt.datetime.combine(anchor, b) - dt.datetime.combine(anchor, a)).total_seconds()
            for a, b in self.office_periods
        )

    def office_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The office periods of ``day`` as UTC instants; empty on a non-working day.

        Built per day through zoneinfo so that a DST change shifts the UTC instants
        (and a period crossing the change lasts its real length)."""
        if not self.is_working_day(day):
            return []
        zone = self.zone
        intervals = []
        for a, b in self.office_periods:
            starts = dt.datetime.combine(day, a, tzinfo=zone).astimezone(dt.UTC)
            ends = dt.datetime.combine(day, b, tzinfo=zone).astimezone(dt.UTC)
            if intervals:
                starts = max(starts, intervals[-1][1])  # keep instants ordered inside a DST gap
            if ends > starts:
                intervals.append((starts, ends))
        return intervals


def budget_seconds(calendar: WorkingCalendar, clock: str, amount: float) -> float:
    """The clock time a deadline of ``amount`` grants: hours × 3600 for the hour
    clocks, working days × one day's office time for ``working_days``."""
    _check_clock(clock)
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(f"deadline amount must be a finite number ≥ 0, got {amount!r}")
    if clock == WORKING_DAYS:
        per_day = calendar.seconds_per_working_day
        if per_day <= 0:
            raise ValueError("the calendar has no office hours, so working days have no length")
        return amount * per_day
    return amount * 3600.0


def add_clock_time(calendar: WorkingCalendar, start: dt.datetime, clock: str, seconds: float) -> dt.datetime:
    """The earliest instant (UTC) by which ``seconds`` of ``clock`` time have
    elapsed since ``start`` — i.e. the deadline.

    Being the *earliest* such instant: a budget ending exactly at the end of an
    office period is due at that end (12:00, not 14:00), and a zero budget is
    due at ``start`` itself, even when ``start`` is outside office hours. A
    positive budget started outside office hours starts counting at the next
    office period. Raises ValueError if the calendar has no office time within
    three years of where the count has got to."""
    _check_clock(clock)
    start_utc = _as_utc(start, "start")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"clock time must be a finite number ≥ 0, got {seconds!r}")
    # timedelta counts whole microseconds exactly; float subtraction would drift.
    remaining = dt.timedelta(seconds=seconds)
    if remaining <= _ZERO:
        return start_utc
    if clock == EMERGENCY_HOURS:
        return start_utc + remaining
    for from_, to in _intervals_from(calendar, start_utc):
        available = to - from_
        if remaining <= available:
            return from_ + remaining
        remaining -= available
    raise AssertionError("unreachable: _intervals_from is endless or raises")  # pragma: no cover


def clock_seconds_between(
    calendar: WorkingCalendar, start: dt.datetime, end: dt.datetime, clock: str
) -> float:
    """The ``clock`` time elapsed from ``start`` to ``end`` (0 if ``end`` ≤ ``start``);
    the inverse of :func:`add_clock_time`."""
    _check_clock(clock)
    start_utc, end_utc = _as_utc(start, "start"), _as_utc(end, "end")
    if end_utc <= start_utc:
        return 0.0
    if clock == EMERGENCY_HOURS:
        return (end_utc - start_utc).total_seconds()
    zone = calendar.zone
    elapsed = _ZERO
    for day in _days(start_utc.astimezone(zone).date(), end_utc.astimezone(zone).date()):
        for from_, to in calendar.office_intervals(day):
            overlap = min(to, end_utc) - max(from_, start_utc)
            if overlap > _ZERO:
                elapsed += overlap
    return elapsed.total_seconds()


def _intervals_from(
    calendar: WorkingCalendar, start: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Office intervals after ``start`` (the first one clipped to it), day by day,
    for ever — or ValueError after three years without any."""
    day = start.astimezone(calendar.zone).date()
    idle_days = 0
    while True:
        found = False
        for from_, to in calendar.office_intervals(day):
            if to > start:
                found = True
                yield max(from_, start), to
        idle_days = 0 if found else idle_days + 1
        if idle_days > MAX_DAYS_WITHOUT_WORK:
            raise ValueError(f"the working calendar has no office time in the {idle_days} days up to {day}")
        day += dt.timedelta(days=1)


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    return (first + dt.timedelta(days=n) for n in range((last - first).days + 1))


def _as_utc(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment.astimezone(dt.UTC)


def _check_clock(clock: str) -> None:
    if clock not in CLOCKS:
        raise ValueError(f"unknown clock {clock!r}; expected one of {', '.join(CLOCKS)}")
