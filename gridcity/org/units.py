"""责任单位管理 — what the admin console, its API and the ``gridcity org``
commands do to responsible units: find, create, edit, deactivate and
reactivate. A unit is never deleted: the cases it handled keep it.

Deactivating (停用) a unit means it takes no new work: no dispatch, no
responsibility rule, no proactive task and no component ownership routes to
it any more, and the pages stop offering it. Its running cases stay with it
until they are finished or returned. So a unit that a responsibility rule
still names cannot be deactivated: the rules are moved first (the refusal
names them), or dispatch would route cases to a unit that takes none.

Every change is audited (``unit.*``) with before → after; the caller commits."""

from __future__ import annotations

import re

from sqlalchemy import select

from gridcity.audit import services as audit
from gridcity.core.errors import FieldError, GridCityError, NotFound
from gridcity.extensions import db
from gridcity.geo.models import Street
from gridcity.org.models import UNIT_KINDS, Unit
from gridcity.org.trail import changed
from gridcity.taxonomy.models import Category, ResponsibilityRule

UNIT_KIND = "unit"
# Letters, digits and - _ ; what the existing units and the CLI use (HW, YT-JD01).
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,29}$")
TEXT_LIMITS = {"name": 100, "contact_name": 50, "contact_phone": 30}
PHONE_PATTERN = re.compile(r"^[0-9+()\- ]{3,30}$")
# The audited fields, in the order the log and the form show them.
UNIT_FIELDS = ("name", "unit_kind", "contact_name", "contact_phone", "street", "active")


def unit_snapshot(unit: Unit) -> dict:
    """What the audit log keeps of a unit: values a reader can be shown."""
    street = db.session.get(Street, unit.street_id) if unit.street_id else None
    return {
        "name": unit.name,
        "unit_kind": unit.kind,
        "contact_name": unit.contact_name,
        "contact_phone": unit.contact_phone,
        "street": street.name if street is not None else None,
        "active": bool(unit.active),
    }


def _record(action: str, actor, unit: Unit, before: dict | None, after: dict | None) -> None:
    label = f"{unit.name} ({unit.code})"
    audit.record(
        action,
        actor,
        object_kind=UNIT_KIND,
        object_id=unit.id,
        object_label=label,
        before=before,
        after=after,
    )


def unit_by_id(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit_not_found")
    return unit


def find_units(
    kind: str | None = None, active: bool | None = None, street_id: int | None = None
) -> list[Unit]:
    """The units of a kind, active or not, of a street; by code."""
    query = select(Unit).order_by(Unit.code)
    if kind:
        query = query.where(Unit.kind == kind)
    if active is not None:
        query = query.where(Unit.active.is_(active))
    if street_id is not None:
        query = query.where(Unit.street_id == street_id)
    return list(db.session.scalars(query))


def check_code(code) -> str:
    code = str(code or "").strip()
    if not CODE_PATTERN.match(code):
        raise FieldError("code", "unit_bad_code")
    if db.session.scalar(select(Unit.id).where(Unit.code == code)):
        raise FieldError("code", "duplicate_code", status=409, code=code)
    return code


def _text(field: str, value, required: bool = False) -> str | None:
    text = str(value or "").strip()
    if required and not text:
        raise FieldError(field, "unit_name_required")
    if len(text) > TEXT_LIMITS[field]:
        raise FieldError(field, "unit_text_too_long", max=TEXT_LIMITS[field])
    if field == "contact_phone" and text and not PHONE_PATTERN.match(text):
        raise FieldError(field, "unit_bad_phone")
    return text or None


def _kind(kind) -> str:
    if kind not in UNIT_KINDS:
        raise FieldError("kind", "unit_bad_kind")
    return kind


def _street_id(street_id) -> int | None:
    if street_id in (None, ""):
        return None
    try:
        street_id = int(street_id)
    except (TypeError, ValueError):
        raise FieldError("street", "unit_unknown_street") from None
    if db.session.get(Street, street_id) is None:
        raise FieldError("street", "unit_unknown_street")
    return street_id


def create_unit(
    code: str,
    name: str,
    kind: str,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    street_id: int | None = None,
    actor=None,
) -> Unit:
    """责任单位 — register a responsible unit (audited ``unit.create``)."""
    unit = Unit(
        code=check_code(code),
        name=_text("name", name, required=True),
        kind=_kind(kind),
        contact_name=_text("contact_name", contact_name),
        contact_phone=_text("contact_phone", contact_phone),
        street_id=_street_id(street_id),
        active=True,
    )
    db.session.add(unit)
    db.session.flush()
    _record("unit.create", actor, unit, None, unit_snapshot(unit))
    return unit


EDITABLE = ("name", "kind", "contact_name", "contact_phone", "street_id")


def edit_unit(unit_id: int, actor=None, **changes) -> Unit:
    """Change some of a unit's name, kind, contacts and street; all checked
    before any is written; audited ``unit.update`` with what changed."""
    unit = unit_by_id(unit_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise GridCityError("bad_request", detail="unknown field " + ", ".join(sorted(unknown)))
    checks = {
        "name": lambda v: _text("name", v, required=True),
        "kind": _kind,
        "contact_name": lambda v: _text("contact_name", v),
        "contact_phone": lambda v: _text("contact_phone", v),
        "street_id": _street_id,
    }
    values = {field: checks[field](value) for field, value in changes.items()}
    before = unit_snapshot(unit)
    for field, value in values.items():
        setattr(unit, field, value)
    db.session.flush()
    old, new = changed(before, unit_snapshot(unit))
    if new:
        _record("unit.update", actor, unit, old, new)
    return unit


def rules_routing_to(unit: Unit) -> list[str]:
    """The responsibility rules that name ``unit``, as a reader knows them
    (category and place)."""
    from gridcity.taxonomy.rules import place_name, place_of

    rows = db.session.execute(
        select(ResponsibilityRule, Category)
        .join(Category, Category.id == ResponsibilityRule.category_id)
        .where(ResponsibilityRule.unit_id == unit.id)
        .order_by(Category.code, ResponsibilityRule.id)
    ).all()
    return [
        f"{c.code} {c.name_zh} · {place_name(r.place_kind, place_of(r.place_kind, r.place_id))}"
        for r, c in rows
    ]


def _set_active(unit_id: int, active: bool, actor) -> Unit:
    unit = unit_by_id(unit_id)
    if unit.active == active:
        return unit
    if not active:
        routing = rules_routing_to(unit)
        if routing:
            shown = "；".join(routing[:10]) + (f" …(+{len(routing) - 10})" if len(routing) > 10 else "")
            raise GridCityError("unit_still_routed", status=409, count=len(routing), rules=shown)
    before = unit_snapshot(unit)
    unit.active = active
    db.session.flush()
    old, new = changed(before, unit_snapshot(unit))
    _record("unit.reactivate" if active else "unit.deactivate", actor, unit, old, new)
    return unit


def deactivate_unit(unit_id: int, actor=None) -> Unit:
    """停用 — the unit takes no new work (see the module's words). Refused
    while a responsibility rule still routes to it, naming the rules."""
    return _set_active(unit_id, False, actor)


def reactivate_unit(unit_id: int, actor=None) -> Unit:
    """重新启用 — the unit may be dispatched to and named by rules again."""
    return _set_active(unit_id, True, actor)


def unit_json(unit: Unit) -> dict:
    """A unit as the API answers it."""
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "contact_name": unit.contact_name,
        "contact_phone": unit.contact_phone,
        "street_id": unit.street_id,
        "active": unit.active,
    }


def unit_by_code(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise GridCityError("unknown_unit", status=404, code=code)
    return unit
