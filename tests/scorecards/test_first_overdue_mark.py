"""A case keeps its first overdue mark (the sweeper writes it on the case):
a return clears ``overdue`` and a later mark does not move it. The
scorecards read lateness from the clock (DOMAIN §7.1 rule 1), each unit on
its own dispatch's deadline (rule 3), whatever the marks."""

from __future__ import annotations

from sqlalchemy import select

from gridcity.cases.history import differences
from gridcity.cases.models import Case, CaseEvent
from gridcity.extensions import db
from gridcity.org.models import Unit
from gridcity.scorecards.snapshots import services as scorecards
from tests.scorecards.conftest import EAST, local

FORWARD = [("accept", "op"), ("file", "lead"), ("dispatch", "disp")]


def overdue_marks(case_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(CaseEvent.id)
            .where(CaseEvent.case_id == case_id, CaseEvent.action == "overdue")
            .order_by(CaseEvent.id)
        )
    )


def test_the_first_overdue_mark_stays_on_the_case_and_makes_later_steps_late(driver):
    d = driver
    hw = db.session.scalar(select(Unit.id).where(Unit.code == "HW"))
    d.at(local(14, 9))
    case_id = d.flow(d.report("insp2", EAST, "C0101"), FORWARD)
    assert db.session.get(Case, case_id).first_overdue_event_id is None

    assert d.sweep(local(15, 12))["overdue"] == 1
    (first,) = overdue_marks(case_id)
    db.session.expire_all()
    assert db.session.get(Case, case_id).first_overdue_event_id == first

    # Returned (the flag clears), re-dispatched, and late again.
    d.flow(case_id, [("request", "sz", {"kind": "return"}), ("decide", "disp")])
    db.session.expire_all()
    assert db.session.get(Case, case_id).overdue is False
    d.flow(case_id, [("dispatch", "disp", {"unit_id": hw, "reason": "改派环卫"}), ("unit_accept", "hw")])
    assert d.sweep(local(17, 12))["overdue"] == 1
    assert len(overdue_marks(case_id)) == 2
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case.first_overdue_event_id == first
    assert differences(case) == {}  # the history replays to the same mark

    d.flow(case_id, [("handle", "hw"), ("check", "insp2"), ("close", "lead")])
    street = scorecards.compute_scorecards("2026-09")["street"]
    east = next(r for r in street.rows if r.counts["closed"])
    assert (east.counts["handled"], east.counts["handled_on_time"]) == (1, 0)
    assert (east.counts["closed"], east.counts["closed_on_time"]) == (1, 0)
    # One case overdue in the street; each unit let its own deadline pass.
    assert east.counts["overdue"] == 1
    units = {r.subject_code: r.counts for r in scorecards.compute_scorecards("2026-09")["unit"].rows}
    assert (units["SZ"]["overdue"], units["HW"]["overdue"]) == (1, 1)


def test_a_handling_before_any_overdue_mark_is_on_time(driver):
    d = driver
    d.at(local(14, 9))
    case_id = d.flow(
        d.report("insp2", EAST, "C0101"),
        [*FORWARD, ("unit_accept", "sz"), ("handle", "sz"), ("check", "insp2"), ("close", "lead")],
    )
    assert d.sweep(local(20, 12))["overdue"] == 0
    db.session.expire_all()
    assert db.session.get(Case, case_id).first_overdue_event_id is None
    street = scorecards.compute_scorecards("2026-09")["street"]
    east = next(r for r in street.rows if r.counts["closed"])
    assert (east.counts["handled_on_time"], east.counts["closed_on_time"]) == (1, 1)
