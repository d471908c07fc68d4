"""The risk API's answers as declared in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from gridcity.core.api import Answer, Schema
from gridcity.risk.models import TOO_LITTLE_HISTORY, TRAINED


class RiskRun(Answer):
    """One training run of the overdue-risk model."""

    id: int
    status: Literal[TRAINED, TOO_LITTLE_HISTORY] = Field(
        description="`trained`: its model scores the open cases; `too_little_history`: no case shows a "
        "risk until a later run trains."
    )
    trained_at: dt.datetime
    rows_used: int = Field(description="Dispatches with a known outcome (handled, or late while open).")
    late_rows: int = Field(description="Of those, the late ones (handled after the running deadline).")
    holdout_auc: float | None = Field(
        description="ROC AUC on the last GRIDCITY_RISK_HOLDOUT_DAYS days of a model of the days before "
        "(null when those days lack late or on-time dispatches)."
    )
    message: str = Field(description="The run in words, in the caller's language.")


class RiskStatus(Answer):
    latest: RiskRun | None = Field(description="The newest training run (null: none yet).")


class RankedQuery(Schema):
    limit: int = Field(200, ge=1, le=1000, description="At most this many cases (1–1000).")


class RankedCase(Answer):
    id: int
    number: str
    category: str = Field(description="The category's name in the reader's language.")
    unit: str | None
    state: str
    state_name: str = Field(description="The state in words.")
    deadline_at: str | None
    percent: int = Field(description="The risk of going overdue, in percent.")
    level: Literal["high", "medium", "low"]
    text: str = Field(description="The level and percent in words, e.g. 高 62%.")
    factors: list[str] = Field(description="The main factors in words, strongest first.")


class RankedCases(Answer):
    note: str | None = Field(
        description="Why no case has a risk (no model yet, too little history); null otherwise."
    )
    cases: list[RankedCase]
