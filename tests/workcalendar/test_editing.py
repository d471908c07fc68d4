"""Editing the working calendar (issue 17, item 4): the services the console,
the API and ``gridcity calendar`` share — office hours, holidays, make-up
workdays, a year's import — each change audited, the next deadline following it."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gridcity.audit.models import AuditEntry
from gridcity.cases import deadlines
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.workcalendar import editing, schedule_import
from gridcity.workcalendar.clock import WORKING_HOURS, add_clock_time
from gridcity.workcalendar.models import CalendarDay
from gridcity.workcalendar.services import is_working_day, load_calendar, office_periods

CITY = ZoneInfo("Asia/Shanghai")
MONDAY_EVENING = dt.datetime(2027, 3, 8, 17, 0, tzinfo=CITY)  # an ordinary week


def _entries(action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


def _due(hours: float) -> dt.datetime:
    """The deadline a case dispatched on MONDAY_EVENING would get now."""
    return add_clock_time(deadlines.calendar(), MONDAY_EVENING, WORKING_HOURS, hours * 3600).astimezone(CITY)


def test_a_holiday_moves_the_next_deadline_past_it_and_every_change_is_audited(app):
    load_calendar()
    db.session.commit()
    assert _due(4) == dt.datetime(2027, 3, 9, 11, 30, tzinfo=CITY)  # Tuesday morning

    editing.mark_day("2027-03-09", "holiday", " 测试假日 ")
    db.session.commit()
    assert _due(4) == dt.datetime(2027, 3, 10, 11, 30, tzinfo=CITY)  # Tuesday skipped
    editing.mark_day("2027-03-09", "holiday", "防汛假日")  # renamed
    editing.clear_day("2027-03-09")
    db.session.commit()
    assert _due(4) == dt.datetime(2027, 3, 9, 11, 30, tzinfo=CITY)

    marks = _entries("calendar.mark_day")
    assert [(m.object_label, m.before, m.after) for m in marks] == [
        (
            "2027-03-09 测试假日",
            {"day_kind": None, "day_name": None},
            {"day_kind": "holiday", "day_name": "测试假日"},
        ),
        (
            "2027-03-09 防汛假日",
            {"day_kind": "holiday", "day_name": "测试假日"},
            {"day_kind": "holiday", "day_name": "防汛假日"},
        ),
    ]
    (cleared,) = _entries("calendar.clear_day")
    assert (cleared.before, cleared.after) == (
        {"day_kind": "holiday", "day_name": "防汛假日"},
        {"day_kind": None, "day_name": None},
    )
    with pytest.raises(GridCityError) as refused:
        editing.clear_day("2027-03-09")
    assert (refused.value.status, refused.value.key) == (404, "calendar_day_not_marked")


def test_bad_days_and_office_hours_are_refused_with_their_reason(app):
    load_calendar()
    db.session.commit()
    for periods, key in [
        ([], "calendar_no_periods"),
        ([("8:3", "12:00")], "calendar_bad_time"),
        ([("12:00", "08:30")], "calendar_period_order"),
        ([("08:30", "12:00"), ("11:30", "18:00")], "calendar_period_overlap"),
    ]:
        with pytest.raises(GridCityError) as refused:
            editing.set_office_periods(periods)
        assert refused.value.key == key, periods
    editing.set_office_periods([("13:00", "17:00"), ("09:00", "12:00")])
    db.session.commit()
    assert office_periods() == [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))]
    assert _due(4) == dt.datetime(2027, 3, 9, 14, 0, tzinfo=CITY)  # 09:00–12:00 + one hour
    (changed,) = _entries("calendar.office_hours")
    assert changed.before == {"office_hours": "08:30–12:00, 14:00–18:00"}
    assert changed.after == {"office_hours": "09:00–12:00, 13:00–17:00"}
    for day, kind, name, key in [
        ("2027-02-30", "holiday", "春节", "calendar_bad_date"),
        ("2027-02-11", "party", "春节", "calendar_bad_kind"),
        ("2027-02-11", "holiday", "  ", "calendar_name_needed"),
        ("2027-02-11", "holiday", "节" * 51, "calendar_name_too_long"),
        ("2027-02-11", "workday", "春节调休", "calendar_workday_not_rest"),  # a Thursday
    ]:
        with pytest.raises(GridCityError) as refused:
            editing.mark_day(day, kind, name)
        assert (refused.value.status, refused.value.key) == (400, key)
        assert refused.value.message("zh") != refused.value.message("en")  # both languages written
    assert [d.day for d in editing.year_days(2027)] == [dt.date(2027, 1, 1)]  # the default calendar's only
    assert not is_working_day(dt.date(2027, 2, 6))  # a Saturday, made a workday:
    editing.mark_day(dt.date(2027, 2, 6), "workday", "春节调休")
    assert is_working_day(dt.date(2027, 2, 6))


GOOD_2027 = "日期,类型,名称\n2027-01-01,放假,元旦\n2027-02-06,上班,春节调休\n2027-02-11,holiday,春节\n"
BAD_2027 = (
    "date,kind,name\n"
    "2027-02-06,workday,春节调休\n"  # fine (a Saturday)
    "2027-13-01,holiday,元旦\n"  # bad date
    "2026-12-31,holiday,元旦\n"  # wrong year
    "2027-02-06,holiday,春节\n"  # both holiday and workday
    "2027-02-06,workday,春节调休\n"  # repeated
    "2027-02-11,workday,调休\n"  # a weekday
    "2027-02-12,假期,春节\n"  # unknown kind
)


def test_the_import_names_each_rows_problems_then_replaces_the_year_all_or_nothing(app):
    load_calendar()  # marks 2026 and 2027-01-01
    db.session.commit()
    rows = schedule_import.read_schedule("2027.csv", BAD_2027.encode("gb18030"))
    checked = {r.line: r.errors for r in schedule_import.check_schedule(rows, 2027, "en")}
    assert checked[2] == []
    assert "not valid" in checked[3][0] and "is not in 2027" in checked[4][0]
    assert "both a holiday and a workday" in checked[5][0] and "repeats line 2" in checked[6][0]
    assert "working day anyway" in checked[7][0] and "假期" in checked[8][0]
    with pytest.raises(GridCityError) as refused:
        schedule_import.import_schedule(rows, 2027)
    assert refused.value.status == 422 and "3, 4, 5, 6, 7, 8" in refused.value.message("en")
    db.session.rollback()
    assert _entries("calendar.import") == []

    good = schedule_import.read_schedule("2027.csv", GOOD_2027.encode())
    assert schedule_import.import_schedule(good, 2027) == {"year": 2027, "holidays": 2, "workdays": 1}
    db.session.commit()
    days = {d.day: (d.kind, d.name) for d in editing.year_days(2027)}
    assert days == {
        dt.date(2027, 1, 1): ("holiday", "元旦"),
        dt.date(2027, 2, 6): ("workday", "春节调休"),
        dt.date(2027, 2, 11): ("holiday", "春节"),
    }
    assert len(editing.year_days(2026)) == 39  # another year stays as it was
    (entry,) = _entries("calendar.import")
    assert (entry.object_label, entry.before, entry.after) == (
        "2027",
        {"holidays": ["01-01 元旦"], "workdays": []},
        {"holidays": ["01-01 元旦", "02-11 春节"], "workdays": ["02-06 春节调休"]},
    )
    # The same schedule as JSON (the format of ``gridcity calendar load``).
    days_json = {"days": [{"day": "2027-10-01", "kind": "holiday", "name": "国庆节"}]}
    rows = schedule_import.read_schedule("2027.json", json.dumps(days_json).encode())
    assert schedule_import.import_schedule(rows, 2027)["holidays"] == 1


def test_the_command_line_makes_the_same_changes(app, runner, tmp_path):
    load_calendar()
    db.session.commit()
    assert runner.invoke(args=["calendar", "holiday", "2027-03-09", "测试假日"]).exit_code == 0
    assert runner.invoke(args=["calendar", "workday", "2027-03-13", "调休"]).exit_code == 0
    refused = runner.invoke(args=["calendar", "workday", "2027-03-10", "调休"])
    assert refused.exit_code == 1 and "working day anyway" in refused.output
    hours = runner.invoke(args=["calendar", "office-hours", "09:00-12:00", "13:00-17:00"])
    assert hours.exit_code == 0 and "09:00–12:00, 13:00–17:00" in hours.output
    assert runner.invoke(args=["calendar", "clear", "2027-03-13"]).exit_code == 0
    path = tmp_path / "2027.csv"
    path.write_text(BAD_2027, encoding="utf-8")
    checked = runner.invoke(args=["calendar", "import", str(path), "--year", "2027"])
    assert checked.exit_code == 0 and "line 2: ok" in checked.output and "repeats line 2" in checked.output
    refused = runner.invoke(args=["calendar", "import", str(path), "--year", "2027", "--commit"])
    assert refused.exit_code == 1 and "nothing was saved" in refused.output
    path.write_text(GOOD_2027, encoding="utf-8")
    saved = runner.invoke(args=["calendar", "import", str(path), "--year", "2027", "--commit"])
    assert saved.exit_code == 0 and "2 holidays, 1 make-up workdays" in saved.output
    db.session.expire_all()
    assert db.session.scalar(select(CalendarDay.name).where(CalendarDay.day == dt.date(2027, 3, 9))) is None
    actions = [(e.action, e.actor_id) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [
        ("calendar.mark_day", None),
        ("calendar.mark_day", None),
        ("calendar.office_hours", None),
        ("calendar.clear_day", None),
        ("calendar.import", None),
    ]
