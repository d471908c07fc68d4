"""The admin console's working calendar (工作日历): a year of month grids with
the holidays, make-up workdays and weekends marked, a form to mark a day (a
click on a day fills it in), the office hours, and the import of a year's
official schedule with its preview. Thin: each form posts to a view that calls
the same service as the API and ``gridcity calendar``, commits once, and shows
a refusal's message beside the form it came from."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import json

from flask import Blueprint, redirect, request, url_for

from gridcity.core.auth import current_user, roles_required
from gridcity.core.clock import utcnow
from gridcity.core.errors import GridCityError
from gridcity.core.i18n import current_language
from gridcity.extensions import db
from gridcity.org.models import Role
from gridcity.web import views as web_views
from gridcity.web.admin_people import _page
from gridcity.web.formats import city_zone
from gridcity.workcalendar import editing, schedule_import
from gridcity.workcalendar.services import office_periods, rest_weekdays

bp = Blueprint("admin_calendar", __name__, url_prefix="/admin/calendar")
bp.register_error_handler(GridCityError, web_views._error_page)
bp.context_processor(web_views._page_helpers)

PERIOD_ROWS = 4  # office-period rows the form offers


def _year(text: str | None) -> int:
    return editing.check_year(text) if text else utcnow().astimezone(city_zone()).year


def _months(year: int, marks: dict[dt.date, dict], rest: set[int]) -> list[list[list[dict | None]]]:
    """Twelve month grids: weeks of seven cells (Monday first), None outside the month."""
    weeks_of = month_calendar.Calendar(firstweekday=0).monthdatescalendar
    return [
        [
            [
                {"day": d, "mark": marks.get(d), "rest": d.weekday() in rest} if d.month == month else None
                for d in week
            ]
            for week in weeks_of(year, month)
        ]
        for month in range(1, 13)
    ]


def _calendar_page(
    year: int, status: int = 200, day_form=None, day_error=None, hours_form=None, hours_error=None
):
    days = editing.year_days(year)
    marks = {d.day: {"kind": d.kind, "name": d.name} for d in days}
    chosen = day_form or {}
    if not day_form and request.args.get("day"):
        try:  # a click on a day: the form shows it with its present mark
            picked = editing.parse_day(request.args["day"])
            mark = marks.get(picked, {})
            chosen = {
                "date": picked.isoformat(),
                "kind": mark.get("kind", "holiday"),
                "name": mark.get("name", ""),
            }
        except GridCityError:
            chosen = {}
    periods = office_periods()
    if hours_form is None:
        hours_form = {}
        for n, (a, b) in enumerate(periods, start=1):
            hours_form[f"starts_{n}"], hours_form[f"ends_{n}"] = f"{a:%H:%M}", f"{b:%H:%M}"
    return _page(
        "admin_calendar.html",
        status=status,
        year=year,
        months=_months(year, marks, rest_weekdays()),
        days=days,
        day_form=chosen,
        day_error=day_error,
        hours_form=hours_form,
        hours_error=hours_error,
        period_rows=max(PERIOD_ROWS, len(periods)),
        marked=request.args.get("marked"),
        cleared=request.args.get("cleared"),
        hours_saved=request.args.get("hours_saved"),
    )


@bp.get("")
@roles_required(Role.ADMIN)
def calendar_page():
    return _calendar_page(_year(request.args.get("year")))


@bp.post("/day")
@roles_required(Role.ADMIN)
def mark_day():
    """Mark the day as a holiday or make-up workday, or (no kind) take its mark off."""
    form = request.form
    year = _year(form.get("year"))
    try:
        day = editing.parse_day(form.get("date", ""))
        if form.get("kind"):
            editing.mark_day(day, form["kind"], form.get("name", ""), current_user())
        else:
            editing.clear_day(day, current_user())
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _calendar_page(year, error.status, day_form=form, day_error=error.message())
    done = "marked" if form.get("kind") else "cleared"
    return redirect(url_for(".calendar_page", year=day.year, **{done: day.isoformat()}) + "#mark")


@bp.post("/office-hours")
@roles_required(Role.ADMIN)
def office_hours():
    form = request.form
    year = _year(form.get("year"))
    rows = [(form.get(f"starts_{n}", "").strip(), form.get(f"ends_{n}", "").strip()) for n in range(1, 9)]
    try:
        editing.set_office_periods([(a, b) for a, b in rows if a or b], current_user())
        db.session.commit()
    except GridCityError as error:
        db.session.rollback()
        return _calendar_page(year, error.status, hours_form=form, hours_error=error.message())
    return redirect(url_for(".calendar_page", year=year, hours_saved=1) + "#office-hours")


# ---------------------------------------------------------------- import


def _import_page(status: int = 200, **context):
    if "year" not in context:  # the year asked for, else next year (whose schedule comes out in autumn)
        try:
            context["year"] = editing.check_year(request.values.get("year"))
        except GridCityError:
            context["year"] = _year(None) + 1
    context.setdefault("rows", None)
    context.setdefault("error", None)
    return _page("admin_calendar_import.html", status=status, **context)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_page():
    """Upload → each row with its problems (nothing saved) → import."""
    if request.method == "GET":
        return _import_page()
    upload = request.files.get("file")
    try:
        year = editing.check_year(request.form.get("year"))
        if upload is None or not upload.filename:
            raise GridCityError("calendar_import_empty")
        rows = schedule_import.read_schedule(upload.filename, upload.read())
        checked = schedule_import.check_schedule(rows, year)
    except GridCityError as error:
        db.session.rollback()
        return _import_page(error.status, error=error.message())
    bad = sum(1 for r in checked if r.errors)
    return _import_page(
        year=year,
        rows=[r.to_dict(current_language()) for r in checked],
        bad=bad,
        replaced=len(editing.year_days(year)),
        # The rows go back with "import" (and are checked again there).
        schedule=json.dumps(rows, ensure_ascii=False) if not bad else None,
    )


@bp.post("/import/save")
@roles_required(Role.ADMIN)
def import_save():
    try:
        year = editing.check_year(request.form.get("year"))
        rows = json.loads(request.form.get("schedule", "[]"))
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise GridCityError("calendar_import_bad_file")
        imported = schedule_import.import_schedule(
            [{str(k): str(v) for k, v in r.items()} for r in rows], year, current_user()
        )
        db.session.commit()
    except ValueError:
        return _import_page(400, error=GridCityError("calendar_import_bad_file").message())
    except GridCityError as error:
        db.session.rollback()
        return _import_page(error.status, error=error.message())
    return _import_page(year=year, imported=imported)
