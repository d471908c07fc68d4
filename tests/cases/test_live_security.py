"""The live feed is ours alone (issue #14.2, #14.3): the Socket.IO handshake
from a page on another origin is refused (our own origin and the configured
ones are not), and a socket stops hearing events the moment its session ends —
signed out, the user deactivated, or their password changed."""

from __future__ import annotations

import dataclasses

import pytest

from gridcity.cases.publisher import publisher
from gridcity.extensions import socketio
from gridcity.org import services
from tests.cases.conftest import EAST, post_report
from tests.cases.test_closed_loop import ok
from tests.conftest import DEMO_PASSWORD

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def handshake(client, origin: str | None):
    headers = {"Origin": origin} if origin else {}
    return client.get(HANDSHAKE, headers=headers)


def test_a_page_on_another_port_cannot_open_the_live_feed(city, api, client):
    api("disp")

    refused = handshake(client, "http://localhost:8081")
    ours = handshake(client, "http://localhost")

    assert refused.status_code == 400
    assert b"sid" not in refused.data
    assert ours.status_code == 200 and b'"sid"' in ours.data


def test_configured_origins_may_open_it(app, city, api, client):
    settings = dataclasses.replace(app.config["SETTINGS"], allowed_origins="https://gc.example.cn")
    socketio.init_app(app, cors_allowed_origins=_origin_check(settings))
    api("disp")

    assert handshake(client, "https://gc.example.cn").status_code == 200
    assert handshake(client, "https://evil.example.cn").status_code == 400


def _origin_check(settings):
    from gridcity.core.csrf import socket_origin_allowed

    return socket_origin_allowed(settings)


@pytest.fixture
def dispatcher_socket(app, city, api, client):
    """The dispatcher signed in with a live socket on their session."""
    api("disp")
    socket = socketio.test_client(app, flask_test_client=client)
    assert socket.is_connected()
    return socket


def staff_hears_a_report(app, api) -> bool:
    """Post a report (it goes to the ``staff`` room) as another user on
    another browser; whether any socket in that room is still listening."""
    other = app.test_client()
    response = other.post("/api/v1/login", json={"username": "insp2", "password": DEMO_PASSWORD})
    assert response.status_code == 200
    ok(post_report(other, {"category": "E0102", "lon": EAST[0], "lat": EAST[1]}), 201)
    assert publisher.drain(timeout=5.0)  # events go out after the commit, from the publisher's task
    return bool(list(socketio.server.manager.get_participants("/", "staff")))


def test_the_socket_hears_events_while_signed_in(app, api, dispatcher_socket):
    assert staff_hears_a_report(app, api)
    assert [m["name"] for m in dispatcher_socket.get_received()] == ["case"]


def test_signing_out_ends_the_socket(app, api, client, dispatcher_socket):
    assert client.post("/api/v1/logout").status_code == 200

    assert not dispatcher_socket.is_connected()
    assert not staff_hears_a_report(app, api)


def test_a_replayed_cookie_cannot_open_a_socket(app, city, api, client):
    api("disp")
    cookie = client.get_cookie("session").value
    client.post("/api/v1/logout")
    replay = app.test_client()
    replay.set_cookie("session", cookie)

    socket = socketio.test_client(app, flask_test_client=replay)

    assert not socket.is_connected()


@pytest.mark.parametrize(
    "end", [lambda: services.deactivate_user("disp"), lambda: services.set_password("disp", "a-new-secret")]
)
def test_deactivation_or_a_new_password_ends_the_socket_at_once(app, api, dispatcher_socket, end):
    from gridcity.extensions import db

    end()
    db.session.commit()

    assert not dispatcher_socket.is_connected()
    assert not staff_hears_a_report(app, api)
