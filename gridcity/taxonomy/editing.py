"""Editing a category (小类) as the admin console, the API and the CLI do:
its names, filing and closing standards (立案 / 结案标准), urgency, handling
deadline (clock and amount), duplicate radius and the photos an inspector's
report needs. Every change is checked field by field and audited.

A handling deadline is computed when the handling step starts (at dispatch)
and stored on the case, so a change applies to the next dispatch and never to
cases already running. Nothing keeps categories in memory: every process
(each web process, the scheduler, the CLI) reads the row when it dispatches,
so the change is seen everywhere as soon as it is committed.
"""

from __future__ import annotations

import math

from gridcity.audit import services as audit
from gridcity.core.errors import FieldError, GridCityError
from gridcity.extensions import db
from gridcity.org.trail import changed
from gridcity.taxonomy.models import CLOCKS, URGENCIES, Category
from gridcity.taxonomy.services import check_min_photos, get_category

CATEGORY_KIND = "category"
# A handling time beyond this many hours or working days is a typing mistake
# (and would push deadlines out of the calendar).
MAX_DEADLINE_AMOUNT = 1000
# Reports farther apart than this are never the same problem.
MAX_DUPLICATE_RADIUS_M = 1000
TEXT_LIMITS = {"name_zh": 50, "name_en": 100, "filing_standard": 4000, "closing_standard": 4000}
# The audited fields, in the order the log and the form show them.
CATEGORY_FIELDS = (
    "name_zh",
    "name_en",
    "filing_standard",
    "closing_standard",
    "urgency",
    "deadline_clock",
    "deadline_amount",
    "duplicate_radius_m",
    "inspector_min_photos",
)


def category_snapshot(category: Category) -> dict:
    return {field: getattr(category, field) for field in CATEGORY_FIELDS}


def checked_number(field: str, value, low: float, high: float, key: str) -> float:
    """``value`` (a number or a form's text) as a number above ``low`` and at most ``high``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not (low < number <= high):
        raise FieldError(field, key, max=high, got=str(value)[:20])
    return number


def _checked(field: str, value):
    if field in TEXT_LIMITS:
        # A browser sends a text area's line breaks as CRLF.
        text = str(value).replace("\r\n", "\n").strip()
        if field.startswith("name") and not text:
            raise FieldError(field, "category_name_required")
        if len(text) > TEXT_LIMITS[field]:
            raise FieldError(field, "category_text_too_long", max=TEXT_LIMITS[field])
        return text
    if field == "urgency" and value not in URGENCIES:
        raise FieldError(field, "bad_urgency")
    if field == "deadline_clock" and value not in CLOCKS:
        raise FieldError(field, "bad_deadline_clock")
    if field == "deadline_amount":
        return checked_number(field, value, 0, MAX_DEADLINE_AMOUNT, "bad_deadline_amount")
    if field == "duplicate_radius_m":
        return checked_number(field, value, 0, MAX_DUPLICATE_RADIUS_M, "bad_duplicate_radius")
    if field == "inspector_min_photos":
        if isinstance(value, str) and value.strip().isdigit():  # from a form
            value = int(value)
        try:
            return check_min_photos(value)
        except GridCityError as error:
            raise FieldError(field, error.key, **error.params) from None
    return value


def edit_category(code: str, actor=None, **changes) -> Category:
    """Change some of a category's ``CATEGORY_FIELDS``; all are checked before
    any is written, and what changed is audited (``category.update``)."""
    category = get_category(code)
    unknown = set(changes) - set(CATEGORY_FIELDS)
    if unknown:
        raise GridCityError("bad_request", detail="unknown field " + ", ".join(sorted(unknown)))
    values = {field: _checked(field, value) for field, value in changes.items()}
    before = category_snapshot(category)
    for field, value in values.items():
        setattr(category, field, value)
    db.session.flush()
    old, new = changed(before, category_snapshot(category))
    if new:
        label = f"{category.code} {category.name_zh}"
        about = {"object_kind": CATEGORY_KIND, "object_id": category.id, "object_label": label}
        audit.record("category.update", actor, **about, before=old, after=new)
    return category
