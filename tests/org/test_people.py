"""Users, roles, scope and sign-in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gridcity.core.errors import GridCityError
from gridcity.extensions import db
from gridcity.geo.models import Area
from gridcity.org.models import User
from gridcity.org.services import create_user
from tests.conftest import DEMO_PASSWORD


def test_passwords_are_stored_hashed(create_mini_city):
    create_mini_city()
    user = db.session.scalar(select(User).where(User.username == "insp"))
    assert DEMO_PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_sign_in_me_and_sign_out(create_mini_city, client, login):
    create_mini_city()
    assert client.get("/api/v1/me").status_code == 401
    me = login("insp")
    assert me["role"] == "inspector" and me["role_name"]["zh"] == "监督员"
    assert [w["code"] for w in me["scope"]["work_grids"]] == ["WG01"]
    assert client.get("/api/v1/me").get_json()["username"] == "insp"
    client.post("/api/v1/logout")
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_or_inactive_user_is_refused(create_mini_city, client):
    create_mini_city()
    wrong = client.post("/api/v1/login", json={"username": "insp", "password": "nope-nope"})
    assert wrong.status_code == 401
    assert wrong.get_json()["message"] == "用户名或密码错误。"
    db.session.scalar(select(User).where(User.username == "op")).active = False
    db.session.commit()
    assert client.post("/api/v1/login", json={"username": "op", "password": DEMO_PASSWORD}).status_code == 401
    missing = client.post("/api/v1/login", json={"username": "insp"})
    assert missing.status_code == 400


def test_deactivated_user_loses_an_open_session(create_mini_city, client, login):
    create_mini_city()
    login("disp")
    db.session.scalar(select(User).where(User.username == "disp")).active = False
    db.session.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_scope_of_handlers_and_area_heads(create_mini_city, client, login):
    city = create_mini_city()
    me = login("hw")
    assert me["unit"]["code"] == "HW"
    area = db.session.scalar(select(Area))
    area.head_user_id = city["users"]["manager"].id
    db.session.commit()
    me = login("mgr")
    assert [a["code"] for a in me["scope"]["areas"]] == ["PQ01"]


@pytest.mark.parametrize(
    "kwargs,detail",
    [
        (dict(username="u1", password="short", role="operator"), "10 characters"),
        (dict(username="u1", password="long-enough", role="wizard"), "role"),
        (dict(username="u1", password="long-enough", role="unit_handler"), "needs a unit"),
        (
            dict(username="u1", password="long-enough", role="operator", work_grid_codes=["WG01"]),
            "only inspectors",
        ),
        (dict(username="u1", password="long-enough", role="inspector", work_grid_codes=["WG99"]), "WG99"),
        (dict(username="insp", password="long-enough", role="operator"), "insp"),
    ],
)
def test_bad_users_are_refused(create_mini_city, kwargs, detail):
    create_mini_city()
    with pytest.raises(GridCityError, match=detail):
        create_user(**kwargs)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.username == "u1")) is None


def test_admin_creates_users_over_the_api_and_nobody_else_can(create_mini_city, client, login):
    create_mini_city()
    new = {"username": "insp2", "password": "long-enough", "role": "inspector", "work_grid_codes": ["WG02"]}
    for username in ("insp", "op", "lead", "disp", "hw", "mgr"):
        login(username)
        assert client.post("/api/v1/users", json=new).status_code == 403
    login("admin")
    created = client.post("/api/v1/users", json=new)
    assert created.status_code == 201
    assert created.get_json()["scope"]["work_grids"][0]["code"] == "WG02"
    again = client.post("/api/v1/users", json=new)
    assert again.status_code == 409


def test_cli_creates_a_user(create_mini_city, runner):
    create_mini_city()
    result = runner.invoke(
        args=[
            "org",
            "create-user",
            "--username",
            "disp2",
            "--role",
            "dispatcher",
            "--password",
            "long-enough",
        ]
    )
    assert result.exit_code == 0, result.output
    bad = runner.invoke(
        args=[
            "org",
            "create-user",
            "--username",
            "x",
            "--role",
            "unit_handler",
            "--password",
            "long-enough",
            "--unit",
            "NOPE",
        ]
    )
    assert bad.exit_code == 1 and "NOPE" in bad.output
