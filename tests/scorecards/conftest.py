"""Scorecard fixtures: the mini city (tests/cases/conftest.py) and a driver
that walks cases through the real lifecycle services at chosen times."""

from __future__ import annotations

import datetime as dt

import pytest

from gridcity.cases import services
from gridcity.cases.models import Case
from gridcity.cases.sweeper import sweep
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.org.models import Unit
from gridcity.org.services import get_user
from tests.cases.conftest import EAST, WEST, city, frozen_clock, jpeg_bytes, report_photo  # noqa: F401

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(day: int, hour: int, minute: int = 0, month: int = 9, year: int = 2026) -> dt.datetime:
    """A time in the city (UTC+8) in September 2026 unless told otherwise."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


class Driver:
    """Calls the lifecycle services as named users at given times; every
    step commits, as a request would."""

    def __init__(self):
        self.now = None

    def at(self, when: dt.datetime) -> Driver:
        self.now = when
        clock.freeze(when)
        return self

    def later(self, minutes: float) -> Driver:
        return self.at(self.now + dt.timedelta(minutes=minutes))

    @staticmethod
    def user(name: str):
        return get_user(name)

    def report(self, who: str, position=WEST, category="E0102", source=None, patrol_id=None) -> int:
        reporter = self.user(who)
        source = source or (
            "patrol" if patrol_id else "inspector" if reporter.role == "inspector" else "hotline"
        )
        result = services.submit_report(
            services.Report(
                category=category,
                lon=position[0],
                lat=position[1],
                source=source,
                patrol_id=patrol_id,
                # An inspector's report carries its photo, as the app sends it.
                photos=[report_photo()] if reporter.role == "inspector" else [],
            ),
            reporter,
        )
        db.session.commit()
        return result.case.id

    def act(self, case_id: int, action: str, who: str, minutes: float = 10, **kw) -> int:
        """Advance ``minutes`` then take ``action``."""
        self.later(minutes)
        case = db.session.get(Case, case_id)
        actor = self.user(who)
        fn = {
            "accept": services.accept,
            "file": services.file_case,
            "unit_accept": services.unit_accept,
            "close": services.close,
            "resume": services.resume,
        }.get(action)
        if fn is not None:
            fn(case, actor)
        elif action == "verify":
            services.verify(case, actor, kw.get("passed", True), kw.get("note", ""))
        elif action == "void":
            services.void(case, actor, kw.get("reason", "不属于立案标准"))
        elif action == "dispatch":
            services.dispatch(case, actor, kw.get("unit_id"), kw.get("reason", ""))
        elif action == "handle":
            services.handle(case, actor, "已处理", photos=[jpeg_bytes()])
        elif action == "check":
            passed = kw.get("passed", True)
            services.check(case, actor, passed, kw.get("note", "" if passed else "未整改到位"), photos=[jpeg_bytes()])
        elif action == "request":
            services.request_change(
                case,
                actor,
                kw["kind"],
                "原因",
                extra_amount=kw.get("extra_amount"),
                review_on=kw.get("review_on"),
            )
        elif action == "decide":
            services.decide(case, actor, kw.get("approve", True))
        else:
            raise AssertionError(action)
        db.session.commit()
        return case_id

    def flow(self, case_id: int, steps: list) -> int:
        for step in steps:
            action, who, *rest = step
            kw = rest[0] if rest else {}
            self.act(case_id, action, who, **kw)
        return case_id

    def sweep(self, when: dt.datetime) -> dict:
        self.at(when)
        return sweep(when)


@pytest.fixture
def driver(city):  # noqa: F811
    d = Driver()
    yield d
    clock.freeze(None)


def build_september(driver) -> dict:
    """A month of cases with known histories (September 2026, Shenzhen time).

    WEST is street 001 / work grid WG01 (inspector ``insp``), EAST street 002 /
    WG02 (``insp2``). E0102 goes to JD01 in the west and HW in the east; C0101
    to SZ. Every step is 10 minutes after the one before unless said."""
    from gridcity.geo.models import Area, District, WorkGroup
    from gridcity.org.services import create_user
    from gridcity.patrols import services as patrols
    from gridcity.taxonomy.models import Category
    from gridcity.taxonomy.services import set_rule
    from tests.conftest import DEMO_PASSWORD

    d = driver
    hw = db.session.scalar(db.select(Unit.id).where(Unit.code == "HW"))
    # Public toilets go to the sanitation office.
    toilet = db.session.scalar(db.select(Category).where(Category.code == "C0301"))
    district_id = db.session.scalar(db.select(District.id))
    set_rule(toilet.code, "district", district_id, hw)
    # The chain of command: a group leader (an inspector without a grid) and an area head.
    gl = create_user("gl", DEMO_PASSWORD, "inspector")
    db.session.flush()
    group = db.session.scalar(db.select(WorkGroup))
    group.leader_user_id = gl.id
    area = db.session.scalar(db.select(Area))
    area.head_user_id = get_user("mgr").id
    db.session.commit()

    ids: dict = {}
    # N: reported on 31 August 23:50, accepted 15 minutes later in September.
    d.at(local(31, 23, 50, month=8))
    ids["N"] = d.report("insp2", EAST)
    d.act(ids["N"], "accept", "op", minutes=15)
    forward = [("accept", "op"), ("file", "lead"), ("dispatch", "disp")]
    closing = [("unit_accept", "{u}"), ("handle", "{u}"), ("check", "{i}"), ("close", "lead")]

    def steps(unit, inspector, extra=()):
        return [(a, w.format(u=unit, i=inspector), *k) for a, w, *k in [*forward, *extra, *closing]]

    # A: west, all on time.
    d.at(local(7, 9))
    ids["A"] = d.flow(d.report("insp", WEST), steps("jd", "insp"))
    # B: east, accepted 45 minutes late, one rework, closed 90 minutes after the check.
    d.at(local(8, 9))
    ids["B"] = d.report("insp2", EAST)
    d.flow(
        ids["B"],
        [
            ("accept", "op", {"minutes": 45}),
            ("file", "lead"),
            ("dispatch", "disp"),
            ("unit_accept", "hw"),
            ("handle", "hw"),
            ("check", "insp2", {"passed": False}),
            ("handle", "hw"),
            ("check", "insp2"),
            ("close", "lead", {"minutes": 90}),
        ],
    )
    # C: east, a hotline report verified by insp2 (a missed report), one extension.
    d.at(local(9, 9))
    ids["C"] = d.report("op", EAST)
    d.flow(
        ids["C"],
        [
            ("accept", "op"),
            ("verify", "insp2"),
            ("file", "lead"),
            ("dispatch", "disp"),
            ("unit_accept", "hw"),
            ("request", "hw", {"kind": "extension", "extra_amount": 2}),
            ("decide", "lead"),
            ("handle", "hw"),
            ("check", "insp2"),
            ("close", "lead"),
        ],
    )
    # D: west, a hotline report found untrue on verification (voided).
    d.at(local(10, 9))
    ids["D"] = d.report("op", WEST)
    d.flow(ids["D"], [("accept", "op"), ("verify", "insp", {"passed": False})])
    # E: west, voided by the shift leader after acceptance.
    d.at(local(10, 11))
    ids["E"] = d.flow(d.report("insp", WEST, "C0101"), [("accept", "op"), ("void", "lead")])
    # F: west, suspended.
    d.at(local(11, 9))
    ids["F"] = d.flow(
        d.report("insp", WEST),
        [
            *forward,
            ("unit_accept", "jd"),
            ("request", "jd", {"kind": "suspension", "review_on": local(30, 9)}),
            ("decide", "lead"),
        ],
    )
    # G: east C0101, returned by SZ, re-dispatched to HW.
    d.at(local(14, 9))
    ids["G"] = d.flow(
        d.report("insp2", EAST, "C0101"),
        [
            *forward,
            ("request", "sz", {"kind": "return"}),
            ("decide", "disp"),
            ("dispatch", "disp", {"unit_id": hw, "reason": "改派环卫"}),
            ("unit_accept", "hw"),
            ("handle", "hw"),
            ("check", "insp2"),
            ("close", "lead"),
        ],
    )
    # H: west, overdue (swept the next morning), then handled and closed late.
    d.at(local(15, 9))
    ids["H"] = d.flow(d.report("insp", WEST), [*forward, ("unit_accept", "jd")])
    assert d.sweep(local(16, 9))["overdue"] == 1
    d.flow(ids["H"], [("handle", "jd"), ("check", "insp"), ("close", "lead")])
    # I: east, overdue and still open at the month's end.
    d.at(local(21, 9))
    ids["I"] = d.flow(d.report("insp2", EAST), forward)
    assert d.sweep(local(22, 12))["overdue"] == 1
    # J: a night-patrol finding in the west, accepted the next morning (late).
    d.at(local(22, 20))
    patrol = patrols.start_patrol(get_user("insp"), "night")
    db.session.commit()
    ids["night_patrol"] = patrol.id
    d.later(10)
    ids["J"] = d.report("insp", WEST, patrol_id=patrol.id)
    patrols.stop_patrol(db.session.get(type(patrol), patrol.id), get_user("insp"))
    db.session.commit()
    d.at(local(23, 9))
    d.act(ids["J"], "accept", "op", minutes=0)
    # K: a month-end patrol finding in the east (public toilet), not yet accepted.
    d.at(local(29, 10))
    patrol = patrols.start_patrol(get_user("insp2"), "month_end")
    db.session.commit()
    d.later(10)
    ids["K"] = d.report("insp2", EAST, "C0301", patrol_id=patrol.id)
    patrols.stop_patrol(db.session.get(type(patrol), patrol.id), get_user("insp2"))
    db.session.commit()
    # L: insp reports in insp2's work grid (a missed report of insp2).
    d.at(local(29, 11))
    ids["L"] = d.report("insp", EAST)
    return ids
