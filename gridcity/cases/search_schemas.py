"""What the case search (``GET /api/v1/cases/search``) accepts and answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from gridcity.cases import states
from gridcity.cases.search import COUNT_CAP, PAGE_DEFAULT, PAGE_MAX
from gridcity.core.api import Answer, CodeName, DbInt, Ref, Schema, Text

COMMA = "Comma-separated"


class CaseSearch(Schema):
    """The search box and the filters beside it; all optional, all combined."""

    q: Text | None = Field(
        None,
        max_length=200,
        description="A case number or its last digits (3 or more), a reporter's phone (7 or more digits, "
        "separators ignored), or words of the description, address or history notes.",
        examples=["0042"],
    )
    state: Text | None = Field(
        None,
        description=f"{COMMA} states ({', '.join(states.STATES)}), or `open`; closed and voided included.",
        examples=["closed,voided"],
    )
    street: DbInt | None = Field(None, description="Street id.", examples=[1])
    community: DbInt | None = Field(None, description="Community id.", examples=[1])
    work_grid: DbInt | None = Field(None, description="Work grid id.", examples=[1])
    unit_grid: Text | None = Field(
        None, max_length=40, description="Unit grid code.", examples=["440308001001001"]
    )
    unit: DbInt | None = Field(None, description="Responsible unit id.", examples=[1])
    category: Text | None = Field(
        None, max_length=400, description=f"{COMMA} category codes.", examples=["C0101"]
    )
    from_: Text | None = Field(
        None,
        alias="from",
        max_length=40,
        description="Reported at or after: an ISO date (city time, from its midnight) or date-time.",
        examples=["2025-06-01"],
    )
    to: Text | None = Field(
        None,
        max_length=40,
        description="Reported before: an ISO date-time, or a date (city time, that whole day included).",
        examples=["2025-06-30"],
    )
    limit: DbInt | None = Field(
        None, description=f"Page size, {PAGE_DEFAULT} by default, at most {PAGE_MAX}."
    )
    offset: DbInt | None = Field(None, description="Rows to skip.", examples=[0])


class SearchHit(Answer):
    """One case of a search result, as the result list shows it."""

    id: int
    number: str = Field(description="案卷号")
    state: Literal[states.STATES]
    category: CodeName
    description: str = Field(description="Its first 120 characters.")
    address: str | None
    street: str | None = Field(description="Street name.")
    community: str | None = Field(description="Community name.")
    work_grid: str | None = Field(description="Work grid name.")
    unit_grid_code: str | None
    unit: Ref | None = Field(description="The responsible unit, once dispatched.")
    reported_at: str
    closed_at: str | None
    phone: str | None = Field(description="The reporter's phone, masked (138****5678).")
    lon: float
    lat: float


class SearchPage(Answer):
    total: int = Field(description=f"Matches counted up to {COUNT_CAP}.")
    more: bool = Field(description=f"More than {COUNT_CAP} match (``total`` stops there).")
    limit: int
    offset: int
    kinds: list[Literal["number", "phone", "text"]] = Field(description="What ``q`` was read as.")
    items: list[SearchHit]
