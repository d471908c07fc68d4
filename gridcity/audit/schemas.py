"""What the audit log API accepts and answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import Field

from gridcity.core.api import Answer, Schema, Text


class AuditQuery(Schema):
    person: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="Part of the name or user name of who acted."
    )
    object: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="Part of the object's label (a person's name or user name)."
    )
    action: Annotated[Text, Field(max_length=50)] | None = Field(
        None, description="An action (`user.update`) or its family (`user`)."
    )
    since: dt.date | None = Field(None, description="From this day (the city's calendar).")
    until: dt.date | None = Field(None, description="To this day, included.")
    limit: int = Field(200, ge=1, le=1000)


class Change(Answer):
    field: str = Field(description="The field, in the reader's language.")
    before: str
    after: str


class AuditEntryOut(Answer):
    """One audited act: who, when, from where, what, to what, before → after."""

    id: int
    at: str = Field(description="ISO 8601, UTC.")
    actor: str | None = Field(description="Who acted (their name); null for the system or the command line.")
    actor_address: str | None
    action: str
    action_name: str = Field(description="The action in the reader's language.")
    object_kind: str | None
    object_id: int | None
    object_label: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changes: list[Change] = Field(description="before → after in words.")
    note: str
