"""The working calendar API (工作日历): read by any signed-in user; office
hours, holidays, make-up workdays and a year's import changed by admins, each
change audited. The console's pages (gridcity/web/admin_calendar.py) and
``gridcity calendar`` call the same services."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gridcity.core.api import base64_file, operation
from gridcity.core.auth import current_user, login_required, roles_required
from gridcity.core.clock import utcnow
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.web.formats import city_zone
from gridcity.workcalendar import editing, schedule_import, schemas
from gridcity.workcalendar.models import CalendarDay
from gridcity.workcalendar.services import office_periods, rest_weekdays

bp = Blueprint("calendar", __name__, url_prefix="/api/v1/calendar")


def _periods_json() -> list[dict]:
    return [{"starts": f"{a:%H:%M}", "ends": f"{b:%H:%M}"} for a, b in office_periods()]


def _day_json(day, row: CalendarDay | None) -> dict:
    return {"day": day.isoformat(), "kind": row.kind if row else None, "name": row.name if row else None}


@bp.get("")
@login_required
@operation(query=schemas.CalendarQuery, responses={200: schemas.WorkingCalendar})
def get_calendar(query: schemas.CalendarQuery):
    """Office hours, weekly rest days and the year's holidays and make-up workdays."""
    year = query.year or utcnow().astimezone(city_zone()).year
    return jsonify(
        {
            "year": year,
            "office_periods": _periods_json(),
            "rest_weekdays": sorted(rest_weekdays()),
            "days": [_day_json(d.day, d) for d in editing.year_days(year)],
        }
    )


@bp.put("/office-hours")
@roles_required(Role.ADMIN)
@operation(body=schemas.OfficeHoursIn, responses={200: schemas.OfficeHours})
def put_office_hours(body: schemas.OfficeHoursIn):
    editing.set_office_periods([(p.starts, p.ends) for p in body.periods], current_user())
    db.session.commit()
    return jsonify({"office_periods": _periods_json()})


@bp.put("/days/<day>")
@roles_required(Role.ADMIN)
@operation(body=schemas.CalendarDayIn, responses={200: schemas.CalendarDay})
def put_day(day: str, body: schemas.CalendarDayIn):
    """Mark a day as a holiday or a make-up workday (replacing its mark)."""
    row = editing.mark_day(day, body.kind, body.name, current_user())
    db.session.commit()
    return jsonify(_day_json(row.day, row))


@bp.delete("/days/<day>")
@roles_required(Role.ADMIN)
@operation(responses={200: schemas.CalendarDay})
def delete_day(day: str):
    """Take the mark off a day: it follows the week again."""
    date = editing.parse_day(day)
    editing.clear_day(date, current_user())
    db.session.commit()
    return jsonify(_day_json(date, None))


@bp.post("/import/preview")
@roles_required(Role.ADMIN)
@operation(body=schemas.ScheduleImport, responses={200: schemas.SchedulePreview})
def preview_import(body: schemas.ScheduleImport):
    """Each row of a year's schedule file with its problems; saves nothing."""
    rows = schedule_import.check_schedule(
        schedule_import.read_schedule(body.filename, base64_file(body.content)), body.year
    )
    language = current_language()
    return jsonify(
        {
            "year": body.year,
            "rows": [r.to_dict(language) for r in rows],
            "ok": not any(r.errors for r in rows),
            "replaces": len(editing.year_days(body.year)),
        }
    )


@bp.post("/import")
@roles_required(Role.ADMIN)
@operation(body=schemas.ScheduleImport, responses={200: schemas.ScheduleImported})
def import_schedule(body: schemas.ScheduleImport):
    """Replace the year's holidays and make-up workdays with the file's: all rows or none."""
    rows = schedule_import.read_schedule(body.filename, base64_file(body.content))
    imported = schedule_import.import_schedule(rows, body.year, current_user())
    db.session.commit()
    return jsonify(imported)
