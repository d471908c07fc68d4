"""What the taxonomy API accepts: category edits, responsibility rules, filters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, Id, Lat, Lon, Number, Ref, Schema, Text
from gridcity.geo.schemas import Location
from gridcity.taxonomy.editing import MAX_DEADLINE_AMOUNT, MAX_DUPLICATE_RADIUS_M
from gridcity.taxonomy.models import CLOCKS, KINDS, PLACE_KINDS, URGENCIES
from gridcity.taxonomy.services import MAX_REPORT_PHOTOS

Code = Annotated[Text, Field(max_length=20)]


class Deadline(Schema):
    clock: Literal[CLOCKS]
    amount: Annotated[Number, Field(gt=0, le=MAX_DEADLINE_AMOUNT)]


class CategoryChange(Schema):
    model_config = ConfigDict(title="CategoryChange")

    deadline: Deadline | None = None
    urgency: Literal[URGENCIES] | None = None
    name_zh: Annotated[Text, Field(min_length=1, max_length=50, pattern=r"\S")] | None = None
    name_en: Annotated[Text, Field(min_length=1, max_length=100, pattern=r"\S")] | None = None
    filing_standard: Annotated[Text, Field(max_length=4000)] | None = Field(None, description="立案标准")
    closing_standard: Annotated[Text, Field(max_length=4000)] | None = Field(None, description="结案标准")
    inspector_min_photos: Annotated[int, Field(ge=0, le=MAX_REPORT_PHOTOS, strict=True)] | None = Field(
        None, description=f"Photos an inspector's report of it must carry (0 to {MAX_REPORT_PHOTOS})."
    )
    duplicate_radius_m: Annotated[Number, Field(gt=0, le=MAX_DUPLICATE_RADIUS_M)] | None = Field(
        None, description="Open cases of the category this close to a new report are offered as duplicates."
    )


class RuleChange(Schema):
    model_config = ConfigDict(title="RuleChange")

    category: Code = Field(description="Category code.")
    place_kind: Literal[PLACE_KINDS]
    place_id: Id = Field(description="Id of the unit grid, work grid, street or district.")
    unit: Annotated[Text, Field(max_length=30)] = Field(description="Unit code.")


class CategoryFilter(Schema):
    kind: Literal[KINDS] | None = Field(None, description="Only components or only events.")


class RuleFilter(Schema):
    category: Code | None = Field(None, description="Category code.")


class RouteQuery(Schema):
    category: Code = Field(description="Category code.")
    lon: Lon
    lat: Lat


# ---------------------------------------------------------------- answers


class Major(Answer):
    code: str
    name_zh: str
    name_en: str


class HandlingTime(Answer):
    clock: Literal[CLOCKS]
    amount: float


class Category(Answer):
    """A case category (部件 / 事件)."""

    id: int
    code: str = Field(description="C… for components (部件), E… for events (事件).")
    kind: Literal[KINDS]
    major: Major
    name_zh: str
    name_en: str
    keywords: str
    filing_standard: str = Field(description="立案标准")
    closing_standard: str = Field(description="结案标准")
    urgency: Literal[URGENCIES]
    deadline: HandlingTime
    inspector_min_photos: int = Field(description="Photos an inspector's report of it must carry.")
    duplicate_radius_m: float = Field(description="Open cases this close to a new report may be duplicates.")
    initials: str = Field(description="Pinyin initials of name_zh (井盖 → jg), for searching on a phone.")


class ResponsibilityRule(Answer):
    id: int
    category: str = Field(description="Category code.")
    category_name: str
    place_kind: Literal[PLACE_KINDS]
    place_id: int
    place: str = Field(description="The place's name (a unit grid's code).")
    unit: str = Field(description="Unit code.")
    unit_name: str


class RuleMove(Schema):
    model_config = ConfigDict(title="RuleMove")

    unit: Annotated[Text, Field(max_length=30)] = Field(description="Code of the unit to answer there.")


class MatchedRule(Answer):
    id: int
    place_kind: Literal[PLACE_KINDS]
    place: str = Field(description="The place's name (a unit grid's code).")


class RuleStored(Answer):
    id: int


class RoutePreview(Answer):
    location: Location
    category: str
    unit: Ref
    rule: MatchedRule = Field(description="The responsibility rule that matched.")


class RuleMapQuery(Schema):
    category: Code = Field(description="Category code.")
