"""Fixtures of the dispatch tests: the mini city with its API helpers for the
API tests; the demo city and the real server for the browser tests (a copy of
the city for this folder, since these tests write to it)."""

import sqlite3
from contextlib import contextmanager

from gridcity import create_app
from gridcity.extensions import db
from tests.cases.conftest import api, city, frozen_clock  # noqa: F401
from tests.web.conftest import (  # noqa: F401
    SECRET_KEY,
    create_client,
    create_server,
    demo_app,
    demo_city,
    live_server,
)
from tests.web.test_browser import browser, create_page  # noqa: F401


@contextmanager
def demo_city_copy(source_city: dict, tmp_path_factory, name: str):
    """A copy of the demo city that one module's server may write to (its
    sweeps and urgings stay out of the other modules' city)."""
    folder = tmp_path_factory.mktemp(name)
    source = sqlite3.connect(source_city["url"].removeprefix("sqlite:///"))
    copy = sqlite3.connect(folder / "gc.db")
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    url = f"sqlite:///{folder / 'gc.db'}"
    app = create_app({"instance_dir": source_city["folder"], "database_url": url, "secret_key": SECRET_KEY})
    yield {"url": url, "app": app}
    with app.app_context():
        db.engine.dispose()
