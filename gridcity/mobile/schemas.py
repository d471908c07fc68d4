"""What the inspectors' app API accepts: my month, "it's the same"."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from gridcity.cases import states
from gridcity.cases.schemas import CaseSummary
from gridcity.core.api import Answer, CodeName, Id, Ref, Schema, Text


class MonthQuery(Schema):
    month: Annotated[Text, Field(pattern=r"^(19[7-9]\d|2[01]\d\d)-(0[1-9]|1[0-2])$")] | None = Field(
        None, description="YYYY-MM (default: this month).", examples=["2026-11"]
    )


class MyReportsQuery(Schema):
    limit: Annotated[int, Field(ge=1, le=100)] = Field(20, description="At most this many (1 to 100).")
    offset: Annotated[int, Field(ge=0, le=2**31 - 1)] = Field(0, description="Rows to skip.")


class SameAs(Schema):
    model_config = ConfigDict(title="SameAs")

    same_as: Id = Field(description="Id of the open case it is the same as.")
    note: Annotated[Text, Field(max_length=4000)] | None = None


# ---------------------------------------------------------------- answers


class InspectorMonth(Answer):
    """An inspector's month (本月)."""

    inspector_id: int
    month: str = Field(description="YYYY-MM, in the city's time zone.")
    reports: int = Field(description="Cases I reported (上报).")
    valid_reports: int = Field(
        description="Of those, the ones not voided (a merged report keeps its credit)."
    )
    verify_done: int = Field(description="Verify tasks (核实) I completed.")
    verify_on_time: int = Field(description="By their due time.")
    check_done: int = Field(description="Check tasks (核查) I completed.")
    check_on_time: int = Field(description="By their due time.")
    patrols: int
    patrol_distance_m: float


class ReceiptCategory(Answer):
    code: str
    name_zh: str
    name_en: str


class GridCode(Answer):
    code: str


class ReportReceipt(Answer):
    """The receipt of a report: its number, where it went, likely duplicates."""

    id: int
    number: str
    state: Literal[states.STATES]
    version: int
    category: ReceiptCategory
    patrol_id: int | None
    unit_grid: GridCode
    community: CodeName
    street: CodeName
    work_grid: CodeName | None
    responsible_unit: Ref | None = Field(
        description="The unit the responsibility rules point to (the dispatcher decides)."
    )
    duplicates: list[CaseSummary] = Field(description="Open cases likely the same.")
    same_as_ids: list[int] = Field(description="Cases I marked as the same problem.")
    photo_count: int


class MyReport(Answer):
    """One of my reports (我的上报) as the list shows it."""

    id: int
    number: str
    state: Literal[states.STATES]
    category: ReceiptCategory
    description: str | None
    reported_at: dt.datetime
    deadline_at: dt.datetime | None = Field(description="The running deadline, once there is one.")
    overdue: bool
    unit: Ref | None = Field(description="The responsible unit once dispatched.")


class MyReportsPage(Answer):
    """My reports, newest first. Sent with an ETag: ask with If-None-Match
    and get 304 while none of them moved."""

    total: int
    limit: int
    offset: int
    items: list[MyReport]
