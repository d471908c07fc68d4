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
from tests.conftest import DEMO_PASSWORD, build_mini_city, build_once

WEST = (114.2425, 22.5785)  # street 001, work grid WG01 (inspector "insp")
PHONE = "13812345678"


def metres_east(position, metres: float):
    """A position ``metres`` east of ``position`` (1° of longitude at 22.58° N ≈ 102.7 km)."""
    return (position[0] + metres / 102_740.0, position[1])


@pytest.fixture
def public_city(app, tmp_path_factory):
    return build_once(app, "public-city", _build, tmp_path_factory)


def _build() -> dict:
    city = build_mini_city()
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


def staff(city: dict, key: str):
    from gridcity.org.models import User

    if key == "jd":
        return db.session.scalar(db.select(User).where(User.username == "jd"))
    return city["users"][key]


def move_case(city: dict, number: str, to: str, photo: bytes | None = None) -> None:
    """Take a citizen's case through the closed loop with the services, up to ``to``."""
    from gridcity.cases import services
    from gridcity.cases.models import Case

    steps = ["accept", "verify", "file", "dispatch", "unit_accept", "handle", "check", "close"]
    case = db.session.scalar(db.select(Case).where(Case.number == number))
    for step in steps:
        if step == "accept" and case.state == "reported":
            services.accept(case, staff(city, "operator"))
        elif step == "verify" and case.state == "verifying":
            services.verify(case, staff(city, "inspector"), True)
        elif step == "file" and case.state == "accepted":
            services.file_case(case, staff(city, "shift_leader"))
        elif step == "dispatch" and case.state == "filed":
            services.dispatch(case, staff(city, "dispatcher"))
        elif step == "unit_accept" and case.state == "dispatched":
            services.unit_accept(case, staff(city, "jd"))
        elif step == "handle" and case.state == "in_progress":
            services.handle(case, staff(city, "jd"), "清理完毕", photos=[photo] if photo else ())
        elif step == "check" and case.state == "handled":
            services.check(case, staff(city, "inspector"), True, photos=[photo] if photo else ())
        elif step == "close" and case.state == "checked":
            services.close(case, staff(city, "shift_leader"))
        db.session.commit()
        if step == to:
            return
