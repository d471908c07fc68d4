"""What the map-layer API accepts: a bounding box, a point to locate."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from gridcity.core.api import Lat, Lon, Schema, Text


class BBoxQuery(Schema):
    bbox: Annotated[Text, Field(max_length=200)] = Field(
        description="west,south,east,north (WGS-84).", examples=["114.24,22.57,114.26,22.59"]
    )


class LocateQuery(Schema):
    lon: Lon
    lat: Lat
