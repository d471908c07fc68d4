"""Patrols (巡查): start, breadcrumbs, stop; the track and the unit grids it
covered. The caller commits once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod
from sqlalchemy import select

from gridcity.core.clock import utcnow
from gridcity.core.errors import Conflict, Forbidden, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.geo.locator import NO_GRID, check_position
from gridcity.geo.models import UnitGrid
from gridcity.org.models import Role, User
from gridcity.patrols.models import PATROL_KINDS, Patrol, PatrolPoint

_GEOD = Geod(ellps="WGS84")
INTERVALS_S = (5, 15, 30, 60, 120)
DEFAULT_INTERVAL_S = 30
MAX_POINTS_PER_CALL = 2000
# The track is cut into pieces this long (degrees, ~10 m) before it is located,
# so a unit grid crossed between two breadcrumbs still counts as covered.
DENSIFY_DEG = 0.0001
# Staff who may look at anyone's patrols.
PATROL_READERS = (Role.OPERATOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class Breadcrumb:
    at: dt.datetime
    lon: float
    lat: float
    accuracy_m: float | None = None


def running_patrol(inspector: User) -> Patrol | None:
    return db.session.scalar(
        select(Patrol).where(Patrol.inspector_id == inspector.id, Patrol.ended_at.is_(None))
    )


def start_patrol(inspector: User, kind: str, interval_s: int = DEFAULT_INTERVAL_S) -> Patrol:
    """开始巡查 — one running patrol per inspector at a time."""
    if inspector.role != Role.INSPECTOR.value:
        raise Forbidden("forbidden_role", role=inspector.role)
    if kind not in PATROL_KINDS:
        raise GridCityError("bad_request", detail=f"kind must be one of {', '.join(PATROL_KINDS)}")
    if interval_s not in INTERVALS_S:
        raise GridCityError(
            "bad_request", detail=f"interval_s must be one of {', '.join(map(str, INTERVALS_S))}"
        )
    current = running_patrol(inspector)
    if current is not None:
        raise Conflict("patrol_running", id=current.id)
    patrol = Patrol(
        inspector_id=inspector.id,
        kind=kind,
        interval_s=interval_s,
        started_at=utcnow(),
        distance_m=0.0,
        point_count=0,
    )
    db.session.add(patrol)
    db.session.flush()
    return patrol


def get_patrol(patrol_id: int) -> Patrol:
    patrol = db.session.get(Patrol, patrol_id)
    if patrol is None:
        raise NotFound("not_found", what=f"patrol {patrol_id}")
    return patrol


def can_read(user: User, patrol: Patrol) -> bool:
    return patrol.inspector_id == user.id or user.role in {r.value for r in PATROL_READERS}


def require_own(patrol: Patrol, inspector: User) -> None:
    if patrol.inspector_id != inspector.id:
        raise Forbidden("not_your_patrol", id=patrol.id)


def require_running_patrol(patrol_id: int, reporter: User | None) -> Patrol:
    """The patrol a finding is tagged with: the reporter's own, still running."""
    patrol = get_patrol(patrol_id)
    if reporter is None or patrol.inspector_id != reporter.id:
        raise Forbidden("not_your_patrol", id=patrol_id)
    if not patrol.running:
        raise Conflict("patrol_ended", id=patrol_id)
    return patrol


def add_points(patrol: Patrol, inspector: User, points: list[Breadcrumb]) -> int:
    """Store breadcrumbs of a running patrol; a point already stored (same
    time) is skipped, so the phone may resend a batch. Returns how many were new."""
    require_own(patrol, inspector)
    if not patrol.running:
        raise Conflict("patrol_ended", id=patrol.id)
    return _store_points(patrol, points)


def stop_patrol(patrol: Patrol, inspector: User, points: list[Breadcrumb] = ()) -> Patrol:
    """结束巡查 — store the last breadcrumbs, then the track, its length and the
    unit grids it covered. Stopping a stopped patrol changes nothing."""
    require_own(patrol, inspector)
    if not patrol.running:
        return patrol
    _store_points(patrol, list(points))
    db.session.flush()
    coords = _crumbs(patrol)
    patrol.track = shapely.LineString(coords) if len(coords) >= 2 else None
    patrol.distance_m = track_length_m(patrol.track)
    patrol.unit_grids = covered_unit_grids(coords)
    patrol.ended_at = utcnow()
    db.session.flush()
    return patrol


def track_length_m(track) -> float:
    if track is None:
        return 0.0
    return float(_GEOD.geometry_length(track))


def _covered(coords: list[tuple[float, float]]):
    """The locator's index and the positions in it of the unit grids a path
    passes through (a single point: its grid)."""
    from gridcity.geo.services import get_locator

    if len(coords) == 1:
        samples = np.asarray(coords, dtype=float)
    else:
        dense = shapely.segmentize(shapely.LineString(coords), DENSIFY_DEG)
        samples = shapely.get_coordinates(dense)
    index, positions = get_locator().locate_many(samples[:, 0], samples[:, 1])
    return index, sorted({int(p) for p in positions.tolist() if p != NO_GRID})


def covered_unit_grids(coords: list[tuple[float, float]]) -> list[UnitGrid]:
    """The unit grids a path passes through (a single point: its grid)."""
    if not coords:
        return []
    index, positions = _covered(coords)
    ids = sorted({int(index.ids[p]) for p in positions})
    if not ids:
        return []
    return list(db.session.scalars(select(UnitGrid).where(UnitGrid.id.in_(ids)).order_by(UnitGrid.code)))


def _crumbs(patrol: Patrol) -> list[tuple[float, float]]:
    rows = db.session.execute(
        select(PatrolPoint.lon, PatrolPoint.lat)
        .where(PatrolPoint.patrol_id == patrol.id)
        .order_by(PatrolPoint.at, PatrolPoint.id)
    ).all()
    return _without_repeats([(lon, lat) for lon, lat in rows])


def progress(patrol: Patrol, reader: User) -> dict:
    """The patrol so far, for the phone's map while it runs: the breadcrumbs
    the server holds and the unit grids they cover (drawn, so with their
    outlines). Only the patrol's own inspector reads it."""
    from gridcity.core.geojson import feature, feature_collection

    require_own(patrol, reader)
    coords = _crumbs(patrol)
    index, positions = _covered(coords) if coords else (None, [])
    grids = sorted(((index.codes[p], p) for p in positions), key=lambda g: g[0])
    return {
        "id": patrol.id,
        "running": patrol.running,
        "point_count": patrol.point_count or 0,
        "track": [[lon, lat] for lon, lat in coords],
        "unit_grids": [code for code, _ in grids],
        "grids": feature_collection(feature(index.geoms[p], {"code": code}) for code, p in grids),
    }


def _store_points(patrol: Patrol, points: list[Breadcrumb]) -> int:
    if len(points) > MAX_POINTS_PER_CALL:
        raise GridCityError("bad_request", detail=f"at most {MAX_POINTS_PER_CALL} points per call")
    for p in points:
        check_position(p.lon, p.lat)
    seen = set(db.session.scalars(select(PatrolPoint.at).where(PatrolPoint.patrol_id == patrol.id)))
    added = 0
    for p in sorted(points, key=lambda p: p.at):
        at = p.at.astimezone(dt.UTC)
        if at in seen:
            continue
        seen.add(at)
        db.session.add(PatrolPoint(patrol=patrol, at=at, lon=p.lon, lat=p.lat, accuracy_m=p.accuracy_m))
        added += 1
    patrol.point_count = (patrol.point_count or 0) + added
    return added


def _without_repeats(coords: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for c in coords:
        if not out or out[-1] != c:
            out.append(c)
    return out


def findings(patrol: Patrol) -> list:
    """Cases reported during the patrol and tagged with it."""
    from gridcity.cases.models import Case

    return list(db.session.scalars(select(Case).where(Case.patrol_id == patrol.id).order_by(Case.id)))


def list_patrols(user: User, state: str | None = None, limit: int = 50) -> list[Patrol]:
    """An inspector's own patrols; every patrol for staff. Newest first."""
    query = select(Patrol).order_by(Patrol.started_at.desc(), Patrol.id.desc()).limit(limit)
    if user.role not in {r.value for r in PATROL_READERS}:
        if user.role != Role.INSPECTOR.value:
            raise Forbidden("forbidden_role", role=user.role)
        query = query.where(Patrol.inspector_id == user.id)
    if state == "running":
        query = query.where(Patrol.ended_at.is_(None))
    elif state == "ended":
        query = query.where(Patrol.ended_at.is_not(None))
    elif state is not None:
        raise GridCityError("bad_request", detail="state must be running or ended")
    return list(db.session.scalars(query))


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def patrol_json(patrol: Patrol, detail: bool = False) -> dict:
    body = {
        "id": patrol.id,
        "inspector_id": patrol.inspector_id,
        "kind": patrol.kind,
        "interval_s": patrol.interval_s,
        "running": patrol.running,
        "started_at": _iso(patrol.started_at),
        "ended_at": _iso(patrol.ended_at),
        "distance_m": round(patrol.distance_m or 0.0, 1),
        "point_count": patrol.point_count or 0,
    }
    if detail:
        from gridcity.cases.queries import case_summary

        body["track"] = None if patrol.track is None else shapely.geometry.mapping(patrol.track)
        body["unit_grids"] = [g.code for g in patrol.unit_grids]
        body["findings"] = [case_summary(c) for c in findings(patrol)]
    return body
