"""Component inventory: bulk import from GeoJSON or CSV (checked by
``importing``), components near a position, a component as the app shows it."""

from __future__ import annotations

import math

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from gridcity.audit import services as audit
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.services import get_locator
from gridcity.inventory import importing
from gridcity.inventory.models import COMPONENT_KIND, Component
from gridcity.taxonomy.models import Category


def import_components(
    text: str, fmt: str, datum: str = "wgs84", data_source: str = "import", actor=None
) -> int:
    """Import components (部件) from a CSV or GeoJSON file: every record is
    checked (``importing.check_records``) and all are saved or none; the
    import is audited (``component.import``)."""
    records = importing.read_records(text, fmt)
    count = importing.save_records(records, datum, data_source, fmt)
    audit.record("component.import", actor, object_kind=COMPONENT_KIND, after={"component_count": count})
    return count


def add_components(records: list[dict], datum: str = "wgs84", data_source: str = "import") -> int:
    """Add components from records with ``category``, ``lon``, ``lat`` and the
    optional ``code``, ``owner``, ``maintainer`` (unit codes), ``state``,
    ``installed_on``; all or nothing, by the import's rules."""
    return importing.save_records(records, datum, data_source)


def count_components() -> int:
    return db.session.scalar(select(func.count(Component.id))) or 0


# ---------------------------------------------------------------- near a position

NEAR_RADIUS_MAX_M = 500.0
NEAR_LIMIT_MAX = 50
METRES_PER_DEGREE = 111_320.0


def components_near(
    category: Category, lon: float, lat: float, radius_m: float = 100.0, limit: int = 20
) -> list[tuple[float, Component]]:
    """(metres, component) of a category's components within ``radius_m`` of
    a position, nearest first (ties: code) — what an inspector standing there
    may be reporting on. The in-process grid index finds the unit grids
    around the position, so both databases give the same answer."""
    import shapely

    from gridcity.media.storage import distance_m

    radius_m = min(max(float(radius_m), 1.0), NEAR_RADIUS_MAX_M)
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    index = get_locator().index()
    around = index.tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
    grid_ids = [int(i) for i in index.ids[around]]
    if not grid_ids:
        return []
    rows = db.session.scalars(
        select(Component)
        .options(joinedload(Component.owner_unit))
        .where(Component.category_id == category.id, Component.unit_grid_id.in_(grid_ids))
    ).all()
    scored = ((distance_m(lon, lat, c.geom.x, c.geom.y), c) for c in rows)
    near = sorted(((d, c) for d, c in scored if d <= radius_m), key=lambda dc: (dc[0], dc[1].code))
    return near[: max(1, min(int(limit), NEAR_LIMIT_MAX))]


def component_for_report(
    component_id: int, category: Category, lon: float, lat: float, max_m: float
) -> Component:
    """The component a report names: it must exist, be of the report's
    category and stand within ``max_m`` of where the reporter was."""
    from gridcity.media.storage import distance_m

    component = db.session.get(Component, component_id)
    if component is None:
        raise GridCityError("unknown_component", status=422)
    if component.category_id != category.id:
        raise GridCityError(
            "component_wrong_category",
            status=422,
            code=component.code,
            category_zh=category.name_zh,
            category_en=category.name_en,
        )
    distance = distance_m(lon, lat, component.geom.x, component.geom.y)
    if distance > max_m:
        raise GridCityError(
            "component_too_far", status=422, code=component.code, distance_m=distance, max_m=max_m
        )
    return component


def component_json(component: Component, distance: float | None = None) -> dict:
    """A component as the app and the case detail show it: code, state, owner."""
    owner = component.owner_unit
    answer = {
        "id": component.id,
        "code": component.code,
        "state": component.state,
        "lon": component.geom.x,
        "lat": component.geom.y,
        "owner": None if owner is None else {"id": owner.id, "code": owner.code, "name": owner.name},
    }
    if distance is not None:
        answer["distance_m"] = round(distance, 1)
    return answer
