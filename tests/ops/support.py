"""Helpers for the operations tests: empty databases and the closed loop
over the HTTP API. The fixtures are imported by the test modules that use them."""

from __future__ import annotations

import io
import json
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from gridcity import create_app
from gridcity.extensions import db
from tests.cases.conftest import WEST, jpeg_bytes
from tests.conftest import BACKENDS, DEMO_PASSWORD, POSTGRES_URL, use_csrf_client


@pytest.fixture(scope="session")
def scratch_postgres():
    """One PostgreSQL database next to the test one, ``gc_backup_scratch_<random>``,
    for the tests that need a database of their own; dropped at the end (a
    DROP DATABASE waits for a checkpoint, too slow to pay per test)."""
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg2")
    name = f"gc_backup_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path) -> str:
    """An empty database: a new SQLite file, or the scratch PostgreSQL
    database with nothing in it (not even PostGIS)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return emptied(request.getfixturevalue("scratch_postgres"))


def emptied(url: str) -> str:
    """The PostgreSQL database with an empty public schema (PostGIS gone too)."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@contextmanager
def app_on(url: str, instance_dir: Path, media_dir: Path | None = None):
    """An app on an existing database, inside its app context."""
    config = {
        "database_url": url,
        "instance_dir": instance_dir,
        "secret_key": "test-secret",
        "locator_refresh_seconds": 0.0,
    }
    if media_dir is not None:
        config["media_dir"] = media_dir
    app = use_csrf_client(create_app(config))
    app.config["TESTING"] = True
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def closed_loop(client, position=WEST, unit_user="jd", inspector="insp") -> dict:
    """report → accept → file → dispatch → unit accept → handle → check →
    close over the API as the real roles; returns the closed case."""

    def sign_in(user):
        ok(client.post("/api/v1/login", json={"username": user, "password": DEMO_PASSWORD}))

    def act(case, action, **fields):
        url = f"/api/v1/cases/{case['id']}/{action}"
        body = {"version": case["version"], **fields}
        if action in ("handle", "check"):  # proof photos are required
            form = {"data": json.dumps(body), "photos": [(io.BytesIO(jpeg_bytes()), "p.jpg")]}
            return ok(client.post(url, data=form, content_type="multipart/form-data"))
        return ok(client.post(url, json=body))

    sign_in(inspector)
    data = {"category": "E0102", "lon": position[0], "lat": position[1], "description": "路边暴露垃圾"}
    form = {"data": json.dumps(data), "photos": [(io.BytesIO(jpeg_bytes()), "p.jpg")]}
    case = ok(client.post("/api/v1/reports", data=form, content_type="multipart/form-data"), 201)
    for user, action, fields in [
        ("op", "accept", {}),
        ("lead", "file", {}),
        ("disp", "dispatch", {}),
        (unit_user, "unit_accept", {}),
        (unit_user, "handle", {"note": "已清理"}),
        (inspector, "check", {"result": "pass"}),
        ("lead", "close", {}),
    ]:
        sign_in(user)
        case = act(case, action, **fields)
    return case
