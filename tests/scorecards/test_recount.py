"""Random histories → the engine's counts equal a plain count over the raw
event log, written here separately (one Python loop over ``case_event``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from gridcity.cases import services
from gridcity.cases.models import Case, CaseEvent, CaseRequest, CaseTask, Photo
from gridcity.cases.sweeper import sweep
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.geo.models import inspector_work_grid
from gridcity.org.models import Unit, User
from gridcity.org.services import get_user
from gridcity.scorecards.counting import engine
from gridcity.scorecards.scoring.indicators import DEFAULT_DOCUMENT
from tests.scorecards.conftest import EAST, WEST, jpeg_bytes, local

MONTH = "2026-09"
LIMITS = DEFAULT_DOCUMENT["limits_minutes"]
GRID_INSPECTOR = {WEST: "insp", EAST: "insp2"}
STEP_MINUTES = (5, 20, 45, 200, 1500, 4000)


def clear_cases() -> None:
    db.session.rollback()
    db.session.execute(update(Case).values(merged_into_id=None))
    for model in (Photo, CaseEvent, CaseTask, CaseRequest, Case):
        db.session.execute(delete(model))
    db.session.commit()
    db.session.expunge_all()


def live_one(data, start: dt.datetime) -> None:
    """One case walked by random choices through the real services."""
    now = start
    clock.freeze(now)
    position = data.draw(st.sampled_from([WEST, EAST]), label="where")
    reporter = data.draw(st.sampled_from(["insp", "insp2", "op"]), label="reporter")
    category = data.draw(st.sampled_from(["E0102", "C0101"]), label="category")
    user = get_user(reporter)
    source = "hotline" if reporter == "op" else "inspector"
    case = services.submit_report(
        services.Report(category=category, lon=position[0], lat=position[1], source=source), user
    ).case
    db.session.commit()
    inspector = GRID_INSPECTOR[position]
    handler = {}
    for unit_id, code in db.session.execute(select(Unit.id, Unit.code)):
        handler[unit_id] = {"HW": "hw", "SZ": "sz", "JD01": "jd"}[code]
    for _ in range(14):
        now += dt.timedelta(minutes=data.draw(st.sampled_from(STEP_MINUTES), label="wait"))
        clock.freeze(now)
        if data.draw(st.integers(0, 5), label="sweep") == 0:
            sweep(now)
        case = db.session.get(Case, case.id)
        pending = db.session.scalar(
            select(CaseRequest).where(CaseRequest.case_id == case.id, CaseRequest.state == "pending")
        )
        s = case.state
        choice = data.draw(st.integers(0, 10), label="choice")  # 10: leave the case there
        if choice == 10 or s in ("voided", "closed", "merged"):
            break
        if s == "reported":
            if choice < 8:
                services.accept(case, get_user("op"))
            else:
                services.void(case, get_user("lead"), "不属于立案标准")
        elif s == "verifying":
            services.verify(case, get_user(inspector), choice < 7)
        elif s == "accepted":
            if choice < 8:
                services.file_case(case, get_user("lead"))
            else:
                services.void(case, get_user("lead"), "重复")
        elif s == "filed":
            services.dispatch(case, get_user("disp"))
        elif pending is not None:
            services.decide(case, get_user("lead" if choice % 2 else "disp"), choice < 6)
        elif s in ("dispatched", "in_progress") and choice >= 7:
            kind = ("extension", "suspension", "return")[choice - 7]
            services.request_change(
                case,
                get_user(handler[case.unit_id]),
                kind,
                "原因",
                extra_amount=2 if kind == "extension" else None,
                review_on=now + dt.timedelta(days=3) if kind == "suspension" else None,
            )
        elif s == "dispatched":
            services.unit_accept(case, get_user(handler[case.unit_id]))
        elif s == "in_progress":
            services.handle(case, get_user(handler[case.unit_id]), "已处理", photos=[jpeg_bytes()])
        elif s == "handled":
            services.check(case, get_user(inspector), choice < 7, photos=[jpeg_bytes()])
        elif s == "checked":
            if choice < 5:
                services.close(case, get_user("lead"))
            else:
                services.rework(case, get_user("lead"), "核查照片不符合结案标准")
        elif s == "suspended":
            services.resume(case, get_user("lead"))
        db.session.commit()


def plain_count(start: dt.datetime, end: dt.datetime) -> dict:
    """The month's counts straight from the event log, one event at a time."""
    cases = {c.id: c for c in db.session.scalars(select(Case))}
    users = {u.id: u for u in db.session.scalars(select(User))}
    grid_inspectors = defaultdict(set)
    for user_id, wg in db.session.execute(
        select(inspector_work_grid.c.user_id, inspector_work_grid.c.work_grid_id)
    ):
        grid_inspectors[wg].add(user_id)
    tasks = {(t.case_id, t.kind, t.completed_at): t for t in db.session.scalars(select(CaseTask))}
    history = defaultdict(list)
    for e in db.session.scalars(select(CaseEvent).order_by(CaseEvent.id)):
        history[e.case_id].append(e)
    out = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))

    def add(tier, key, name):
        if key is not None:
            out[tier][key][name] += 1

    for case_id, events in history.items():
        c = cases[case_id]
        overdue_ids = [e.id for e in events if e.action == "overdue"]
        first_overdue = min(overdue_ids) if overdue_ids else None
        for n, e in enumerate(events):
            if not start <= e.at < end:
                continue
            earlier = events[:n]

            def last_actor(action, earlier=earlier):
                found = [x for x in earlier if x.action == action]
                return found[-1].actor_id if found else None

            on_time = first_overdue is None or first_overdue > e.id
            task = tasks.get((case_id, e.action, e.at))
            names = []
            if e.action == "report":
                names.append("reported")
                if c.source in ("inspector", "patrol"):
                    names.append("inspector_reported")
                if c.voided_at is None:
                    names.append("valid")
            elif e.action == "file":
                names.append("filed")
                after = c.verified_at or c.accepted_at
                if (e.at - after).total_seconds() <= LIMITS["file"] * 60:
                    names.append("filed_on_time")
            elif e.action in ("void", "verify") and e.to_state == "voided":
                names.append("voided")
            if e.action == "dispatch":
                names.append("dispatched")
                if (e.at - c.filed_at).total_seconds() <= LIMITS["dispatch"] * 60:
                    names.append("dispatched_on_time")
            elif e.action == "handle":
                names += ["handled"] + (["handled_on_time"] if on_time else [])
            elif e.action == "close":
                names += ["closed"] + (["closed_on_time"] if on_time else [])
                if (e.at - c.checked_at).total_seconds() <= LIMITS["close"] * 60:
                    names.append("closed_promptly")
            elif e.action == "overdue":
                names.append("overdue")
                if c.closed_at is None or c.closed_at >= end:
                    names.append("overdue_open")
            elif e.action == "check":
                names.append("checked")
                if task.completed_at <= task.due_at:
                    names.append("checked_on_time")
                if e.to_state == "in_progress":
                    names.append("rework")
            elif e.action == "rework":
                names.append("rework")
            elif e.action == "verify":
                names.append("verified")
                if task.completed_at <= task.due_at:
                    names.append("verified_on_time")
            elif e.action == "decide":
                if e.data.get("kind") == "extension" and e.data.get("approved"):
                    names.append("extension")
                if e.to_state == "suspended":
                    names.append("suspension")
                if e.to_state == "filed":
                    names.append("returned")
            elif e.action == "accept":
                names.append("accepted")
                quick = (e.at - c.reported_at).total_seconds() <= LIMITS["accept"] * 60
                kind = "accepted_verify" if e.to_state == "verifying" else "accepted_direct"
                names += [kind] + ([f"{kind}_on_time"] if quick else [])
            for name in names:
                for tier, key in (
                    ("unit_grid", c.unit_grid_id),
                    ("work_grid", c.work_grid_id),
                    ("area", c.area_id),
                    ("street", c.street_id),
                    ("district", c.district_id),
                ):
                    add(tier, key, name)
                if e.actor_role in ("inspector", "operator", "shift_leader", "dispatcher"):
                    add(e.actor_role, e.actor_id, name)
                if name == "returned":
                    requester = last_actor("request")
                    add("unit", users[requester].unit_id if requester else None, name)
                elif e.action == "dispatch":
                    add("unit", e.data["set"]["unit_id"], name)
                elif e.actor_role == "unit_handler":
                    add("unit", users[e.actor_id].unit_id, name)
                else:
                    add("unit", c.unit_id, name)
            if "rework" in names:
                add("dispatcher", last_actor("dispatch"), "dispatched_reworked")
            if "returned" in names:
                add("dispatcher", last_actor("dispatch"), "dispatched_returned")
            if e.action == "report" and c.voided_at is None:
                for inspector_id in grid_inspectors.get(c.work_grid_id, ()):
                    add("inspector", inspector_id, "grid_valid")
                    if c.reporter_id not in grid_inspectors[c.work_grid_id]:
                        add("inspector", inspector_id, "missed")
    return out


def engine_count(start, end) -> dict:
    counts = engine.count_month(start, end, LIMITS)
    return counts.by_tier


def comparable(by_tier: dict, tier: str, names) -> dict:
    """{subject: {count: n}} without zeros."""
    return {
        key: {n: v for n, v in row.items() if n in names and v}
        for key, row in by_tier.get(tier, {}).items()
        if any(row.get(n) for n in names)
    }


SETTINGS = settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@SETTINGS
@given(data=st.data())
def test_engine_counts_equal_a_plain_count_of_the_event_log(app, city, data):
    from gridcity.scorecards.counting import counts as ind

    clear_cases()
    first = local(27, 9, month=8)
    for _ in range(data.draw(st.integers(4, 9), label="cases")):
        offset = data.draw(st.integers(0, 36 * 24), label="start hour")
        live_one(data, first + dt.timedelta(hours=offset))
    start, end = engine.month_bounds(MONTH)
    expected = plain_count(start, end)
    got = engine_count(start, end)
    for tier, names in ind.TIER_COUNTS.items():
        names = [n for n in names if n not in ("should_close", "patrol_findings")]
        assert comparable(got, tier, names) == comparable(expected, tier, names), tier
    for row in got["street"].values():
        assert row["should_close"] == row["closed"] + row["overdue_open"]
    clock.freeze(None)
