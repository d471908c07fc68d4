"""Requests and answers of the public-feedback API (feedback_views.py)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, DbInt, Lat, Lon, Schema, Text
from gridcity.public.feedback_models import PUBLICATION_STATES
from gridcity.public.public_map import STATUSES

Day = Annotated[str, Field(max_length=10, description="YYYY-MM-DD (the city's time zone).")]


class PublicMapQuery(Schema):
    category: Annotated[str, Field(max_length=8)] | None = Field(None, description="A category code.")
    status: Literal[STATUSES] | None = Field(None, description="The public status.")
    since: Day | None = None
    until: Day | None = None


class RecheckIn(Schema):
    model_config = ConfigDict(title="RecheckIn")

    version: Annotated[
        DbInt, Field(description="The case `version` you saw; a case changed since answers 409.")
    ]
    result: Literal["pass", "fail"] = Field(
        description="pass: it is fixed (stays closed); fail: not fixed (返工)."
    )
    note: Text | None = None
    lon: Lon | None = None
    lat: Lat | None = None


class PhotoDecisionIn(Schema):
    model_config = ConfigDict(title="PhotoDecisionIn")

    decision: Literal[PUBLICATION_STATES]


class PendingPhoto(Answer):
    id: int
    case_number: str | None
    stage: str
    url: str
    thumbnail_url: str


class PhotoDecision(Answer):
    photo_id: int
    decision: Literal[PUBLICATION_STATES]


class RecheckResult(Answer):
    id: int
    number: str | None
    state: str
    version: int


PublicMap = dict[str, Any]
