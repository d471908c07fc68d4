"""What the map-layer API accepts: a bounding box, a point to locate."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from gridcity.core.api import DB_INT_MAX, Answer, CodeName, Lat, Lon, Schema, Text


class BBoxQuery(Schema):
    bbox: Annotated[Text, Field(max_length=200)] = Field(
        description="west,south,east,north (WGS-84).", examples=["114.24,22.57,114.26,22.59"]
    )


class WorkGridQuery(Schema):
    id: Annotated[int, Field(ge=1, le=DB_INT_MAX)] | None = Field(
        None, description="Only this work grid (the field app draws the inspector's own without GPS)."
    )


class LocateQuery(Schema):
    lon: Lon
    lat: Lat


class LayerExportQuery(Schema):
    datum: Literal["wgs84", "gcj02", "bd09"] = Field(
        "wgs84", description="Datum of the coordinates written (stored data is WGS-84)."
    )
    download: bool = Field(False, description="Answer as a file to save (Content-Disposition: attachment).")


# ---------------------------------------------------------------- answers


class Feature(Answer):
    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: dict[str, Any]


class FeatureCollection(Answer):
    """A GeoJSON FeatureCollection (WGS-84)."""

    type: Literal["FeatureCollection"]
    features: list[Feature]


class Location(Answer):
    """Where a point is: its unit grid and the places above it."""

    unit_grid_id: int
    unit_grid_code: str
    community_id: int
    street_id: int
    district_id: int
    work_grid_id: int | None
    area_id: int | None


class LocateResult(Location):
    community: CodeName
    street: CodeName
    district: CodeName
    work_grid: CodeName | None
    area: CodeName | None


class LayerExport(FeatureCollection):
    """A layer as its import reads it: ``code``, ``name`` and the parent codes
    as properties, in the requested datum."""

    name: str
    datum: str
