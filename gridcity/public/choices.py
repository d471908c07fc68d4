"""The short list citizens choose a kind of problem from, in plain words,
each mapped to one of our categories (小类): the city's rows
(:class:`CitizenCategory`), or while there are none the default list
``default_citizen_categories.json`` seeded from the default taxonomy."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.public.app_models import CitizenCategory
from gridcity.taxonomy.models import Category

DEFAULTS = Path(__file__).with_name("default_citizen_categories.json")


@dataclass
class CitizenChoice:
    code: str  # our category's code
    label_zh: str
    label_en: str

    def label(self, language: str) -> str:
        return self.label_zh if language == "zh" else self.label_en


@functools.lru_cache(maxsize=1)
def _default_entries() -> tuple[tuple[str, str, str], ...]:
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    return tuple((e["code"], e["zh"], e["en"]) for e in data["entries"])


def citizen_categories() -> list[CitizenChoice]:
    """The citizens' list in order: the city's rows, or (none yet) the
    default list; only entries whose category is active."""
    active = set(db.session.scalars(select(Category.code).where(Category.active.is_(True))))
    rows = db.session.scalars(
        select(CitizenCategory)
        .where(CitizenCategory.active.is_(True))
        .order_by(CitizenCategory.position, CitizenCategory.id)
    ).all()
    if rows:
        entries = [(r.category_code, r.label_zh, r.label_en) for r in rows]
    else:
        entries = list(_default_entries())
    return [CitizenChoice(code, zh, en) for code, zh, en in entries if code in active]


def choice_for(code: str | None) -> CitizenChoice:
    for choice in citizen_categories():
        if choice.code == code:
            return choice
    raise GridCityError("p_unknown_category", 422)


def label_of(case: Case, language: str) -> str:
    """The case's kind in the citizens' words (their list's label, else the category's name)."""
    for choice in citizen_categories():
        if choice.code == case.category.code:
            return choice.label(language)
    return case.category.name_zh if language == "zh" else case.category.name_en
