"""The public map (公众地图): cases as the public may see them.

Privacy by default — what a case shows here, and nothing else:

- its position rounded to its unit grid (the grid's centroid), never the
  reported point, so a report cannot be traced to a doorway;
- its public status in plain words (received / being handled / closed, and
  "being re-verified" after a citizen's "not fixed"), its category and dates;
- the photos an operator approved for the public (photo_review.py), and no
  other; never a description, address, phone, name, or a staff member's name.

Voided and merged cases are not shown (a merged case lives on in the case it
was merged into).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from gridcity.cases import states
from gridcity.cases.models import Case, Photo
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.models import UnitGrid
from gridcity.public.feedback_models import NotFixedClaim, PhotoPublication
from gridcity.taxonomy.models import Category

# Public statuses, by case state (the words: ui_text "pub_status_<status>").
PUBLIC_STATUS = {
    states.REPORTED: "received",
    states.VERIFYING: "received",
    states.ACCEPTED: "received",
    states.FILED: "received",
    states.DISPATCHED: "handling",
    states.IN_PROGRESS: "handling",
    states.HANDLED: "handling",
    states.CHECKED: "handling",
    states.SUSPENDED: "handling",
    states.CLOSED: "closed",
}
STATUSES = ("received", "handling", "rechecking", "closed")
MAX_CASES = 2000  # the newest first; a map shows no more
MAX_DAYS = 366


def public_status(case: Case, rechecking: bool) -> str:
    status = PUBLIC_STATUS[case.state]
    return "rechecking" if status == "closed" and rechecking else status


def approved_photos(case_ids: list[int]) -> dict[int, list[int]]:
    """The ids of the photos approved for the public, by case."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(Photo.case_id, Photo.id)
        .join(PhotoPublication, PhotoPublication.photo_id == Photo.id)
        .where(Photo.case_id.in_(case_ids), PhotoPublication.state == "approved")
        .order_by(Photo.id)
    ).all()
    out: dict[int, list[int]] = {}
    for case_id, photo_id in rows:
        out.setdefault(case_id, []).append(photo_id)
    return out


def _day(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise GridCityError("public_bad_date", name=name) from None


def public_cases(
    category: str | None = None, status: str | None = None, since=None, until=None
) -> list[dict]:
    """The cases of the public map, newest first, filtered by category code,
    public status and the day reported (``since`` / ``until``, YYYY-MM-DD,
    in the city's time zone)."""
    zone = ZoneInfo(current_app.config["SETTINGS"].timezone)
    first, last = _day(since, "since"), _day(until, "until")
    if first and last and first > last:
        raise GridCityError("public_bad_period")
    if first and last and (last - first).days > MAX_DAYS:
        raise GridCityError("public_period_too_long", days=MAX_DAYS)
    if status and status not in STATUSES:
        raise GridCityError("public_bad_status")
    query = (
        select(Case, Category)
        .join(Category, Category.id == Case.category_id)
        .where(Case.state.in_(tuple(PUBLIC_STATUS)))
        .order_by(Case.reported_at.desc(), Case.id.desc())
    )
    if category:
        query = query.where(Category.code == category.strip())
    if first:
        query = query.where(Case.reported_at >= dt.datetime.combine(first, dt.time(), zone))
    if last:
        query = query.where(
            Case.reported_at < dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
        )
    if status in ("received", "handling"):
        query = query.where(Case.state.in_([s for s, p in PUBLIC_STATUS.items() if p == status]))
    elif status in ("closed", "rechecking"):
        query = query.where(Case.state == states.CLOSED)
    rows = db.session.execute(query.limit(MAX_CASES)).all()
    ids = [case.id for case, _ in rows]
    rechecking = (
        set(
            db.session.scalars(
                select(NotFixedClaim.case_id).where(
                    NotFixedClaim.case_id.in_(ids), NotFixedClaim.outcome.is_(None)
                )
            )
        )
        if ids
        else set()
    )
    photos = approved_photos(ids)
    centres = _grid_centres({case.unit_grid_id for case, _ in rows})
    out = []
    for case, cat in rows:
        shown = public_status(case, case.id in rechecking)
        if status and shown != status:
            continue
        lon, lat = centres[case.unit_grid_id]
        out.append(
            {
                "number": case.number,
                "status": shown,
                "category": {"code": cat.code, "name_zh": cat.name_zh, "name_en": cat.name_en},
                "reported_on": case.reported_at.astimezone(zone).date().isoformat(),
                "expected_on": case.deadline_at.astimezone(zone).date().isoformat()
                if case.deadline_at and shown == "handling"
                else None,
                "closed_on": case.closed_at.astimezone(zone).date().isoformat()
                if case.closed_at and case.state == states.CLOSED
                else None,
                "lon": lon,
                "lat": lat,
                "photos": [f"/p/photos/{pid}" for pid in photos.get(case.id, [])],
            }
        )
    return out


def _grid_centres(grid_ids: set[int]) -> dict[int, tuple[float, float]]:
    """Each unit grid's centroid, to 6 decimals (a grid is ~100 m across)."""
    if not grid_ids:
        return {}
    rows = db.session.execute(select(UnitGrid.id, UnitGrid.geom).where(UnitGrid.id.in_(grid_ids))).all()
    return {gid: (round(geom.centroid.x, 6), round(geom.centroid.y, 6)) for gid, geom in rows}


def as_geojson(cases: list[dict]) -> dict:
    """A FeatureCollection of the public cases (points at grid centroids)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]},
                "properties": {k: v for k, v in c.items() if k not in ("lon", "lat")},
            }
            for c in cases
        ],
    }


def public_photo(photo_id: int) -> Photo:
    """A photo the public may see: approved by an operator; any other answers
    as if it did not exist."""
    row = db.session.scalar(
        select(Photo)
        .join(PhotoPublication, PhotoPublication.photo_id == Photo.id)
        .where(Photo.id == photo_id, PhotoPublication.state == "approved")
    )
    if row is None:
        raise GridCityError("not_found", status=404, what=f"photo {photo_id}")
    return row
