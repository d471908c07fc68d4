"""What the patrol API accepts: a start, GPS breadcrumbs, the list's filters."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from gridcity.cases.schemas import CaseSummary
from gridcity.core.api import Answer, Lat, Lon, Moment, Number, Schema
from gridcity.patrols.models import PATROL_KINDS
from gridcity.patrols.services import DEFAULT_INTERVAL_S, INTERVALS_S


class PatrolStart(Schema):
    kind: Literal[PATROL_KINDS] = Field(description="日常 / 夜间 / 节假日 / 月末集中巡查.")
    interval_s: Literal[INTERVALS_S] = Field(DEFAULT_INTERVAL_S, description="Breadcrumb interval (seconds).")


class Breadcrumb(Schema):
    at: Moment = Field(
        description="When the phone recorded it; a point resent with the same time is stored once."
    )
    lon: Lon
    lat: Lat
    accuracy_m: Annotated[Number, Field(ge=0)] | None = None


class Breadcrumbs(Schema):
    model_config = ConfigDict(title="Breadcrumbs")

    points: list[Breadcrumb] = Field(default_factory=list, description="Oldest first.")


class PatrolFilter(Schema):
    state: Literal["running", "ended"] | None = Field(None, description="Only running or only ended patrols.")
    limit: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] = Field(
        50, description="At most this many (1 to 500)."
    )


# ---------------------------------------------------------------- answers


class Patrol(Answer):
    """A patrol (巡查)."""

    id: int
    inspector_id: int
    kind: Literal[PATROL_KINDS] = Field(description="日常 / 夜间 / 节假日 / 月末集中巡查.")
    interval_s: int = Field(description="How often the app records a breadcrumb.")
    running: bool
    started_at: dt.datetime
    ended_at: dt.datetime | None
    distance_m: float = Field(description="Length of the track.")
    point_count: int


class PatrolDetail(Patrol):
    """A patrol with its track, covered unit grids and findings."""

    track: dict[str, Any] | None = Field(
        description="GeoJSON LineString (WGS-84) of the breadcrumbs; set when the patrol stops."
    )
    unit_grids: list[str] = Field(description="Codes of the unit grids the track covered.")
    findings: list[CaseSummary] = Field(description="Cases reported during the patrol and tagged with it.")


class PointsAdded(Answer):
    added: int = Field(description="New points (resent ones are skipped).")
    point_count: int


class PatrolProgress(Answer):
    """A patrol so far (the running patrol's map)."""

    id: int
    running: bool
    point_count: int
    track: list[list[float]] = Field(
        description="[lon, lat] of the stored breadcrumbs, oldest first (WGS-84)."
    )
    unit_grids: list[str] = Field(description="Codes of the unit grids the breadcrumbs cover so far.")
    grids: dict[str, Any] = Field(
        description="GeoJSON FeatureCollection of those unit grids (property code)."
    )
