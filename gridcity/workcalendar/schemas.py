"""What the working calendar API accepts and answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, Schema, Text
from gridcity.workcalendar.editing import FIRST_YEAR, LAST_YEAR, MAX_NAME

Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
Clock = Annotated[Text, Field(min_length=1, max_length=8, description="Wall-clock time, e.g. 08:30.")]


class CalendarQuery(Schema):
    year: Year | None = Field(None, description="Default: this year in the city's time zone.")


class OfficePeriodIn(Schema):
    starts: Clock
    ends: Clock


class OfficeHoursIn(Schema):
    model_config = ConfigDict(title="OfficeHoursChange")

    periods: Annotated[list[OfficePeriodIn], Field(max_length=8)] = Field(
        description="The office periods of every working day: at least one, none overlapping."
    )


class CalendarDayIn(Schema):
    model_config = ConfigDict(title="CalendarDayMark")

    kind: Literal["holiday", "workday"] = Field(
        description="holiday (法定节假日) or workday (调休上班日, only on a weekly rest day)."
    )
    name: Annotated[Text, Field(max_length=MAX_NAME)] = Field(description="The day's name, e.g. 春节.")


class ScheduleImport(Schema):
    model_config = ConfigDict(title="ScheduleImport")

    year: Year
    filename: Annotated[Text, Field(min_length=1, max_length=200)] = Field(
        description="Ends in .csv or .json: how the content is read."
    )
    content: Annotated[Text, Field(min_length=1, max_length=400_000)] = Field(
        description="The file, base64-encoded (CSV with date, kind, name columns, or JSON)."
    )


# ---------------------------------------------------------------- answers


class OfficePeriod(Answer):
    starts: str = Field(description="HH:MM, the city's wall clock.")
    ends: str


class CalendarDay(Answer):
    day: str = Field(description="YYYY-MM-DD.")
    kind: str | None = Field(description="holiday, workday, or null: the day follows the week.")
    name: str | None


class OfficeHours(Answer):
    office_periods: list[OfficePeriod]


class WorkingCalendar(Answer):
    year: int
    office_periods: list[OfficePeriod]
    rest_weekdays: list[int] = Field(description="Weekly rest days, 0 = Monday … 6 = Sunday.")
    days: list[CalendarDay] = Field(description="The year's holidays and make-up workdays, by date.")


class ScheduleRow(Answer):
    line: int = Field(description="The row's line in the file (a CSV's header is line 1).")
    date: str
    kind_name: str = Field(description="The kind in the reader's language.")
    name: str
    errors: list[str] = Field(description="What is wrong with the row, in the reader's language.")


class SchedulePreview(Answer):
    """Each row and its problems; nothing was saved."""

    year: int
    rows: list[ScheduleRow]
    ok: bool = Field(description="No row has a problem: the import would save them all.")
    replaces: int = Field(description="How many marked days of the year the import would replace.")


class ScheduleImported(Answer):
    year: int
    holidays: int
    workdays: int
