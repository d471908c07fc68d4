"""GeoJSON output for the map: WGS-84, coordinates rounded to ~0.1 m."""

from __future__ import annotations

from collections.abc import Iterable

import shapely

PRECISION = 6


def _round(coords):
    if isinstance(coords[0], (int, float)):
        return [round(c, PRECISION) for c in coords]
    return [_round(c) for c in coords]


def feature(geom, properties: dict) -> dict:
    mapping = shapely.geometry.mapping(geom)
    return {
        "type": "Feature",
        "geometry": {"type": mapping["type"], "coordinates": _round(mapping["coordinates"])},
        "properties": properties,
    }


def feature_collection(features: Iterable[dict]) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}
