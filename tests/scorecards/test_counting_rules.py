"""The counting rules of DOMAIN.md §7.1, one history each, built through the
real case services with the application clock moved (no sweeper unless said):
each test is one finding of the recount (issue 13) that the engine got wrong.

C0101 (a manhole cover) is due 2 emergency hours — continuous time — after
its dispatch, and goes to the municipal unit (SZ) in the east; the
sanitation unit (HW) takes the re-dispatches."""

from __future__ import annotations

from sqlalchemy import select

from gridcity.cases.models import Case
from gridcity.extensions import db
from gridcity.org.models import Unit, User
from gridcity.scorecards.snapshots import services
from tests.scorecards.conftest import EAST, local

MONTH = "2026-09"
FORWARD = [("accept", "op"), ("file", "lead"), ("dispatch", "disp")]
CLOSING = [("check", "insp2"), ("close", "lead")]


def counts(tier: str, subject_id: int, month: str = MONTH) -> dict:
    """A subject's counts in the live month (zeros if it has no row)."""
    from gridcity.scorecards.counting.counts import TIER_COUNTS

    table = services.compute_scorecards(month)[tier]
    row = next((r for r in table.rows if r.subject_id == subject_id), None)
    db.session.rollback()
    return dict(row.counts) if row else dict.fromkeys(TIER_COUNTS[tier], 0)


def unit_id(code: str) -> int:
    return db.session.scalar(select(Unit.id).where(Unit.code == code))


def user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username))


def street_of(case_id: int) -> int:
    return db.session.get(Case, case_id).street_id


def pick(c: dict, *names: str) -> tuple:
    return tuple(c[n] for n in names)


# ---------------------------------------------------------------- rule 1


def test_lateness_is_read_from_the_clock_not_from_the_sweepers_mark(driver):
    """Finding 1: a handling five minutes after the deadline, before any sweep,
    is late, and the case was overdue in the month its deadline passed."""
    d = driver
    d.at(local(14, 9))
    late = d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, ("unit_accept", "sz")])
    # Dispatched at 09:30: due 11:30. Handled at 11:35; nobody swept.
    d.at(local(14, 11, 35))
    d.flow(late, [("handle", "sz", {"minutes": 0}), *CLOSING])
    # On time: handled 10 minutes after its dispatch.
    d.at(local(15, 9))
    d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, ("unit_accept", "sz"), ("handle", "sz"), *CLOSING])
    # Open, its deadline passed on the 20th; never swept.
    d.at(local(20, 9))
    d.flow(d.report("insp2", EAST, "C0101"), FORWARD)
    # Dispatched on 30 September at 23:00 (Shenzhen time): due on 1 October at
    # 01:00 — overdue in October, not in September.
    d.at(local(30, 22, 30))
    d.flow(d.report("insp2", EAST, "C0101"), FORWARD)
    d.at(local(3, 9, month=10))

    street, sz = street_of(late), unit_id("SZ")
    names = (
        "handled",
        "handled_on_time",
        "closed",
        "closed_on_time",
        "overdue",
        "overdue_open",
        "should_close",
    )
    assert pick(counts("street", street), *names) == (2, 1, 2, 1, 2, 1, 3)
    assert pick(counts("unit", sz), *names) == (2, 1, 2, 1, 2, 1, 3)
    october = counts("street", street, "2026-10")
    assert (october["overdue"], october["overdue_open"]) == (1, 1)


def test_a_desk_step_done_exactly_at_its_limit_is_on_time(driver):
    """Rule 1 on both databases: accepted 30 minutes after the report, filed
    60 after, dispatched 60 after (the limits) — all on time. (SQLite once
    compared floating-point Julian days and found some of them late.)"""
    d = driver
    d.at(local(14, 9))
    d.flow(
        d.report("insp2", EAST, "C0101"),
        [
            ("accept", "op", {"minutes": 30}),
            ("file", "lead", {"minutes": 60}),
            ("dispatch", "disp", {"minutes": 60}),
        ],
    )
    assert pick(counts("operator", user_id("op")), "accepted_direct", "accepted_direct_on_time") == (1, 1)
    assert pick(counts("shift_leader", user_id("lead")), "filed", "filed_on_time") == (1, 1)
    assert pick(counts("dispatcher", user_id("disp")), "dispatched", "dispatched_on_time") == (1, 1)


def test_a_rework_with_no_time_left_is_overdue_in_its_month(driver):
    """Rule 1: handled late in September, the check fails on 2 October: no
    handling time is left, so the running deadline passes at once — the case
    is overdue in October, for the street and the unit, and the handling half
    an hour later is late. The same when the September deadline had been
    'extended' by an extension asked for after it passed (rule 5: it moved
    nothing)."""
    d = driver
    d.at(local(28, 9))
    plain = d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, ("unit_accept", "sz")])
    d.at(local(28, 15))  # due 11:30
    d.flow(plain, [("handle", "sz", {"minutes": 0})])
    d.at(local(28, 9, 5))
    late_extension = d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, ("unit_accept", "sz")])
    d.at(local(28, 12))  # due 11:35: asked for 25 minutes too late
    d.flow(late_extension, [("request", "sz", {"kind": "extension", "extra_amount": 3}), ("decide", "disp")])
    d.at(local(28, 16))
    d.flow(late_extension, [("handle", "sz", {"minutes": 0})])
    d.at(local(2, 9, month=10))
    for case_id in (plain, late_extension):
        d.flow(case_id, [("check", "insp2", {"passed": False}), ("handle", "sz", {"minutes": 30})])
    d.at(local(3, 9, month=10))
    names = ("handled", "handled_on_time", "overdue", "overdue_open")
    assert pick(counts("street", street_of(plain), "2026-10"), *names) == (2, 0, 2, 2)
    assert pick(counts("unit", unit_id("SZ"), "2026-10"), *names) == (2, 0, 2, 2)
    assert sorted(services.cases_behind("2026-10", "street", street_of(plain), "overdue")) == [
        plain,
        late_extension,
    ]


def test_a_deadline_still_ahead_is_not_overdue(driver):
    """In the live month, a case whose deadline is still to come is not overdue."""
    d = driver
    d.at(local(14, 9))
    case_id = d.flow(d.report("insp2", EAST, "C0101"), FORWARD)
    d.at(local(14, 10))  # due 11:30
    assert counts("street", street_of(case_id))["overdue"] == 0
    d.at(local(14, 11, 31))
    assert counts("street", street_of(case_id))["overdue"] == 1


# ---------------------------------------------------------------- rule 3


def test_blame_follows_the_unit_that_held_the_case(driver):
    """Finding 2: the overdue stays with the unit that let it pass (SZ) after
    a return; the next unit (HW) is judged on its own dispatch's clock; an
    extension and a return go to the unit of the time even while the case
    waits for re-dispatch."""
    d = driver
    sz, hw = unit_id("SZ"), unit_id("HW")
    d.at(local(14, 9))
    first = d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, ("unit_accept", "sz")])
    # Due 11:30; the sweeper marks it at 11:40 (a notification only).
    d.sweep(local(14, 11, 40))
    d.flow(first, [("request", "sz", {"kind": "return"}), ("decide", "disp")])
    d.flow(
        first,
        [
            ("dispatch", "disp", {"unit_id": hw, "reason": "改派环卫"}),
            ("unit_accept", "hw"),
            ("handle", "hw"),
        ],
    )
    d.flow(first, CLOSING)
    # A second case: SZ gets an extension, then returns it; at the month's end
    # it waits for re-dispatch.
    d.at(local(16, 9))
    d.flow(
        d.report("insp2", EAST, "C0101"),
        [
            *FORWARD,
            ("request", "sz", {"kind": "extension", "extra_amount": 2}),
            ("decide", "lead"),
            ("request", "sz", {"kind": "return"}),
            ("decide", "disp"),
        ],
    )
    d.at(local(3, 9, month=10))

    names = (
        "dispatched",
        "handled",
        "handled_on_time",
        "closed",
        "closed_on_time",
        "overdue",
        "extension",
        "returned",
    )
    assert pick(counts("unit", sz), *names) == (2, 0, 0, 0, 0, 1, 1, 2)
    assert pick(counts("unit", hw), *names) == (1, 1, 1, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- rule 2


def test_a_re_dispatch_is_timed_from_the_approved_return(driver):
    """Finding 3: re-dispatched ten minutes after the return was approved is
    on time, however long ago the case was filed."""
    d = driver
    hw = unit_id("HW")
    d.at(local(14, 9))
    case_id = d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, ("request", "sz", {"kind": "return"})])
    d.at(local(14, 15))
    d.flow(
        case_id,
        [("decide", "disp", {"minutes": 0}), ("dispatch", "disp", {"unit_id": hw, "reason": "改派环卫"})],
    )
    c = counts("dispatcher", user_id("disp"))
    assert (c["dispatched"], c["dispatched_on_time"]) == (2, 2)


# ---------------------------------------------------------------- rule 4


def test_checks_are_matched_to_their_own_task(driver):
    """Finding 4: two checks of one case done at the same instant (a fast
    inspector, a coarse clock) are two checks on time, not four."""
    d = driver
    d.at(local(14, 9))
    case_id = d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, ("unit_accept", "sz"), ("handle", "sz")])
    d.flow(
        case_id,
        [
            ("check", "insp2", {"passed": False}),
            ("handle", "sz", {"minutes": 0}),
            ("check", "insp2", {"minutes": 0}),
        ],
    )
    c = counts("inspector", user_id("insp2"))
    assert (c["checked"], c["checked_on_time"]) == (2, 2)


def test_reworked_dispatches_are_some_of_the_months_dispatches(driver):
    """Rule 4 for the dispatcher: a September dispatch reworked twice in
    October is no October dispatch reworked (the old count gave October one
    dispatch and two reworks: an accurate-dispatch rate of −100 %), and a
    dispatch reworked twice in its month is one reworked dispatch."""
    d = driver
    handled = [("unit_accept", "sz"), ("handle", "sz")]
    failed = [("check", "insp2", {"passed": False}), ("handle", "sz", {"minutes": 0})]
    d.at(local(29, 9))
    september = d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, *handled])
    d.at(local(2, 9, month=10))
    d.flow(september, [*failed, *failed])
    d.at(local(5, 9, month=10))
    october = d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, *handled, *failed, *failed])
    disp = user_id("disp")
    names = ("dispatched", "dispatched_reworked")
    assert pick(counts("dispatcher", disp), *names) == (1, 0)
    assert pick(counts("dispatcher", disp, "2026-10"), *names) == (1, 1)
    (row,) = [r for r in services.compute_scorecards("2026-10")["dispatcher"].rows if r.subject_id == disp]
    assert row.indicators["accurate_dispatch"]["value"] == 0.0
    db.session.rollback()
    assert services.cases_behind("2026-10", "dispatcher", disp, "dispatched_reworked") == [october]


# ---------------------------------------------------------------- rule 5


def test_an_extension_counts_only_if_asked_for_before_the_deadline(driver):
    """Finding 5: an extension asked for in time moves the deadline — the
    handling is judged by the extended one, even when the approval came after
    the first had passed (rule 5), though that first deadline did pass (rule
    1: the extensions in force at that moment); one asked for after the
    deadline moves nothing, and the handling stays late."""
    d = driver
    sz = unit_id("SZ")

    def extended(day: int, asked: tuple, approved: tuple) -> int:
        """Dispatched at 09:30 (due 11:30); 2 hours more asked and approved
        at the given times; handled at 12:30 (the extended deadline: 13:30)."""
        d.at(local(day, 9))
        case_id = d.flow(d.report("insp2", EAST, "C0101"), [*FORWARD, ("unit_accept", "sz")])
        d.at(local(day, *asked))
        d.flow(case_id, [("request", "sz", {"kind": "extension", "extra_amount": 2, "minutes": 0})])
        d.at(local(day, *approved))
        d.flow(case_id, [("decide", "lead", {"minutes": 0})])
        d.at(local(day, 12, 30))
        d.flow(case_id, [("handle", "sz", {"minutes": 0}), *CLOSING])
        return case_id

    extended(14, (11, 0), (11, 10))  # asked and approved in time
    approved_late = extended(15, (11, 0), (11, 40))  # asked in time, approved after 11:30
    asked_late = extended(16, (11, 45), (11, 50))  # asked after 11:30
    d.at(local(3, 9, month=10))

    names = ("extension", "handled", "handled_on_time", "closed_on_time", "overdue")
    assert pick(counts("unit", sz), *names) == (3, 3, 2, 2, 2)
    assert services.cases_behind(MONTH, "unit", sz, "overdue") == [approved_late, asked_late]


# ---------------------------------------------------------------- rule 6


def test_a_duplicate_merged_into_the_inspectors_own_report_is_no_miss(driver):
    """Finding 6: missed reports go by the first report among those merged into
    a case; every merged report stays a valid report of its reporter."""
    d = driver
    insp, insp2 = user_id("insp"), user_id("insp2")
    # insp2's own report, then a hotline duplicate and another grid's
    # inspector's duplicate, both merged into it: no miss.
    d.at(local(14, 9))
    own = d.report("insp2", EAST)
    d.at(local(14, 9, 30))
    hotline = d.report("op", EAST)
    d.at(local(14, 9, 40))
    neighbour = d.report("insp", EAST)
    for dup in (hotline, neighbour):
        d.later(5)
        from gridcity.cases import services as cases

        cases.merge(db.session.get(Case, dup), d.user("op"), db.session.get(Case, own))
        db.session.commit()
    # A hotline report first, insp2's later report of the same problem kept
    # and the hotline's merged into it: a miss (the first report was not his).
    d.at(local(15, 9))
    first = d.report("op", EAST)
    d.at(local(15, 9, 30))
    kept = d.report("insp2", EAST)
    d.later(5)
    cases.merge(db.session.get(Case, first), d.user("op"), db.session.get(Case, kept))
    db.session.commit()
    d.at(local(3, 9, month=10))

    c = counts("inspector", insp2)
    assert (c["valid"], c["grid_valid"], c["missed"]) == (2, 2, 1)
    assert services.cases_behind(MONTH, "inspector", insp2, "missed") == [kept]
    assert counts("inspector", insp)["valid"] == 1  # the merged duplicate keeps its credit
