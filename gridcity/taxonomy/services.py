"""Taxonomy loading and editing, and routing a category at a place to a unit."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.locator import Location
from gridcity.org.models import UNIT_KINDS
from gridcity.taxonomy.models import (
    CLOCKS,
    KIND_PREFIX,
    KINDS,
    PLACE_KINDS,
    URGENCIES,
    Category,
    CategoryMajor,
    ResponsibilityRule,
)

DEFAULT_TAXONOMY = Path(__file__).with_name("default_taxonomy.json")


def category_code(kind: str, major_code: str, minor_code: str) -> str:
    return f"{KIND_PREFIX[kind]}{major_code}{minor_code}"


def load_taxonomy(data: dict | None = None) -> int:
    """Create or update every class in a taxonomy document (the shape of
    ``default_taxonomy.json``). Validates it all first; returns the number of
    minor classes written."""
    if data is None:
        data = json.loads(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    majors = _validated(data)
    existing_majors = {(m.kind, m.code): m for m in db.session.scalars(select(CategoryMajor))}
    existing = {c.code: c for c in db.session.scalars(select(Category))}
    count = 0
    for m in majors:
        major = existing_majors.get((m["kind"], m["code"]))
        if major is None:
            major = CategoryMajor(kind=m["kind"], code=m["code"])
            db.session.add(major)
        major.name_zh, major.name_en = m["name_zh"], m["name_en"]
        for n in m["minors"]:
            code = category_code(m["kind"], m["code"], n["code"])
            category = existing.get(code) or Category(code=code, major=major)
            db.session.add(category)
            category.minor_code = n["code"]
            category.name_zh, category.name_en = n["name_zh"], n["name_en"]
            category.keywords = " ".join(n.get("keywords", []))
            category.filing_standard = n.get("filing_standard", "")
            category.closing_standard = n.get("closing_standard", "")
            category.urgency = n.get("urgency", "normal")
            category.deadline_clock = n["deadline"]["clock"]
            category.deadline_amount = float(n["deadline"]["amount"])
            category.default_unit_kind = n.get("unit_kind")
            if "inspector_min_photos" in n:  # else the city's own setting stays
                set_inspector_min_photos(category, n["inspector_min_photos"])
            category.active = True
            count += 1
    db.session.flush()
    return count


def _validated(data: dict) -> list[dict]:
    def bad(detail: str):
        return GridCityError("bad_request", detail=f"taxonomy: {detail}")

    if not isinstance(data, dict) or not isinstance(data.get("majors"), list):
        raise bad("expected an object with a 'majors' list")
    seen: set[str] = set()
    for m in data["majors"]:
        if m.get("kind") not in KINDS:
            raise bad(f"major {m.get('code')}: kind must be one of {', '.join(KINDS)}")
        if not (isinstance(m.get("code"), str) and len(m["code"]) == 2 and m["code"].isdigit()):
            raise bad(f"major {m.get('code')!r}: code must be two digits")
        if not m.get("name_zh") or not m.get("name_en") or not isinstance(m.get("minors"), list):
            raise bad(f"major {m['code']}: name_zh, name_en and minors are required")
        for n in m["minors"]:
            where = f"{m['kind']} {m['code']}/{n.get('code')}"
            if not (isinstance(n.get("code"), str) and n["code"].isdigit() and len(n["code"]) in (2, 3)):
                raise bad(f"{where}: minor code must be 2 or 3 digits")
            code = category_code(m["kind"], m["code"], n["code"])
            if code in seen:
                raise GridCityError("duplicate_code", code=code)
            seen.add(code)
            if not n.get("name_zh") or not n.get("name_en"):
                raise bad(f"{where}: name_zh and name_en are required")
            deadline = n.get("deadline") or {}
            if deadline.get("clock") not in CLOCKS:
                raise bad(f"{where}: deadline clock must be one of {', '.join(CLOCKS)}")
            if not isinstance(deadline.get("amount"), (int, float)) or deadline["amount"] <= 0:
                raise bad(f"{where}: deadline amount must be a positive number")
            if n.get("urgency", "normal") not in URGENCIES:
                raise bad(f"{where}: urgency must be one of {', '.join(URGENCIES)}")
            if n.get("unit_kind") not in (None, *UNIT_KINDS):
                raise bad(f"{where}: unit_kind must be one of {', '.join(UNIT_KINDS)}")
            if "inspector_min_photos" in n:
                check_min_photos(n["inspector_min_photos"])
    return data["majors"]


# The most photos one report may carry (cases.views.MAX_PHOTOS): a category
# cannot require more.
MAX_REPORT_PHOTOS = 9


def check_min_photos(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_REPORT_PHOTOS:
        raise GridCityError("bad_min_photos", max=MAX_REPORT_PHOTOS, got=str(value)[:20])
    return value


def set_inspector_min_photos(category: Category, photos: int) -> Category:
    """How many photos an inspector's report of this category must carry
    (0 to 9; hotline and citizen reports need none)."""
    category.inspector_min_photos = check_min_photos(photos)
    db.session.flush()
    return category


def get_category(code: str) -> Category:
    # Its major class comes along: every case summary names both.
    category = db.session.scalar(
        select(Category).options(joinedload(Category.major)).where(Category.code == code)
    )
    if category is None or not category.active:
        raise GridCityError("unknown_category", status=422, code=str(code))
    return category


def category_json(c: Category) -> dict:
    return {
        "id": c.id,
        "code": c.code,
        "kind": c.major.kind,
        "major": {"code": c.major.code, "name_zh": c.major.name_zh, "name_en": c.major.name_en},
        "name_zh": c.name_zh,
        "name_en": c.name_en,
        "keywords": c.keywords,
        "filing_standard": c.filing_standard,
        "closing_standard": c.closing_standard,
        "urgency": c.urgency,
        "deadline": {"clock": c.deadline_clock, "amount": c.deadline_amount},
        "inspector_min_photos": c.inspector_min_photos,
        "duplicate_radius_m": c.duplicate_radius_m,
        "initials": pinyin_initials(c.name_zh),
    }


@lru_cache(maxsize=4096)
def pinyin_initials(name: str) -> str:
    """The pinyin initials of a Chinese name (井盖破损 → jgps), so a phone user
    can find a category by typing a few Latin letters. Phrase readings pick the
    right sound for characters with several (人行道 → rxd, not rhd)."""
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(ch for ch in "".join(letters).lower() if ch.isalnum())


def rule_at(category: Category, place_kind: str, place_id: int) -> ResponsibilityRule | None:
    """The rule of a category at one place, if there is one."""
    return db.session.scalar(
        select(ResponsibilityRule).where(
            ResponsibilityRule.category_id == category.id,
            ResponsibilityRule.place_kind == place_kind,
            ResponsibilityRule.place_id == place_id,
        )
    )


def set_rule(category_code_: str, place_kind: str, place_id: int, unit_id: int) -> ResponsibilityRule:
    """Make ``unit_id`` responsible for a category at one place (replacing the
    rule already there)."""
    if place_kind not in PLACE_KINDS:
        raise GridCityError("bad_request", detail=f"place kind must be one of {', '.join(PLACE_KINDS)}")
    category = get_category(category_code_)
    rule = rule_at(category, place_kind, place_id)
    if rule is None:
        rule = ResponsibilityRule(category_id=category.id, place_kind=place_kind, place_id=place_id)
        db.session.add(rule)
    rule.unit_id = unit_id
    db.session.flush()
    return rule


def matching_rule(category: Category, location: Location) -> ResponsibilityRule:
    """The rule that answers for a category at a located point: the rule of
    the most specific place wins (unit grid > work grid > street > district)."""
    places = {
        "unit_grid": location.unit_grid_id,
        "work_grid": location.work_grid_id,
        "street": location.street_id,
        "district": location.district_id,
    }
    rules = db.session.scalars(
        select(ResponsibilityRule).where(ResponsibilityRule.category_id == category.id)
    )
    by_place = {(r.place_kind, r.place_id): r for r in rules}
    for kind in PLACE_KINDS:
        rule = by_place.get((kind, places[kind]))
        if rule is not None:
            return rule
    raise GridCityError("no_responsible_unit", status=422, category=category.code)


def responsible_unit_id(category: Category, location: Location) -> int:
    """The unit for a category at a located point (see :func:`matching_rule`)."""
    return matching_rule(category, location).unit_id
