"""What the patrol API accepts: a start, GPS breadcrumbs, the list's filters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from gridcity.core.api import Lat, Lon, Moment, Number, Schema
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
