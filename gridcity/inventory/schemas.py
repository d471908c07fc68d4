"""What the component inventory API accepts: the list's filters and paging."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from gridcity.core.api import DbInt, Schema, Text


class ComponentFilter(Schema):
    unit_grid: Annotated[Text, Field(max_length=20)] | None = Field(None, description="Unit grid code.")
    limit: DbInt = Field(100, description="Page size (1 to 500).")
    offset: Annotated[int, Field(ge=0, le=2**31 - 1)] = Field(0, description="Skip this many.")
