"""Where a place sits, for the drill-down pages' titles and breadcrumbs: the
chain from the district down to a street, work grid or unit grid, each link
named as people name it (never by its database id)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from gridcity.extensions import db
from gridcity.geo.models import Area, Community, District, Street, UnitGrid, WorkGrid

PLACE_TIERS = ("district", "street", "area", "work_grid", "unit_grid")


@dataclass(frozen=True)
class Place:
    tier: str
    id: int
    name: str


def _street_of_work_grid(grid: WorkGrid) -> Street | None:
    """A work grid's street: where most of its unit grids are (the street's
    drill-down lists the work grids with unit grids in it), else its area's."""
    streets = Counter(
        db.session.scalars(
            select(Community.street_id)
            .join(UnitGrid, UnitGrid.community_id == Community.id)
            .where(UnitGrid.work_grid_id == grid.id)
        )
    )
    if streets:
        return db.session.get(Street, min(streets, key=lambda s: (-streets[s], s)))
    area = db.session.get(Area, grid.area_id) if grid.area_id is not None else None
    return db.session.get(Street, area.street_id) if area is not None and area.street_id is not None else None


def _up_from_street(street: Street | None) -> list[Place]:
    if street is None:
        return []
    district = db.session.get(District, street.district_id)
    chain = [Place("district", district.id, district.name)] if district is not None else []
    return [*chain, Place("street", street.id, street.name)]


def place_chain(tier: str, subject_id: int) -> list[Place]:
    """The places from the district down to ``tier`` ``subject_id`` (itself
    last); empty when it is not a place or does not exist."""
    if tier == "district":
        district = db.session.get(District, subject_id)
        return [Place("district", district.id, district.name)] if district else []
    if tier == "street":
        street = db.session.get(Street, subject_id)
        return _up_from_street(street) if street else []
    if tier == "area":
        area = db.session.get(Area, subject_id)
        if area is None:
            return []
        street = db.session.get(Street, area.street_id) if area.street_id is not None else None
        return [*_up_from_street(street), Place("area", area.id, area.name)]
    if tier == "work_grid":
        grid = db.session.get(WorkGrid, subject_id)
        if grid is None:
            return []
        return [*_up_from_street(_street_of_work_grid(grid)), Place("work_grid", grid.id, grid.name)]
    if tier == "unit_grid":
        cell = db.session.get(UnitGrid, subject_id)
        if cell is None:
            return []
        if cell.work_grid_id is not None:
            above = place_chain("work_grid", cell.work_grid_id)
        else:
            community = db.session.get(Community, cell.community_id)
            above = _up_from_street(db.session.get(Street, community.street_id) if community else None)
        return [*above, Place("unit_grid", cell.id, cell.code)]
    return []
