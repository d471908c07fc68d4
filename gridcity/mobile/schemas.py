"""What the inspectors' app API accepts: my month, "it's the same"."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from gridcity.core.api import Id, Schema, Text


class MonthQuery(Schema):
    month: Annotated[Text, Field(pattern=r"^(19[7-9]\d|2[01]\d\d)-(0[1-9]|1[0-2])$")] | None = Field(
        None, description="YYYY-MM (default: this month).", examples=["2026-11"]
    )


class SameAs(Schema):
    model_config = ConfigDict(title="SameAs")

    same_as: Id = Field(description="Id of the open case it is the same as.")
    note: Annotated[Text, Field(max_length=4000)] | None = None
