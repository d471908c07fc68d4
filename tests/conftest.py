"""Fixtures: a fresh app per test on each configured database.

Every test that takes ``app`` runs on SQLite, and also on PostGIS when
``GRIDCITY_TEST_POSTGRES_URL`` is set (CI always sets it). The schema is built
once per database by the real migrations; each test starts from empty tables.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import shapely
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from werkzeug import security

from gridcity import create_app
from gridcity.core.migrate import upgrade
from gridcity.core.settings import normalize_database_url
from gridcity.extensions import db
from gridcity.models import metadata

# Tests run with basemap tiles off (the default is OpenStreetMap's): no test
# reaches the internet, and every app and server started here inherits this.
os.environ["GRIDCITY_TILE_URL"] = ""

POSTGRES_URL = os.environ.get("GRIDCITY_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgis"] if POSTGRES_URL else ["sqlite"]
DEMO_PASSWORD = "gridcity-demo"


@functools.cache
def _demo_password_hash(method: str, salt: str) -> tuple[str, str]:
    return _HASH_PASSWORD(method, salt, DEMO_PASSWORD)


_HASH_PASSWORD = security._hash_internal


def _hash_remembering_the_demo_password(method: str, salt: str, password: str) -> tuple[str, str]:
    if password == DEMO_PASSWORD:
        return _demo_password_hash(method, salt)
    return _HASH_PASSWORD(method, salt, password)


@pytest.fixture(scope="session", autouse=True)
def remembered_demo_password_hashes():
    """Each sign-in checks the password against the user's scrypt hash, slow on
    purpose (a tenth of a second of CPU), and the tests sign in hundreds of
    times per worker with the demo password. The hash of a password with a
    given salt never changes, so for the demo password it is worked out once
    per salt (user) and remembered. Every other password — a wrong one, a new
    one — is hashed each time, so a refusal takes as long as in production
    (tests/org/test_sign_in.py times it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hash_internal", _hash_remembering_the_demo_password)
        yield


def pytest_xdist_make_scheduler(config, log):
    """Under ``--dist loadscope`` the longest modules start first (tests/scheduling.py)."""
    if config.getoption("dist") == "loadscope":
        from tests.scheduling import LongestFirstScheduling

        return LongestFirstScheduling(config, log)
    return None


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("db") / "gridcity.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a PostGIS database of its own,
    ``<name>_<worker>`` next to the configured one (created here if missing),
    since each session empties its database's schema and tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    server = make_url(url)
    name = f"{server.database}_{worker}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgis_url() -> str:
    url = _worker_database(normalize_database_url(POSTGRES_URL))
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        # and any schema an earlier run of the suite left behind
        for (schema,) in conn.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'snapshot\\_%'")
        ).all():
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("CREATE EXTENSION postgis"))
        # Every later connection commits without waiting for the disk: durability
        # across a crash of PostgreSQL itself is not under test (no test stops
        # it), and thousands of commits are.
        conn.execute(text(f'ALTER DATABASE "{engine.url.database}" SET synchronous_commit = off'))
    engine.dispose()
    upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request) -> str:
    return request.getfixturevalue(f"{request.param}_url")


def _empty_all_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(_EMPTY_POSTGRES_TABLES)
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(text(f"DELETE FROM {table.name}"))
        conn.execute(text("INSERT INTO geo_revision (id, revision) VALUES (1, 0)"))
    engine.dispose()


def _emptying_statements() -> str:
    """Every table emptied with DELETE, children first (a reference that points
    the other way, out of a cycle, is cleared before), then the tables'
    sequences back to 1, as ``TRUNCATE … RESTART IDENTITY`` would leave them
    (every sequence in the schema belongs to a table's id). TRUNCATE makes new
    files for all fifty tables, a second or more per test on a busy machine;
    deleting the few rows a test leaves takes a tenth of that."""
    order = list(reversed(metadata.sorted_tables))
    position = {table.name: n for n, table in enumerate(order)}
    clear = [
        f"UPDATE public.{table.name} SET {fk.parent.name} = NULL WHERE {fk.parent.name} IS NOT NULL"
        for table in order
        for fk in table.foreign_keys
        if position[fk.column.table.name] < position[table.name]
    ]
    delete = [f"DELETE FROM public.{table.name}" for table in order]
    restart = (
        "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), 1, false) "
        "FROM pg_sequences WHERE schemaname = 'public'"
    )
    return "; ".join([*clear, *delete, restart])


_EMPTY_POSTGRES_TABLES = _emptying_statements()


class CsrfClient(FlaskClient):
    """A test client that proves its requests come from our pages, as the pages
    do: before its first state change it fetches the session's CSRF token
    (``GET /api/v1/csrf``) and sends it as ``X-CSRFToken`` from then on; a
    sign-in answer brings the new session's token, a sign-out drops it. Set
    ``auto_csrf = False`` to send none (the refusal tests); an explicit
    ``X-CSRFToken`` header wins."""

    auto_csrf = True
    HEADER = "HTTP_X_CSRFTOKEN"

    def open(self, *args, **kwargs):
        method = str(kwargs.get("method", "GET")).upper()
        unsafe = method in ("POST", "PUT", "PATCH", "DELETE")
        if self.auto_csrf and unsafe and self.HEADER not in self.environ_base:
            self.refresh_csrf_token()
        response = super().open(*args, **kwargs)
        path = args[0] if args and isinstance(args[0], str) else ""
        if path.endswith("/api/v1/logout"):
            self.environ_base.pop(self.HEADER, None)
        elif path.endswith("/api/v1/login") and response.status_code == 200:
            self._keep((response.get_json() or {}).get("csrf_token"))
        return response

    def refresh_csrf_token(self) -> str | None:
        response = super().open("/api/v1/csrf")
        return self._keep((response.get_json(silent=True) or {}).get("csrf_token"))

    def _keep(self, token: str | None) -> str | None:
        if token:
            self.environ_base[self.HEADER] = token
        return token


def use_csrf_client(app):
    app.test_client_class = CsrfClient
    return app


@contextmanager
def fresh_app(url: str, instance_dir: Path):
    """An app on empty tables, inside its app context."""
    _empty_all_tables(url)
    app = create_app(
        {
            "database_url": url,
            "instance_dir": instance_dir,
            "secret_key": "test-secret",
            "locator_refresh_seconds": 0.0,
        }
    )
    app.config["TESTING"] = True
    use_csrf_client(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    with fresh_app(database_url, tmp_path) as app:
        yield app


requires_postgis = pytest.mark.skipif(
    not POSTGRES_URL, reason="set GRIDCITY_TEST_POSTGRES_URL to a PostGIS database (CI always does)"
)


@pytest.fixture
def postgis_app(request, tmp_path):
    """For tests that compare with or need PostGIS itself."""
    with fresh_app(request.getfixturevalue("postgis_url"), tmp_path) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def backend(app) -> str:
    return db.engine.dialect.name


# ---------------------------------------------------------------- a small city

# A 1.2 km × 0.9 km patch of Yantian (WGS-84) with a diagonal south-east edge,
# so the fishnet has whole and clipped cells.
MINI_DISTRICT = shapely.Polygon(
    [
        (114.2400, 22.5800),
        (114.2520, 22.5800),
        (114.2520, 22.5760),
        (114.2470, 22.5720),
        (114.2400, 22.5720),
        (114.2400, 22.5800),
    ]
)


def feature_collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def polygon_feature(geom, **properties) -> dict:
    return {"type": "Feature", "geometry": shapely.geometry.mapping(geom), "properties": properties}


def build_mini_city() -> dict:
    """District 440308 → 2 streets → 1 community each → 100 m unit grids,
    2 work grids in 1 area, the default taxonomy, units and one user per role
    (inside an app context on empty tables)."""
    from gridcity.geo import services as geo
    from gridcity.geo.models import Area, UnitGrid, WorkGrid, WorkGroup
    from gridcity.org.services import create_unit, create_user
    from gridcity.taxonomy.services import load_taxonomy, set_rule
    from gridcity.workcalendar.services import load_calendar

    (district,) = geo.import_districts(
        feature_collection(polygon_feature(MINI_DISTRICT, adcode="440308", name="盐田区")), "wgs84"
    )
    west = MINI_DISTRICT.intersection(shapely.box(114.2400, 22.57, 114.2460, 22.59))
    east = MINI_DISTRICT.intersection(shapely.box(114.2460, 22.57, 114.2520, 22.59))
    streets = geo.import_streets(
        feature_collection(
            polygon_feature(west, code="001", name="西街道"),
            polygon_feature(east, code="002", name="东街道"),
        ),
        "wgs84",
        "440308",
    )
    geo.import_communities(
        feature_collection(
            polygon_feature(west, code="440308001001", name="西社区"),
            polygon_feature(east, code="440308002001", name="东社区"),
        ),
        "wgs84",
    )
    geo.cut_unit_grids("440308", 100)
    area = Area(code="PQ01", name="测试片区", street_id=streets[0].id)
    db.session.add(area)
    db.session.flush()
    group = WorkGroup(code="PQ01-G1", name="测试小组", area_id=area.id)
    work_grids = []
    for n, street in enumerate(streets, start=1):
        wg = WorkGrid(code=f"WG0{n}", name=f"工作网格{n}", area=area, work_group=group)
        db.session.add(wg)
        db.session.flush()
        ids = [
            g.id
            for g in db.session.scalars(
                db.select(UnitGrid).where(UnitGrid.code.like(f"440308{street.code}%"))
            )
        ]
        geo.assign_work_grid(wg, ids)
        work_grids.append(wg)
    load_taxonomy()
    load_calendar()
    units = {
        "sanitation": create_unit("HW", "环卫处", "sanitation"),
        "municipal": create_unit("SZ", "市政所", "municipal"),
        "west_office": create_unit("JD01", "西街道办", "street_office", street_id=streets[0].id),
    }
    set_rule("C0101", "district", district.id, units["municipal"].id)
    set_rule("E0102", "district", district.id, units["sanitation"].id)
    set_rule("E0102", "street", streets[0].id, units["west_office"].id)
    users = {
        "inspector": create_user("insp", DEMO_PASSWORD, "inspector", work_grid_codes=["WG01"]),
        "operator": create_user("op", DEMO_PASSWORD, "operator"),
        "shift_leader": create_user("lead", DEMO_PASSWORD, "shift_leader"),
        "dispatcher": create_user("disp", DEMO_PASSWORD, "dispatcher"),
        "unit_handler": create_user("hw", DEMO_PASSWORD, "unit_handler", unit_code="HW"),
        "manager": create_user("mgr", DEMO_PASSWORD, "manager"),
        "admin": create_user("admin", DEMO_PASSWORD, "admin"),
    }
    db.session.commit()
    return {
        "district": district,
        "streets": streets,
        "work_grids": work_grids,
        "units": units,
        "users": users,
    }


def unit_grid_places(in_work_grids: bool = False) -> list:
    """Every unit grid (only those in a work grid when asked) with its
    geometry and the place keys a case copies (community, street, district,
    work grid, area), in id order: for tests that write cases in bulk."""
    from gridcity.geo.models import Community, Street, UnitGrid, WorkGrid

    query = (
        db.select(
            UnitGrid.id,
            UnitGrid.geom,
            UnitGrid.community_id,
            UnitGrid.work_grid_id,
            Community.street_id,
            Street.district_id,
            WorkGrid.area_id,
        )
        .join(Community, Community.id == UnitGrid.community_id)
        .join(Street, Street.id == Community.street_id)
        .outerjoin(WorkGrid, WorkGrid.id == UnitGrid.work_grid_id)
        .order_by(UnitGrid.id)
    )
    if in_work_grids:
        query = query.where(UnitGrid.work_grid_id.is_not(None))
    return db.session.execute(query).all()


def case_row(grid, lon: float, lat: float, **fields) -> dict:
    """A ``case_file`` row for a bulk insert at (lon, lat) in ``grid`` (a row
    of :func:`unit_grid_places`); ``fields`` give the rest (number,
    client_uuid, source, category_id, state, unit_id, times…)."""
    return {
        "urgency": "normal",
        "description": "",
        "lon": lon,
        "lat": lat,
        "geom": shapely.Point(lon, lat),
        "unit_grid_id": grid.id,
        "community_id": grid.community_id,
        "street_id": grid.street_id,
        "district_id": grid.district_id,
        "work_grid_id": grid.work_grid_id,
        "area_id": grid.area_id,
        "version": 1,
        "event_count": 1,
        **fields,
    }


@pytest.fixture
def create_mini_city(app, tmp_path_factory):
    """District 440308 → 2 streets → 1 community each → 100 m unit grids,
    2 work grids in 1 area, the default taxonomy, units and one user per role."""

    def create() -> dict:
        return build_once(app, "mini-city", build_mini_city, tmp_path_factory)

    return create


# Data built by ``build_once``: per database (and worker) and name, the ids of
# what the build returned and the copy of the database it left.
_BUILT: dict[tuple[str, str], tuple[dict, DatabaseSnapshot]] = {}


def build_once(app, name: str, build, tmp_path_factory) -> dict:
    """``build()`` on an empty database, the first time on each database (and
    worker); later, the copy of the database that first build left, restored
    (the same rows, ids included) in a fraction of the time — a build hashes
    passwords (scrypt, slow on purpose) and cuts a fishnet, seconds per test.
    On a database the test has already written to, ``build()`` runs afresh.

    ``build`` returns a dict of the mini city's kind (``_ids_of``); the rows
    come back loaded in the current session either way."""
    key = (app.config["SETTINGS"].resolved_database_url, name)
    if not _database_is_empty():
        return build()
    if key in _BUILT:
        ids, snapshot = _BUILT[key]
        restore_database(app, snapshot)
    else:
        ids = _ids_of(build())
        _BUILT[key] = (ids, snapshot_database(app, name, tmp_path_factory.mktemp(name)))
    return _objects_of(ids)


def _database_is_empty() -> bool:
    """No rows anywhere but the geo revision counter (as ``fresh_app`` leaves it)."""
    tables = [t.name for t in metadata.sorted_tables if t.name != "geo_revision"]
    any_row = " UNION ALL ".join(
        f"SELECT 1 FROM (SELECT 1 FROM {t} LIMIT 1) AS t{n}" for n, t in enumerate(tables)
    )
    return db.session.execute(text(any_row)).first() is None


def _ids_of(city: dict) -> dict:
    return {
        "district": city["district"].id,
        "streets": [s.id for s in city["streets"]],
        "work_grids": [w.id for w in city["work_grids"]],
        "units": {key: u.id for key, u in city["units"].items()},
        "users": {key: u.id for key, u in city["users"].items()},
    }


def _objects_of(ids: dict) -> dict:
    """The mini city's rows as the build returns them, loaded in this session."""
    from gridcity.geo.models import District, Street, WorkGrid
    from gridcity.org.models import Unit, User

    return {
        "district": db.session.get(District, ids["district"]),
        "streets": [db.session.get(Street, i) for i in ids["streets"]],
        "work_grids": [db.session.get(WorkGrid, i) for i in ids["work_grids"]],
        "units": {key: db.session.get(Unit, i) for key, i in ids["units"].items()},
        "users": {key: db.session.get(User, i) for key, i in ids["users"].items()},
    }


@pytest.fixture
def login(client):
    def sign_in(username: str, password: str = DEMO_PASSWORD):
        response = client.post("/api/v1/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return sign_in


def read_fixture(name: str) -> str:
    return (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- database snapshots
#
# A fixture whose data takes long to build (a month lived through the services)
# builds it once per database and worker, keeps a copy, and later tests get
# the copy back in a fraction of the time: on PostgreSQL every table is copied
# out with COPY into memory and back (nothing is left in the database, whose
# dumps the backup tests compare), on SQLite the file is copied with the
# backup API. The media folder (photos) is copied with them.


@dataclass
class DatabaseSnapshot:
    url: str
    tables: dict[str, bytes]  # PostgreSQL: each table's rows in COPY format
    copy: Path | None  # SQLite: the copy of the file
    media: Path
    sequences: dict[str, int] | None = None  # PostgreSQL: the last value of each sequence used


def _release_connections() -> None:
    db.session.remove()
    db.engine.dispose()


def snapshot_database(app, name: str, folder: Path) -> DatabaseSnapshot:
    """Keep a copy of every table of the app's database (and its photos)."""
    import io

    url = app.config["SETTINGS"].resolved_database_url
    _release_connections()
    media = folder / "media"
    source_media = app.config["SETTINGS"].resolved_media_dir
    if source_media.exists():
        shutil.copytree(source_media, media)
    engine = create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "postgresql":
        tables = {}
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                for table in metadata.sorted_tables:
                    buffer = io.BytesIO()
                    cursor.copy_expert(f'COPY public."{table.name}" TO STDOUT', buffer)
                    tables[table.name] = buffer.getvalue()
                cursor.execute(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value FROM pg_sequences "
                    "WHERE schemaname = 'public' AND last_value IS NOT NULL"
                )
                sequences = dict(cursor.fetchall())
            raw.commit()
        finally:
            raw.close()
        engine.dispose()
        return DatabaseSnapshot(url, tables, None, media, sequences)
    engine.dispose()
    copy = folder / f"{name}.db"
    _sqlite_copy(make_url(url).database, copy)
    return DatabaseSnapshot(url, {}, copy, media)


def restore_database(app, snapshot: DatabaseSnapshot) -> None:
    """Put the app's database (and photos) back as they were at the snapshot."""
    import io

    _release_connections()
    engine = create_engine(snapshot.url, poolclass=NullPool)
    if engine.dialect.name == "postgresql":
        names = [t.name for t in metadata.sorted_tables]
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                cursor.execute(_EMPTY_POSTGRES_TABLES)
                for name in names:
                    cursor.copy_expert(f'COPY public."{name}" FROM STDIN', io.BytesIO(snapshot.tables[name]))
                # The sequences as the snapshot found them, so new rows get the ids they would have.
                for sequence, last_value in snapshot.sequences.items():
                    cursor.execute("SELECT setval(%s, %s, true)", (sequence, last_value))
            raw.commit()
        finally:
            raw.close()
    else:
        _sqlite_copy(snapshot.copy, make_url(snapshot.url).database)
    engine.dispose()
    media = app.config["SETTINGS"].resolved_media_dir
    if snapshot.media.exists():
        shutil.copytree(snapshot.media, media, dirs_exist_ok=True)


def _sqlite_copy(source: str | Path, target: str | Path) -> None:
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
