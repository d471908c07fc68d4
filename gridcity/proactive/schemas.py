"""What the proactive-task API (主动治理) accepts and answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, Id, Lat, Lon, Moment, Schema, Text
from gridcity.proactive.models import BASIS_KINDS
from gridcity.proactive.services import DETAILS_MAX, MAX_BASIS_CASES, REF_MAX, TITLE_MAX


class BasisIn(Schema):
    kind: Literal[BASIS_KINDS] = Field(description="hotspot (热点) or recurrence (反复发生).")
    id: Annotated[Text, Field(min_length=1, max_length=REF_MAX)] = Field(
        description="The hotspot's or recurrence's id as the analysis (/analysis/) gives it."
    )
    case_ids: list[Id] = Field(
        min_length=1, max_length=MAX_BASIS_CASES, description="The cases behind it (case ids)."
    )


class TaskIn(Schema):
    model_config = ConfigDict(title="ProactiveTaskIn")

    title: Annotated[Text, Field(max_length=TITLE_MAX)] = Field(
        description="What is to be done, e.g. 沙头角第2社区小广告集中清理."
    )
    description: Annotated[Text, Field(max_length=DETAILS_MAX)] | None = None
    unit_id: Id = Field(description="The responsible unit it goes to (active).")
    deadline: Moment = Field(
        description="The moment it must be handled by (continuous clock); in the future."
    )
    category: Annotated[Text, Field(max_length=20)] | None = Field(
        None, description="Category code; default: the basis cases' category when they share one."
    )
    lon: Lon | None = Field(
        None, description="A picked position (with lat); default: the basis cases' centre."
    )
    lat: Lat | None = None
    basis: BasisIn


class TaskQuery(Schema):
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=2**31 - 1)


class TaskCase(Answer):
    id: int
    number: str
    state: str
    version: int


class TaskCategory(Answer):
    code: str
    name_zh: str
    name_en: str


class TaskUnit(Answer):
    id: int
    code: str
    name: str


class TaskBasis(Answer):
    kind: Literal[BASIS_KINDS]
    ref: str = Field(description="The hotspot's or recurrence's id.")
    case_ids: list[int]


class ProactiveTask(Answer):
    """A proactive task (主动治理): its case, where it stands and its basis."""

    id: int
    title: str
    details: str
    case: TaskCase
    state: str = Field(description="The case's state.")
    category: TaskCategory
    unit: TaskUnit | None
    deadline_at: str | None
    overdue: bool
    closed_at: str | None
    basis: TaskBasis
    created_by: str = Field(description="The manager who raised it.")
    created_at: str


class TaskList(Answer):
    total: int
    tasks: list[ProactiveTask]


class BasisCase(Answer):
    id: int
    number: str
    state: str
    category: TaskCategory
    address: str | None
    reported_at: str


class DrawerBasis(Answer):
    """What the case drawer shows of a proactive task."""

    title: str
    kind: Literal[BASIS_KINDS]
    case_count: int = Field(description="All its basis cases.")
    cases: list[BasisCase] = Field(description="The basis cases the user may see.")
