"""The demo history: past months lived through the real services.

Runs on the mini city (two work grids) with the clock at 30 November 2026, so
the history covers September and October 2026 (October has the National Day
holidays, so holiday patrols happen).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from sqlalchemy import func, select

from gridcity.cases import states
from gridcity.cases.history import differences
from gridcity.cases.models import Case, CaseEvent, CaseRequest, CaseTask
from gridcity.core import clock
from gridcity.demo.history import generate_history, load_history, past_months
from gridcity.extensions import db
from gridcity.geo.models import Street
from gridcity.patrols.models import Patrol
from gridcity.scorecards.models import ContestInspection
from gridcity.scorecards.snapshots import services as sc
from gridcity.workcalendar.services import working_calendar
from tests.cases.conftest import MONDAY_10AM, city, frozen_clock  # noqa: F401
from tests.conftest import _empty_all_tables

MONTHS = ["2026-09", "2026-10"]


def test_past_months_are_the_whole_months_before_today():
    assert past_months(dt.date(2026, 12, 2), 3) == [(2026, 9), (2026, 10), (2026, 11)]
    assert past_months(dt.date(2027, 1, 15), 2) == [(2026, 11), (2026, 12)]


def test_history_walks_every_path_and_every_case_replays_to_its_row(app, city):  # noqa: F811
    summary = load_history(2, seed=11, reports_per_grid=45)
    assert summary["months"] == MONTHS
    assert summary["frozen"] == MONTHS
    clock.freeze(MONDAY_10AM)

    all_cases = list(db.session.scalars(select(Case).order_by(Case.id)))
    assert len(all_cases) >= 150
    # Every case is finished before the current month: nothing waits in today's queues.
    assert {c.state for c in all_cases} <= {states.CLOSED, states.VOIDED, states.MERGED}
    assert db.session.scalar(select(func.count(CaseTask.id)).where(CaseTask.completed_at.is_(None))) == 0
    assert db.session.scalar(select(func.count(CaseRequest.id)).where(CaseRequest.state == "pending")) == 0
    first = min(c.reported_at for c in all_cases)
    last = max(c.closed_at or c.voided_at or c.reported_at for c in all_cases)
    assert first >= dt.datetime(2026, 8, 31, 16, tzinfo=dt.UTC)  # 1 September, 00:00 in the city
    assert last < dt.datetime(2026, 10, 31, 16, tzinfo=dt.UTC)  # before November starts there

    # Every case's row is exactly the replay of its history.
    for case in all_cases:
        assert differences(case) == {}, case.number

    # Every major state path occurs.
    by_action: dict[str, set] = {}
    events = list(db.session.scalars(select(CaseEvent)))
    for e in events:
        by_action.setdefault(e.action, set()).add(e.case_id)
    overdue = by_action.get("overdue", set())
    closed = {c.id for c in all_cases if c.state == states.CLOSED}
    assert closed - overdue, "some cases closed on time"
    assert closed & overdue, "some cases closed after an overdue mark (set by the sweeper)"
    assert all(e.actor_role == "system" for e in events if e.action == "overdue")
    reworked = {e.case_id for e in events if e.action == "check" and e.data.get("result") == "fail"}
    assert reworked and reworked <= closed
    decided = Counter((e.data["kind"], e.data["approved"]) for e in events if e.action == "decide")
    for kind in ("extension", "suspension", "return"):
        assert decided[(kind, True)] > 0, kind
    assert any(c.extension_count for c in all_cases)
    assert any(c.suspension_count for c in all_cases)
    assert any(c.return_count for c in all_cases)
    assert by_action.get("resume"), "suspended cases were resumed"
    voided = [c for c in all_cases if c.state == states.VOIDED]
    assert any(c.verified_at is not None for c in voided), "a public report not confirmed on site"
    assert any(c.verified_at is None for c in voided), "a report voided by the shift leader"
    assert any(c.state == states.MERGED for c in all_cases)
    sources = Counter(c.source for c in all_cases)
    assert sources["inspector"] > sources["hotline"] + sources["public"] > 0
    assert sources["patrol"] > 0

    # Patrols of each kind, with findings tagged to them, all ended.
    kinds = Counter(db.session.scalars(select(Patrol.kind)))
    assert set(kinds) == {"daily", "night", "holiday", "month_end"}
    assert db.session.scalar(select(func.count(Patrol.id)).where(Patrol.ended_at.is_(None))) == 0
    night_findings = db.session.scalar(
        select(func.count(Case.id)).join(Patrol, Case.patrol_id == Patrol.id).where(Patrol.kind == "night")
    )
    assert night_findings > 0
    # Managers' contest inspections in each month.
    months = set(db.session.scalars(select(ContestInspection.month)))
    assert months == set(MONTHS)

    _reads_like_a_real_center(all_cases, events)

    # The months are frozen: version 1 each, with rows that count these cases.
    for month in MONTHS:
        assert [v.version for v in sc.versions(month)] == [1]
        street = sc.month_scorecard(month, "street")
        assert street.version == 1
        assert sum(r.counts.get("reported", 0) for r in street.rows) > 0


def _reads_like_a_real_center(all_cases: list[Case], events: list[CaseEvent]) -> None:
    """Issue 15 item 7: callers' phones are numbers, verifies and voids happen
    in office hours of the working calendar, descriptions are an inspector's
    words with the place, and no crowd of steps waits for the month's last minute."""
    calls = [c for c in all_cases if c.source in ("hotline", "public")]
    assert calls and all(re.fullmatch(r"1[3-9]\d{9}", c.reporter_contact or "") for c in calls), [
        c.reporter_contact for c in calls[:5]
    ]
    calendar = working_calendar("Asia/Shanghai")

    def in_office(at: dt.datetime) -> bool:
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        day = at.astimezone(calendar.zone).date()
        return any(start <= at < end for start, end in calendar.office_intervals(day))

    desk = [e for e in events if e.action in ("verify", "void")]
    assert len(desk) > 10
    assert [(e.action, e.at) for e in desk if not in_office(e.at)] == []
    assert any(not in_office(e.at) for e in events if e.action == "report")  # calls come in any time

    words = {c.description for c in all_cases}
    names = {c.category.name_zh for c in all_cases}
    assert len(words) > len(all_cases) * 0.8 and not words & names
    streets = set(db.session.scalars(select(Street.name)))
    assert all(any(s in c.description for s in streets) for c in all_cases)

    by_minute = Counter(e.at.replace(second=0, microsecond=0) for e in events if e.actor_role != "system")
    assert max(by_minute.values()) <= 3, by_minute.most_common(3)


def _fingerprint() -> list:
    out = []
    for case in db.session.scalars(select(Case).order_by(Case.reported_at, Case.id)):
        out.append(
            (
                case.category.code,
                case.source,
                round(case.lon, 7),
                case.reported_at,
                case.state,
                tuple((e.action, e.to_state, e.at) for e in case.events),
            )
        )
    patrols = [
        (p.kind, p.started_at, p.ended_at) for p in db.session.scalars(select(Patrol).order_by(Patrol.id))
    ]
    return [out, patrols]


def test_the_same_seed_gives_the_same_history(app, city, create_mini_city, database_url):  # noqa: F811
    generate_history(1, seed=5, reports_per_grid=6)
    clock.freeze(MONDAY_10AM)
    first = _fingerprint()
    assert len(first[0]) >= 12

    db.session.remove()
    _empty_all_tables(database_url)
    _rebuild_city(create_mini_city)
    generate_history(1, seed=5, reports_per_grid=6)
    clock.freeze(MONDAY_10AM)
    assert _fingerprint() == first


def _rebuild_city(create_mini_city):
    from gridcity.org.services import create_user
    from tests.conftest import DEMO_PASSWORD

    create_mini_city()
    create_user("sz", DEMO_PASSWORD, "unit_handler", unit_code="SZ")
    create_user("jd", DEMO_PASSWORD, "unit_handler", unit_code="JD01")
    create_user("insp2", DEMO_PASSWORD, "inspector", work_grid_codes=["WG02"])
    db.session.commit()
