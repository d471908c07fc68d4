"""Responsibility rules (责任规则) as the admin console and the CLI edit them:
list, set, move and remove a rule (each change audited), the rule that
answers a category at a located point, and the map of who answers where."""

from __future__ import annotations

import shapely
from sqlalchemy import select

from gridcity.audit import services as audit
from gridcity.core.errors import GridCityError, NotFound
from gridcity.extensions import db
from gridcity.geo.models import District, Street, UnitGrid, WorkGrid
from gridcity.geo.services import locate
from gridcity.org.models import Unit
from gridcity.org.trail import changed
from gridcity.taxonomy.models import PLACE_KINDS, Category, ResponsibilityRule
from gridcity.taxonomy.services import get_category, matching_rule, rule_at, set_rule

RULE_KIND = "responsibility_rule"
PLACE_MODELS = {"unit_grid": UnitGrid, "work_grid": WorkGrid, "street": Street, "district": District}
# Rule shapes are drawn this much simplified (degrees, ~5 m): enough for a
# console map, and a district's boundary stays small.
MAP_TOLERANCE_DEG = 0.00005


def place_of(place_kind: str, place_id: int):
    """The district, street, work grid or unit grid a rule names."""
    if place_kind not in PLACE_KINDS:
        raise GridCityError("bad_place_kind")
    place = db.session.get(PLACE_MODELS[place_kind], place_id)
    if place is None:
        raise GridCityError("rule_unknown_place", status=422, id=str(place_id))
    return place


def place_name(place_kind: str, place) -> str:
    """A place as a reader knows it: a name, or a unit grid's code."""
    return place.code if place_kind == "unit_grid" else place.name


def rule_snapshot(rule: ResponsibilityRule) -> dict:
    """What the audit log keeps of a rule: names a reader can be shown."""
    category = db.session.get(Category, rule.category_id)
    unit = db.session.get(Unit, rule.unit_id)
    return {
        "category": f"{category.code} {category.name_zh}",
        "place_kind": rule.place_kind,
        "place": place_name(rule.place_kind, place_of(rule.place_kind, rule.place_id)),
        "unit": unit.name if unit is not None else None,
    }


def _about(rule: ResponsibilityRule, snapshot: dict) -> dict:
    """What an audit entry says a rule is: its category and place."""
    label = f"{snapshot['category']} · {snapshot['place']}"
    return {"object_kind": RULE_KIND, "object_id": rule.id, "object_label": label}


def _active_unit(unit_code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None or not unit.active:
        raise GridCityError("unknown_unit", status=422, code=str(unit_code))
    return unit


def get_rule(rule_id: int) -> ResponsibilityRule:
    rule = db.session.get(ResponsibilityRule, rule_id)
    if rule is None:
        raise NotFound("rule_not_found")
    return rule


def put_rule(
    category_code: str, place_kind: str, place_id: int, unit_code: str, actor=None
) -> ResponsibilityRule:
    """Make a unit responsible for a category at a place, replacing the rule
    already there (audited: ``rule.create`` or ``rule.update``)."""
    place_of(place_kind, place_id)
    unit = _active_unit(unit_code)
    category = get_category(category_code)
    existing = rule_at(category, place_kind, place_id)
    before = rule_snapshot(existing) if existing is not None else None
    rule = set_rule(category.code, place_kind, place_id, unit.id)
    after = rule_snapshot(rule)
    if before is None:
        audit.record("rule.create", actor, **_about(rule, after), after=after)
    elif before != after:
        old, new = changed(before, after)
        audit.record("rule.update", actor, **_about(rule, after), before=old, after=new)
    return rule


def move_rule(rule_id: int, unit_code: str, actor=None) -> ResponsibilityRule:
    """Give a rule's category and place to another unit."""
    rule = get_rule(rule_id)
    return put_rule(rule.category.code, rule.place_kind, rule.place_id, unit_code, actor)


def remove_rule(rule_id: int, actor=None) -> None:
    """Delete a rule (audited ``rule.delete``); the next less specific rule answers there."""
    rule = get_rule(rule_id)
    before = rule_snapshot(rule)
    audit.record("rule.delete", actor, **_about(rule, before), before=before)
    db.session.delete(rule)
    db.session.flush()


def rules_of(category_code: str | None = None) -> list[dict]:
    """The rules (of one category), most general place first, each with the
    names of its category, place and unit."""
    query = select(ResponsibilityRule, Category, Unit).join(Category).join(Unit).order_by(Category.code)
    if category_code:
        query = query.where(Category.code == get_category(category_code).code)
    rows = db.session.execute(query).all()
    order = {kind: n for n, kind in enumerate(reversed(PLACE_KINDS))}
    rows.sort(key=lambda r: (r[1].code, order[r[0].place_kind], r[0].place_id))
    return [
        {
            "id": rule.id,
            "category": category.code,
            "category_name": category.name_zh,
            "place_kind": rule.place_kind,
            "place_id": rule.place_id,
            "place": place_name(rule.place_kind, place_of(rule.place_kind, rule.place_id)),
            "unit": unit.code,
            "unit_name": unit.name,
        }
        for rule, category, unit in rows
    ]


def responsibility_map(category_code: str) -> dict:
    """GeoJSON of a category's rules: each rule's place shaped and named with
    its unit, most general first, so drawn in order the place that wins on
    the ground is on top."""
    features = []
    for rule in rules_of(category_code):
        place = place_of(rule["place_kind"], rule["place_id"])
        if place.geom is None:  # a work grid without unit grids yet
            continue
        shape = shapely.simplify(place.geom, MAP_TOLERANCE_DEG, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(shape),
                "properties": {k: rule[k] for k in ("id", "place_kind", "place", "unit", "unit_name")},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def route_preview(category_code: str, lon: float, lat: float) -> dict:
    """试算 — where a report of a category at a point would go and the rule
    that says so, by the same rule lookup dispatch uses."""
    category = get_category(category_code)
    location = locate(lon, lat)
    rule = matching_rule(category, location)
    unit = db.session.get(Unit, rule.unit_id)
    return {
        "location": location.to_dict(),
        "category": category.code,
        "unit": {"id": unit.id, "code": unit.code, "name": unit.name},
        "rule": {
            "id": rule.id,
            "place_kind": rule.place_kind,
            "place": place_name(rule.place_kind, place_of(rule.place_kind, rule.place_id)),
        },
    }
