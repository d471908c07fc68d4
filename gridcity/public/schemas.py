"""What the citizens' app API accepts and answers (/api/v1/public/…)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, Lat, Lon, Schema, Text

Phone = Annotated[Text, Field(min_length=1, max_length=40, description="The citizen's phone number.")]


class CodeRequest(Schema):
    model_config = ConfigDict(title="PublicCodeRequest")

    phone: Phone


class CodeConfirm(Schema):
    model_config = ConfigDict(title="PublicCodeConfirm")

    phone: Phone
    code: Annotated[Text, Field(min_length=1, max_length=12)] = Field(description="The 6-digit code.")


class NearbyQuery(Schema):
    category: Annotated[Text, Field(min_length=1, max_length=8)] = Field(
        description="The citizens' list entry (its category code)."
    )
    lon: Lon
    lat: Lat


class PublicReportIn(Schema):
    model_config = ConfigDict(title="PublicReportIn")

    category: Annotated[Text, Field(min_length=1, max_length=8)]
    lon: Lon
    lat: Lat
    description: Annotated[Text, Field(max_length=4000)] | None = None
    position_by_hand: bool = False
    accuracy_m: Annotated[float, Field(ge=0, le=100000)] | None = None
    client_uuid: Annotated[Text, Field(min_length=8, max_length=64)] | None = None
    notify: bool = False


class MeTooIn(Schema):
    model_config = ConfigDict(title="PublicMeTooIn")

    number: Annotated[Text, Field(min_length=1, max_length=20)] = Field(description="The open case's number.")
    notify: bool = False


class BlockIn(Schema):
    model_config = ConfigDict(title="PublicBlockIn")

    phone: Phone
    reason: Annotated[Text, Field(min_length=1, max_length=500)]


class UnblockIn(Schema):
    model_config = ConfigDict(title="PublicUnblockIn")

    phone: Phone
    note: Annotated[Text, Field(max_length=500)] | None = None


# ---------------------------------------------------------------- answers


class PublicChoice(Answer):
    code: str
    label: str


class PublicCodeSent(Answer):
    sent: bool
    minutes: int


class PublicSignedIn(Answer):
    signed_in: bool
    phone: str | None = Field(description="Masked (138****5678).")


class PublicNearbyCase(Answer):
    number: str
    kind: str
    status: str
    distance_m: int
    reported_on: str
    reports: int


class PublicMyReport(Answer):
    number: str
    kind: str
    me_too: bool
    status: str
    reported_on: str
    follow_url: str


class PublicMe(Answer):
    signed_in: bool
    phone: str | None
    anonymous_allowed: bool
    reports: list[PublicMyReport]


class PublicReceipt(Answer):
    number: str
    follow_url: str
    me_too: bool
    created: bool


class PublicStep(Answer):
    at: str
    text: str


class PublicFollow(Answer):
    number: str
    kind: str
    me_too: bool
    status: str
    closed: bool
    expected: str | None
    unit: str | None
    reported_on: str | None
    invalid_reason: str | None
    steps: list[PublicStep]
    photos: list[str]
    links: dict | None


class PublicCitizenCount(Answer):
    citizen_id: int
    phone: str
    reports: int
    valid: int
    me_too: int
    blocked: bool
    blocked_reason: str | None
    first_at: str | None


class PublicBlocked(Answer):
    citizen_id: int
    phone: str
    blocked: bool
    blocked_reason: str | None
