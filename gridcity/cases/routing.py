"""Who gets a case or a task, and which open cases a new report may duplicate."""

from __future__ import annotations

import math

from sqlalchemy import and_, func, select

from gridcity.cases import states
from gridcity.cases.models import Case, CaseTask
from gridcity.extensions import db
from gridcity.geo.models import inspector_work_grid
from gridcity.org.models import Role, Unit, User

METRES_PER_DEGREE = 111_320.0

# Why a case goes to its unit: the owner of its component (部件权属单位) or
# the responsibility rules of its category at its place.
BY_COMPONENT_OWNER = "component_owner"
BY_RULES = "rules"


def responsible_unit(case: Case) -> tuple[int, str]:
    """The unit a case goes to and why. Components go "owner first, then
    place" (先属主、后属地): a case about a component whose (active) owner
    the inventory names goes to that owner; otherwise the category × place
    rules decide (``no_responsible_unit`` when none applies)."""
    from gridcity.taxonomy.services import responsible_unit_id

    if case.component_id is not None:
        from gridcity.inventory.models import Component

        # An owner that no longer works (a deactivated unit) takes no cases.
        owner = db.session.scalar(
            select(Unit.id)
            .join(Component, Component.owner_unit_id == Unit.id)
            .where(Component.id == case.component_id, Unit.active.is_(True))
        )
        if owner is not None:
            return owner, BY_COMPONENT_OWNER
    return responsible_unit_id(case.category, location_of(case)), BY_RULES


def location_of(case: Case):
    """The case's place as the locator would give it."""
    from gridcity.geo.locator import Location

    return Location(
        case.unit_grid_id,
        "",
        case.community_id,
        case.street_id,
        case.district_id,
        case.work_grid_id,
        case.area_id,
    )


def assign_inspector(case: Case) -> int | None:
    """An on-duty inspector of the case's work grid with the fewest open
    tasks (ties: lowest id), or None when the grid has nobody on duty — the
    task then waits in the grid's queue for any of its inspectors."""
    if case.work_grid_id is None:
        return None
    open_tasks = (
        select(CaseTask.inspector_id, func.count(CaseTask.id).label("n"))
        .where(CaseTask.completed_at.is_(None))
        .group_by(CaseTask.inspector_id)
        .subquery()
    )
    return db.session.scalar(
        select(User.id)
        .join(inspector_work_grid, inspector_work_grid.c.user_id == User.id)
        .outerjoin(open_tasks, open_tasks.c.inspector_id == User.id)
        .where(
            inspector_work_grid.c.work_grid_id == case.work_grid_id,
            User.role == Role.INSPECTOR.value,
            User.active,
            User.on_duty,
        )
        .order_by(func.coalesce(open_tasks.c.n, 0), User.id)
        .limit(1)
    )


def likely_duplicates(case: Case, limit: int = 5) -> list[Case]:
    """Open cases of the same category within the category's duplicate radius,
    nearest first."""
    return [c for _, c in duplicates_near(case.category, case.lon, case.lat, case.id, limit)]


def duplicates_near(
    category, lon: float, lat: float, exclude_id: int | None = None, limit: int = 5
) -> list[tuple[float, Case]]:
    """(distance in metres, case) of the open cases of ``category`` within its
    duplicate radius of a position, nearest first: what a report there would
    likely duplicate (the hotline asks before the case exists)."""
    radius = category.duplicate_radius_m or 50.0
    dlat = radius / METRES_PER_DEGREE
    dlon = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    candidates = db.session.scalars(
        select(Case).where(
            and_(
                Case.category_id == category.id,
                Case.id != (exclude_id or 0),
                Case.state.in_(states.OPEN_STATES),
                Case.lon.between(lon - dlon, lon + dlon),
                Case.lat.between(lat - dlat, lat + dlat),
            )
        )
    ).all()
    here = _Position(lon, lat)
    scored = sorted(((distance_m(here, c), c) for c in candidates), key=lambda x: (x[0], x[1].id))
    return [(d, c) for d, c in scored if d <= radius][:limit]


class _Position:
    def __init__(self, lon: float, lat: float) -> None:
        self.lon, self.lat = lon, lat


def distance_m(a, b) -> float:
    """Equirectangular distance: exact enough within a duplicate radius."""
    x = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    y = math.radians(b.lat - a.lat)
    return 6_371_008.8 * math.hypot(x, y)
