"""Placing an Open311 ``address_string`` / ``address_id`` with our own data.

There is no street-address gazetteer here, so a position comes from what the
city model knows: a unit grid code (单元网格编码) → that grid's
representative point; otherwise the name of a community (社区) or street
(街道) found in the text → a representative point of its polygon (the most
specific place named wins). Anything else is a clear refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.models import Community, Street, UnitGrid
from gridcity.geo.services import CodeLayout


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float
    what: str  # how it was found, for the record


def _point(geom) -> tuple[float, float]:
    point = geom.representative_point()
    return point.x, point.y


def place_of_grid_code(code: str) -> Place:
    """``address_id``: a unit grid code."""
    layout = CodeLayout.current()
    if not (code.isdigit() and len(code) == layout.length):
        raise GridCityError("open311_bad_address_id", code=code, digits=layout.length)
    geom = db.session.scalar(select(UnitGrid.geom).where(UnitGrid.code == code))
    if geom is None:
        raise GridCityError("open311_unknown_grid", code=code)
    return Place(*_point(geom), what=f"unit grid {code}")


def place_of_address(text: str) -> Place:
    """``address_string``: a unit grid code in it, else a community or street name."""
    layout = CodeLayout.current()
    for code in re.findall(r"\d+", text):
        if len(code) == layout.length:
            return place_of_grid_code(code)
    communities = db.session.execute(
        select(Community.id, Community.name, Street.name).join(Street, Community.street_id == Street.id)
    ).all()
    named = [(cid, name, street) for cid, name, street in communities if name and name in text]
    if named:
        longest = max(len(name) for _, name, _ in named)
        named = [row for row in named if len(row[1]) == longest]
        if len(named) > 1:
            # The same community name in several streets: the street must say which.
            in_street = [row for row in named if row[2] in text]
            if len(in_street) != 1:
                raise GridCityError(
                    "open311_ambiguous_address",
                    name=named[0][1],
                    places="、".join(sorted(street for _, _, street in named)),
                )
            named = in_street
        community_id, name, street = named[0]
        geom = db.session.scalar(select(Community.geom).where(Community.id == community_id))
        return Place(*_point(geom), what=f"community {street} {name}")
    streets = db.session.execute(select(Street.id, Street.name)).all()
    named_streets = [(sid, name) for sid, name in streets if name and name in text]
    if named_streets:
        street_id, name = max(named_streets, key=lambda row: len(row[1]))
        geom = db.session.scalar(select(Street.geom).where(Street.id == street_id))
        return Place(*_point(geom), what=f"street {name}")
    raise GridCityError("open311_unplaceable_address", text=text[:80], digits=layout.length)
