"""What the case API accepts: a report (上报), a step of the loop, the filters."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from gridcity.cases import states
from gridcity.cases.queries import SORTS
from gridcity.cases.services import REPORTER_SOURCES, REQUEST_KINDS
from gridcity.core.api import Answer, DbInt, Id, Lat, Lon, Moment, Number, Ref, Schema, Text
from gridcity.inventory.models import STATES as COMPONENT_STATES
from gridcity.taxonomy.models import KINDS, URGENCIES

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
    position_by_hand: bool = Field(
        False,
        description="The reporter placed or moved the position on the map by hand (no or a moved GPS fix).",
    )
    urgency: Literal["normal", "urgent"] | None = Field(None, description="Default: the category's.")
    reporter_contact: Annotated[Text, Field(max_length=100)] | None = None
    patrol_id: Id | None = Field(
        None, description="A finding of my running patrol (巡查); the source then defaults to patrol."
    )
    component_id: Id | None = Field(
        None,
        description="The component (部件) reported on (GET /components/near): of the report's category and "
        "within GRIDCITY_COMPONENT_REPORT_RADIUS_M of the raw position (else of lon/lat). The case takes "
        "the component's position; the position sent is kept as the raw one.",
    )


class CaseActionIn(Schema):
    model_config = ConfigDict(title="CaseAction")

    version: Annotated[
        DbInt, Field(description="The case `version` you saw; a case changed since answers 409.")
    ]
    note: Text | None = None
    reason: Text | None = Field(
        None, description="void (or note), request, urge; dispatch when unit_id differs."
    )
    result: Literal["pass", "fail"] | None = Field(None, description="verify, check.")
    into: Id | None = Field(None, description="merge: the id of the open case this one joins.")
    into_number: Annotated[Text, Field(max_length=20)] | None = Field(
        None, description="merge: the number of the open case this one joins, as printed (instead of into)."
    )
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


# ---------------------------------------------------------------- answers

TASK_KINDS = ("verify", "check", "recheck")  # recheck: 复核 after a citizen's "not fixed"
Moments = dt.datetime | None


class CaseCategory(Answer):
    code: str
    name_zh: str
    name_en: str
    kind: Literal[KINDS]


class Counts(Answer):
    rework: int
    extension: int
    suspension: int
    # ``return`` is a Python keyword.
    return_: int = Field(alias="return")
    urge: int = Field(description="催办: how often the center urged the unit.")
    escalation: int = Field(description="督办: how often the case was escalated to the unit's leadership.")


class CaseSummary(Answer):
    """A case (案卷) as lists show it."""

    id: int
    number: str = Field(description="案卷号")
    state: Literal[states.STATES]
    version: int = Field(description="Send it back with every action (optimistic locking).")
    source: Literal[states.SOURCES]
    category: CaseCategory
    urgency: Literal[URGENCIES]
    description: str
    address: str | None
    lon: float
    lat: float
    accuracy_m: float | None
    unit_grid_id: int
    street_id: int
    work_grid_id: int | None
    unit: Ref | None = Field(description="The responsible unit once dispatched.")
    reported_at: dt.datetime
    deadline_at: Moments
    warn_at: Moments
    warned: bool
    overdue: bool
    merged_into_id: int | None
    patrol_id: int | None = Field(description="The patrol (巡查) it was found on.")
    counts: Counts
    last_urged_at: Moments = Field(description="When the unit was last urged (催办).")
    escalated: bool = Field(description="督办 in force: escalated in this overdue episode.")


class RawPosition(Answer):
    lon: float
    lat: float | None


class Steps(Answer):
    """When each step happened."""

    reported: Moments
    accepted: Moments
    verified: Moments
    filed: Moments
    dispatched: Moments
    unit_accepted: Moments
    handled: Moments
    checked: Moments
    closed: Moments
    voided: Moments


class HistoryLine(Answer):
    who: str = Field(description="The person's name and role, in the reader's language (or 'the system').")
    what: str = Field(
        description="The step in words, with its outcome (approved / refused, passed / failed)."
    )
    unit: str | None = Field(
        description="The unit the step went to or concerned (the unit holding the case)."
    )
    why: str = Field(description="The note or reason given.")


class HistoryEvent(Answer):
    seq: int = Field(description="Increases across all cases: resume the feed with `after`.")
    case_id: int
    action: str = Field(
        description="report, an action, or warn / overdue / task_overdue (the deadline sweeper)."
    )
    from_state: str | None
    to_state: str
    actor_id: int | None
    actor_role: str = Field(description="A role, or `system`.")
    at: dt.datetime
    note: str
    lon: float | None
    lat: float | None
    data: dict[str, Any]
    line: HistoryLine | None = Field(
        None, description="The step in words (in a case's detail; not in the event feed)."
    )


class CasePhoto(Answer):
    id: int
    stage: Literal[("report", *TASK_KINDS, "handle", "not_fixed")]
    event_id: int | None = Field(description="The history event (seq) the photo came with.")
    url: str
    thumbnail_url: str
    width: int
    height: int
    exif_distance_m: float | None = Field(
        description="Metres between the photo's EXIF position and the case."
    )


class CaseTask(Answer):
    id: int
    kind: Literal[TASK_KINDS]
    inspector_id: int | None
    due_at: Moments
    completed_at: Moments
    result: str | None = Field(description="pass, fail, or voided (the case was voided or merged).")
    overdue: bool


class CaseRequest(Answer):
    id: int
    kind: Literal[REQUEST_KINDS]
    state: Literal["pending", "approved", "refused"]
    reason: str
    extra_amount: float | None
    review_on: Moments
    requested_at: Moments
    decided_at: Moments


class CaseComponent(Answer):
    """A component (部件) of the inventory."""

    id: int
    code: str = Field(description="部件编码: 6 admin + 2 major + 2 minor + 6 sequence digits.")
    state: Literal[COMPONENT_STATES] = Field(
        description="完好 intact, 破损 damaged, 丢失 lost, 占用 occupied."
    )
    lon: float
    lat: float
    owner: Ref | None = Field(description="权属单位: the unit that owns it, when the inventory names one.")


class CaseDetail(CaseSummary):
    """A case with its history, photos, tasks and requests."""

    unit_grid_code: str | None
    raw_position: RawPosition | None
    position_by_hand: bool = Field(description="The reporter placed the position on the map by hand.")
    component: CaseComponent | None = Field(description="The component (部件) the case is about.")
    void_reason: str | None
    review_on: Moments = Field(description="When a suspension (挂账) is to be reviewed.")
    steps: Steps
    allowed_actions: list[str] = Field(description="What the caller may do now (see the action table).")
    history: list[HistoryEvent]
    photos: list[CasePhoto]
    tasks: list[CaseTask]
    requests: list[CaseRequest]


class ReportResult(CaseDetail):
    duplicates: list[CaseSummary] = Field(description="Open cases likely the same.")


class CasePage(Answer):
    total: int
    limit: int
    offset: int
    items: list[CaseSummary]


class Task(Answer):
    """An open verify (核实) or check (核查) task."""

    id: int
    kind: Literal[TASK_KINDS] = Field(description="核实 or 核查.")
    due_at: dt.datetime
    overdue: bool
    case: CaseSummary
    distance_m: float | None = Field(description="From lon/lat when given.")
