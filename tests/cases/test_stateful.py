"""Random walks through the closed loop: random actions by random users on a
few cases, the clock jumping ahead and the sweeper running in between, with
the history, the deadlines and the counters checked after every step.

The services are called directly (no HTTP) inside the test's app context:
each action that goes through is committed, each refusal rolled back.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import selectinload

from gridcity.cases import services
from gridcity.cases.deadlines import escalation_delay
from gridcity.cases.history import DERIVED_FIELDS, differences
from gridcity.cases.models import Case, CaseEvent, CaseRequest, CaseTask, Photo
from gridcity.cases.states import CLOCK_RUNNING, OPEN_STATES, TRANSITIONS
from gridcity.cases.sweeper import sweep
from gridcity.core import clock
from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.org.models import Role, User
from gridcity.org.services import get_user
from tests.cases.conftest import EAST, MONDAY_10AM, WEST, jpeg_bytes

USERS = ("insp", "insp2", "op", "lead", "disp", "hw", "sz", "jd", "admin", "mgr")
CATEGORIES = ("E0102", "C0101")  # both have responsibility rules over the whole mini city
MAX_OPEN_CASES = 3
# The main path out of each open state (side paths are drawn now and then).
FORWARD = {
    "reported": "accept",
    "verifying": "verify",
    "accepted": "file",
    "filed": "dispatch",
    "dispatched": "unit_accept",
    "in_progress": "handle",
    "handled": "check",
    "checked": "close",
    "suspended": "resume",
}
SETTINGS = settings(
    max_examples=50,
    # The same walks on every run (and both backends): the coverage check at
    # the end cannot fail by luck of the draw.
    derandomize=True,
    stateful_step_count=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def chance(data, tenths: int, label: str) -> bool:
    """True with probability tenths/10; shrinks towards True."""
    return data.draw(st.integers(0, 9), label=label) < tenths


def one_of(data, sound: bool, good: list, bad: list, label: str):
    """A value the service accepts — unless ``sound`` is off, then sometimes
    one it must refuse."""
    return data.draw(st.sampled_from(good if sound or chance(data, 8, f"good {label}") else bad), label=label)


def clear_cases() -> None:
    db.session.rollback()
    db.session.execute(update(Case).values(merged_into_id=None))
    for model in (Photo, CaseEvent, CaseTask, CaseRequest, Case):
        db.session.execute(delete(model))
    db.session.commit()
    db.session.expunge_all()


def snapshot() -> dict:
    """Everything a refused action must leave as it was."""
    columns = [Case.id, Case.version, *(getattr(Case, f) for f in DERIVED_FIELDS)]
    return {
        "cases": db.session.execute(select(*columns).order_by(Case.id)).all(),
        "events": dict(
            db.session.execute(select(CaseEvent.case_id, func.count()).group_by(CaseEvent.case_id)).all()
        ),
        "tasks": set(db.session.execute(select(CaseTask.id, CaseTask.completed_at, CaseTask.result)).all()),
        "requests": set(db.session.execute(select(CaseRequest.id, CaseRequest.state)).all()),
        "photos": db.session.scalar(select(func.count(Photo.id))),
    }


# ---------------------------------------------------------------- how each action is called
# (machine, case id, data, sound) → call(case, actor); ``sound``: valid arguments only.


def _verify(m, case_id, data, sound):
    passed, note = chance(data, 8, "real"), data.draw(st.sampled_from(["", "现场无此问题"]), label="note")
    return lambda c, u: services.verify(c, u, passed, note)


def _void(m, case_id, data, sound):
    reason = one_of(data, sound, ["不属于立案标准"], ["", "  "], "reason")
    return lambda c, u: services.void(c, u, reason)


def _merge(m, case_id, data, sound):
    into = one_of(data, sound, m.merge_targets(case_id) or [case_id], sorted(m.states), "into")
    return lambda c, u: services.merge(c, u, db.session.get(Case, into))


def _dispatch(m, case_id, data, sound):
    unit_id = None if chance(data, 7, "routed unit") else data.draw(st.sampled_from(sorted(m.handler_of)))
    reason = one_of(data, sound, ["属地管理"], [""], "reason")
    return lambda c, u: services.dispatch(c, u, unit_id, reason)


def _handle(m, case_id, data, sound):
    photos = [jpeg_bytes()] if one_of(data, sound, [True], [False], "proof photo") else []
    return lambda c, u: services.handle(c, u, "已处置", photos)


def _check(m, case_id, data, sound):
    passed = chance(data, 7, "passed")
    photos = [jpeg_bytes()] if one_of(data, sound, [True], [False], "check photo") else []
    return lambda c, u: services.check(c, u, passed, "" if passed else "仍有垃圾", photos)


def _rework(m, case_id, data, sound):
    reason = one_of(data, sound, ["核查照片仍见垃圾"], ["", "  "], "reason")
    return lambda c, u: services.rework(c, u, reason)


def _urge(m, case_id, data, sound):
    reason = one_of(data, sound, ["市民再次来电，请尽快处置"], ["", "  ", "催" * 201], "reason")
    return lambda c, u: services.urge(c, u, reason)


def _request(m, case_id, data, sound):
    now = clock.utcnow()
    kind = one_of(data, sound, ["extension", "suspension", "return"], ["holiday"], "kind")
    reason = one_of(data, sound, ["需要更多时间"], [""], "reason")
    extra = one_of(data, sound, [2.0, 0.5, 8.0], [None, 0.0, -1.0], "extra_amount")
    review_on = one_of(
        data, sound, [now + dt.timedelta(days=3), now + dt.timedelta(days=10)], [None, now], "review_on"
    )
    return lambda c, u: services.request_change(c, u, kind, reason, extra, review_on)


def _decide(m, case_id, data, sound):
    approve = chance(data, 7, "approve")
    return lambda c, u: services.decide(c, u, approve, "同意")


CALLS = {
    "accept": lambda m, case_id, data, sound: services.accept,
    "verify": _verify,
    "file": lambda m, case_id, data, sound: services.file_case,
    "void": _void,
    "merge": _merge,
    "dispatch": _dispatch,
    "unit_accept": lambda m, case_id, data, sound: services.unit_accept,
    "handle": _handle,
    "check": _check,
    "close": lambda m, case_id, data, sound: services.close,
    "rework": _rework,
    "request": _request,
    "decide": _decide,
    "resume": lambda m, case_id, data, sound: services.resume,
    "urge": _urge,
}


def starts_from(action: str, state: str) -> bool:
    return state in TRANSITIONS[action].from_states


def action_rule(action: str):
    """A rule that takes ``action`` on a case it suits (named after it)."""

    def take_action(self, data) -> None:
        self.take(data, action)

    take_action.__name__ = take_action.__qualname__ = action
    suitable = precondition(lambda self: any(self.suits(action, i) for i in self.states))
    return suitable(rule(data=st.data())(take_action))


class CaseLoop(RuleBasedStateMachine):
    def __init__(self, people: dict, tally: Counter) -> None:
        super().__init__()
        clear_cases()
        clock.freeze(MONDAY_10AM)
        self.tally = tally
        self.users = people["users"]  # name → (id, role, unit id)
        self.handler_of = people["handler_of"]  # unit id → its handler
        self.inspector_of = people["inspector_of"]  # work grid id → its inspector
        self.states: dict[int, str] = {}
        self.pending: set[int] = set()  # cases with a request waiting for a decision
        self.seen_events: dict[int, int] = {}
        self.deadline_floor: dict[int, dt.datetime | None] = {}

    def teardown(self) -> None:
        clear_cases()

    # ------------------------------------------------------------ choosing and acting

    def right_actors(self, case_id: int, action: str) -> list[str]:
        case = db.session.get(Case, case_id)
        names = []
        for name in USERS:
            role = self.users[name][1]
            if role not in TRANSITIONS[action].roles:
                continue
            if role == Role.UNIT_HANDLER and case.unit_id and name != self.handler_of[case.unit_id]:
                continue
            if role == Role.INSPECTOR and name != self.inspector_of.get(case.work_grid_id):
                continue
            names.append(name)
        return names

    def merge_targets(self, case_id: int) -> list[int]:
        return [i for i, s in sorted(self.states.items()) if s in OPEN_STATES and i != case_id]

    def suits(self, action: str, case_id: int) -> bool:
        return starts_from(action, self.states[case_id]) and (action != "decide" or case_id in self.pending)

    def take(self, data, action: str) -> None:
        """``action`` on a case it suits, usually by someone who may take it."""
        ready_ids = [i for i in sorted(self.states) if self.suits(action, i)]
        case_id = data.draw(st.sampled_from(ready_ids), label="case")
        right = self.right_actors(case_id, action)
        # Voids and merges end a case: rarer, so that cases live long enough to go round.
        odds = 3 if action in ("void", "merge") else 7
        actor = data.draw(
            st.sampled_from(right if right and chance(data, odds, "right actor") else USERS), label="actor"
        )
        self.act(data, action, case_id, actor, CALLS[action](self, case_id, data, sound=False))

    def act(self, data, action: str, case_id: int, actor_name: str, call, sound: bool = False) -> bool:
        """A little later, run ``call(case, actor)``: commit if it goes
        through, else roll back and check that nothing at all changed. A
        ``sound`` call (right actor, suitable case, valid arguments) must go
        through."""
        clock.freeze(
            clock.utcnow() + dt.timedelta(minutes=data.draw(st.integers(0, 60), label="minutes later"))
        )
        before = snapshot()
        case, actor = db.session.get(Case, case_id), db.session.get(User, self.users[actor_name][0])
        state, unit_id, version, n_events = case.state, case.unit_id, case.version, len(case.events)
        actor_id, role, actor_unit = self.users[actor_name]
        try:
            call(case, actor)
        except GridCityError as error:
            db.session.rollback()
            assert snapshot() == before, f"refused {action} by {actor_name} ({error}) changed data"
            assert not sound, f"{action} by {actor_name} in {state} refused: {error}"
            self.tally["refused"] += 1
            return False
        db.session.commit()
        # It went through, so it was allowed: state, role and (for units) the unit.
        transition = TRANSITIONS[action]
        assert state in transition.from_states, f"{action} went through from {state}"
        assert role in transition.roles, f"{action} went through for a {role}"
        assert role != Role.UNIT_HANDLER or unit_id == actor_unit, f"{action} by another unit's handler"
        case = db.session.get(Case, case_id)
        (new,) = case.events[n_events:]
        assert (new.action, new.actor_id, new.from_state) == (action, actor_id, state)
        # Every event gives the case a new version, so a client that saw the old
        # one gets 409 (even after a request or a refused decision).
        assert case.version > version, f"{action} left version {version}"
        assert transition.to_state in (None, case.state)
        self.tally[action] += 1
        self.tally[case.state] += 1
        return True

    # ------------------------------------------------------------ rules

    @initialize(data=st.data())
    def first_report(self, data) -> None:
        self.new_report(data)

    @precondition(lambda self: sum(s in OPEN_STATES for s in self.states.values()) < MAX_OPEN_CASES)
    @rule(data=st.data())
    def report(self, data) -> None:
        self.new_report(data)

    def new_report(self, data) -> None:
        """上报 by someone who may report (now and then someone who may not)."""
        if chance(data, 9, "right reporter"):
            reporter = data.draw(st.sampled_from(["insp", "insp2", "op"]), label="reporter")
            sources = ["hotline", "public"] if reporter == "op" else ["inspector", "patrol"]
            source = data.draw(st.sampled_from(sources), label="source")
        else:
            reporter = data.draw(st.sampled_from(USERS), label="reporter")
            source = data.draw(st.sampled_from(["inspector", "hotline", "open311", "fax"]), label="source")
        report = services.Report(
            data.draw(st.sampled_from(CATEGORIES), label="category"),
            *data.draw(st.sampled_from([WEST, EAST]), label="point"),
            source=source,
            photos=[jpeg_bytes()] if chance(data, 2, "photo") else [],
        )
        before = snapshot()
        try:
            case = services.submit_report(report, get_user(reporter)).case
        except GridCityError:
            db.session.rollback()
            assert snapshot() == before
            self.tally["refused"] += 1
            return
        db.session.commit()
        assert case.state == "reported" and [e.action for e in case.events] == ["report"]
        self.tally["report"] += 1

    @rule(data=st.data())
    def move_on(self, data) -> None:
        """The city goes on: a new report comes in, or an open case goes a few
        steps along the loop, each by someone who may take it — now and then
        by a side path (void, merge, a request); a pending request is decided
        first. (Swarm testing turns single rules off for whole walks; this one
        keeps every walk going round.)"""
        open_ids = [i for i, s in sorted(self.states.items()) if s in FORWARD]
        if len(open_ids) < MAX_OPEN_CASES and (not open_ids or chance(data, 2, "new report")):
            self.new_report(data)
            return
        case_id = data.draw(st.sampled_from(open_ids), label="case")
        for _ in range(data.draw(st.integers(1, 4), label="steps")):
            state = db.session.get(Case, case_id).state
            if state not in FORWARD:
                break
            waiting = select(CaseRequest.id).where(
                CaseRequest.case_id == case_id, CaseRequest.state == "pending"
            )
            pending = db.session.scalar(waiting) is not None
            forward = "decide" if pending else FORWARD[state]
            # Side paths that go through: a pending request first, merge only into another open case.
            skip = {forward, "verify", "decide"} | ({"request"} if pending else set())
            skip |= set() if self.merge_targets(case_id) else {"merge"}
            side = [a for a in TRANSITIONS if starts_from(a, state) and a not in skip]
            # Before dispatch the side paths (void, merge) end the case: seldom.
            odds = 5 if state in CLOCK_RUNNING else 9
            action = (
                forward if not side or chance(data, odds, "main path") else data.draw(st.sampled_from(side))
            )
            actor = data.draw(st.sampled_from(self.right_actors(case_id, action)), label="actor")
            self.act(data, action, case_id, actor, CALLS[action](self, case_id, data, sound=True), sound=True)

    @precondition(lambda self: self.states)
    @rule(data=st.data())
    def random_action(self, data) -> None:
        """Any action by anyone on any case: mostly refusals."""
        case_id = data.draw(st.sampled_from(sorted(self.states)), label="case")
        action = data.draw(st.sampled_from(sorted(TRANSITIONS)), label="action")
        actor = data.draw(st.sampled_from(USERS), label="actor")
        self.act(data, action, case_id, actor, CALLS[action](self, case_id, data, sound=False))

    # One rule per action of the closed loop (see ``take``).
    accept = action_rule("accept")
    verify = action_rule("verify")
    file = action_rule("file")
    void = action_rule("void")
    merge = action_rule("merge")
    dispatch = action_rule("dispatch")
    unit_accept = action_rule("unit_accept")
    handle = action_rule("handle")
    check = action_rule("check")
    close = action_rule("close")
    rework = action_rule("rework")
    request = action_rule("request")
    decide = action_rule("decide")
    resume = action_rule("resume")
    urge = action_rule("urge")

    @rule(minutes=st.one_of(st.integers(1, 240), st.integers(1, 3000)))
    def advance_clock(self, minutes: int) -> None:
        clock.freeze(clock.utcnow() + dt.timedelta(minutes=minutes))

    @rule(again=st.booleans())
    def sweep_deadlines(self, again: bool) -> None:
        now = clock.utcnow()
        sweep()
        for case in db.session.scalars(select(Case).where(Case.state.in_(CLOCK_RUNNING))):
            assert case.warned or case.warn_at > now, case.number
            assert case.overdue or case.deadline_at > now, case.number
            # 督办 once the configured delay past the running deadline is over.
            if case.deadline_at <= now - escalation_delay():
                assert case.escalated_at is not None and case.escalated_at >= case.deadline_at, case.number
        unmarked = select(func.count(CaseTask.id)).where(
            CaseTask.completed_at.is_(None), CaseTask.due_at <= now, CaseTask.overdue.is_(False)
        )
        assert db.session.scalar(unmarked) == 0
        if again:  # another sweeper at the same moment marks nothing twice
            assert sweep() == {"warned": 0, "overdue": 0, "escalated": 0, "tasks_overdue": 0}

    # ------------------------------------------------------------ invariants

    @invariant()
    def every_case_is_its_history(self) -> None:
        db.session.rollback()  # read what is committed, nothing cached
        cases = db.session.scalars(select(Case).options(selectinload(Case.events)).order_by(Case.id)).all()
        requests, open_tasks = defaultdict(list), defaultdict(list)
        for r in db.session.scalars(select(CaseRequest)):
            requests[r.case_id].append(r)
        for task in db.session.scalars(select(CaseTask).where(CaseTask.completed_at.is_(None))):
            open_tasks[task.case_id].append(task.kind)
        self.states = {c.id: c.state for c in cases}
        self.pending = {i for i, rs in requests.items() if any(r.state == "pending" for r in rs)}
        # A request waits only while the unit has the case (decide needs that).
        assert all(self.states[i] in CLOCK_RUNNING for i in self.pending), self.pending
        for case in cases:
            events = case.events
            assert events[0].action == "report" and events[0].from_state is None, case.number
            for previous, current in zip(events, events[1:], strict=False):
                assert current.from_state == previous.to_state, (case.number, current.action)
            assert case.state == events[-1].to_state, case.number
            assert differences(case) == {}, case.number
            if case.state == "closed":  # only after a passed check of its last handling
                handled = [i for i, e in enumerate(events) if e.action == "handle"]
                assert handled, case.number
                assert any(e.action == "check" and e.data["result"] == "pass" for e in events[handled[-1] :])
            assert (case.state == "merged") == (case.merged_into_id is not None), case.number
            self.check_counters(case, events, requests[case.id])
            self.check_tasks_and_clock(case, open_tasks[case.id])
            self.check_deadline_never_earlier(case, events)

    def check_counters(self, case: Case, events: list[CaseEvent], requests: list[CaseRequest]) -> None:
        approved = Counter(e.data["kind"] for e in events if e.action == "decide" and e.data["approved"])
        assert case.rework_count == sum(
            (e.action == "check" and e.data["result"] == "fail") or e.action == "rework" for e in events
        )
        assert (case.extension_count, case.suspension_count, case.return_count) == (
            approved["extension"],
            approved["suspension"],
            approved["return"],
        ), case.number
        assert len(requests) == sum(e.action == "request" for e in events)
        assert sum(r.state == "pending" for r in requests) <= 1
        assert Counter(r.kind for r in requests if r.state == "approved") == approved

    def check_tasks_and_clock(self, case: Case, open_tasks: list[str]) -> None:
        assert open_tasks == {"verifying": ["verify"], "handled": ["check"]}.get(case.state, []), case.number
        if case.state in CLOCK_RUNNING:
            assert case.deadline_at is not None and case.handle_started_at is not None, case.number
            assert case.warn_at <= case.deadline_at
        if case.state == "suspended":
            assert case.deadline_at is None and case.handle_started_at is None
        assert case.warned or not case.overdue

    def check_deadline_never_earlier(self, case: Case, events: list[CaseEvent]) -> None:
        """The handling deadline only ever moves later. A suspension clears it
        and resuming counts the rest of the budget from a later moment, so the
        resumed deadline is not earlier than the one before the suspension;
        rework restarts the rest of the budget at the check, later than the
        handle that stopped it; an extension adds budget. Only an approved
        return (回退) starts over: the case leaves the unit, and the next
        dispatch gives the next unit a fresh full budget, which may well end
        before the old unit's extended deadline."""
        floor = self.deadline_floor.get(case.id)
        for new in events[self.seen_events.get(case.id, 0) :]:
            if new.action == "decide" and new.data["approved"] and new.data["kind"] == "return":
                floor = None
        if case.deadline_at is not None:
            assert floor is None or case.deadline_at >= floor, (case.number, floor, case.deadline_at)
            floor = case.deadline_at
        self.deadline_floor[case.id] = floor
        self.seen_events[case.id] = len(events)


def _no_fsync(dbapi_connection, _record) -> None:
    # Durability is not under test; thousands of commits are.
    cursor = dbapi_connection.cursor()
    if db.engine.dialect.name == "sqlite":
        cursor.execute("PRAGMA synchronous = OFF")
    else:
        cursor.execute("SET synchronous_commit = off")
    cursor.close()
    dbapi_connection.commit()  # a rolled-back SET would not stick


def test_random_walks_keep_every_case_consistent(city):
    units, grids = city["units"], city["work_grids"]
    people = {  # ids only: the machine starts each walk from a clean session
        "users": {name: (u.id, u.role, u.unit_id) for name in USERS for u in [get_user(name)]},
        "handler_of": {
            units["sanitation"].id: "hw",
            units["municipal"].id: "sz",
            units["west_office"].id: "jd",
        },
        "inspector_of": {grids[0].id: "insp", grids[1].id: "insp2"},
    }
    db.session.remove()
    event.listen(db.engine, "connect", _no_fsync)
    db.engine.dispose()
    tally: Counter = Counter()
    run_state_machine_as_test(lambda: CaseLoop(people, tally), settings=SETTINGS)
    # The walks went all round the loop, not just into refusals.
    assert (
        tally["closed"] and tally["voided"] and tally["suspended"] and tally["rework"] and tally["refused"]
    ), tally
