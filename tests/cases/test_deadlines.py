"""Deadlines on the category's clock, suspension, extension, rework and the
sweeper — against hand-computed times (office hours 08:30–12:00, 14:00–18:00,
Asia/Shanghai = UTC+8)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from gridcity.cases import services
from gridcity.cases.history import differences
from gridcity.cases.models import Case, CaseEvent
from gridcity.cases.sweeper import sweep
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.org.services import get_user
from gridcity.taxonomy.services import set_rule
from tests.cases.conftest import EAST, jpeg_bytes, report_photo


def local(y, m, d, hh, mm=0) -> dt.datetime:
    return (
        dt.datetime(y, m, d, hh - 8, mm, tzinfo=dt.UTC)
        if hh >= 8
        else (dt.datetime(y, m, d, hh, mm, tzinfo=dt.UTC) - dt.timedelta(hours=8))
    )


def at(moment: dt.datetime) -> None:
    clock.freeze(moment)


def dispatched(category: str, when: dt.datetime) -> Case:
    """A case of ``category`` in the east street, dispatched at ``when``."""
    at(when)
    case = services.submit_report(
        services.Report(category, *EAST, photos=[report_photo()]), get_user("insp2")
    ).case
    services.accept(case, get_user("op"))
    services.file_case(case, get_user("lead"))
    services.dispatch(case, get_user("disp"))
    db.session.commit()
    return case


def test_working_hours_run_over_the_weekend(city):
    # Friday 4 Dec 16:00 + 4 working hours: 16:00–18:00 (2 h), Monday 7 Dec 08:30–10:30 (2 h).
    case = dispatched("E0102", local(2026, 12, 4, 16))
    assert case.deadline_at == local(2026, 12, 7, 10, 30)
    # Warning at 75 % = 3 h: Friday 2 h + Monday 1 h → Monday 09:30.
    assert case.warn_at == local(2026, 12, 7, 9, 30)


def test_emergency_hours_are_continuous(city):
    set_rule("C0101", "district", city["district"].id, city["units"]["municipal"].id)
    # Saturday 5 Dec 23:00 + 2 emergency hours → Sunday 01:00, weekend or not.
    case = dispatched("C0101", local(2026, 12, 5, 23))
    assert case.deadline_at == local(2026, 12, 5, 23) + dt.timedelta(hours=2)
    assert case.urgency == "urgent"


def test_working_days_skip_the_national_day_holiday(city):
    set_rule("E0107", "district", city["district"].id, city["units"]["municipal"].id)
    # Wednesday 30 Sep 10:00 + 10 working days (of 7.5 office hours each):
    # 30 Sep (1), 1–7 Oct holiday, 8 Oct Thu (2), 9 Fri (3), 10 Sat make-up (4),
    # 12–16 Mon–Fri (5–9), 19 Mon (10) → Tuesday 20 Oct 10:00.
    case = dispatched("E0107", local(2026, 9, 30, 10))
    assert case.deadline_at == local(2026, 10, 20, 10)


def test_suspension_stops_the_clock_and_resume_restarts_it(city):
    case = dispatched("E0102", local(2026, 11, 30, 10))  # deadline Monday 16:00
    at(local(2026, 11, 30, 11))
    services.unit_accept(case, get_user("hw"))
    services.request_change(
        case, get_user("hw"), "suspension", "等待管线单位配合", review_on=local(2026, 12, 2, 9)
    )
    services.decide(case, get_user("lead"), approve=True)
    db.session.commit()
    assert case.state == "suspended" and case.deadline_at is None
    assert case.handle_used_s == 3600  # 10:00–11:00
    # Nothing falls due while suspended.
    at(local(2026, 12, 1, 17))
    assert sweep() == {"warned": 0, "overdue": 0, "escalated": 0, "tasks_overdue": 0}
    # Wednesday 10:00 resume: 3 h left → 10:00–12:00 + 14:00–15:00.
    at(local(2026, 12, 2, 10))
    services.resume(case, get_user("disp"))
    db.session.commit()
    assert case.state == "in_progress"
    assert case.deadline_at == local(2026, 12, 2, 15)
    assert differences(case) == {}


def test_extension_adds_to_the_deadline(city):
    case = dispatched("E0102", local(2026, 11, 30, 10))
    at(local(2026, 11, 30, 11))
    services.request_change(case, get_user("hw"), "extension", "需要吊车", extra_amount=2)
    db.session.commit()
    assert case.deadline_at == local(2026, 11, 30, 16)  # not until approved
    services.decide(case, get_user("disp"), approve=True, note="同意")
    db.session.commit()
    assert case.deadline_at == local(2026, 11, 30, 18) and case.extension_count == 1
    # A refused request changes no deadline.
    services.request_change(case, get_user("hw"), "extension", "再延", extra_amount=8)
    services.decide(case, get_user("disp"), approve=False)
    db.session.commit()
    assert case.deadline_at == local(2026, 11, 30, 18) and case.extension_count == 1


def test_rework_restarts_the_clock_with_what_was_left(city):
    case = dispatched("E0102", local(2026, 11, 30, 10))
    at(local(2026, 11, 30, 11))
    services.unit_accept(case, get_user("hw"))
    services.handle(case, get_user("hw"), "已清理", photos=[jpeg_bytes()])
    db.session.commit()
    assert case.handle_used_s == 3600
    at(local(2026, 11, 30, 14))
    services.check(case, get_user("insp2"), passed=False, note="未清理干净", photos=[jpeg_bytes()])
    db.session.commit()
    # 3 h left from 14:00 → 17:00; the time the unit was not holding it does not count.
    assert case.deadline_at == local(2026, 11, 30, 17)


def test_sweeper_warns_then_marks_overdue_once(city):
    case = dispatched("E0102", local(2026, 11, 30, 10))  # warn 15:00, due 16:00
    at(local(2026, 11, 30, 14, 59))
    assert sweep()["warned"] == 0
    at(local(2026, 11, 30, 15))
    assert sweep() == {"warned": 1, "overdue": 0, "escalated": 0, "tasks_overdue": 0}
    assert sweep()["warned"] == 0
    at(local(2026, 11, 30, 16))
    assert sweep() == {"warned": 0, "overdue": 1, "escalated": 0, "tasks_overdue": 0}
    assert sweep()["overdue"] == 0
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.warned and case.overdue
    assert [e.action for e in case.events][-2:] == ["warn", "overdue"]
    assert differences(case) == {}


def test_overdue_verify_tasks_are_marked(city):
    at(local(2026, 11, 30, 10))
    case = services.submit_report(services.Report("E0102", *EAST, source="hotline"), get_user("op")).case
    services.accept(case, get_user("op"))
    db.session.commit()
    # Verify within 2 working hours → 12:00.
    at(local(2026, 11, 30, 12))
    assert sweep()["tasks_overdue"] == 1
    assert sweep()["tasks_overdue"] == 0


def test_two_sweepers_at_once_mark_each_case_once(city, app):
    cases = [dispatched("E0102", local(2026, 11, 30, 10)) for _ in range(12)]
    at(local(2026, 11, 30, 16, 30))
    results, barrier = [], threading.Barrier(2)

    def run():
        with app.app_context():
            barrier.wait()
            results.append(sweep())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r["overdue"] for r in results) == len(cases)
    marks = db.session.execute(
        select(CaseEvent.case_id, func.count())
        .where(CaseEvent.action == "overdue")
        .group_by(CaseEvent.case_id)
    ).all()
    assert sorted(n for _, n in marks) == [1] * len(cases)


@pytest.mark.parametrize(
    "kind,kwargs",
    [
        ("extension", {}),
        ("extension", {"extra_amount": -1}),
        ("suspension", {}),
        ("warp", {}),
    ],
)
def test_bad_requests_are_refused(city, kind, kwargs):
    from gridcity.core.errors import GridCityError

    case = dispatched("E0102", local(2026, 11, 30, 10))
    with pytest.raises(GridCityError):
        services.request_change(case, get_user("hw"), kind, "理由", **kwargs)
    db.session.rollback()
    assert db.session.get(Case, case.id).events[-1].action == "dispatch"


def test_tasks_go_to_the_on_duty_inspector_with_fewest_open_tasks(city):
    from gridcity.cases.models import CaseTask
    from gridcity.org.services import create_user

    create_user("insp3", "gridcity-demo", "inspector", work_grid_codes=["WG02"])
    db.session.commit()
    at(local(2026, 11, 30, 10))
    assignees = []
    for _ in range(4):
        case = services.submit_report(services.Report("E0102", *EAST, source="hotline"), get_user("op")).case
        services.accept(case, get_user("op"))
        db.session.commit()
        assignees.append(db.session.scalar(select(CaseTask.inspector_id).where(CaseTask.case_id == case.id)))
    two, three = get_user("insp2").id, get_user("insp3").id
    assert assignees == [two, three, two, three]
    get_user("insp3").on_duty = False
    db.session.commit()
    case = services.submit_report(services.Report("E0102", *EAST, source="hotline"), get_user("op")).case
    services.accept(case, get_user("op"))
    assert db.session.scalar(select(CaseTask.inspector_id).where(CaseTask.case_id == case.id)) == two


def test_voiding_a_report_under_verification_closes_its_task(city):
    from gridcity.cases.models import CaseTask

    at(local(2026, 11, 30, 10))
    case = services.submit_report(services.Report("E0102", *EAST, source="hotline"), get_user("op")).case
    services.accept(case, get_user("op"))
    services.void(case, get_user("lead"), "重复上报")
    db.session.commit()
    assert db.session.scalar(select(CaseTask.result).where(CaseTask.case_id == case.id)) == "voided"


def test_handling_withdraws_a_request_still_waiting(city):
    from gridcity.cases.models import CaseRequest

    case = dispatched("E0102", local(2026, 11, 30, 10))
    services.unit_accept(case, get_user("hw"))
    services.request_change(case, get_user("hw"), "extension", "需要吊车", extra_amount=2)
    services.handle(case, get_user("hw"), "已处理", photos=[jpeg_bytes()])
    db.session.commit()
    assert db.session.scalar(select(CaseRequest.state).where(CaseRequest.case_id == case.id)) == "withdrawn"
