"""The wall screen's JSON as declared in the OpenAPI document."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gridcity.core.api import Answer

CARDS = Literal["yellow", "red"]


class TodayFigures(Answer):
    reported: int = Field(
        description="Reports received today (上报: `report` history events since midnight)."
    )
    filed: int = Field(description="Cases filed today (立案 events).")
    dispatched: int = Field(
        description="Dispatches today (派遣 events; a re-dispatch after a return counts again)."
    )
    closed: int = Field(description="Cases closed today (结案 events).")
    overdue: int = Field(description="Open cases overdue now, as the centers' 超期 queue counts them.")


class OnTimeRate(Answer):
    rate: float | None = Field(
        description="The month's on-time closure rate (0..1) from the district scorecard's counts and formula; "
        "null when nothing was due (no data is not 100 %)."
    )
    target: float = Field(description="The target (0..1), from GRIDCITY_SCREEN_ON_TIME_TARGET.")
    closed_on_time: int
    should_close: int


class WorstUnit(Answer):
    name: str
    score: float
    grade: str
    rank: int


class ContestPlace(Answer):
    street: str
    score: float
    rank: int
    card: CARDS | None


class ScreenHotspot(Answer):
    id: str = Field(description="The hotspot's id in decision support (/api/v1/analysis/hotspots).")
    category: str = Field(description="The category's name in the reader's language.")
    street: str = Field(description="The street with most of its cases.")
    cases: int
    direction: str = Field(
        description="rising, falling or steady: its cases in the period's second half against the first."
    )
    lon: float
    lat: float
    radius_m: float = Field(description="The farthest of its cases from its centre, in metres.")


class ScreenEvent(Answer):
    seq: int = Field(description="The history event's id (the live feed's position).")
    action: str
    at: float = Field(description="Unix seconds.")
    number: str = Field(description="The case number.")
    category: str | None = Field(description="The category code.")
    street_id: int | None
    lon: float
    lat: float


class ScreenState(Answer):
    """Everything the wall screen (/screen/) shows; the page loads it, then
    applies live `case` events after `seq` and loads it again after a
    reconnect."""

    seq: int = Field(
        description="Every figure is counted up to this history event id; live events continue it."
    )
    now: float = Field(description="The server's clock, Unix seconds.")
    day_start: float = Field(description="Today's midnight in the city's time zone, Unix seconds.")
    day_end: float = Field(description="Tomorrow's midnight: the page loads again then.")
    month: str = Field(description="YYYY-MM, the month of the month figures.")
    today: TodayFigures
    on_time: OnTimeRate
    worst_units: list[WorstUnit] = Field(
        description="The units' scorecard this month: the last five places, ties at them included, worst last."
    )
    contest: list[ContestPlace] = Field(
        description="The sanitation contest (市容环卫杯) this month, top ten."
    )
    hotspots: list[ScreenHotspot] = Field(
        description="Decision support's hotspots of the whole city over the last `hotspot_days` days "
        "(today included), largest first, at most five; worked out again at most every "
        "GRIDCITY_SCREEN_HOTSPOT_SECONDS."
    )
    hotspot_days: int = Field(description="GRIDCITY_SCREEN_HOTSPOT_DAYS: the days the hotspots look back.")
    events: list[ScreenEvent] = Field(description="The newest history events, newest first (twenty).")
