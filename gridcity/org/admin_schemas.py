"""What the organisation's admin API accepts and answers: a unit's changes,
the work grids with their inspectors, and the unit grids picked for a work
grid with the preview of that change."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, CodeName, Id, Ref, Schema, Text


class UnitChange(Schema):
    model_config = ConfigDict(title="UnitChange")

    name: Annotated[Text, Field(min_length=1, max_length=100)] | None = None
    kind: Annotated[Text, Field(min_length=1, max_length=20)] | None = None
    contact_name: Annotated[Text, Field(max_length=50)] | None = None
    contact_phone: Annotated[Text, Field(max_length=30)] | None = None
    street_id: Id | None = Field(None, description="A street office's street; omit to keep.")


class UnitGridPick(Schema):
    model_config = ConfigDict(title="UnitGridPick")

    unit_grid_ids: list[Id] = Field(
        max_length=20000, description="Every unit grid the work grid is to hold (the whole set)."
    )
    confirm_moves: bool = Field(
        False, description="Take unit grids that belong to another work grid (else 409 naming them)."
    )


class Inspector(Answer):
    id: int
    username: str
    display_name: str
    active: bool


class WorkGridRow(Answer):
    """A work grid (工作网格) with its unit-grid count and its inspectors."""

    id: int
    code: str
    name: str
    area: Ref
    work_group: Ref | None
    unit_grid_count: int
    inspectors: list[Inspector]


class MovedFrom(Answer):
    id: int
    code: str
    name: str
    unit_grids: list[str] = Field(description="Codes of the unit grids taken from that work grid.")


class UnitGridPreview(Answer):
    """What saving a pick does (or did): counts, codes added / removed, and
    the unit grids taken from other work grids."""

    work_grid: Ref
    before: int
    after: int
    added: list[str]
    removed: list[str]
    moved_from: list[MovedFrom]


__all__ = [
    "CodeName",
    "Inspector",
    "MovedFrom",
    "UnitChange",
    "UnitGridPick",
    "UnitGridPreview",
    "WorkGridRow",
]
