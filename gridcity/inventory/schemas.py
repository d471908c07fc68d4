"""What the component inventory API accepts: the list's filters and paging."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from gridcity.core.api import Answer, DbInt, Lat, Lon, Ref, Schema, Text
from gridcity.inventory.models import STATES
from gridcity.inventory.services import NEAR_LIMIT_MAX, NEAR_RADIUS_MAX_M


class ComponentFilter(Schema):
    unit_grid: Annotated[Text, Field(max_length=20)] | None = Field(None, description="Unit grid code.")
    limit: DbInt = Field(100, description="Page size (1 to 500).")
    offset: Annotated[int, Field(ge=0, le=2**31 - 1)] = Field(0, description="Skip this many.")


class NearQuery(Schema):
    category: Annotated[Text, Field(max_length=20)] = Field(description="Category code of a component class.")
    lon: Annotated[Lon, Field(ge=-180, le=180)]
    lat: Annotated[Lat, Field(ge=-90, le=90)]
    radius_m: Annotated[float, Field(gt=0, le=NEAR_RADIUS_MAX_M, allow_inf_nan=False)] = Field(
        100.0, description=f"Metres around the position (at most {NEAR_RADIUS_MAX_M:.0f})."
    )
    limit: Annotated[int, Field(ge=1, le=NEAR_LIMIT_MAX)] = Field(
        20, description=f"At most this many (1 to {NEAR_LIMIT_MAX})."
    )


class MapQuery(Schema):
    bbox: Annotated[Text, Field(max_length=100)] | None = Field(
        None,
        description="west,south,east,north (WGS-84): the map's view.",
        examples=["114.22,22.55,114.30,22.62"],
    )
    category: Annotated[Text, Field(max_length=500)] | None = Field(
        None, description="Component class codes, comma-separated.", examples=["C0101,C0102"]
    )
    major: Annotated[Text, Field(max_length=4)] | None = Field(
        None, description="A component major class (大类) code.", examples=["01"]
    )
    state: Annotated[Text, Field(max_length=60)] | None = Field(
        None, description=f"States, comma-separated ({', '.join(STATES)}).", examples=["damaged,lost"]
    )


# ---------------------------------------------------------------- answers


class Component(Answer):
    """A component (部件)."""

    id: int
    code: str
    category: str
    state: Literal[STATES]
    lon: float
    lat: float
    unit_grid: str = Field(description="Unit grid code.")
    owner: str | None = Field(description="Unit code.")
    maintainer: str | None = Field(description="Unit code.")


class Imported(Answer):
    imported: int


class NearComponent(Answer):
    """A component near a position, as the inspectors' app lists it."""

    id: int
    code: str = Field(description="部件编码.")
    state: Literal[STATES]
    lon: float
    lat: float
    distance_m: float = Field(description="Metres from the position asked about.")
    owner: Ref | None = Field(description="权属单位: the owner unit, when the inventory names one.")


class ComponentMap(Answer):
    """The components in a map view as GeoJSON points (properties id, code,
    category, state), at most a few thousand: an even sample when more match."""

    type: Literal["FeatureCollection"]
    total: int = Field(description="How many components match (in the view, class and state).")
    shown: int = Field(description="How many points this answer holds.")
    features: list[dict]
