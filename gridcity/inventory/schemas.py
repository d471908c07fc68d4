"""What the component inventory API accepts: the list's filters and paging."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from gridcity.core.api import Answer, DbInt, Schema, Text
from gridcity.inventory.models import STATES


class ComponentFilter(Schema):
    unit_grid: Annotated[Text, Field(max_length=20)] | None = Field(None, description="Unit grid code.")
    limit: DbInt = Field(100, description="Page size (1 to 500).")
    offset: Annotated[int, Field(ge=0, le=2**31 - 1)] = Field(0, description="Skip this many.")


# ---------------------------------------------------------------- answers


class Component(Answer):
    """A component (部件)."""

    id: int
    code: str
    category: str
    state: Literal[STATES]
    lon: float
    lat: float
    unit_grid: str = Field(description="Unit grid code.")
    owner: str | None = Field(description="Unit code.")
    maintainer: str | None = Field(description="Unit code.")


class Imported(Answer):
    imported: int
