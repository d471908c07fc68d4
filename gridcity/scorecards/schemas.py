"""What the scorecard API accepts: table and trend queries, a freeze, an
inspection record (the definitions and contest rules are whole documents the
services check)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from gridcity.core.api import DbInt, Id, Number, Schema, Text
from gridcity.scorecards.indicators import COUNT_NAMES
from gridcity.scorecards.services import TIERS

Month = Annotated[Text, Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-09"])]
Version = DbInt | None


class MonthsQuery(Schema):
    limit: Annotated[int, Field(ge=1, le=120)] = Field(12, description="How many recent months.")


class TableQuery(Schema):
    tier: Literal[TIERS] | None = Field(
        None, description="One tier's table (default: every tier, keyed by tier).", examples=["street"]
    )
    version: Version = Field(
        None, description="A frozen version (default: the latest, or live when not frozen)."
    )


class CasesQuery(Schema):
    tier: Literal[TIERS] = Field(description="The row's tier.")
    subject_id: DbInt = Field(description="The row's subject_id.")
    count: Literal[COUNT_NAMES] = Field(description="A count name of the row.")


class VersionQuery(Schema):
    version: Version = Field(None, description="A stored or frozen version (default: the current one).")


class TrendQuery(Schema):
    tier: Literal[TIERS] = Field(description="Tier.")
    subject_id: DbInt = Field(description="Subject.")
    months: Annotated[int, Field(ge=1, le=36)] = Field(12, description="How many months.")
    to: Month | None = Field(None, description="The last month (default: this month).")


class InspectionFilter(Schema):
    month: Month | None = Field(None, description="YYYY-MM.")
    street_id: DbInt | None = Field(None, description="Street id.")


class CardsQuery(Schema):
    month: Month | None = Field(None, description="One month (default: all).")


class FreezeIn(Schema):
    model_config = ConfigDict(title="Freeze")

    reason: Annotated[Text, Field(max_length=500)] | None = Field(
        None, description="Required for a recomputation."
    )


class InspectionIn(Schema):
    model_config = ConfigDict(title="Inspection")

    month: Month
    street_id: Id
    item_code: Annotated[Text, Field(max_length=20)]
    deduction: Number
    note: Annotated[Text, Field(max_length=4000)] = ""
