"""The one place the application asks what time it is (tests set it)."""

from __future__ import annotations

import datetime as dt

_frozen: dt.datetime | None = None


def utcnow() -> dt.datetime:
    return _frozen or dt.datetime.now(dt.UTC)


def freeze(at: dt.datetime | None) -> None:
    """Pin the application's clock (tests and simulations); None releases it."""
    global _frozen
    if at is not None and at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = at
