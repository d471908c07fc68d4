"""Rule 8 of DOMAIN §7.1: a figure and its drill-down are one thing. For every
subject of every tier and every count, the drill-down lists exactly as many
rows as the figure — live, and frozen; a frozen month drills to what it
counted when it was frozen, whatever happens to the cases afterwards."""

from __future__ import annotations

from sqlalchemy import select, update

from gridcity.cases import services as cases
from gridcity.cases.models import Case, CaseEvent
from gridcity.extensions import db
from gridcity.org.models import Unit
from gridcity.scorecards.counting import engine
from gridcity.scorecards.counting.counts import TIER_COUNTS
from gridcity.scorecards.scoring.indicators import DEFAULT_DOCUMENT
from gridcity.scorecards.snapshots import services
from tests.scorecards.conftest import EAST, WEST, build_september, local

MONTH = "2026-09"
LIMITS = DEFAULT_DOCUMENT["limits_minutes"]


def hard_cases(d) -> None:
    """Histories where counting by events and by cases differ, and where the
    clock, not the sweeper, decides: an overdue case returned and handled by
    the next unit after a rework; an extension asked for too late; two checks
    at one instant; a hotline duplicate merged into an inspector's report."""
    hw = db.session.scalar(select(Unit.id).where(Unit.code == "HW"))
    forward = [("accept", "op"), ("file", "lead"), ("dispatch", "disp")]
    d.at(local(17, 9))
    returned = d.flow(d.report("insp2", EAST, "C0101"), [*forward, ("unit_accept", "sz")])
    d.at(local(17, 12))  # due 11:30, nobody swept
    d.flow(
        returned,
        [
            ("request", "sz", {"kind": "return", "minutes": 0}),
            ("decide", "disp"),
            ("dispatch", "disp", {"unit_id": hw, "reason": "改派环卫"}),
            ("unit_accept", "hw"),
            ("handle", "hw"),
            ("check", "insp2", {"passed": False}),
            ("handle", "hw", {"minutes": 0}),
            ("check", "insp2", {"minutes": 0}),
            ("close", "lead"),
        ],
    )
    d.at(local(18, 9))
    late = d.flow(d.report("insp2", EAST, "C0101"), [*forward, ("unit_accept", "sz")])
    d.at(local(18, 11, 45))
    d.flow(
        late,
        [
            ("request", "sz", {"kind": "extension", "extra_amount": 2, "minutes": 0}),
            ("decide", "lead"),
            ("handle", "sz"),
        ],
    )
    d.at(local(19, 9))
    own = d.report("insp", WEST)
    d.later(20)
    duplicate = d.report("op", WEST)
    d.later(5)
    cases.merge(db.session.get(Case, duplicate), d.user("op"), db.session.get(Case, own))
    db.session.commit()


def every_figure(version: int | None = None):
    """(tier, subject id, count, figure) of every row of every counted tier."""
    tables = services.month_scorecards(MONTH, version)
    for tier, names in TIER_COUNTS.items():
        for row in tables[tier].rows:
            for count in names:
                yield tier, row.subject_id, count, row.counts[count]


def drill_all(version: int | None = None) -> dict:
    out = {}
    for tier, subject_id, count, figure in every_figure(version):
        listed = services.cases_behind(MONTH, tier, subject_id, count, version)
        assert len(listed) == figure, (tier, subject_id, count, figure, listed)
        out[tier, subject_id, count] = (figure, listed)
    db.session.rollback()
    return out


def test_every_drill_down_lists_its_figure_live_and_frozen(app, driver):
    d = driver
    build_september(d)
    hard_cases(d)
    d.at(local(3, 9, month=10))
    live = drill_all()
    # Non-trivial: events counted twice on one case, and overdue cases.
    assert any(len(set(listed)) < len(listed) for _, listed in live.values())
    assert any(count == "overdue" and figure for (_, _, count), (figure, _) in live.items())

    services.freeze_month(MONTH)
    db.session.commit()
    frozen = drill_all(1)
    assert frozen == live  # nothing changed since: frozen and live agree

    # An admin edit after the freeze: a closed case moved to another street
    # and its close re-dated into October. The live month changes; the frozen
    # one drills to the same cases as it did.
    moved = db.session.scalar(select(Case.id).where(Case.closed_at.is_not(None)).order_by(Case.id).limit(1))
    street = db.session.get(Case, moved).street_id
    other = db.session.scalar(select(Case.street_id).where(Case.street_id != street).limit(1))
    db.session.execute(update(Case).where(Case.id == moved).values(street_id=other))
    db.session.execute(
        update(CaseEvent)
        .where(CaseEvent.case_id == moved, CaseEvent.action == "close")
        .values(at=local(2, 9, month=10))
    )
    db.session.commit()
    assert drill_all(1) == frozen
    # The live month did move: the case is no longer closed in September.
    assert moved in frozen["street", street, "closed"][1]
    assert moved not in engine.cases_behind(MONTH, "street", street, "closed", LIMITS)
    live_street = next(r for r in services.compute_scorecards(MONTH)["street"].rows if r.subject_id == street)
    assert live_street.counts["closed"] == frozen["street", street, "closed"][0] - 1
