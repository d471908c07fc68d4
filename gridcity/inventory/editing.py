"""Editing one component (部件) as the admin console and ``gridcity
components edit`` do: its state, owner and maintainer units, position (the
unit grid follows the pin) and installation date. Every value is checked
before any is written, and what changed is audited with before → after."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from sqlalchemy import select

from gridcity.audit import services as audit
from gridcity.core.clock import utcnow
from gridcity.core.errors import FieldError, NotFound
from gridcity.extensions import db
from gridcity.geo.locator import NO_GRID
from gridcity.geo.services import get_locator
from gridcity.inventory.importing import STATE_WORDS
from gridcity.inventory.models import COMPONENT_KIND, STATES, Component
from gridcity.org.models import Unit
from gridcity.org.trail import changed

EDIT_FIELDS = ("state", "owner", "maintainer", "lon", "lat", "installed_on")
# The audited fields, in the order the log shows them (names of their own, so
# the log can say each in words).
AUDITED = (
    "component_state",
    "owner_unit",
    "maintainer_unit",
    "component_position",
    "unit_grid",
    "installed_on",
)


def component_by_id(component_id: int) -> Component:
    component = db.session.get(Component, component_id)
    if component is None:
        raise NotFound("component_not_found", code=str(component_id))
    return component


def component_by_code(code: str) -> Component:
    component = db.session.scalar(select(Component).where(Component.code == code))
    if component is None:
        raise NotFound("component_not_found", code=str(code)[:30])
    return component


def component_snapshot(component: Component) -> dict:
    return {
        "component_state": component.state,
        "owner_unit": component.owner_unit.name if component.owner_unit else None,
        "maintainer_unit": component.maintainer_unit.name if component.maintainer_unit else None,
        "component_position": f"{component.geom.x:.6f}, {component.geom.y:.6f}",
        "unit_grid": component.unit_grid.code,
        "installed_on": component.installed_on.isoformat() if component.installed_on else None,
    }


def _unit(field: str, code) -> int | None:
    """A unit by its code; empty means "not known" (普查 still to find it)."""
    code = str(code or "").strip()
    if not code:
        return None
    unit_id = db.session.scalar(select(Unit.id).where(Unit.code == code))
    if unit_id is None:
        raise FieldError(field, f"component_unknown_{field}", code=code[:30])
    return unit_id


def _position(lon, lat) -> tuple[float, float]:
    try:
        numbers = float(lon), float(lat)
    except (TypeError, ValueError):
        numbers = math.nan, math.nan
    if isinstance(lon, bool) or isinstance(lat, bool) or not all(map(math.isfinite, numbers)):
        raise FieldError("position", "component_bad_position", lon=str(lon)[:20], lat=str(lat)[:20])
    return numbers


def edit_component(component: Component, actor=None, **changes) -> Component:
    """Change some of a component's ``EDIT_FIELDS`` (``lon`` and ``lat``
    together); audited as ``component.update``. A unit given as "" becomes
    unknown; a new position must be inside the city and moves the component
    into the unit grid there."""
    unknown = set(changes) - set(EDIT_FIELDS)
    if unknown:
        raise FieldError(
            sorted(unknown)[0], "bad_request", detail="unknown field " + ", ".join(sorted(unknown))
        )
    values: dict = {}
    if "state" in changes:
        text = str(changes["state"] or "").strip()
        state = STATE_WORDS.get(text, text)
        if state not in STATES:
            raise FieldError("state", "component_bad_state", state=text[:20])
        values["state"] = state
    for field in ("owner", "maintainer"):
        if field in changes:
            values[f"{field}_unit_id"] = _unit(field, changes[field])
    if "installed_on" in changes:
        text = str(changes["installed_on"] or "").strip()
        try:
            day = dt.date.fromisoformat(text) if text else None
        except ValueError:
            raise FieldError("installed_on", "component_bad_date", date=text[:20]) from None
        if day is not None and day > utcnow().date():
            raise FieldError("installed_on", "component_date_in_future", date=text)
        values["installed_on"] = day
    if "lon" in changes or "lat" in changes:
        lon, lat = _position(changes.get("lon"), changes.get("lat"))
        position = NO_GRID
        if abs(lon) <= 180 and abs(lat) <= 90:
            index, found = get_locator().locate_many(np.array([lon]), np.array([lat]))
            position = int(found[0])
        if position == NO_GRID:
            raise FieldError("position", "component_outside_city", lon=f"{lon:.6f}", lat=f"{lat:.6f}")
        located = index.location_at(position)
        # The form shows six decimals (0.1 m): a position sent back unchanged is no move.
        if abs(lon - component.geom.x) >= 1e-6 or abs(lat - component.geom.y) >= 1e-6:
            import shapely

            values["geom"] = shapely.Point(lon, lat)
            values["unit_grid_id"] = located.unit_grid_id
    before = component_snapshot(component)
    for name, value in values.items():
        setattr(component, name, value)
    db.session.flush()
    db.session.expire(component, ["owner_unit", "maintainer_unit", "unit_grid"])
    old, new = changed(before, component_snapshot(component))
    if new:
        component.updated_at = utcnow()
        label = f"{component.code} {component.category.name_zh}"
        about = {"object_kind": COMPONENT_KIND, "object_id": component.id, "object_label": label}
        audit.record("component.update", actor, **about, before=old, after=new)
    return component
