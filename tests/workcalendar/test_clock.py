"""The deadline clocks, against hand-computed deadlines on the default calendar.

Default calendar: office 08:30–12:00 (3.5 h) and 14:00–18:00 (4 h) = 7.5 h a day,
Saturday and Sunday off, 2026 holidays and make-up workdays (调休) from
default_calendar.json. All times below are Asia/Shanghai local time.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridcity.workcalendar.clock import (
    CLOCKS,
    EMERGENCY_HOURS,
    WORKING_DAYS,
    WORKING_HOURS,
    WorkingCalendar,
    add_clock_time,
    budget_seconds,
    clock_seconds_between,
)
from gridcity.workcalendar.services import DEFAULT_CALENDAR, load_calendar, working_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = 3600.0
DAY = 7.5 * H  # one working day of office time


def calendar_from_json(timezone: str = "Asia/Shanghai") -> WorkingCalendar:
    data = json.loads(DEFAULT_CALENDAR.read_text(encoding="utf-8"))
    days = [(dt.date.fromisoformat(d["day"]), d["kind"]) for d in data["days"]]
    return WorkingCalendar(
        office_periods=tuple(
            (dt.time.fromisoformat(a), dt.time.fromisoformat(b)) for a, b in data["office_periods"]
        ),
        rest_weekdays=frozenset(data["weekly_rest_days"]),
        holidays=frozenset(d for d, kind in days if kind == "holiday"),
        workdays=frozenset(d for d, kind in days if kind == "workday"),
        timezone=timezone,
    )


CAL = calendar_from_json()


def local(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# (start, clock, budget in seconds, deadline) — each deadline worked out by hand.
SPANS = [
    # Emergency hours run continuously: 22:00 + 4 h crosses midnight → 02:00 next day.
    pytest.param(local(3, 10, 22), EMERGENCY_HOURS, 4 * H, local(3, 11, 2), id="emergency-midnight"),
    # …and through holidays: Wed 09-30 20:00 + 48 h → Fri 10-02 20:00, a National Day holiday.
    pytest.param(local(9, 30, 20), EMERGENCY_HOURS, 48 * H, local(10, 2, 20), id="emergency-holiday"),
    # Tue 03-10 09:00 + 2 h, all in the morning period → 11:00.
    pytest.param(local(3, 10, 9), WORKING_HOURS, 2 * H, local(3, 10, 11), id="inside-period"),
    # 09:00 + 4 h: 3 h until 12:00, lunch skipped, 1 h from 14:00 → 15:00.
    pytest.param(local(3, 10, 9), WORKING_HOURS, 4 * H, local(3, 10, 15), id="over-lunch"),
    # 07:00 is before office hours: counting starts 08:30, + 1 h → 09:30.
    pytest.param(local(3, 10, 7), WORKING_HOURS, 1 * H, local(3, 10, 9, 30), id="before-office"),
    # 12:30 is the lunch break: counting starts 14:00, + 1 h → 15:00.
    pytest.param(local(3, 10, 12, 30), WORKING_HOURS, 1 * H, local(3, 10, 15), id="lunch-break"),
    # Tue 19:00 is after hours: Wed 08:30–12:00 gives 3.5 h, 0.5 h more from 14:00 → Wed 14:30.
    pytest.param(local(3, 10, 19), WORKING_HOURS, 4 * H, local(3, 11, 14, 30), id="after-hours"),
    # Fri 03-13 16:00: 2 h to 18:00, weekend off, Mon 03-16 08:30 + 2 h → 10:30.
    pytest.param(local(3, 13, 16), WORKING_HOURS, 4 * H, local(3, 16, 10, 30), id="friday-to-monday"),
    # Fri 10-09 16:00: 2 h to 18:00, Sat 10-10 is a make-up workday: 08:30 + 2 h → Sat 10:30.
    pytest.param(local(10, 9, 16), WORKING_HOURS, 4 * H, local(10, 10, 10, 30), id="make-up-saturday"),
    # Fri 09-18 17:00: 1 h to 18:00, Sat 09-19 off, Sun 09-20 make-up workday 08:30 + 1 h → 09:30.
    pytest.param(local(9, 18, 17), WORKING_HOURS, 2 * H, local(9, 20, 9, 30), id="make-up-sunday"),
    # Sat 02-14 (make-up) 16:00: 2 h to 18:00, 02-15…02-23 Spring Festival, Tue 02-24 08:30 + 2 h → 10:30.
    pytest.param(local(2, 14, 16), WORKING_HOURS, 4 * H, local(2, 24, 10, 30), id="spring-festival"),
    # Fri 02-13 16:00 + 10 h: 2 h Fri, 7.5 h Sat 02-14 (make-up) = 9.5 h, 0.5 h on Tue 02-24 → 09:00.
    pytest.param(local(2, 13, 16), WORKING_HOURS, 10 * H, local(2, 24, 9), id="spring-festival-long"),
    # Wed 09-30 10:00, 1 working day = 7.5 h: 2 h + 4 h = 6 h on Wed, 10-01…07 holiday,
    # 1.5 h on Thu 10-08 from 08:30 → 10:00.
    pytest.param(local(9, 30, 10), WORKING_DAYS, 1 * DAY, local(10, 8, 10), id="1-working-day"),
    # 3 working days = 22.5 h: 6 h Wed, 7.5 h Thu 10-08, 7.5 h Fri 10-09 = 21 h,
    # 1.5 h on the make-up Saturday 10-10 → 10:00.
    pytest.param(local(9, 30, 10), WORKING_DAYS, 3 * DAY, local(10, 10, 10), id="3-working-days"),
    # 10 working days = 75 h: 6 h Wed + 9 full days (10-08, 09, 10, 12…16, 19) × 7.5 h = 73.5 h,
    # 1.5 h on Tue 10-20 → 10:00.
    pytest.param(local(9, 30, 10), WORKING_DAYS, 10 * DAY, local(10, 20, 10), id="10-working-days"),
    # Thu 09-24 10:00, 3 working days: 6 h Thu, 09-25…27 Mid-Autumn, 7.5 h Mon 09-28, 7.5 h Tue 09-29
    # = 21 h, 1.5 h on Wed 09-30 → 10:00.
    pytest.param(local(9, 24, 10), WORKING_DAYS, 3 * DAY, local(9, 30, 10), id="mid-autumn"),
    # 09:00 + 3 h ends exactly at the end of the morning period → 12:00, not 14:00.
    pytest.param(local(3, 10, 9), WORKING_HOURS, 3 * H, local(3, 10, 12), id="ends-at-noon"),
    # 14:00 + 4 h → 18:00 the same day, not 08:30 the next.
    pytest.param(local(3, 10, 14), WORKING_HOURS, 4 * H, local(3, 10, 18), id="ends-at-close"),
    # Mon 01-05 08:30 + 30 working days: 30 whole days (01-05 … 02-13, six 5-day weeks) → Fri 02-13 18:00.
    pytest.param(local(1, 5, 8, 30), WORKING_DAYS, 30 * DAY, local(2, 13, 18), id="30-working-days"),
]


@pytest.mark.parametrize(("start", "clock", "seconds", "deadline"), SPANS)
def test_deadline(start, clock, seconds, deadline):
    got = add_clock_time(CAL, start, clock, seconds)
    assert got == deadline, got.astimezone(SHANGHAI)
    assert got.tzinfo is dt.UTC


@pytest.mark.parametrize(("start", "clock", "seconds", "deadline"), SPANS)
def test_elapsed_time_over_the_same_span(start, clock, seconds, deadline):
    assert clock_seconds_between(CAL, start, deadline, clock) == seconds


@pytest.mark.parametrize(
    ("start", "end", "clock", "seconds"),
    [
        # 09:00 → 13:00 is 3 h of office time; the lunch hour does not count.
        (local(3, 10, 9), local(3, 10, 13), WORKING_HOURS, 3 * H),
        # Fri 17:00 → Mon 08:00: 1 h on Friday, nothing at the weekend or before 08:30.
        (local(3, 13, 17), local(3, 16, 8), WORKING_HOURS, 1 * H),
        # The whole National Day week 10-01 00:00 → 10-08 00:00 holds no office time.
        (local(10, 1), local(10, 8), WORKING_DAYS, 0.0),
        # …but 7 × 24 h of emergency time.
        (local(10, 1), local(10, 8), EMERGENCY_HOURS, 7 * 24 * H),
        # 2026 has 261 weekdays − 19 holidays on weekdays + 6 make-up weekend days = 248 working days.
        (local(1, 1), local(1, 1, year=2027), WORKING_HOURS, 248 * DAY),
        # End before start: nothing has elapsed.
        (local(3, 10, 15), local(3, 10, 9), WORKING_HOURS, 0.0),
        (local(3, 10, 15), local(3, 10, 9), EMERGENCY_HOURS, 0.0),
    ],
)
def test_elapsed_time(start, end, clock, seconds):
    assert clock_seconds_between(CAL, start, end, clock) == seconds


def test_a_year_is_counted_quickly():
    began = time.perf_counter()
    # 248 working days of 2026 (see above) end at 18:00 on Thu 12-31; 2027-01-01 is a holiday.
    assert add_clock_time(CAL, local(1, 1), WORKING_HOURS, 248 * DAY) == local(12, 31, 18)
    assert time.perf_counter() - began < 1.0


@pytest.mark.parametrize("clock", CLOCKS)
@pytest.mark.parametrize("start", [local(3, 10, 9), local(3, 10, 12, 30), local(3, 14, 10)])
def test_zero_budget_is_due_at_once(start, clock):
    # Even outside office hours (lunch, a Saturday): nothing to count, so due now.
    assert add_clock_time(CAL, start, clock, 0) == start


def test_any_timezone_in_result_in_utc():
    start = dt.datetime(2026, 3, 10, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    got = add_clock_time(CAL, start, WORKING_HOURS, 1 * H)
    assert got == dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    assert got.tzinfo is dt.UTC


def test_budget_seconds():
    assert budget_seconds(CAL, EMERGENCY_HOURS, 2) == 7200  # 2 × 3600
    assert budget_seconds(CAL, WORKING_HOURS, 4) == 14400  # 4 × 3600
    assert budget_seconds(CAL, WORKING_DAYS, 1) == 27000  # 3.5 h + 4 h = 7.5 h
    assert budget_seconds(CAL, WORKING_DAYS, 0.5) == 13500
    assert CAL.seconds_per_working_day == 27000


def test_working_days_of_the_default_calendar():
    assert not CAL.is_working_day(dt.date(2026, 10, 1))  # National Day, a Thursday
    assert CAL.is_working_day(dt.date(2026, 10, 10))  # make-up Saturday
    assert not CAL.is_working_day(dt.date(2026, 10, 11))  # ordinary Sunday
    assert CAL.is_working_day(dt.date(2026, 10, 12))  # ordinary Monday


def test_a_listed_holiday_beats_a_listed_workday():
    day = dt.date(2026, 3, 10)
    calendar = WorkingCalendar(CAL.office_periods, frozenset(), frozenset({day}), frozenset({day}), "UTC")
    assert not calendar.is_working_day(day)


def test_clock_names_match_the_taxonomy():
    from gridcity.taxonomy.models import CLOCKS as TAXONOMY_CLOCKS

    assert CLOCKS == TAXONOMY_CLOCKS


def test_no_working_day_raises_instead_of_hanging():
    never = WorkingCalendar(
        CAL.office_periods, frozenset(range(7)), frozenset(), frozenset(), "Asia/Shanghai"
    )
    with pytest.raises(ValueError, match="no office time"):
        add_clock_time(never, local(3, 10, 9), WORKING_HOURS, 1 * H)
    with pytest.raises(ValueError, match="no office time"):
        add_clock_time(never, local(3, 10, 9), WORKING_DAYS, 1 * DAY)
    # Continuous time needs no calendar.
    assert add_clock_time(never, local(3, 10, 9), EMERGENCY_HOURS, 1 * H) == local(3, 10, 10)


def test_no_office_hours_raises():
    closed = WorkingCalendar((), frozenset({5, 6}), frozenset(), frozenset(), "Asia/Shanghai")
    with pytest.raises(ValueError):
        add_clock_time(closed, local(3, 10, 9), WORKING_HOURS, 1 * H)
    with pytest.raises(ValueError):
        budget_seconds(closed, WORKING_DAYS, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"office_periods": ((dt.time(12), dt.time(8, 30)),)},
        {"office_periods": ((dt.time(8), dt.time(12)), (dt.time(11), dt.time(13)))},
        {"office_periods": ((dt.time(14), dt.time(18)), (dt.time(8), dt.time(12)))},
        {"rest_weekdays": frozenset({7})},
        {"timezone": "Mars/Olympus_Mons"},
    ],
)
def test_bad_calendar_is_refused(kwargs):
    fields = {
        "office_periods": CAL.office_periods,
        "rest_weekdays": CAL.rest_weekdays,
        "holidays": CAL.holidays,
        "workdays": CAL.workdays,
        "timezone": CAL.timezone,
    } | kwargs
    with pytest.raises(ValueError):
        WorkingCalendar(**fields)


@pytest.mark.parametrize(
    ("clock", "start", "seconds"),
    [
        ("fortnights", local(3, 10, 9), 1.0),
        (WORKING_HOURS, local(3, 10, 9), -1.0),
        (WORKING_HOURS, local(3, 10, 9), float("nan")),
        (WORKING_HOURS, dt.datetime(2026, 3, 10, 9), 1.0),  # naive start
    ],
)
def test_bad_arguments_are_refused(clock, start, seconds):
    with pytest.raises(ValueError):
        add_clock_time(CAL, start, clock, seconds)


def test_office_hours_follow_daylight_saving():
    # A night shift 00:00–06:00 in Berlin: on 2026-03-29 clocks jump 02:00 → 03:00,
    # so the shift lasts 5 real hours; on 2026-10-25 they fall back 03:00 → 02:00: 7 hours.
    berlin = ZoneInfo("Europe/Berlin")
    nights = WorkingCalendar(
        ((dt.time(0), dt.time(6)),), frozenset(), frozenset(), frozenset(), "Europe/Berlin"
    )
    spring = dt.datetime(2026, 3, 29, 0, 0, tzinfo=berlin)
    assert clock_seconds_between(nights, spring, spring + dt.timedelta(days=1), WORKING_HOURS) == 5 * H
    assert add_clock_time(nights, spring, WORKING_HOURS, 5 * H) == dt.datetime(2026, 3, 29, 6, tzinfo=berlin)
    autumn = dt.datetime(2026, 10, 25, 0, 0, tzinfo=berlin)
    assert clock_seconds_between(nights, autumn, autumn + dt.timedelta(days=1), WORKING_HOURS) == 7 * H
    # 7 h of the shift + 1 h into the next night's 00:00 → 2026-10-26 01:00.
    assert add_clock_time(nights, autumn, WORKING_HOURS, 8 * H) == dt.datetime(2026, 10, 26, 1, tzinfo=berlin)


def test_working_calendar_from_the_database(app):
    load_calendar()
    assert working_calendar("Asia/Shanghai") == CAL


# ---------------------------------------------------------------- properties

NIGHTS_BERLIN = WorkingCalendar(
    ((dt.time(1, 30), dt.time(2, 30)), (dt.time(2, 45), dt.time(5))),
    frozenset({6}),
    frozenset({dt.date(2026, 3, 30)}),
    frozenset(),
    "Europe/Berlin",
)


@given(
    calendar=st.sampled_from([CAL, NIGHTS_BERLIN]),
    start=st.datetimes(
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2026, 12, 31, 23, 59, 59),
        timezones=st.just(dt.UTC),
    ),
    clock=st.sampled_from(CLOCKS),
    budget=st.floats(min_value=0, max_value=200 * H),
    more=st.floats(min_value=0, max_value=200 * H),
)
def test_elapsed_time_inverts_the_deadline_and_deadlines_grow(calendar, start, clock, budget, more):
    deadline = add_clock_time(calendar, start, clock, budget)
    assert abs(clock_seconds_between(calendar, start, deadline, clock) - budget) <= 1e-6
    assert deadline >= start
    assert add_clock_time(calendar, start, clock, budget + more) >= deadline
