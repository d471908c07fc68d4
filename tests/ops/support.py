"""Helpers for the operations tests: scratch databases and the closed loop
over the HTTP API."""

from __future__ import annotations

import io
import json
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from gridcity import create_app
from gridcity.extensions import db
from tests.cases.conftest import WEST, jpeg_bytes
from tests.conftest import DEMO_PASSWORD, POSTGRES_URL


@contextmanager
def scratch_database(backend: str, directory: Path, purpose: str):
    """An empty database: a new PostgreSQL database on the test server named
    ``gc_backup_<purpose>_<random>`` (dropped afterwards), or a new SQLite file."""
    if backend == "sqlite":
        (directory / purpose).mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{directory / purpose / 'gridcity.db'}"
        return
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg2")
    name = f"gc_backup_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


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
    app = create_app(config)
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
