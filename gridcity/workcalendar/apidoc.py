"""The working calendar's operations of the OpenAPI document
(gridcity/core/openapi.py lists them with ``calendar_operations()``); their
requests and answers are the models of gridcity/workcalendar/schemas.py."""

from __future__ import annotations


def calendar_operations() -> list:
    from gridcity.core.apidoc import Op, ok
    from gridcity.org.models import Role

    admin = (Role.ADMIN,)
    bad_day = "`calendar_bad_date`: the date is not YYYY-MM-DD"
    import_errors = (
        "`calendar_import_bad_file`, `calendar_import_columns`, `calendar_import_empty`, "
        "`import_too_many_rows`; `bad_request`: content not base64, year outside 2000–2100."
    )
    return [
        Op("get", "/calendar", "calendar.get_calendar",
           "The working calendar (工作日历): office hours, rest days, a year's holidays and make-up workdays",
           ok(), errors={400: "`bad_request`: year outside 2000–2100."}),
        Op("put", "/calendar/office-hours", "calendar.put_office_hours",
           "Set the office periods of every working day (audited)", ok(), admin,
           description="The next deadline computed, in every process, counts on the new hours; "
                       "cases keep the deadlines they have.",
           errors={400: "`calendar_bad_time`, `calendar_no_periods`, `calendar_period_order`, "
                        "`calendar_period_overlap`."}),
        Op("put", "/calendar/days/{day}", "calendar.put_day",
           "Mark a day as a public holiday (法定节假日) or a make-up workday (调休上班日) (audited)", ok(), admin,
           description="Replaces the day's mark; the next deadline computed skips a holiday.",
           errors={400: f"{bad_day}; `calendar_name_needed`, `calendar_name_too_long`, "
                        "`calendar_workday_not_rest`: a make-up workday on a day worked anyway."}),
        Op("delete", "/calendar/days/{day}", "calendar.delete_day",
           "Take a day's holiday or make-up workday mark off (audited)", ok(), admin,
           errors={400: f"{bad_day}.", 404: "`calendar_day_not_marked`."}),
        Op("post", "/calendar/import/preview", "calendar.preview_import",
           "Check a year's official holiday schedule (CSV / JSON) row by row; saves nothing", ok(), admin,
           errors={400: import_errors, 413: "`import_too_large`."}),
        Op("post", "/calendar/import", "calendar.import_schedule",
           "Replace a year's holidays and make-up workdays with a schedule file's: all rows or none (audited)",
           ok(), admin,
           errors={400: import_errors, 413: "`import_too_large`.",
                   422: "`calendar_import_errors`: names the lines; nothing saved."}),
    ]  # fmt: skip
