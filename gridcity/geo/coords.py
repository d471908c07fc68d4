"""Datum conversions at the edges: GCJ-02 (Chinese basemaps) and UTM (metres).

Everything stored is WGS-84. GCJ-02 is only for reading imported boundaries and
for drawing on a Chinese basemap. GCJ-02 → WGS-84 has no closed form; the
iterative inverse below converges to well under a millimetre, where the usual
one-step formula errs by metres.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

_A = 6378245.0
_EE = 0.00669342162296594323
DATUMS = ("wgs84", "gcj02")
# Boundary layers may also come in BD-09 (Baidu's basemap datum).
GEOMETRY_DATUMS = ("wgs84", "gcj02", "bd09")
_X_PI = np.pi * 3000.0 / 180.0


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _offsets(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    pi = np.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _offsets(lon, lat)
    return lon + dlon, lat + dlat


def _inverse(forward, lon, lat, first_guess, tolerance: float, max_iterations: int):
    """Solve forward(x) = (lon, lat) by fixed-point steps from ``first_guess``."""
    tlon, tlat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = first_guess(tlon, tlat)
    for _ in range(max_iterations):
        flon, flat = forward(x, y)
        elon, elat = tlon - flon, tlat - flat
        x, y = x + elon, y + elat
        if max(np.max(np.abs(elon), initial=0), np.max(np.abs(elat), initial=0)) < tolerance:
            break
    return x, y


def gcj02_to_wgs84(lon, lat, tolerance: float = 1e-10, max_iterations: int = 30):
    return _inverse(wgs84_to_gcj02, lon, lat, lambda x, y: (x.copy(), y.copy()), tolerance, max_iterations)


def gcj02_to_bd09(lon, lat):
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat, tolerance: float = 1e-10, max_iterations: int = 30):
    """The iterative inverse of :func:`gcj02_to_bd09` (the usual one-step
    formula errs by decimetres)."""
    return _inverse(gcj02_to_bd09, lon, lat, lambda x, y: (x - 0.0065, y - 0.006), tolerance, max_iterations)


def bd09_to_wgs84(lon, lat):
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat):
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def _xy_func(func):
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return apply


def geometry_to_wgs84(geom, datum: str):
    """A geometry read in ``datum`` ("wgs84", "gcj02" or "bd09"), as WGS-84."""
    if datum == "wgs84":
        return geom
    if datum == "gcj02":
        return shapely.transform(geom, _xy_func(gcj02_to_wgs84))
    if datum == "bd09":
        return shapely.transform(geom, _xy_func(bd09_to_wgs84))
    raise ValueError(f"unknown datum {datum!r}; use one of {', '.join(GEOMETRY_DATUMS)}")


def geometry_from_wgs84(geom, datum: str):
    """A stored (WGS-84) geometry in ``datum``, for an export."""
    if datum == "wgs84":
        return geom
    if datum == "gcj02":
        return geometry_to_gcj02(geom)
    if datum == "bd09":
        return shapely.transform(geom, _xy_func(wgs84_to_bd09))
    raise ValueError(f"unknown datum {datum!r}; use one of {', '.join(GEOMETRY_DATUMS)}")


def geometry_to_gcj02(geom):
    return shapely.transform(geom, _xy_func(wgs84_to_gcj02))


def utm_epsg_for(lon: float, lat: float) -> int:
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


@lru_cache(maxsize=16)
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_projected(geom, epsg: int):
    t = _transformer(4326, epsg)
    return shapely.transform(geom, _xy_func(t.transform))


def from_projected(geom, epsg: int):
    t = _transformer(epsg, 4326)
    return shapely.transform(geom, _xy_func(t.transform))


def area_m2(geom) -> float:
    """Area of a WGS-84 geometry in square metres (in its UTM zone)."""
    c = geom.centroid
    return float(to_projected(geom, utm_epsg_for(c.x, c.y)).area)
