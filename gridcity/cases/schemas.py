"""What the case API accepts: a report (上报), a step of the loop, the filters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from gridcity.cases import states
from gridcity.cases.queries import SORTS
from gridcity.cases.services import REPORTER_SOURCES, REQUEST_KINDS
from gridcity.core.api import DbInt, Id, Lat, Lon, Moment, Number, Schema, Text

COMMA = "Comma-separated"


def _sources_by_role() -> str:
    return "; ".join(f"{role}: {', '.join(sources)}" for role, sources in REPORTER_SOURCES.items())


Key = Annotated[str, Field(min_length=8, max_length=64)]


class ReportIn(Schema):
    model_config = ConfigDict(title="Report")

    category: Annotated[
        Text, Field(max_length=20, description="Category code, e.g. C0101 (部件) or E0102 (事件).")
    ]
    lon: Annotated[Lon, Field(description="WGS-84 longitude.")]
    lat: Annotated[Lat, Field(description="WGS-84 latitude.")]
    source: Text | None = Field(
        None, max_length=12, description="Allowed per role; default: the role's first."
    )
    client_uuid: Key | None = Field(None, description="Idempotency key; the `Idempotency-Key` header wins.")
    description: Text | None = Field(None, description="Cut at 4,000 characters.")
    address: Annotated[Text, Field(max_length=200)] | None = None
    accuracy_m: Annotated[Number, Field(ge=0)] | None = None
    fix_time: Moment | None = Field(
        None, description="When the position was fixed; without an offset it is UTC."
    )
    raw_lon: Lon | None = Field(None, description="The position as the device first gave it.")
    raw_lat: Lat | None = None
    urgency: Literal["normal", "urgent"] | None = Field(None, description="Default: the category's.")
    reporter_contact: Annotated[Text, Field(max_length=100)] | None = None
    patrol_id: Id | None = Field(
        None, description="A finding of my running patrol (巡查); the source then defaults to patrol."
    )


class CaseActionIn(Schema):
    model_config = ConfigDict(title="CaseAction")

    version: Annotated[
        DbInt, Field(description="The case `version` you saw; a case changed since answers 409.")
    ]
    note: Text | None = None
    reason: Text | None = Field(None, description="void (or note), request; dispatch when unit_id differs.")
    result: Literal["pass", "fail"] | None = Field(None, description="verify, check.")
    into: Id | None = Field(None, description="merge: the id of the open case this one joins.")
    unit_id: Id | None = Field(
        None, description="dispatch: another unit than the rules give (with a reason)."
    )
    kind: Literal[REQUEST_KINDS] | None = Field(
        None, description="request: 延期 extension, 挂账 suspension, 回退 return."
    )
    extra_amount: Annotated[Number, Field(gt=0)] | None = Field(
        None, description="request extension: more time, in the category's deadline clock units."
    )
    review_on: Moment | None = Field(None, description="request suspension: a future review date.")
    approve: bool | None = Field(None, description="decide.")
    lon: Lon | None = Field(None, description="verify, handle, check: where the step was taken.")
    lat: Lat | None = None


class CaseFilter(Schema):
    """The filters ``cases.queries.filtered`` reads."""

    state: Text | None = Field(
        None,
        description=f"{COMMA} states ({', '.join(states.STATES)}), or `open` for all but voided, merged and closed.",
        examples=["open"],
    )
    unit: DbInt | None = Field(None, description="Responsible unit id.", examples=[1])
    street: DbInt | None = Field(None, description="Street id.", examples=[1])
    work_grid: DbInt | None = Field(None, description="Work grid id.", examples=[1])
    unit_grid: Text | None = Field(None, description="Unit grid code.", examples=["440308001001001"])
    category: Text | None = Field(None, description=f"{COMMA} category codes.", examples=["C0101,E0102"])
    source: Text | None = Field(
        None, description=f"{COMMA} sources ({', '.join(states.SOURCES)}).", examples=["inspector,hotline"]
    )
    overdue: Text | None = Field(
        None,
        description="1, true or yes: only overdue cases; anything else: only the others.",
        examples=["true"],
    )
    warned: Text | None = Field(
        None,
        description="1, true or yes: only warned cases; anything else: only the others.",
        examples=["false"],
    )
    from_: Moment | None = Field(
        None,
        alias="from",
        description="Reported at or after (ISO date or date-time; UTC without an offset).",
        examples=["2025-03-01"],
    )
    to: Moment | None = Field(
        None, description="Reported before (ISO date or date-time).", examples=["2025-04-01T00:00:00+08:00"]
    )
    bbox: Text | None = Field(
        None, description="west,south,east,north (WGS-84).", examples=["114.24,22.57,114.26,22.59"]
    )
    q: Text | None = Field(
        None, description="Text in the description or address, or part of the case number.", examples=["井盖"]
    )
    sort: Literal[tuple(SORTS)] | None = Field(
        None, description="Order (default -reported_at; ties by id).", examples=["deadline_at"]
    )
    limit: DbInt | None = Field(None, description="Page size (1 to 500; default 50).", examples=[20])
    offset: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = Field(
        None, description="Skip this many.", examples=[0]
    )


class TaskQuery(Schema):
    lon: Lon | None = Field(None, description="Where I am.")
    lat: Lat | None = None


class PhotoQuery(Schema):
    thumbnail: Literal["1", "true", "0", "false"] | None = Field(None, description="The JPEG thumbnail.")


class EventsQuery(Schema):
    after: Annotated[int, Field(ge=0, le=2**31 - 1)] = Field(0, description="The last `seq` seen.")
