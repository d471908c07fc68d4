"""The names an analysis shows beside its ids (categories in the reader's
language), read once per answer."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from gridcity.extensions import db
from gridcity.taxonomy.models import Category


def names_of(model, ids: set, language: str) -> dict[int, dict]:
    """``{id: {"id", "code", "name"}}`` of the rows named (categories in the reader's language)."""
    if not ids:
        return {}
    columns = [model.id, model.code]
    if model is Category:
        columns += [Category.name_zh, Category.name_en]
    else:
        columns.append(model.name)
    out = {}
    for row in db.session.execute(select(*columns).where(model.id.in_(ids))):
        if model is Category:
            name = row.name_en if language == "en" and row.name_en else row.name_zh
        else:
            name = row.name
        out[row.id] = {"id": row.id, "code": row.code, "name": name}
    return out


def counted(ids, names: dict[int, dict]) -> list[dict]:
    """Each id with its name and how often it occurs, most first."""
    counts = Counter(ids)
    return [
        {"id": i, "name": names.get(i, {}).get("name", ""), "cases": n}
        for i, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def codes_of(model, ids: set) -> dict[int, str]:
    """``{id: code}`` of the rows named."""
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.code).where(model.id.in_(ids))).all())
