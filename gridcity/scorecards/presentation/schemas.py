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
        description="Indicator code → {value, score (0..100), weight, name_zh, name_en}; value and score "
        "are null for a rate over an empty denominator (left out, the other weights rescaled)."
    )
    score: float | None = Field(description="0..100; null when the subject has no data in the month.")
    grade: str | None = Field(description="A–E by the grade bands; null with no score.")
    rank: int | None = Field(
        description="1 = best; equal scores (2 decimals) share a rank (1, 2, 2, 4); null with no score "
        "(such rows come after the ranked ones)."
    )
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
        description="Tier → [{code, name_zh, name_en, formula, weight, scale, when_empty, if_empty}]. A "
        "formula uses count names, avg_<count>, numbers, + - * / and parentheses. Over an empty denominator "
        "an indicator has no value: when_empty `rescale` (default) leaves it out and rescales the other "
        "weights; `value` takes if_empty as its value."
    )
    grades: list[dict[str, Any]] = Field(description="[{grade, min}], highest first; the last starts at 0.")
    tier_rules: dict[str, Any] = Field(
        default_factory=dict, description="group_leader / area_head / center_head → {own, team} weights."
    )
    limits_minutes: dict[str, Any] = Field(
        default_factory=dict,
        description="accept / file / dispatch / close: on-time limits of the center's steps.",
    )
    appeals: dict[str, Any] = Field(
        default_factory=dict,
        description="{window_working_days}: appeals (考核申诉) close after this many working days "
        "after the month ends.",
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


# ---------------------------------------------------------------- settings versions (考核设置)


class SettingsDraft(Schema):
    """A draft of the assessment settings: the indicator definitions and the
    contest rules (``gridcity scorecards settings show`` prints one)."""

    model_config = ConfigDict(title="SettingsDraft")

    tiers: dict[str, Any] = Field(
        description="As in Definitions: tier → indicators; a tier's weights add up to 100."
    )
    grades: list[dict[str, Any]] = Field(
        description="[{grade, min}] from the highest down, each starting below the one before; the last at 0."
    )
    tier_rules: dict[str, Any] | None = Field(None, description="As in Definitions.")
    limits_minutes: dict[str, Any] | None = Field(None, description="As in Definitions.")
    appeals: dict[str, Any] | None = Field(None, description="As in Definitions.")
    contest: dict[str, Any] = Field(description="As ContestRules: {items, card_rules}.")


class SettingsIn(SettingsDraft):
    model_config = ConfigDict(title="SettingsVersionIn")

    note: Annotated[Text, Field(max_length=500)] = Field(description="Why; kept with the version.")
    effective_from: Month = Field(
        description="The first month assessed with it: not in or before a frozen month, nor before the "
        "newest version's."
    )


class SettingsPreviewIn(SettingsDraft):
    model_config = ConfigDict(title="SettingsPreviewIn")


class SettingsVersionRow(Answer):
    version: int
    effective_from: str = Field(description="YYYY-MM; 0000-01: from the beginning.")
    note: str
    created_at: str
    created_by: str | None
    in_force: bool = Field(description="This month is assessed with it.")


class SettingsVersion(Answer):
    """One settings version, and what it changed against its predecessor in words."""

    version: int
    effective_from: str
    note: str
    created_at: str
    created_by: str | None
    tiers: dict[str, Any]
    grades: list[dict[str, Any]]
    contest: dict[str, Any]
    changes: list[str] = Field(description="What changed against the version before, in words.")


class SettingsPreview(Answer):
    changes: list[str] = Field(description="What the draft changes against the newest version, in words.")
    base_version: int


# ---------------------------------------------------------------- appeals (考核申诉)

AppealTier = Literal["unit", "inspector", "operator", "shift_leader", "dispatcher"]
AppealState = Literal["pending", "accepted", "rejected"]


class AppealIn(Schema):
    model_config = ConfigDict(title="AppealIn")

    month: Month
    tier: AppealTier = Field(description="`unit` (the unit of a unit's handler or supervisor) or the person's own role.")
    subject_id: Id = Field(description="The row's subject_id: the unit's id, or the person's user id.")
    count: Literal[COUNT_NAMES] = Field(description="The figure contested (a count name of the row).")
    case_id: Id = Field(description="A case in that figure's drill-down.")
    reason: Annotated[Text, Field(max_length=4000)] = Field("", description="Why the case should not count.")


class AppealFilter(Schema):
    state: AppealState | None = Field(None, description="Only appeals in this state.")
    month: Month | None = Field(None, description="Only appeals on this month.")


class AppealDecisionIn(Schema):
    model_config = ConfigDict(title="AppealDecisionIn")

    accept: Annotated[bool, Field(strict=True)] = Field(description="true accepts, false rejects.")
    note: Annotated[Text, Field(max_length=4000)] = Field("", description="Required to reject.")


class AppealStep(Answer):
    action: str = Field(description="`filed`, `accepted`, `rejected` or `applied`.")
    action_text: str = Field(description="The same in the reader's language.")
    actor: str | None
    actor_role: str | None = Field(description="The actor's role, in the reader's language.")
    at: str
    note: str
    version: int | None = Field(description="`applied`: the month's version that applied it.")


class AppealRecord(Answer):
    """An appeal (考核申诉) against one counted case of one figure."""

    id: int
    month: str
    tier: str
    subject_id: int
    subject_name: str
    count: str
    figure: str = Field(description="The figure's name in the reader's language.")
    case_id: int
    case_number: str | None
    reason: str
    state: AppealState
    state_text: str = Field(description="The state in the reader's language.")
    filed_by: str | None
    filed_at: str
    decided_by: str | None
    decided_at: str | None
    decision_note: str
    applied_version: int | None = Field(description="The month's version that first applied it.")
    photo_ids: list[int]
    history: list[AppealStep]


class AppealDecision(Answer):
    """A decision, and the month's new version when the appeal was accepted."""

    appeal: AppealRecord
    version: FrozenVersion | None
