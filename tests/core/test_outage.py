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
import threading
import time

import pytest

from gridcity import create_app
from gridcity.extensions import db
from gridcity.simulate.faults import DatabaseProxy

FAST = {
    "db_connect_timeout_seconds": 1.0,
    "db_statement_timeout_seconds": 1.0,
    "db_pool_timeout_seconds": 1.0,
    "db_lock_timeout_seconds": 0.5,
    "db_retry_after_seconds": 7,
}


class Fault:
    """Cut / hang / restore the database under ``app`` (either backend)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.proxy = None
        self.lock: sqlite3.Connection | None = None
        if url.startswith("postgresql"):
            self.proxy = DatabaseProxy().start()

    @property
    def served_url(self) -> str:
        return self.proxy.url_for(self.url) if self.proxy else self.url

    def cut(self) -> None:
        self._fault("cut")

    def hang(self) -> None:
        self._fault("hang")

    def _fault(self, mode: str) -> None:
        if self.proxy:
            self.proxy.set_mode(mode)
        else:
            self.lock = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            self.lock.execute("BEGIN EXCLUSIVE")

    def restore(self) -> None:
        if self.proxy:
            self.proxy.set_mode("pass")
        elif self.lock is not None:
            self.lock.execute("ROLLBACK")
            self.lock.close()
            self.lock = None

    def stop(self) -> None:
        self.restore()
        if self.proxy:
            self.proxy.stop()


@pytest.fixture
def outage(app, database_url, tmp_path):
    """An app whose database connection goes through a ``Fault``, with the
    serving processes' deadlines installed; yields (app, fault)."""
    from gridcity.core.database import install_wait_deadline
    from gridcity.org.services import create_user

    create_user("disp", "pw-secret-1", "dispatcher")
    db.session.commit()
    fault = Fault(database_url)
    served = create_app(
        {"database_url": fault.served_url, "instance_dir": tmp_path, "secret_key": "t", **FAST}
    )
    install_wait_deadline(served.config["SETTINGS"])
    try:
        yield served, fault
    finally:
        import psycopg2.extensions

        psycopg2.extensions.set_wait_callback(None)
        fault.stop()
        with served.app_context():
            db.engine.dispose()


def answer_within(seconds: float, call):
    """``call()``'s answer, failing (not hanging) when none comes in time."""
    box: list = []
    worker = threading.Thread(target=lambda: box.append(call()), daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    assert box, f"no answer within {seconds} s"
    return box[0], time.monotonic() - started


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
