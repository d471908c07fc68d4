"""Rules 1, 2, 3 and 5 of DOMAIN §7.1 along a case's history: which unit
held the case, which deadline was in force, whether a handling beat it, and
which running deadlines passed.

Most cases (no return, extension, suspension or rework, ever) had one
dispatch and one running deadline, which their row still holds; the engine
judges those from their rows. The others are walked here, event by event,
from the events that set, stop or use a running deadline
(:func:`gridcity.scorecards.counting.log.timelines`):

- an event *sets* the running deadline — the one it recorded — if it is a
  dispatch, an approved extension, a resumption or a rework (a failed check,
  a shift leader's 不予结案); the deadline *in force* at an event is the one
  set last before it;
- an extension moves the deadline only if it was asked for before the
  deadline in force passed (rule 5). One asked for later *taints* the
  dispatch it falls in: that dispatch's clock had run out, so every later step
  under it is late, and a rework or resumption under it leaves no time (its
  deadline is its own instant, passed at once);
- a handling is on time iff done by the deadline in force and its dispatch
  is not tainted; a close is on time iff the handling it closed (the latest
  before it) was;
- a deadline set by an event *passed* at its instant if the clock ran up to
  it with no handling, nor approved suspension, return or extension, in
  between; an approved decision's deadline starts only if its request was
  made before the deadline in force passed;
- the unit holding the case at an event is the unit of the latest dispatch
  before it (a dispatch holds for the unit it names), none after an approved
  return (rule 3); a re-dispatch is timed from that return (rule 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridcity.scorecards.counting.log import (
    ACTION,
    APPROVED_EXTENSION,
    NONE,
    STATE,
    TL,
)

_NEVER = 2**62
_DISPATCH, _DECIDE, _HANDLE, _CLOSE = ACTION["dispatch"], ACTION["decide"], ACTION["handle"], ACTION["close"]
_RESUME, _REWORK, _CHECK = ACTION["resume"], ACTION["rework"], ACTION["check"]
_IN_PROGRESS, _FILED = STATE["in_progress"], STATE["filed"]


@dataclass
class Walk:
    """What the walk found, a row per timeline event (the timeline's order),
    and the running deadlines that passed in the period."""

    held_after: np.ndarray  # the unit holding the case after the event (NONE: none)
    returned_after: np.ndarray  # the latest approved return up to the event (NONE: none)
    on_time: np.ndarray  # a handling on time; a close of a handling on time
    # The latest passed check up to the event (NONE: none): a close is timed
    # from the check it closed, also when a reopened case is closed again.
    checked_before: np.ndarray
    # Rows (case, unit holding it, deadline, set by a dispatch) per deadline passed.
    crossings: np.ndarray


def walk(rows: np.ndarray, start: int, bound: int) -> Walk:
    """Walk the timelines ``rows`` (sorted by case and id); report the
    deadlines that passed in [start, bound) (microseconds)."""
    n = len(rows)
    cases = rows[:, TL["case_id"]].tolist()
    actions = rows[:, TL["action"]].tolist()
    to_states = rows[:, TL["to_state"]].tolist()
    ats = rows[:, TL["at"]].tolist()
    recorded = rows[:, TL["deadline"]].tolist()
    units = rows[:, TL["unit"]].tolist()
    approved = rows[:, TL["approved"]].tolist()
    requested = rows[:, TL["requested"]].tolist()

    # When the clock is next stopped after each event: the earliest later
    # handling or approved decision of the same case.
    next_stop = [_NEVER] * n
    stop, current = _NEVER, None
    for i in range(n - 1, -1, -1):
        if cases[i] != current:
            stop, current = _NEVER, cases[i]
        next_stop[i] = stop
        if actions[i] == _HANDLE or approved[i]:
            stop = min(stop, ats[i])

    held_after, returned_after, on_time = [NONE] * n, [NONE] * n, [False] * n
    checked_before, last_check = [NONE] * n, NONE
    crossings: list[tuple[int, int, int, int]] = []
    current = None
    for i in range(n):
        case_id, action, at = cases[i], actions[i], ats[i]
        if case_id != current:
            current, last_check = case_id, NONE
            in_force, held, returned, dispatched, tainted, last_handling = (
                NONE,
                NONE,
                NONE,
                False,
                False,
                False,
            )
        before = in_force
        if action == _DISPATCH:
            tainted = False  # a new dispatch: a new clock
        restarts = action in (_RESUME, _REWORK) or (action == _CHECK and to_states[i] == _IN_PROGRESS)
        extension = approved[i] == APPROVED_EXTENSION
        unit_at = units[i] if action == _DISPATCH else held
        if action == _HANDLE:
            last_handling = before != NONE and at <= before and not tainted
            on_time[i] = last_handling
        elif action == _CLOSE:
            on_time[i] = last_handling
        asked = requested[i] != NONE and before != NONE
        asked_in_time = asked and requested[i] <= before
        if action == _DISPATCH or restarts or extension:
            running = at if restarts and tainted else recorded[i]
            if (
                running != NONE
                and start <= running < bound
                and at <= running
                and (action != _DECIDE or asked_in_time)
                and (restarts or not tainted)
                and next_stop[i] > running
            ):
                crossings.append((case_id, unit_at, running, action == _DISPATCH))
            in_force = recorded[i]
        if action == _DISPATCH:
            held, dispatched = units[i], True
        elif action == _DECIDE and to_states[i] == _FILED:
            held, returned = NONE, max(returned, at)
        if extension and dispatched and asked and requested[i] > before:
            tainted = True  # asked for after the deadline had passed (rule 5)
        held_after[i], returned_after[i] = held, returned
        if action == _CHECK and to_states[i] != _IN_PROGRESS:
            last_check = at
        checked_before[i] = last_check
    return Walk(
        np.array(held_after, dtype=np.int64),
        np.array(returned_after, dtype=np.int64),
        np.array(on_time, dtype=bool),
        np.array(checked_before, dtype=np.int64),
        np.array(crossings, dtype=np.int64).reshape(-1, 4),
    )
