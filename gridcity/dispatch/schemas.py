"""What the live map's API accepts: its filters (the services parse the lists)."""

from __future__ import annotations

from pydantic import Field

from gridcity.cases import states
from gridcity.core.api import Schema, Text
from gridcity.dispatch.services import MAX_IDS

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
