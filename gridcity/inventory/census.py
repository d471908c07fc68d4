"""部件普查状态 — what the inventory holds, class by class, and the inventory
on a map.

The census status of a component class (小类) is what the survey has found of
it so far: how many components are registered, how many in each state, how
many with a known owner unit and maintainer unit (a component without an owner
cannot be dispatched "owner first", 先属主), and when one was last added or
changed. A class with none registered has not been surveyed."""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import String, func, select, type_coerce

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.services import get_locator
from gridcity.inventory.models import STATES, Component
from gridcity.taxonomy.models import Category, CategoryMajor

# At most this many points in one map answer: a whole city's inventory would
# be tens of thousands; beyond it the answer is an even sample and says so.
MAP_CAP = 2000
# A view over at most this many unit grids is first narrowed by their ids.
GRID_PREFILTER_MAX = 800


def component_classes() -> list[Category]:
    """The active component classes, by major class then code."""
    return list(
        db.session.scalars(
            select(Category)
            .join(CategoryMajor)
            .where(CategoryMajor.kind == "component", Category.active)
            .order_by(CategoryMajor.code, Category.code)
        )
    )


def census_status() -> list[dict]:
    """Every active component class with its census status: ``count``,
    ``by_state`` (every state, 0 when none), ``owner_known`` /
    ``owner_missing``, ``maintainer_known`` / ``maintainer_missing``,
    ``last_added`` and ``last_updated`` (None when not known)."""
    by_state: dict[int, dict[str, int]] = {}
    for category_id, state, n in db.session.execute(
        select(Component.category_id, Component.state, func.count()).group_by(
            Component.category_id, Component.state
        )
    ):
        by_state.setdefault(category_id, {})[state] = n
    totals = {
        row.category_id: row
        for row in db.session.execute(
            select(
                Component.category_id,
                func.count().label("count"),
                func.count(Component.owner_unit_id).label("owner_known"),
                func.count(Component.maintainer_unit_id).label("maintainer_known"),
                func.max(Component.added_at).label("last_added"),
                func.max(Component.updated_at).label("last_updated"),
            ).group_by(Component.category_id)
        )
    }
    out = []
    for category in component_classes():
        row = totals.get(category.id)
        count = row.count if row else 0
        out.append(
            {
                "category": category,
                "count": count,
                "by_state": {s: by_state.get(category.id, {}).get(s, 0) for s in STATES},
                "owner_known": row.owner_known if row else 0,
                "owner_missing": count - (row.owner_known if row else 0),
                "maintainer_known": row.maintainer_known if row else 0,
                "maintainer_missing": count - (row.maintainer_known if row else 0),
                "last_added": row.last_added if row else None,
                "last_updated": row.last_updated if row else None,
            }
        )
    return out


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise GridCityError("component_bad_bbox") from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise GridCityError("component_bad_bbox")
    return west, south, east, north


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def components_in_view(
    bbox: str | None = None,
    categories: str | None = None,
    major: str | None = None,
    states: str | None = None,
    cap: int = MAP_CAP,
) -> dict:
    """The components inside ``bbox`` ("west,south,east,north"), of the
    classes ``categories`` (codes, comma-separated) or of one ``major``
    class, in ``states``: a GeoJSON FeatureCollection of at most ``cap``
    points (an even sample, ordered by id), with ``total`` (how many match)
    and ``shown``."""
    box = _bbox(bbox)
    # The position as the stored bytes (WKB on SQLite, hex EWKB from PostGIS),
    # read in one vectorised call below instead of one Shapely object a row.
    wkb = type_coerce(Component.geom, String).label("wkb")
    query = select(Component.id, Component.code, Category.code, Component.state, wkb).join(
        Category, Component.category_id == Category.id
    )
    classes = {c.code: c for c in component_classes()}
    wanted = _codes(categories)
    unknown = [c for c in wanted if c not in classes]
    if unknown:
        raise GridCityError("component_unknown_class", code=unknown[0][:30])
    if wanted:
        query = query.where(Category.code.in_(wanted))
    if major:
        if not any(c.major.code == major for c in classes.values()):
            raise GridCityError("component_unknown_major", code=str(major)[:10])
        query = query.join(CategoryMajor).where(
            CategoryMajor.code == major, CategoryMajor.kind == "component"
        )
    wanted_states = _codes(states)
    bad = [s for s in wanted_states if s not in STATES]
    if bad:
        raise GridCityError("component_bad_state", state=bad[0][:20])
    if wanted_states:
        query = query.where(Component.state.in_(wanted_states))
    if box is not None:
        index = get_locator().index()
        grids = index.ids[index.tree.query(shapely.box(*box))]
        if len(grids) == 0:
            return _collection([], 0)
        if len(grids) <= GRID_PREFILTER_MAX:
            query = query.where(Component.unit_grid_id.in_([int(g) for g in grids]))
    rows = db.session.connection().execute(query.order_by(Component.id)).all()
    points = shapely.from_wkb(np.array([r[4] for r in rows], dtype=object)) if rows else np.array([])
    xs, ys = shapely.get_x(points), shapely.get_y(points)
    keep = np.arange(len(rows))
    if box is not None:
        west, south, east, north = box
        keep = keep[(xs >= west) & (xs <= east) & (ys >= south) & (ys <= north)]
    total = len(keep)
    if total > cap:
        keep = keep[(np.arange(cap) * (total / cap)).astype(int)]
    return _collection([(rows[i], xs[i], ys[i]) for i in keep], total)


def _collection(rows, total: int) -> dict:
    return {
        "type": "FeatureCollection",
        "total": total,
        "shown": len(rows),
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(float(x), 7), round(float(y), 7)]},
                "properties": {"id": r[0], "code": r[1], "category": r[2], "state": r[3]},
            }
            for r, x, y in rows
        ],
    }
