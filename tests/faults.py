"""Database faults for the tests: ``Fault`` cuts or hangs the database under
an app (a TCP proxy on PostGIS, an exclusive lock on SQLite) and the
``outage`` fixture (imported by the conftest of the directories using it)
builds an app whose connection goes through one."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from gridcity import create_app
from gridcity.extensions import db
from gridcity.simulate.faults import DatabaseProxy
from tests.conftest import use_csrf_client

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
    served = use_csrf_client(
        create_app({"database_url": fault.served_url, "instance_dir": tmp_path, "secret_key": "t", **FAST})
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
