"""What the Open311 key API accepts and answers (admins only)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from gridcity.core.api import Answer, Schema, Text
from gridcity.open311.keys import MAX_CLIENT_LENGTH, MAX_RATE_PER_MINUTE

Client = Annotated[Text, Field(min_length=1, max_length=MAX_CLIENT_LENGTH, description="Who the key is for.")]
Rate = Annotated[int, Field(ge=1, le=MAX_RATE_PER_MINUTE, description="Requests a minute.")]


class KeyIn(Schema):
    model_config = ConfigDict(title="NewOpen311Key")

    client: Client
    rate_per_minute: Rate | None = Field(None, description="Requests a minute (default 60).")


class KeyChange(Schema):
    """What changes (a field left out stays as it is)."""

    model_config = ConfigDict(title="Open311KeyChange")

    client: Client | None = None
    rate_per_minute: Rate | None = None


class Key(Answer):
    """An issued key as the admin console shows it; never the key itself."""

    id: int
    client: str
    key_prefix: str = Field(description="The key's first characters, to tell keys apart.")
    rate_per_minute: int
    created_at: str
    last_used_at: str | None
    revoked_at: str | None
    requests: int = Field(description="Requests (cases) filed with this key.")


class IssuedKey(Key):
    key: str = Field(description="The key itself: shown in this answer only; only its digest is kept.")
