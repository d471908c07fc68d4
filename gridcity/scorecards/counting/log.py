"""The case history as integer matrices, for the counting engine.

A city month is about a million case events. The engine reads them, and the
cases they belong to, as plain integers — actions and states as small codes,
times as whole microseconds since 1970 (UTC), absent values as :data:`NONE`
— and applies the counting rules (DOMAIN §7.1) to whole columns at once
(numpy), instead of having the database evaluate them row by row. Times are
exact on both databases (:func:`.rows.moment`).
"""

from __future__ import annotations

import datetime as dt
import operator
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import reduce
from typing import TypeVar

import numpy as np
from flask import current_app
from sqlalchemy import BigInteger, and_, any_, case, cast, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.pool import QueuePool

from gridcity.cases.models import Case, CaseEvent, CaseRequest, CaseTask
from gridcity.extensions import db
from gridcity.geo.models import inspector_work_grid
from gridcity.patrols.models import Patrol
from gridcity.scorecards.counting.counts import PERSON_TIERS
from gridcity.scorecards.counting.rows import int_matrix, moment
from gridcity.scorecards.models import TIMELINE_ACTIONS  # its own index

Found = TypeVar("Found")
NONE = -1  # an absent key, time or value in a matrix

# The actions and states the rules look at, as codes (the others read as NONE).
ACTIONS = (
    "report",
    "accept",
    "verify",
    "file",
    "void",
    "dispatch",
    "handle",
    "check",
    "close",
    "rework",
    "decide",
    # 满意度: a citizen's rating of a closed case's handling (gridcity/public/satisfaction.py)
    "rating_satisfied",
    "rating_basic",
    "rating_unsatisfied",
    "resume",
)
ACTION = {name: code for code, name in enumerate(ACTIONS)}
STATES = ("voided", "in_progress", "suspended", "filed", "verifying", "accepted")
STATE = {name: code for code, name in enumerate(STATES)}
# The events a month's counts count (unit_accept, request, warn, task_overdue,
# same_as, resume, the sweeper's marks… count for nothing).
COUNTED_ACTIONS = ACTIONS[:-1]
CONTEST_PATROL_KINDS = ("night", "holiday", "month_end")
RUNNING = ("dispatched", "in_progress")  # the states a handling clock runs in
# The ``approved`` column of events: an approved decision, of an extension.
APPROVED, APPROVED_EXTENSION = 1, 2

E = CaseEvent.__table__.alias("e")
C = Case.__table__.alias("c")
P = Patrol.__table__.alias("p")
R = CaseRequest.__table__.alias("r")
T = CaseTask.__table__.alias("t")


def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# How PostgreSQL plans the readings of a month (this transaction only):
# JIT compilation costs more than it saves; the month's events lie together
# (a live system appends them as they happen), so the index on their time
# reads them in order; and a month's rows are many enough for parallel
# workers to pay for their start.
READING_SETTINGS = {
    "jit": "off",
    "random_page_cost": "1.1",
    "parallel_setup_cost": "10",
    "parallel_tuple_cost": "0.001",
}


@contextmanager
def reading():
    """The readings of a month, with :data:`READING_SETTINGS` (restored after)."""
    if not postgres():
        yield
        return
    for name, value in READING_SETTINGS.items():
        db.session.execute(text(f"SET LOCAL {name} = {value}"))
    try:
        yield
    finally:
        for name in READING_SETTINGS:
            db.session.execute(text(f"SET LOCAL {name} TO DEFAULT"))


# Two readers at once keep two cores busy by themselves: the events' reader
# takes one parallel worker, the cases' none.
PARALLEL_READING_SETTINGS = (
    {"max_parallel_workers_per_gather": "1"},
    {"max_parallel_workers_per_gather": "0"},
)
# Connections a month's reading keeps free for the rest of the process
# (requests, the sweeper) before it takes two of its own.
_SPARE_CONNECTIONS = 4


def _can_read_apart(connections: int) -> bool:
    """Whether ``connections`` more connections may read beside the session:
    on PostgreSQL, when the session's transaction has written nothing
    (other connections would not see it) and the pool keeps
    :data:`_SPARE_CONNECTIONS` free besides."""
    if not postgres() or db.session.execute(text("SELECT txid_current_if_assigned()")).scalar() is not None:
        return False
    pool = db.engine.pool
    return isinstance(pool, QueuePool) and pool.size() + max(pool._max_overflow, 0) - pool.checkedout() >= (
        connections + _SPARE_CONNECTIONS
    )


def in_thread(work: Callable[[], Found], name: str) -> Callable[[], Found]:
    """``work`` started in another thread, in this app's context (a session
    of its own); the function returned waits for it and returns what it
    returned, or raises what it raised."""
    app = current_app._get_current_object()
    found: dict = {}

    def run() -> None:
        try:
            with app.app_context():
                found["value"] = work()
        except BaseException as error:  # noqa: BLE001 - raised again in the calling thread
            found["error"] = error

    thread = threading.Thread(target=run, name=name)
    thread.start()

    def result() -> Found:
        thread.join()
        if "error" in found:
            raise found["error"]
        return found["value"]

    return result


@contextmanager
def read_aside(reads: Callable[[], Found]) -> Iterator[Callable[[], Found]]:
    """``reads`` (reads only) run in another thread on a connection of its
    own while the block runs — the month's other readings leave a core to
    spare now and then; the block gets a function that returns what they
    read. Where the month is read through the session (:func:`parallel_readers`)
    they run there too, when that function is called."""
    if not _can_read_apart(1):
        yield reads
        return
    result = in_thread(reads, "scorecard-aside")
    try:
        yield result
    finally:
        try:
            result()
        except BaseException:  # noqa: BLE001 - the block's own error, if any, is the one to see
            pass


@contextmanager
def parallel_readers():
    """Two connections of their own that see one snapshot of the database,
    for reading the month's events on one while its cases are read on the
    other (two cores: the month in less time), each with
    :data:`READING_SETTINGS`; ``None`` when the month must be read through
    the session: on SQLite, when the session's transaction has written
    (other connections would not see it), or when the pool has few
    connections free."""
    if not _can_read_apart(2):
        yield None
        return
    pooled = []
    try:
        pooled += [db.engine.raw_connection(), db.engine.raw_connection()]
        connections = [p.dbapi_connection for p in pooled]
        snapshot = None
        for connection, settings in zip(connections, PARALLEL_READING_SETTINGS, strict=True):
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                if snapshot is None:
                    cursor.execute("SELECT pg_export_snapshot()")
                    snapshot = cursor.fetchone()[0]
                else:
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", (snapshot,))
                for name, value in {**READING_SETTINGS, **settings}.items():
                    cursor.execute(f"SET LOCAL {name} = {value}")
        yield connections
    finally:
        for proxy in pooled:
            try:
                with proxy.dbapi_connection.cursor() as cursor:
                    cursor.execute("ROLLBACK")
                proxy.dbapi_connection.autocommit = False
            except Exception:  # noqa: BLE001 - a connection in an unknown state
                proxy.invalidate()  # does not go back to the pool
            finally:
                proxy.close()


def to_micros(when: dt.datetime) -> int:
    """A Python time as a matrix holds it."""
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return (when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)


class Time:
    """A time column of a reading (:func:`.rows.moment`)."""

    def __init__(self, column, text: bool = False):
        self.column, self.text = column, text


def key(column):
    """A key column as a matrix holds it: bigint, NONE for NULL."""
    return cast(func.coalesce(column, NONE), BigInteger)


def _id_array(ids: np.ndarray):
    """A list of ids as one PostgreSQL array constant (its text, read at
    once, where a list of parameters costs the planner per element)."""
    return cast(literal("{" + ",".join(map(str, ids.tolist())) + "}"), ARRAY(BigInteger))


class Code:
    """A small code (NONE or 0..14) made by one CASE: ``whens`` maps each
    value of ``value`` (a simple CASE) — or, without ``value``, each
    condition in turn — to its code; anything else is ``otherwise``."""

    def __init__(self, whens, value=None, otherwise: int = NONE):
        self.whens, self.value, self.otherwise = whens, value, otherwise

    def sql(self, plus: int = 0, shift: int = 0):
        """The CASE, as bigint; each code ``c`` as ``(c + plus) << shift``
        (:class:`Codes` packs several in one bigint with these)."""

        def out(code: int) -> int:
            return (code + plus) << shift

        if self.value is None:
            expression = case(*((when, out(code)) for when, code in self.whens), else_=out(self.otherwise))
        else:
            expression = case(
                {when: out(code) for when, code in self.whens.items()},
                value=self.value,
                else_=out(self.otherwise),
            )
        return cast(expression, BigInteger)


def _flag(condition) -> Code:
    return Code([(condition, 1)], otherwise=0)


def with_history(c=C):
    """A case returned, extended, suspended or reworked at least once."""
    return or_(c.c.return_count > 0, c.c.extension_count > 0, c.c.suspension_count > 0, c.c.rework_count > 0)


def _code(column, codes: dict[str, int]) -> Code:
    return Code(codes, value=column)


class Codes:
    """Small codes and flags (:class:`Code`: each NONE or 0..14) that travel
    packed in one bigint — a month's rows are many, each column costs twelve
    bytes a row — and come back as columns of their own. Each CASE gives its
    code already shifted to its four bits: the database only adds them up."""

    def __init__(self, *codes: Code):
        self.codes = codes

    def packed(self):
        return reduce(operator.add, (code.sql(plus=1, shift=4 * k) for k, code in enumerate(self.codes)))


def read(columns: tuple, *where, among=None, range_within: int = 4) -> np.ndarray:
    """The rows of ``columns`` (keys, codes and flags as bigint; :class:`Time`
    columns as microseconds; :class:`Codes` as a column per code) that meet
    ``where``, as a matrix. ``among``: (column, ids sorted and unique, j) —
    only rows whose column (the matrix's column j) is one of the ids; a set
    whose id range is at most ``range_within`` times its size is read as that
    range (one index range: cheap per row), a sparser one as a list (an index
    probe per id)."""
    sent, layout = [], []  # layout: per matrix column, (column sent, code within it or None)
    for c in columns:
        if isinstance(c, Codes):
            layout += [(len(sent), k) for k in range(len(c.codes))]
            sent.append(c.packed())
        else:
            layout.append((len(sent), None))
            sent.append(c)
    times = tuple(j for j, c in enumerate(sent) if isinstance(c, Time))
    query = select(
        *(
            moment(c.column, c.text) if isinstance(c, Time) else c.sql() if isinstance(c, Code) else c
            for c in sent
        )
    ).where(*where)

    def rows(*more) -> np.ndarray:
        raw = int_matrix(query.where(*more), len(sent), times)
        out = np.empty((len(raw), len(layout)), dtype=np.int64, order="F")
        for j, (s, k) in enumerate(layout):
            out[:, j] = raw[:, s] if k is None else ((raw[:, s] >> (4 * k)) & 15) - 1
        return out

    if among is None:
        return rows()
    column, ids, j = among
    if not len(ids):
        return np.zeros((0, len(layout)), dtype=np.int64)
    low, high = int(ids[0]), int(ids[-1])
    if high - low < range_within * len(ids):
        found = rows(column.between(low, high))
        return found[np.isin(found[:, j], ids)] if high - low + 1 > len(ids) else found
    if postgres():
        return rows(column == any_(_id_array(ids)))
    return np.vstack([rows(column.in_(ids[k : k + 500].tolist())) for k in range(0, len(ids), 500)])


# ---------------------------------------------------------------- the month's events

EVENT_COLUMNS = ("id", "case_id", "action", "to_state", "at", "actor_id", "role", "approved", "task")
EV = {name: j for j, name in enumerate(EVENT_COLUMNS)}


def month_events(start: dt.datetime, end: dt.datetime, narrow=()) -> np.ndarray:
    """The counted events done in [start, end): :data:`EVENT_COLUMNS`
    (``role``: the actor's role as an index of PERSON_TIERS; ``task``: the
    task a verify or check completed).
    ``narrow``: more conditions on ``E`` (a drill-down)."""
    return read(
        (
            cast(E.c.id, BigInteger),
            cast(E.c.case_id, BigInteger),
            Codes(_code(E.c.action, ACTION), _code(E.c.to_state, STATE)),
            Time(E.c.at),
            key(E.c.actor_id),
            Codes(_code(E.c.actor_role, {r: k for k, r in enumerate(PERSON_TIERS)}), _approved(E)),
            key(case((E.c.action.in_(("verify", "check")), E.c.data["task_id"].as_integer()))),
        ),
        E.c.at >= start,
        E.c.at < end,
        E.c.action.in_(COUNTED_ACTIONS),
        *narrow,
    )


def _approved(x) -> Code:
    approved = and_(x.c.action == "decide", x.c.data["approved"].as_boolean())
    return Code(
        [
            (and_(approved, x.c.data["kind"].as_string() == "extension"), APPROVED_EXTENSION),
            (approved, APPROVED),
        ],
        otherwise=0,
    )


def tasks_on_time(task_ids: np.ndarray) -> np.ndarray:
    """Of the tasks ``task_ids`` (sorted, unique), those completed by their
    due time (rule 4: each event by its own task)."""
    # A row per id, and a probe costs some thirty rows of a range.
    rows = read(
        (cast(T.c.id, BigInteger),),
        T.c.completed_at <= T.c.due_at,
        among=(T.c.id, task_ids, 0),
        range_within=32,
    )
    return rows[:, 0]


# ---------------------------------------------------------------- cases

CASE_COLUMNS = (
    "id",
    "unit_grid",
    "work_grid",
    "area",
    "street",
    "district",
    "unit",
    "reporter",
    "inspector_source",  # reported by an inspector (on foot or on patrol)
    "voided",
    "merged",  # merged into another case
    "contest_patrol",  # found on a night, holiday or month-end patrol
    "simple",  # never returned, extended, suspended or reworked
    "returned",  # returned at least once
    "running",  # its handling clock runs now (dispatched, in progress)
    "deadline",
    "dispatched",
    "handled",
    "reported",
    "desk_done",  # verified, or else accepted: the filing's clock starts
    "filed",
    "checked",
    "closed",
)
CA = {name: j for j, name in enumerate(CASE_COLUMNS)}
PLACE_COLUMNS = ("unit_grid", "work_grid", "area", "street", "district")


def case_rows(*where, ids: np.ndarray | None = None) -> np.ndarray:
    """The cases that meet ``where`` (and, given ``ids`` sorted and unique,
    are among them), by id: :data:`CASE_COLUMNS`."""
    contest = select(P.c.kind.in_(CONTEST_PATROL_KINDS)).where(P.c.id == C.c.patrol_id).scalar_subquery()
    rows = read(
        (
            cast(C.c.id, BigInteger),
            *(key(C.c[f"{p}_id"]) for p in PLACE_COLUMNS),
            key(C.c.unit_id),
            key(C.c.reporter_id),
            Codes(
                _flag(C.c.source.in_(("inspector", "patrol"))),
                _flag(C.c.voided_at.is_not(None)),
                _flag(C.c.merged_into_id.is_not(None)),
                _flag(and_(C.c.patrol_id.is_not(None), contest)),
                _flag(~with_history()),
                _flag(C.c.return_count > 0),
                _flag(C.c.state.in_(RUNNING)),
            ),
            Time(C.c.deadline_at),
            Time(C.c.dispatched_at),
            Time(C.c.handled_at),
            Time(C.c.reported_at),
            Time(case((C.c.verified_at.is_(None), C.c.accepted_at), else_=C.c.verified_at)),
            Time(C.c.filed_at),
            Time(C.c.checked_at),
            Time(C.c.closed_at),
        ),
        *where,
        among=None if ids is None else (C.c.id, ids, 0),
    )
    return np.asfortranarray(rows[np.argsort(rows[:, 0], kind="stable")])


def merged_reports(targets: np.ndarray) -> np.ndarray:
    """Reports merged into one of ``targets`` (sorted, unique): rows (target,
    reporter, reported at, id) — rule 6 looks for the earliest."""
    m = Case.__table__.alias("merged")
    return read(
        (key(m.c.merged_into_id), key(m.c.reporter_id), Time(m.c.reported_at), cast(m.c.id, BigInteger)),
        m.c.state == "merged",
        m.c.merged_into_id.is_not(None),
        among=(m.c.merged_into_id, targets, 0),
    )


def inspector_grids() -> np.ndarray:
    """Rows (inspector, work grid) of every inspector's work grids."""
    w = inspector_work_grid
    return read((cast(w.c.user_id, BigInteger), cast(w.c.work_grid_id, BigInteger)))


# ---------------------------------------------------------------- timelines

TIMELINE_COLUMNS = (
    "id",
    "case_id",
    "action",
    "to_state",
    "at",
    "actor_id",
    "deadline",
    "unit",
    "approved",
    "requested",
)
TL = {name: j for j, name in enumerate(TIMELINE_COLUMNS)}


def timelines(case_ids: np.ndarray) -> np.ndarray:
    """Every event that sets, stops or uses the running deadline of the cases
    ``case_ids`` (sorted, unique), whenever done, by case and id:
    :data:`TIMELINE_COLUMNS` (``deadline``: the one the event recorded;
    ``requested``: when the request an approved decision decided was made)."""
    requested = (
        select(R.c.requested_at).where(R.c.id == E.c.data["request_id"].as_integer()).scalar_subquery()
    )
    rows = read(
        (
            cast(E.c.id, BigInteger),
            cast(E.c.case_id, BigInteger),
            _code(E.c.action, ACTION),
            _code(E.c.to_state, STATE),
            Time(E.c.at),
            key(E.c.actor_id),
            Time(E.c.data[("set", "deadline_at")].as_string(), text=True),
            key(case((E.c.action == "dispatch", E.c.data[("set", "unit_id")].as_integer()))),
            _approved(E),
            Time(case((E.c.action == "decide", requested))),
        ),
        E.c.action.in_(TIMELINE_ACTIONS),
        among=(E.c.case_id, case_ids, 1),
    )
    return rows[np.lexsort((rows[:, 0], rows[:, 1]))]
