"""A planted year of dispatches for the risk tests: lateness depends on
known factors (a slow unit, a fast unit, a slow category, evening dispatches)."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import insert

from gridcity.cases.models import Case
from gridcity.extensions import db
from tests.conftest import unit_grid_places

CITY = ZoneInfo("Asia/Shanghai")
DISPATCHES = 3600
DAYS = 360
# The planted log-odds of lateness.
BASE, SLOW_UNIT, FAST_UNIT, SLOW_CATEGORY, EVENING = -2.4, 3.2, -1.0, 2.4, 2.4


def places() -> list:
    """Unit grids of the work grids, with what a case there records."""
    return unit_grid_places(in_work_grids=True)


def case_row(
    number: str, grid, category_id: int, unit_id: int | None, dispatched: dt.datetime, **more
) -> dict:
    """A case_file row at ``grid``, dispatched (or filed, with ``unit_id`` None) at ``dispatched``."""
    point = grid.geom.representative_point()
    return {
        "number": number,
        "client_uuid": str(uuid.uuid4()),
        "source": "inspector",
        "category_id": category_id,
        "urgency": "normal",
        "description": "",
        "lon": point.x,
        "lat": point.y,
        "geom": shapely.Point(point.x, point.y),
        "unit_grid_id": grid.id,
        "community_id": grid.community_id,
        "street_id": grid.street_id,
        "district_id": grid.district_id,
        "work_grid_id": grid.work_grid_id,
        "version": 5,
        "event_count": 5,
        "unit_id": unit_id,
        "reported_at": dispatched - dt.timedelta(hours=1),
        "filed_at": dispatched - dt.timedelta(minutes=30),
        "dispatched_at": dispatched,
        "handle_clock": "emergency_hours",
        "handle_budget_s": 86400.0,
        "deadline_at": dispatched + dt.timedelta(hours=24),
        **more,
    }


def plant_year(now: dt.datetime, unit_ids: list[int], category_ids: list[int], slow: int, fast: int,
               slow_category: int, grids: list) -> list[bool]:  # fmt: skip
    """A year before ``now`` of closed dispatches (case numbers R0000000…),
    late ones handled after their deadline; returns whether each was late."""
    rng = random.Random(20261207)
    rows, late = [], []
    start = now - dt.timedelta(days=DAYS)
    for n in range(DISPATCHES):
        dispatched = start + dt.timedelta(seconds=rng.uniform(0, (DAYS - 1) * 86400))
        unit, category = rng.choice(unit_ids), rng.choice(category_ids)
        logit = (
            BASE
            + SLOW_UNIT * (unit == slow)
            + FAST_UNIT * (unit == fast)
            + SLOW_CATEGORY * (category == slow_category)
            + EVENING * (dispatched.astimezone(CITY).hour >= 18)
        )
        is_late = rng.random() < 1 / (1 + math.exp(-logit))
        handled = dispatched + dt.timedelta(hours=rng.uniform(25, 60) if is_late else rng.uniform(1, 23))
        rows.append(
            case_row(
                f"R{n:07d}",
                rng.choice(grids),
                category,
                unit,
                dispatched,
                state="closed",
                handled_at=handled,
                checked_at=handled + dt.timedelta(hours=1),
                closed_at=handled + dt.timedelta(hours=2),
            )
        )
        late.append(is_late)
    db.session.execute(insert(Case.__table__), rows)
    db.session.commit()
    return late
