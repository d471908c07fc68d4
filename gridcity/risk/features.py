"""What the risk model sees of a dispatch (派遣): its features, and for the
history its outcome.

One row is one case's (last) dispatch to a unit:

- ``category``, ``unit``, ``street`` — what, who and where;
- ``clock`` — the category's deadline clock (emergency hours, working hours,
  working days);
- ``period`` and ``weekday`` — when it was dispatched, in city time (the
  period: night 0–6 h, morning 6–12 h, afternoon 12–18 h, evening 18–24 h);
- ``load`` — the unit's other cases dispatched before it and not yet handled
  at that moment (its open-case load).

A history row's outcome is known at ``as_of`` when the case was handled by
then — late iff it was handled after its running deadline (``deadline_at``:
the category's clock with the extensions and suspension pauses in force; the
sweeper's overdue mark is not read, DOMAIN §7.1 rule 1) — or when it is still
with the unit and its deadline has passed (late). A dispatch still running
before its deadline has no outcome yet and is left out of training.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import or_, select

from gridcity.cases import states
from gridcity.cases.models import Case
from gridcity.extensions import db

GROUPS = ("category", "unit", "street", "clock", "period", "weekday")
FACTORS = (*GROUPS, "load")
PERIODS = ("night", "morning", "afternoon", "evening")
FINISHED_STATES = (states.HANDLED, states.CHECKED, states.CLOSED)
# Rows fetched per round trip: the year is streamed, never held as Python rows.
BATCH = 50_000


@dataclass
class Dispatches:
    """Dispatches as parallel arrays (one entry per case)."""

    case_id: np.ndarray
    category: np.ndarray
    unit: np.ndarray
    street: np.ndarray
    clock: np.ndarray
    period: np.ndarray
    weekday: np.ndarray
    dispatched: np.ndarray  # Unix seconds
    load: np.ndarray
    late: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.case_id)

    def values(self, group: str) -> np.ndarray:
        return getattr(self, group)

    def subset(self, mask: np.ndarray) -> Dispatches:
        late = None if self.late is None else self.late[mask]
        return Dispatches(
            *(getattr(self, name)[mask] for name in ("case_id", *GROUPS, "dispatched", "load")),
            late=late,
        )


def epoch(value: dt.datetime | None) -> float:
    return np.nan if value is None else value.timestamp()


def period_and_weekday(moments: np.ndarray, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Period index (``PERIODS``) and weekday (Monday 0) of Unix seconds, in
    city time; the zone's offset is looked up once per distinct hour."""
    hours = np.floor(moments / 3600).astype(np.int64)
    distinct, inverse = np.unique(hours, return_inverse=True)
    zone = ZoneInfo(timezone)
    offsets = np.array(
        [dt.datetime.fromtimestamp(int(h) * 3600, zone).utcoffset().total_seconds() for h in distinct],
        dtype=np.float64,
    )
    local = moments + (offsets[inverse] if len(distinct) else 0.0)
    hour = np.floor(local / 3600).astype(np.int64) % 24
    # 1970-01-01 was a Thursday (weekday 3).
    weekday = (np.floor(local / 86400).astype(np.int64) + 3) % 7
    return hour // 6, weekday


class Intervals:
    """When each unit held cases: [dispatched, handled) per case, sorted per
    unit, to count a unit's load at any moment."""

    def __init__(self, units: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
        ends = np.where(np.isnan(ends), np.inf, ends)
        self.by_unit: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        order = np.argsort(units, kind="stable")
        units, starts, ends = units[order], starts[order], ends[order]
        bounds = np.flatnonzero(np.diff(units)) + 1
        for chunk_units, chunk_starts, chunk_ends in zip(
            np.split(units, bounds), np.split(starts, bounds), np.split(ends, bounds)
        ):
            if len(chunk_units):
                self.by_unit[int(chunk_units[0])] = (np.sort(chunk_starts), np.sort(chunk_ends))

    def load(self, units: np.ndarray, moments: np.ndarray) -> np.ndarray:
        """Per (unit, moment): the unit's cases dispatched before the moment
        and not handled by it."""
        out = np.zeros(len(units), dtype=np.float64)
        for unit in np.unique(units):
            held = self.by_unit.get(int(unit))
            if held is None:
                continue
            mask = units == unit
            starts, ends = held
            out[mask] = np.searchsorted(starts, moments[mask], side="left") - np.searchsorted(
                ends, moments[mask], side="right"
            )
        return np.maximum(out, 0.0)


def history_query(as_of: dt.datetime):
    """The bare read of the training rows (the benchmark's floor reads the same)."""
    return (
        select(
            Case.id,
            Case.category_id,
            Case.unit_id,
            Case.street_id,
            Case.handle_clock,
            Case.dispatched_at,
            Case.handled_at,
            Case.deadline_at,
            Case.state,
        )
        .where(Case.dispatched_at.is_not(None), Case.unit_id.is_not(None), Case.dispatched_at < as_of)
        .order_by(Case.id)
    )


def read_history(as_of: dt.datetime, timezone: str) -> Dispatches:
    """Every dispatch before ``as_of`` with its features; ``late`` is 1 / 0
    where the outcome is known at ``as_of`` and -1 where it is not yet."""
    columns: list[list] = [[] for _ in range(9)]
    result = db.session.execute(history_query(as_of).execution_options(yield_per=BATCH))
    for part in result.partitions():
        for row in part:
            columns[0].append(row[0])
            columns[1].append(row[1])
            columns[2].append(row[2])
            columns[3].append(row[3])
            columns[4].append(row[4] or "")
            columns[5].append(row[5].timestamp())
            columns[6].append(epoch(row[6]))
            columns[7].append(epoch(row[7]))
            columns[8].append(row[8] in FINISHED_STATES)
    case_id, category, unit, street = (np.array(c, dtype=np.int64) for c in columns[:4])
    clock = np.array(columns[4], dtype=object)
    dispatched, handled, deadline = (np.array(c, dtype=np.float64) for c in columns[5:8])
    finished = np.array(columns[8], dtype=bool)
    limit = as_of.timestamp()
    # Handled after as_of: still with the unit as far as as_of knows.
    finished &= ~np.isnan(handled) & (handled <= limit)
    handled_by_then = np.where(finished, handled, np.nan)
    with np.errstate(invalid="ignore"):
        late_finished = finished & (handled > deadline)
        late_running = ~finished & (deadline < limit)
    late = np.where(late_finished | late_running, 1, np.where(finished, 0, -1)).astype(np.int8)
    period, weekday = period_and_weekday(dispatched, timezone)
    intervals = Intervals(unit, dispatched, handled_by_then)
    return Dispatches(
        case_id,
        category,
        unit,
        street,
        clock,
        period,
        weekday,
        dispatched,
        intervals.load(unit, dispatched),
        late=late,
    )


def unit_intervals(units: set[int], since: float) -> Intervals:
    """The cases the ``units`` held at some moment after ``since`` (Unix seconds)."""
    moment = dt.datetime.fromtimestamp(since, dt.UTC)
    rows = db.session.execute(
        select(Case.unit_id, Case.dispatched_at, Case.handled_at).where(
            Case.unit_id.in_(sorted(units)),
            Case.dispatched_at.is_not(None),
            or_(Case.handled_at.is_(None), Case.handled_at > moment),
        )
    ).all()
    return Intervals(
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1].timestamp() for r in rows], dtype=np.float64),
        np.array([epoch(r[2]) for r in rows], dtype=np.float64),
    )


def dispatches_of(entries: list[tuple[int, int, int, int, str, float]], timezone: str) -> Dispatches:
    """Features of (case id, category, unit, street, clock, dispatch moment)
    entries: open cases as dispatched (or as they would be, now)."""
    case_id, category, unit, street = (np.array([e[i] for e in entries], dtype=np.int64) for i in range(4))
    clock = np.array([e[4] for e in entries], dtype=object)
    moments = np.array([e[5] for e in entries], dtype=np.float64)
    period, weekday = period_and_weekday(moments, timezone)
    load = np.zeros(len(entries))
    if entries:
        load = unit_intervals({int(u) for u in unit}, float(moments.min())).load(unit, moments)
    return Dispatches(case_id, category, unit, street, clock, period, weekday, moments, load)
