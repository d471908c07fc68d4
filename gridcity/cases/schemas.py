"""What the case API accepts: a report (上报), a step of the loop, the filters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from gridcity.core.api import DbInt, Id, Lat, Lon, Moment, Number, Schema, Text

Key = Annotated[str, Field(min_length=8, max_length=64)]


class ReportIn(Schema):
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
    kind: Text | None = Field(None, description="request: extension 延期, suspension 挂账, return 回退.")
    extra_amount: Annotated[Number, Field(gt=0)] | None = Field(
        None, description="request extension: more time, in the category's deadline clock units."
    )
    review_on: Moment | None = Field(None, description="request suspension: a future review date.")
    approve: bool | None = Field(None, description="decide.")
    lon: Lon | None = Field(None, description="verify, handle, check: where the step was taken.")
    lat: Lat | None = None


class CaseFilter(Schema):
    state: Text | None = Field(None, description="Comma-separated states, or `open`.")
    unit: DbInt | None = None
    street: DbInt | None = None
    work_grid: DbInt | None = None
    unit_grid: Text | None = Field(None, description="A unit grid code.")
    category: Text | None = Field(None, description="Comma-separated category codes.")
    source: Text | None = Field(None, description="Comma-separated sources.")
    overdue: Text | None = Field(
        None, description="1, true or yes: only overdue cases; else only the others."
    )
    warned: Text | None = None
    from_: Moment | None = Field(None, alias="from", description="Reported at or after (ISO 8601).")
    to: Moment | None = Field(None, description="Reported before (ISO 8601).")
    bbox: Text | None = Field(None, description="west,south,east,north")
    q: Text | None = Field(None, description="Text in the description, address or number.")
    sort: Text | None = None
    limit: DbInt | None = None
    offset: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None


class TaskQuery(Schema):
    lon: Lon | None = Field(None, description="Where I am.")
    lat: Lat | None = None


class PhotoQuery(Schema):
    thumbnail: Literal["1", "true", "0", "false"] | None = Field(None, description="The JPEG thumbnail.")


class EventsQuery(Schema):
    after: Annotated[int, Field(ge=0, le=2**31 - 1)] = Field(0, description="The last `seq` seen.")
