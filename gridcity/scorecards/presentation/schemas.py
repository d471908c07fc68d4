"""What the scorecard API accepts: table and trend queries, a freeze, an
inspection record (the definitions and contest rules are whole documents the
services check)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, DbInt, Id, Number, Schema, Text
from gridcity.scorecards.counting.counts import COUNT_NAMES, TIERS

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
    version: Version = Field(None, description="A frozen version (default: the latest, else live).")


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


# ---------------------------------------------------------------- answers

WHY = "Why the version was made: `month_end`, or the reason typed for a recomputation."


class Months(Answer):
    months: list[str]
    tiers: list[str]


class ScorecardRow(Answer):
    """One subject's line of a scorecard table."""

    subject_kind: str = Field(description="The tier.")
    subject_id: int = Field(description="Id in its table (0: the center).")
    subject_code: str
    subject_name: str
    counts: dict[str, Any] = Field(description="Count name → number; each is drillable with …/cases.")
    indicators: dict[str, Any] = Field(
        description="Indicator code → {value, score (0..100), weight, name_zh, name_en}."
    )
    score: float = Field(description="0..100.")
    grade: str = Field(description="A–E by the grade bands.")
    rank: int = Field(description="1 = best; equal scores share a rank.")
    previous_score: float | None = Field(description="Last month's frozen score.")
    change: float | None = Field(description="score − previous_score.")
    own_score: float | None = Field(description="Leader tiers: their own part.")
    team_score: float | None = Field(description="Leader tiers: the team's mean.")
    parent_kind: str | None
    parent_id: int | None


class ScorecardTable(Answer):
    """A month's scorecard table (逐级考核) of one tier."""

    month: str
    tier: str
    definition_version: int = Field(description="The indicator definitions used.")
    version: int | None = Field(description="The frozen version read; null when computed live.")
    frozen_at: str | None
    reason: str | None = Field(description=WHY)
    reason_text: str = Field(
        description="The same in the reader's language (Accept-Language); empty when live."
    )
    rows: list[ScorecardRow]


# With ``tier``, that tier's table; without, every tier's table keyed by tier.
MonthTable = ScorecardTable | dict[str, ScorecardTable]


class FigureCases(Answer):
    """The rows behind one figure: a case per counted case, or per counted
    event (a case dispatched twice is listed twice) — as many as the figure."""

    month: str
    tier: str
    subject_id: int
    count: str
    case_ids: list[int]
    cases: list[dict[str, Any]]


class FrozenVersion(Answer):
    """A frozen version of a month."""

    month: str
    version: int
    definition_version: int
    reason: str = Field(description=WHY)
    reason_text: str = Field(description="The same in the reader's language (Accept-Language).")
    frozen_at: str
    frozen_by: str | None


class ContestRow(Answer):
    street_id: int
    street_code: str
    street_name: str
    items: dict[str, Any] = Field(description="Item code → {name_zh, name_en, points, deducted, score}.")
    patrol_deductions: float
    inspection_deductions: float
    score: float
    rank: int
    card: Literal["yellow", "red"] | None
    card_reason: str | None = Field(description="The card rules met, `kind:value` joined by `;`.")
    card_reason_text: str = Field(description="The same in the reader's language (Accept-Language).")


class ContestTable(Answer):
    """The sanitation contest (市容环卫杯) of a month: streets ranked."""

    month: str
    full_score: float
    version: int | None
    rows: list[ContestRow]


class InspectionRecord(Answer):
    """A manager's inspection record (检查记录)."""

    id: int
    month: str
    street_id: int
    item_code: str
    deduction: float
    note: str
    inspected_at: str
    created_by_id: int | None
    photos: list[dict[str, Any]]


class Definitions(Answer):
    """The indicator definitions: formulas, weights, grades, tier rules."""

    tiers: dict[str, Any] = Field(
        description="Tier → [{code, name_zh, name_en, formula, weight, scale, if_empty}]. A formula uses "
        "count names, avg_<count>, numbers, + - * / and parentheses."
    )
    grades: list[dict[str, Any]] = Field(description="[{grade, min}], highest first; the last starts at 0.")
    tier_rules: dict[str, Any] = Field(
        default_factory=dict, description="group_leader / area_head / center_head → {own, team} weights."
    )
    limits_minutes: dict[str, Any] = Field(
        default_factory=dict,
        description="accept / file / dispatch / close: on-time limits of the center's steps.",
    )
    note: str = ""


class ContestRules(Answer):
    """The contest's check items, deductions and card rules."""

    items: list[dict[str, Any]] = Field(
        description="[{code, name_zh, name_en, points, category_codes, patrol_deductions {night, holiday, "
        "month_end, daily}, is_default}]"
    )
    card_rules: list[dict[str, Any]] = Field(
        description="[{kind: last_places | below | consecutive_yellow, value}]"
    )
