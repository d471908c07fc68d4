"""Fixtures for the pages: one demo city per session, signed-in test clients,
and the real server for the browser tests.

The demo city takes seconds to build, so it is built once into a temporary
SQLite file; the page tests only read it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gridcity import create_app
from gridcity.extensions import db
from gridcity.simulate.topology import free_port as _free_port
from gridcity.simulate.topology import stop_processes
from gridcity.simulate.topology import wait_until_up as _wait_until_up
from tests.conftest import use_csrf_client

DEMO_PASSWORD = "gridcity-demo"
SECRET_KEY = "web-test-secret"
# The real server command, as the README's run command ends with it.
SERVE = [sys.executable, "-c", "from gridcity.cli import main; main()", "serve"]


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory) -> dict:
    """Build the demo city (seed 1) once; returns its database URL, folder and summary."""
    from gridcity.core.migrate import upgrade
    from gridcity.demo.city import build_demo_city

    folder = tmp_path_factory.mktemp("demo-city")
    url = f"sqlite:///{folder / 'gc.db'}"
    app = create_app({"instance_dir": folder, "database_url": url, "secret_key": SECRET_KEY})
    with app.app_context():
        upgrade(url)
        summary = build_demo_city(seed=1)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"url": url, "folder": folder, "summary": summary}


@pytest.fixture(scope="session")
def demo_app(demo_city):
    app = create_app(
        {"instance_dir": demo_city["folder"], "database_url": demo_city["url"], "secret_key": SECRET_KEY}
    )
    app.config["TESTING"] = True
    use_csrf_client(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def create_client(demo_app):
    """``create_client(username=None, lang=None)``: a test client, signed in as
    ``username`` (demo password) when given, with the ``lang`` cookie when given."""

    def create(username: str | None = None, lang: str | None = None):
        client = demo_app.test_client()
        if lang:
            client.set_cookie("lang", lang)
        if username:
            response = client.post("/api/v1/login", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.get_json()
        return client

    return create


def _stop(process: subprocess.Popen) -> None:
    stop_processes([process])


def run_server(instance_dir, url: str, **settings: str) -> tuple[subprocess.Popen, str]:
    """The real server (see ``SERVE``) on a free port over the database at
    ``url``, with ``GRIDCITY_<NAME>`` set from ``settings`` (its scheduler
    off unless ``scheduler_mode`` says otherwise); its process and base URL,
    once it answers."""
    port = _free_port()
    env = {
        **os.environ,
        "GRIDCITY_INSTANCE_DIR": str(instance_dir),
        "GRIDCITY_DATABASE_URL": url,
        "GRIDCITY_SECRET_KEY": SECRET_KEY,
        "GRIDCITY_HOST": "127.0.0.1",
        "GRIDCITY_PORT": str(port),
        "GRIDCITY_TILE_URL": "",
        "GRIDCITY_SCHEDULER_MODE": "off",
        **{f"GRIDCITY_{name.upper()}": value for name, value in settings.items()},
    }
    log = Path(instance_dir) / f"server-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(SERVE, env=env, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base_url}/login", process, log)
    except BaseException:
        _stop(process)
        raise
    return process, base_url


def serve_demo_copy(demo_city: dict, create_server, folder) -> str:
    """A copy of the demo city's folder (database and photos) in ``folder``,
    for a module that changes it, and a real server on it; its base URL."""
    import shutil

    shutil.copytree(
        demo_city["folder"], folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("server-*")
    )
    return create_server(database_url=f"sqlite:///{folder / 'gc.db'}", instance_dir=str(folder))


def copy_demo_city(demo_city: dict, folder) -> str:
    """A copy of the demo city's database in ``folder`` (for a test that
    adds to it); its URL."""
    import sqlite3

    source = sqlite3.connect(demo_city["url"].removeprefix("sqlite:///"))
    target = sqlite3.connect(folder / "gc.db")
    source.backup(target)  # consistent even while the shared server writes
    source.close()
    target.close()
    return f"sqlite:///{folder / 'gc.db'}"


@pytest.fixture(scope="session")
def create_server(demo_city):
    """``create_server(instance_dir=None, database_url=None, **settings)``:
    :func:`run_server` over the demo city (or the database and folder given);
    returns its base URL. Every server started is stopped at the end of the
    session."""
    processes: list[subprocess.Popen] = []

    def create(instance_dir=None, database_url: str | None = None, **settings: str) -> str:
        process, base_url = run_server(
            instance_dir or demo_city["folder"], database_url or demo_city["url"], **settings
        )
        processes.append(process)
        return base_url

    yield create
    for process in processes:
        _stop(process)


@pytest.fixture(scope="session")
def live_server(create_server) -> str:
    """The server with the default settings (no basemap); its base URL."""
    return create_server()
