"""Public feedback fixtures: the cases' mini city and a closed case a citizen
follows — made through the intake and case services and a CitizenReport row
with its follow token (not through the citizens' app)."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import select

from gridcity.cases import services
from gridcity.core import clock
from gridcity.extensions import db
from gridcity.org.models import User
from gridcity.public.models import CitizenReport
from tests.cases.conftest import WEST, city, frozen_clock, jpeg_bytes  # noqa: F401 - fixtures

PHONE = "13912345678"
NAME = "张小明"
HOUSE = "海景路18号3栋502"


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def later(minutes: float) -> dt.datetime:
    """Move the frozen clock on."""
    now = clock.utcnow() + dt.timedelta(minutes=minutes)
    clock.freeze(now)
    return now


def follow(case, kind: str = "report") -> str:
    token = secrets.token_urlsafe(24)
    db.session.add(
        CitizenReport(
            case_id=case.id, kind=kind, follow_token=token, created_at=clock.utcnow(), citizen_id=None
        )
    )
    db.session.commit()
    return token


def closed_case(position=WEST, category="C0101"):
    """A citizen's report (by the hotline operator, with a phone, a name and
    an address in it) taken through the whole loop to 结案 in WG01; its unit
    is 市政所 (SZ)."""
    report = services.Report(
        category=category,
        lon=position[0],
        lat=position[1],
        source="public",
        description=f"{NAME}反映：{HOUSE}门口井盖松动，电话{PHONE}",
        address=HOUSE,
        reporter_contact=PHONE,
        photos=[jpeg_bytes()],
    )
    case = services.submit_report(report, user("op")).case
    services.accept(case, user("op"))
    later(10)
    services.verify(case, user("insp"), True, photos=[jpeg_bytes()])
    services.file_case(case, user("lead"))
    services.dispatch(case, user("disp"))
    later(10)
    services.unit_accept(case, user("sz"))
    later(30)
    services.handle(case, user("sz"), "已更换井盖", photos=[jpeg_bytes()])
    later(20)
    services.check(case, user("insp"), True, photos=[jpeg_bytes()])
    services.close(case, user("lead"))
    db.session.commit()
    return case


@pytest.fixture
def followed(city):  # noqa: F811 - the fixture imported above
    """A closed case and the follow token of its citizen report."""
    case = closed_case()
    return case, follow(case)
