"""The citizens' app fixtures: the mini city with a handler for the west
street office (E0102 in the west goes there), and helpers that act as a
citizen through the API and as staff through the services."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest

from gridcity.extensions import db
from gridcity.org.services import create_user
from tests.conftest import DEMO_PASSWORD

WEST = (114.2425, 22.5785)  # street 001, work grid WG01 (inspector "insp")
PHONE = "13812345678"


def metres_east(position, metres: float):
    """A position ``metres`` east of ``position`` (1° of longitude at 22.58° N ≈ 102.7 km)."""
    return (position[0] + metres / 102_740.0, position[1])


@pytest.fixture
def public_city(app, create_mini_city):
    """The shared mini city (restored, not rebuilt) and a handler of the
    west street office (the demo password's hash is remembered: no cost)."""
    city = create_mini_city()
    create_user("jd", DEMO_PASSWORD, "unit_handler", unit_code="JD01")
    db.session.commit()
    return city


def configure(app, **settings) -> None:
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], **settings)


def photo_files(photos):
    return [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]


class Citizen:
    """A phone's browser: its own cookies, CSRF handled by the test client."""

    def __init__(self, app, phone: str = PHONE, address: str = "10.0.0.1"):
        self.app = app
        self.phone = phone
        self.client = app.test_client()
        self.environ = {"REMOTE_ADDR": address}

    def send_code(self):
        return self.client.post("/api/v1/public/codes", json={"phone": self.phone}, environ_base=self.environ)

    def confirm(self, code: str | None = None):
        from gridcity.public.codes import last_console_code

        code = code if code is not None else last_console_code(self.app, self.phone)
        return self.client.post(
            "/api/v1/public/session", json={"phone": self.phone, "code": code}, environ_base=self.environ
        )

    def sign_in(self):
        assert self.send_code().status_code == 200
        response = self.confirm()
        assert response.status_code == 200, response.get_json()
        return self

    def report(self, position=WEST, category="E0102", photos=(), **fields):
        data = {"category": category, "lon": position[0], "lat": position[1], **fields}
        return self.client.post(
            "/api/v1/public/reports",
            data={"data": json.dumps(data), "photos": photo_files(photos)},
            content_type="multipart/form-data",
            environ_base=self.environ,
        )

    def nearby(self, position=WEST, category="E0102"):
        return self.client.get(
            f"/api/v1/public/nearby?category={category}&lon={position[0]}&lat={position[1]}",
            environ_base=self.environ,
        )

    def me_too(self, number: str, photos=(), **fields):
        return self.client.post(
            "/api/v1/public/me-too",
            data={"data": json.dumps({"number": number, **fields}), "photos": photo_files(photos)},
            content_type="multipart/form-data",
            environ_base=self.environ,
        )


@pytest.fixture
def citizen(app, public_city):
    return Citizen(app)


def _someone(role: str, **where):
    from gridcity.org.models import User

    query = db.select(User).where(User.role == role, User.active.is_(True))
    for name, value in where.items():
        query = query.where(getattr(User, name) == value)
    return db.session.scalar(query.order_by(User.id).limit(1))


def task_inspector(case, kind: str):
    """The inspector whose open ``kind`` task on ``case`` it is."""
    from gridcity.cases.models import CaseTask
    from gridcity.geo.models import WorkGrid
    from gridcity.org.models import User

    task = db.session.scalar(
        db.select(CaseTask).where(
            CaseTask.case_id == case.id, CaseTask.kind == kind, CaseTask.completed_at.is_(None)
        )
    )
    if task.inspector_id is not None:
        return db.session.get(User, task.inspector_id)
    return db.session.get(WorkGrid, case.work_grid_id).inspectors[
        0
    ]  # the grid's queue: any of its inspectors


def move_case(number: str, to: str, photo: bytes | None = None) -> None:
    """Take a citizen's case through the closed loop with the services, as
    the staff whose turn it is, up to the step ``to`` (in any city)."""
    from gridcity.cases import services
    from gridcity.cases.models import Case

    photos = [photo] if photo else ()
    steps = {
        "accept": ("reported", lambda c: services.accept(c, _someone("operator"))),
        "verify": ("verifying", lambda c: services.verify(c, task_inspector(c, "verify"), True)),
        "file": ("accepted", lambda c: services.file_case(c, _someone("shift_leader"))),
        "dispatch": ("filed", lambda c: services.dispatch(c, _someone("dispatcher"))),
        "unit_accept": (
            "dispatched",
            lambda c: services.unit_accept(c, _someone("unit_handler", unit_id=c.unit_id)),
        ),
        "handle": (
            "in_progress",
            lambda c: services.handle(
                c, _someone("unit_handler", unit_id=c.unit_id), "清理完毕", photos=photos
            ),
        ),
        "check": ("handled", lambda c: services.check(c, task_inspector(c, "check"), True, photos=photos)),
        "close": ("checked", lambda c: services.close(c, _someone("shift_leader"))),
    }
    case = db.session.scalar(db.select(Case).where(Case.number == number))
    for step, (state, act) in steps.items():
        if case.state == state:
            act(case)
            db.session.commit()
        if step == to:
            return
