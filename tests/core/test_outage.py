"""When the database is gone or hangs, every request gets a 503 with
``Retry-After`` and words a person understands, quickly, and the app recovers
by itself when the database is back (issue #14 item 7).

On PostGIS the database is cut or hung by a TCP proxy in front of it
(``gridcity.simulate.faults``); on SQLite the file is held by another
connection's exclusive lock, which is what "the database does not answer"
looks like there.
"""

from __future__ import annotations

import sqlite3

from tests.faults import answer_within


def login(client):
    return client.post("/api/v1/login", json={"username": "disp", "password": "pw-secret-1"})


def test_database_gone_answers_503_with_retry_after_and_recovers(outage):
    served, fault = outage
    client = served.test_client()
    assert login(client).status_code == 200
    fault.cut()
    response, took = answer_within(10, lambda: client.get("/api/v1/me"))
    assert response.status_code == 503, response.data
    assert response.headers["Retry-After"] == "7"
    body = response.get_json()
    assert body["error"] == "database_unavailable"
    assert "7 秒后重试" in body["message"]
    assert took < 5
    # A page gets a page, in Chinese.
    page, _ = answer_within(10, lambda: client.get("/dispatch/"))
    assert page.status_code == 503
    assert "暂时无法服务" in page.get_data(as_text=True)
    fault.restore()
    response, _ = answer_within(10, lambda: client.get("/api/v1/me"))
    assert response.status_code == 200, response.data
    assert response.get_json()["username"] == "disp"


def test_database_hanging_answers_503_fast_and_recovers(outage):
    served, fault = outage
    client = served.test_client()
    assert login(client).status_code == 200
    fault.hang()
    for _ in range(2):  # the pooled connection, then a new one
        response, took = answer_within(10, lambda: client.get("/api/v1/me"))
        assert response.status_code == 503, response.data
        assert response.headers["Retry-After"] == "7"
        assert took < 5, took
    fault.restore()
    response, _ = answer_within(10, lambda: client.get("/api/v1/me"))
    assert response.status_code == 200, response.data


def test_an_ordinary_database_error_is_still_a_500(app):
    """Only "cannot answer now" is a 503: a bug stays a bug."""
    from sqlalchemy import exc

    from gridcity.core.database import is_unavailable

    integrity = exc.IntegrityError("INSERT …", {}, Exception("duplicate key"))
    assert not is_unavailable(integrity)
    missing_table = exc.OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table: x"))
    assert not is_unavailable(missing_table)
    locked = exc.OperationalError("SELECT …", {}, sqlite3.OperationalError("database is locked"))
    assert is_unavailable(locked)
    import psycopg2

    closed = exc.InterfaceError("SELECT …", {}, psycopg2.InterfaceError("connection already closed"))
    assert is_unavailable(closed)  # the server went away under the request: 503, retry is safe
    binding = exc.InterfaceError("SELECT …", {}, sqlite3.InterfaceError("bad parameter"))
    assert not is_unavailable(binding)
