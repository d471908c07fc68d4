"""Times at city scale: the analyses read the UTC time columns as the naive
UTC datetimes stored (skipping the column type's per-value conversion) and
turn them into numpy arrays of seconds; only what they show becomes an
aware datetime again."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import DateTime, type_coerce


def naive_utc(column):
    """``column`` (a UTC time column) read as the naive UTC datetime stored."""
    return type_coerce(column, DateTime).label(column.key)


def utc_seconds(moments) -> np.ndarray:
    """Naive UTC datetimes as Unix seconds (None: NaN)."""
    return np.fromiter((m.replace(tzinfo=dt.UTC).timestamp() if m else np.nan for m in moments), float)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A naive UTC datetime read by :func:`naive_utc`, made aware."""
    return moment.replace(tzinfo=dt.UTC)
