"""The working calendar as data."""

from __future__ import annotations

import datetime as dt

import pytest

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.workcalendar.services import is_working_day, load_calendar, office_periods


def test_default_calendar_knows_holidays_and_make_up_days(app):
    load_calendar()
    assert not is_working_day(dt.date(2026, 10, 1))  # National Day, a Thursday
    assert is_working_day(dt.date(2026, 10, 10))  # make-up Saturday
    assert not is_working_day(dt.date(2026, 10, 11))  # ordinary Sunday
    assert is_working_day(dt.date(2026, 10, 12))  # ordinary Monday
    assert office_periods() == [(dt.time(8, 30), dt.time(12)), (dt.time(14), dt.time(18))]


@pytest.mark.parametrize(
    "data",
    [
        {"office_periods": [["12:00", "08:30"]]},
        {"office_periods": [["08:00", "12:00"], ["11:00", "13:00"]]},
        {"office_periods": [["08:00", "12:00"]], "weekly_rest_days": [7]},
        {"office_periods": [["08:00", "12:00"]], "days": [{"day": "2026-13-01", "kind": "holiday"}]},
        {"office_periods": [["08:00", "12:00"]], "days": [{"day": "2026-12-01", "kind": "party"}]},
    ],
)
def test_bad_calendar_is_refused_and_keeps_the_old_one(app, data):
    load_calendar()
    db.session.commit()
    with pytest.raises(GridCityError):
        load_calendar(data)
    db.session.rollback()
    assert office_periods() == [(dt.time(8, 30), dt.time(12)), (dt.time(14), dt.time(18))]
