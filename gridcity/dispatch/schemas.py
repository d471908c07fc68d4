"""What the live map's API accepts: its filters (the services parse the lists)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from gridcity.cases import states
from gridcity.cases.schemas import CaseDetail
from gridcity.cases.services import REQUEST_KINDS
from gridcity.core.api import Answer, Ref, Schema, Text
from gridcity.dispatch.services import MAP_FIELDS, MAX_IDS, SORTS
from gridcity.proactive.schemas import DrawerBasis

COMMA = "Comma-separated"


class MapFilter(Schema):
    state: Text | None = Field(None, description=f"{COMMA} open states.", examples=["dispatched,in_progress"])
    category: Text | None = Field(None, description=f"{COMMA} category codes.", examples=["C0101,E0102"])
    street: Text | None = Field(None, description=f"{COMMA} street ids.", examples=["1"])
    unit: Text | None = Field(None, description=f"{COMMA} unit ids.", examples=["1"])
    work_grid: Text | None = Field(None, description=f"{COMMA} work grid ids.", examples=["1"])
    source: Text | None = Field(
        None, description=f"{COMMA} sources ({', '.join(states.SOURCES)}).", examples=["inspector"]
    )
    overdue: Text | None = Field(
        None,
        description="1, true or yes: only overdue cases; anything else: only the others.",
        examples=["true"],
    )
    queue: Text | None = Field(
        None, description="Only the cases of one of my queues (see /dispatch/queues).", examples=["overdue"]
    )
    ids: Text | None = Field(
        None,
        description=f"{COMMA} case ids (at most {MAX_IDS}): the resync after a reconnect.",
        examples=["1,2"],
    )
    sort: Literal[SORTS] | None = Field(
        None,
        description="id (the default) or risk: highest overdue risk first, unscored cases last.",
        examples=["risk"],
    )


# ---------------------------------------------------------------- answers


class MapState(Answer):
    """The live map's state: every open case I may see, compact."""

    seq: int = Field(
        description="The newest history event id when the cases were read: apply live `case` events after "
        "it, and resync with GET /api/v1/events?after=<seq>."
    )
    now: float = Field(description="The server's clock (Unix seconds), for the time left to deadlines.")
    fields: list[Literal[MAP_FIELDS]] = Field(description="The columns of each case.")
    cases: list[list[Any]] = Field(
        description="One array per open case in the order of `fields`, by id; `category` is the code, "
        "`reported_at` / `deadline_at` are Unix seconds (UTC), `request` the kind of the request waiting "
        "for a decision (or null), `urge` how often the unit was urged (催办), `escalated` whether 督办 is in "
        "force, `last_urged_at` Unix seconds (or null), `risk` the overdue risk in percent (null: not scored)."
    )


class Queue(Answer):
    """A work queue (工作队列)."""

    key: str = Field(
        description="to_accept, to_verify, to_file, to_dispatch, requests, awaiting_check, to_close, "
        "suspended, overdue, warned, urged (staff); unit_new, unit_in_progress, unit_requests, "
        "unit_awaiting_check, unit_overdue, unit_warned, unit_urged (unit handlers)."
    )
    states: list[str] = Field(description="Open cases in one of these states…")
    flag: Literal["overdue", "warned", "request", "urged"] | None = Field(
        description="…that are also overdue, warned (about to be due, not yet overdue), have a request "
        "waiting for a decision, or were urged (催办) or escalated (督办)."
    )
    roles: list[str] = Field(description="Whose work the queue is.")
    count: int
    mine: bool = Field(description="My role's work.")


class Queues(Answer):
    seq: int
    queues: list[Queue]


class StreetName(Answer):
    id: int
    name: str


class PendingRequest(Answer):
    id: int
    kind: Literal[REQUEST_KINDS]
    reason: str
    extra_amount: float | None
    review_on: dt.datetime | None
    requested_at: dt.datetime


class MergeCandidate(Answer):
    id: int
    number: str
    state: str
    description: str | None
    distance_m: int


class CategoryStandards(Answer):
    filing: str = Field(description="立案标准: when a report becomes a case.")
    closing: str = Field(description="结案标准: when the case may be closed.")


class CaseRiskView(Answer):
    """超期风险 — the case's risk of going overdue, from the nightly-trained model."""

    percent: int = Field(description="The risk in percent (0–100).")
    level: Literal["high", "medium", "low"] = Field(
        description="高 / 中 / 低 by GRIDCITY_RISK_HIGH_PERCENT and GRIDCITY_RISK_MEDIUM_PERCENT."
    )
    text: str = Field(description="The level and percent in words, e.g. 高 62%.")
    factors: list[str] = Field(
        description="The main factors raising it above the average case, strongest first, in words."
    )


class UnitName(Answer):
    id: int
    name: str


class DispatchSuggestion(Answer):
    """派遣建议 — the unit the rules pick and, for a case returned before, the history's."""

    rules_unit: UnitName | None = Field(description="The unit the routing rules pick (null: none applies).")
    returned_before: bool = Field(description="The case was returned (回退) before.")
    history_unit: UnitName | None = Field(
        description="When returned before: the unit that closed the most recent similar case (same "
        "category, same unit grid, else same street)."
    )
    history_case_number: str | None = Field(description="That similar case's number.")


class Drawer(CaseDetail):
    """A case as the dispatch drawer shows it."""

    street: StreetName | None
    work_grid: Ref | None
    routed_unit: Ref | None = Field(
        description="The dispatch default: the owner of the case's component (部件权属单位) when the "
        "inventory names one, else the unit the responsibility rules name."
    )
    routed_by: Literal["component_owner", "rules"] = Field(
        description="Why routed_unit: the component's owner, or the rules (also when none applies)."
    )
    pending_request: PendingRequest | None
    handle_clock: str | None = Field(
        description="The clock of the handling deadline (for an extension's unit)."
    )
    position_note: str | None = Field(
        description="How the position was found, in words, when not by GPS (e.g. placed by hand)."
    )
    standards: CategoryStandards = Field(description="The category's 立案标准 and 结案标准.")
    extension_clock: str = Field(
        description="The clock an extension's amount is counted in: emergency_hours, working_hours "
        "or working_days."
    )
    risk: CaseRiskView | None = Field(
        description="The centers' roles only: the overdue risk (null: none, see risk_note)."
    )
    risk_note: str | None = Field(description="Why no risk is shown, in words (null when one is).")
    suggestion: DispatchSuggestion | None = Field(description="The centers' roles only: 派遣建议.")
    merge_candidates: list[MergeCandidate] = Field(
        description="When merge is allowed: open cases of its category within the duplicate radius, "
        "nearest first."
    )
    proactive: DrawerBasis | None = Field(
        None, description="A proactive task (主动治理, source proactive): its title and basis cases."
    )
