"""Sessions end on the server (issue #14.3): a cookie is worthless once its
session is signed out, the user deactivated or their password changed (on
every process: the session lives in the database); the session cookie is
HttpOnly, SameSite=Lax, and Secure over HTTPS or when the setting says so."""

from __future__ import annotations

import dataclasses

import pytest

from gridcity.extensions import db
from gridcity.org import services
from tests.conftest import DEMO_PASSWORD


def copy_of_cookie(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    replay = app.test_client()
    replay.set_cookie("session", client.get_cookie("session").value)
    return replay


def test_a_cookie_is_worthless_after_signing_out(app, create_mini_city, client, login):
    create_mini_city()
    login("disp")
    copy = copy_of_cookie(app, client)
    assert copy.get("/api/v1/me").status_code == 200

    assert client.post("/api/v1/logout").status_code == 200

    assert copy.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_signing_out_one_browser_keeps_the_other_signed_in(app, create_mini_city, client, login):
    create_mini_city()
    login("disp")
    phone = app.test_client()
    phone.post("/api/v1/login", json={"username": "disp", "password": DEMO_PASSWORD})

    client.post("/api/v1/logout")

    assert phone.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    "end",
    [
        lambda: services.deactivate_user("disp"),
        lambda: services.change_password("disp", "a-new-secret"),
    ],
    ids=["deactivated", "new password"],
)
def test_deactivation_or_a_new_password_ends_every_session(app, create_mini_city, client, login, end):
    create_mini_city()
    login("disp")
    phone = app.test_client()
    phone.post("/api/v1/login", json={"username": "disp", "password": DEMO_PASSWORD})

    end()
    db.session.commit()

    assert client.get("/api/v1/me").status_code == 401
    assert phone.get("/api/v1/me").status_code == 401


def test_a_new_password_signs_in_again(create_mini_city, client, login):
    create_mini_city()
    services.change_password("disp", "a-new-secret")
    db.session.commit()

    assert login("disp", "a-new-secret")["username"] == "disp"


def test_the_cli_deactivates_and_ends_sessions(create_mini_city, client, login, runner):
    create_mini_city()
    login("disp")

    result = runner.invoke(args=["org", "deactivate-user", "--username", "disp"])

    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/me").status_code == 401
    refused = client.post("/api/v1/login", json={"username": "disp", "password": DEMO_PASSWORD})
    assert refused.status_code == 401


def session_cookie(response) -> str:
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return cookie


def sign_in_over(app, base_url: str):
    client = app.test_client()
    token = client.get("/api/v1/csrf", base_url=base_url).get_json()["csrf_token"]
    return client.post(
        "/api/v1/login",
        json={"username": "disp", "password": DEMO_PASSWORD},
        headers={"X-CSRFToken": token},
        base_url=base_url,
    )


def test_the_session_cookie_is_httponly_and_samesite(app, create_mini_city):
    create_mini_city()
    cookie = session_cookie(sign_in_over(app, "http://localhost"))

    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP (a laptop): a Secure cookie would never come back


def test_the_session_cookie_is_secure_over_https(app, create_mini_city):
    create_mini_city()

    assert "Secure" in session_cookie(sign_in_over(app, "https://localhost"))


def test_the_session_cookie_is_secure_behind_an_https_proxy(app, create_mini_city):
    create_mini_city()
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    response = client.post("/api/v1/login", json={"username": "disp", "password": DEMO_PASSWORD})

    assert "Secure" in session_cookie(response)


def test_secure_cookies_can_be_forced_on(app, create_mini_city):
    create_mini_city()
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], secure_cookies="on")

    assert "Secure" in session_cookie(sign_in_over(app, "http://localhost"))


def test_a_session_past_its_days_is_worthless_and_pruned(app, create_mini_city, client, login):
    import datetime as dt

    from sqlalchemy import func, select, update

    from gridcity.org.models import UserSession
    from gridcity.org.sessions import prune_expired_sessions

    create_mini_city()
    days = app.config["SETTINGS"].session_days
    login("disp")
    copy = copy_of_cookie(app, client)  # a browser whose cookie never expires

    def started(ago: dt.timedelta) -> None:
        db.session.execute(update(UserSession).values(created_at=dt.datetime.now(dt.UTC) - ago))
        db.session.commit()

    started(dt.timedelta(days=days - 1))
    assert copy.get("/api/v1/me").status_code == 200
    assert prune_expired_sessions() == 0
    started(dt.timedelta(days=days, minutes=1))
    assert copy.get("/api/v1/me").status_code == 401
    assert prune_expired_sessions() == 1
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
