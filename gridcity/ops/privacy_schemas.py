"""What the citizen data requests (gridcity/ops/privacy_views.py) accept and answer."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, Schema, Text


class CitizenQuery(Schema):
    model_config = ConfigDict(title="CitizenQuery")

    phone: Annotated[Text, Field(max_length=40, description="The citizen's phone number.")]


class EraseIn(Schema):
    model_config = ConfigDict(title="CitizenErase")

    phone: Annotated[Text, Field(max_length=40, description="The citizen's phone number.")]
    reason: Annotated[Text, Field(max_length=2000, description="Kept in the audit log.")]


class CitizenCase(Answer):
    """One case the citizen reported, with their contact as stored."""

    number: str
    source: str
    state: str
    category: str
    category_name: str
    description: str
    address: str | None
    reported_at: str
    closed_at: str | None
    voided_at: str | None
    contact: dict[str, Any] = Field(
        description="The reporter's contact as stored (Open311 requests: each field)."
    )


class CitizenData(Answer):
    """A citizen's data (个人信息查询): every case this phone reported."""

    phone: str = Field(description="The number's digits.")
    cases: list[CitizenCase]
    calls: list[dict[str, Any]] = Field(
        default_factory=list, description="The hotline calls (来电) this phone made, as stored."
    )


class Erased(Answer):
    """What an erasure (个人信息删除) anonymised."""

    phone: str = Field(description="Masked, e.g. 138****5678.")
    cases: list[str] = Field(description="The case numbers anonymised.")
