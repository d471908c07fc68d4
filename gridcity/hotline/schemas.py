"""What the hotline API accepts and answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from gridcity.cases.schemas import CaseDetail, CaseSummary
from gridcity.core.api import Answer, Id, Lat, Lon, Schema, Text
from gridcity.hotline.services import SATISFACTION

Key = Annotated[str, Field(min_length=8, max_length=64)]


class CallIn(Schema):
    model_config = ConfigDict(title="HotlineCall")

    channel: Annotated[Text, Field(max_length=20, description="Intake channel code (GET /hotline/channels).")]
    category: Annotated[Text, Field(max_length=20, description="Category code, e.g. E0102.")]
    lon: Lon
    lat: Lat
    description: Annotated[Text, Field(max_length=4000)] | None = Field(
        None, description="What the caller reports; required for a new case."
    )
    caller_name: Annotated[Text, Field(max_length=50)] | None = None
    caller_phone: Annotated[Text, Field(max_length=30)] | None = Field(
        None, description="Required when callback_wanted."
    )
    callback_wanted: bool = False
    ticket_number: Annotated[Text, Field(max_length=40)] | None = Field(
        None, description="工单号 of the hotline."
    )
    address: Annotated[Text, Field(max_length=200)] | None = None
    urgency: Literal["normal", "urgent"] | None = None
    join_case: Id | None = Field(
        None, description="Add the call to this open case (a likely duplicate) instead of making a case."
    )
    client_uuid: Key | None = Field(None, description="Idempotency key; the `Idempotency-Key` header wins.")


class NearbyQuery(Schema):
    category: Annotated[Text, Field(max_length=20, description="Category code.")]
    lon: Lon
    lat: Lat


class GeocodeQuery(Schema):
    q: Annotated[Text, Field(max_length=100, description="Address, place name or code.")]


class ReplyIn(Schema):
    model_config = ConfigDict(title="HotlineReply")

    text: Annotated[Text, Field(max_length=2000, description="What the caller was told (回复).")]


class FollowUpIn(Schema):
    model_config = ConfigDict(title="HotlineFollowUp")

    satisfaction: Literal[SATISFACTION] = Field(description="满意 / 基本满意 / 不满意.")
    note: Annotated[Text, Field(max_length=2000)] | None = None


class HotlineChannel(Answer):
    code: str
    name_zh: str
    name_en: str
    has_ticket: bool


class HotlineCallRecord(Answer):
    """A call; name and phone masked (138****5678) except for the roles that
    call back, on the case."""

    id: int
    case_id: int
    case_number: str | None
    channel: HotlineChannel
    ticket_number: str | None
    caller_name: str | None
    caller_phone: str | None
    callback_wanted: bool
    joined: bool
    received_at: str


class HotlineDuplicate(CaseSummary):
    distance_m: float


class HotlineCallResult(Answer):
    created: bool = Field(description="True: a new case; false: the call joined an open case (or a replay).")
    case: CaseDetail
    call: HotlineCallRecord
    duplicates: list[HotlineDuplicate]


class PlaceCandidate(Answer):
    kind: Literal["unit_grid", "component", "street", "community", "work_grid", "address"]
    label: str
    code: str | None
    lon: float
    lat: float


class HotlineCaseCalls(Answer):
    case_id: int
    number: str | None
    calls: list[HotlineCallRecord]
    can_reply: bool
    can_follow_up: bool
    satisfaction_levels: list[str]
