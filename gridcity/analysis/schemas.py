"""What the analysis API accepts (a period, a place and category filter,
the cluster parameters) and answers, as declared in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from gridcity.core.api import Answer, DbInt, Schema, Text

Month = Annotated[Text, Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-09"])]


class AnalysisQuery(Schema):
    month: Month | None = Field(None, description="A month, YYYY-MM (default: this month).")
    first_day: dt.date | None = Field(
        None, alias="from", description="First local day of the period (with `to`, instead of `month`)."
    )
    last_day: dt.date | None = Field(None, alias="to", description="Last local day of the period, included.")
    street_id: DbInt | None = Field(None, description="Only this street's cases.")
    district_id: DbInt | None = Field(None, description="Only this district's cases.")
    unit_id: DbInt | None = Field(
        None, description="Recurrences: only those against this unit (the one that held the earlier case)."
    )
    category: Annotated[Text, Field(max_length=8)] | None = Field(
        None, description="A category (小类) code, e.g. E0201.", examples=["E0201"]
    )
    category_class: Annotated[Text, Field(max_length=3)] | None = Field(
        None, description="A major class (大类): the categories whose code starts with it, e.g. E02."
    )
    eps_m: Annotated[float, Field(gt=0, le=5000, allow_inf_nan=False)] | None = Field(
        None,
        description="Hotspots: neighbours lie within this many metres (default GRIDCITY_ANALYSIS_EPS_M).",
    )
    eps_days: Annotated[float, Field(gt=0, le=366, allow_inf_nan=False)] | None = Field(
        None, description="…and within this many days (default GRIDCITY_ANALYSIS_EPS_DAYS)."
    )
    min_cases: Annotated[int, Field(ge=2, le=10000)] | None = Field(
        None, description="Hotspots: at least this many cases (default GRIDCITY_ANALYSIS_MIN_CASES)."
    )
    window_days: Annotated[int, Field(ge=1, le=366)] | None = Field(
        None,
        description="Recurrences: back within this many days of a close (default "
        "GRIDCITY_ANALYSIS_RECURRENCE_DAYS).",
    )


class Named(Answer):
    id: int
    name: str
    cases: int = Field(description="How many of its cases.")


class CaseRef(Answer):
    id: int
    number: str


class Trend(Answer):
    weekly: list[int] = Field(description="Cases per week of the period (weeks from its first day).")
    direction: str = Field(
        description="`rising` (more in the period's second half), `falling` (fewer) or `steady`."
    )


class HotspotOut(Answer):
    id: str = Field(description="Stable for the same inputs: the category code and the earliest case number.")
    rank: int
    category: dict = Field(description="id, code, name.")
    cases: list[CaseRef] = Field(description="Its cases, oldest first.")
    size: int = Field(description="How many cases.")
    lon: float = Field(description="Centre (mean position), WGS-84.")
    lat: float
    radius_m: float = Field(description="Distance from the centre to its farthest case.")
    first_reported_at: str
    last_reported_at: str
    trend: Trend
    streets: list[Named]
    units: list[Named] = Field(description="The units that held its cases.")
    unit_grids: list[str] = Field(description="Codes of the unit grids it touches.")
    task_url: str = Field(description="The page that turns it into a proactive task (主动治理).")


class Parameters(Answer):
    eps_m: float
    eps_days: float
    min_cases: int
    window_days: int


class PeriodAnswer(Answer):
    period: str = Field(description="The period: YYYY-MM, or the first and the last day.")
    start: str = Field(description="The period's first moment, UTC.")
    end: str = Field(description="Its end (excluded), UTC.")
    parameters: Parameters


class Hotspots(PeriodAnswer):
    cases_read: int = Field(description="Cases of the period and filter the clustering looked at.")
    hotspots: list[HotspotOut] = Field(description="Ranked: most cases first.")


class RecurrenceOut(Answer):
    case: dict = Field(description="id, number, reported_at: the case that came back.")
    previous: dict = Field(description="id, number, closed_at: the latest close it came back after.")
    days_after_close: float
    same: str = Field(description="`unit_grid` or `component`: what the two cases share (with the category).")
    category: dict
    unit_grid: dict
    component: dict | None
    street: dict = Field(description="id, name.")
    unit: dict | None = Field(description="id, name: the unit that held the previous case.")
    task_url: str


class Recurrences(PeriodAnswer):
    count: int
    per_unit: list[Named] = Field(description="Against the unit that held the previous case, most first.")
    per_street: list[Named]
    recurrences: list[RecurrenceOut] = Field(description="Oldest report first.")
